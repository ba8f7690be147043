"""Package flights over real HTTP: create, rank, list, page, get, modify (extension), delete."""

from __future__ import annotations

from storeflight.domain.lifecycle import Status
from tests.support import Tenant, force_state, new_tenant


def test_create_flight_returns_flight_with_pending_submission(tenant: Tenant, app_id: str) -> None:
    group = tenant.create_group(["a@example.com"])
    response = tenant.http.post(f"applications/{app_id}/flights", json={"friendlyName": "beta", "groupIds": [group]})
    assert response.status_code == 201
    body = response.json()
    assert body["friendlyName"] == "beta"
    assert body["groupIds"] == [group]
    assert body["rankHigherThan"] == "Non-flighted submission"
    pending = body["pendingFlightSubmission"]
    assert pending["resourceLocation"] == f"flights/{body['flightId']}/submissions/{pending['id']}"
    assert "lastPublishedFlightSubmission" not in body
    submission = tenant.http.get(f"applications/{app_id}/flights/{body['flightId']}/submissions/{pending['id']}")
    assert submission.json()["status"] == "PendingCommit"


def test_group_ids_may_be_numbers(tenant: Tenant, app_id: str) -> None:
    group = tenant.create_group()
    response = tenant.http.post(f"applications/{app_id}/flights", json={"friendlyName": "n", "groupIds": [int(group)]})
    assert response.status_code == 201
    assert response.json()["groupIds"] == [group]


def test_new_flight_without_rank_is_ranked_highest(tenant: Tenant, app_id: str) -> None:
    first = tenant.create_flight(app_id, "first")
    second = tenant.create_flight(app_id, "second")
    listed = tenant.http.get(f"applications/{app_id}/listflights").json()
    assert [f["friendlyName"] for f in listed["value"]] == ["second", "first"]
    assert listed["value"][0]["rankHigherThan"] == "first"
    assert listed["value"][1]["rankHigherThan"] == "Non-flighted submission"
    assert {f["flightId"] for f in listed["value"]} == {first["flightId"], second["flightId"]}


def test_rank_higher_than_accepts_a_name_or_an_id(tenant: Tenant, app_id: str) -> None:
    low = tenant.create_flight(app_id, "low")
    tenant.create_flight(app_id, "top")
    middle = tenant.create_flight(app_id, "middle", rankHigherThan="low")
    assert middle["rankHigherThan"] == "low"
    by_id = tenant.create_flight(app_id, "middle2", rankHigherThan=low["flightId"])
    assert by_id["rankHigherThan"] == "low"
    names = [f["friendlyName"] for f in tenant.http.get(f"applications/{app_id}/listflights").json()["value"]]
    assert names == ["top", "middle", "middle2", "low"]


def test_invalid_flight_requests_are_400_invalid_parameter_value(tenant: Tenant, app_id: str) -> None:
    tenant.create_flight(app_id, "taken")
    group = tenant.create_group()
    cases = [
        {"friendlyName": "x", "groupIds": ["1234"]},
        {"friendlyName": "taken", "groupIds": [group]},
        {"friendlyName": "y", "groupIds": [group], "rankHigherThan": "nope"},
        {"friendlyName": "z", "groupIds": []},
        {"groupIds": [group]},
        {"friendlyName": 5, "groupIds": [group]},
        {"friendlyName": "w", "groupIds": "1"},
    ]
    for body in cases:
        response = tenant.http.post(f"applications/{app_id}/flights", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == "InvalidParameterValue"
    assert tenant.http.get(f"applications/{app_id}/listflights").json()["totalCount"] == 1


def test_another_tenants_group_is_unknown(tenant: Tenant, app_id: str) -> None:
    other = new_tenant(tenant.server)
    foreign = other.create_group()
    response = tenant.http.post(f"applications/{app_id}/flights", json={"friendlyName": "f", "groupIds": [foreign]})
    assert response.status_code == 400


def test_creating_a_flight_needs_a_published_app_submission(tenant: Tenant) -> None:
    app_id = tenant.create_app(baseline=False)
    response = tenant.http.post(
        f"applications/{app_id}/flights", json={"friendlyName": "f", "groupIds": [tenant.create_group()]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "InvalidState"


def test_listflights_pages_with_next_link_and_empty_page_past_the_end(tenant: Tenant, app_id: str) -> None:
    for i in range(5):
        tenant.create_flight(app_id, f"f{i}")
    first = tenant.http.get(f"applications/{app_id}/listflights/?top=2&skip=0").json()
    assert first["totalCount"] == 5
    assert len(first["value"]) == 2
    assert first["@nextLink"] == f"applications/{app_id}/listflights?skip=2&top=2"
    seen = [f["friendlyName"] for f in first["value"]]
    link = first["@nextLink"]
    while link:
        page = tenant.http.get(link).json()
        seen += [f["friendlyName"] for f in page["value"]]
        link = page.get("@nextLink")
    assert seen == ["f4", "f3", "f2", "f1", "f0"]
    past = tenant.http.get(f"applications/{app_id}/listflights?skip=10&top=2")
    assert past.status_code == 200
    assert past.json() == {"value": [], "totalCount": 5}


def test_listflights_of_an_app_without_flights_is_404(tenant: Tenant, app_id: str) -> None:
    response = tenant.http.get(f"applications/{app_id}/listflights")
    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFound"


def test_delete_flight_cascades_its_api_made_pending_submission(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    pending = flight["pendingFlightSubmission"]["id"]
    response = tenant.http.delete(f"applications/{app_id}/flights/{flight['flightId']}")
    assert response.status_code == 204
    assert response.content == b""
    assert tenant.http.get(f"applications/{app_id}/flights/{flight['flightId']}").status_code == 404
    gone = tenant.http.get(f"applications/{app_id}/flights/{flight['flightId']}/submissions/{pending}")
    assert gone.status_code == 404


def test_delete_flight_with_a_committed_submission_is_409(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    sub = flight["pendingFlightSubmission"]["id"]
    base = f"applications/{app_id}/flights/{flight['flightId']}"
    assert tenant.http.post(f"{base}/submissions/{sub}/commit").status_code == 200
    response = tenant.http.delete(base)
    assert response.status_code == 409
    assert response.json()["code"] == "InvalidState"
    assert tenant.http.get(base).status_code == 200


def test_unknown_flight_is_404(tenant: Tenant, app_id: str) -> None:
    response = tenant.http.get(f"applications/{app_id}/flights/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFound"


# Modifying a flight (a storeflight extension) ----------------------------------------------------------------


def _names(tenant: Tenant, app_id: str) -> list[tuple[str, str]]:
    listed = tenant.http.get(f"applications/{app_id}/listflights").json()["value"]
    return [(f["friendlyName"], f["rankHigherThan"]) for f in listed]


def test_modify_flight_renames_and_regroups(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id, "beta")
    url = f"applications/{app_id}/flights/{flight['flightId']}"
    groups = [tenant.create_group(name="one"), tenant.create_group(name="two")]
    response = tenant.http.put(url, json={"FriendlyName": "gamma", "groupids": groups})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body | {"friendlyName": "beta", "groupIds": flight["groupIds"]} == flight
    assert body["friendlyName"] == "gamma"
    assert body["groupIds"] == groups
    assert tenant.http.get(url).json() == body
    only_name = tenant.http.put(url, json={"friendlyName": "delta"}).json()
    assert (only_name["friendlyName"], only_name["groupIds"]) == ("delta", groups)


def test_modify_flight_moves_its_rank(tenant: Tenant, app_id: str) -> None:
    for name in ("c", "b", "a"):
        tenant.create_flight(app_id, name)
    ids = {
        f["friendlyName"]: f["flightId"] for f in tenant.http.get(f"applications/{app_id}/listflights").json()["value"]
    }
    assert _names(tenant, app_id) == [("a", "b"), ("b", "c"), ("c", "Non-flighted submission")]
    url = f"applications/{app_id}/flights/{ids['a']}"
    moved = tenant.http.put(url, json={"rankHigherThan": "Non-flighted submission"})
    assert moved.json()["rankHigherThan"] == "Non-flighted submission"
    assert _names(tenant, app_id) == [("b", "c"), ("c", "a"), ("a", "Non-flighted submission")]
    tenant.http.put(url, json={"rankHigherThan": ids["c"]})
    assert [n for n, _ in _names(tenant, app_id)] == ["b", "a", "c"]
    tenant.http.put(f"applications/{app_id}/flights/{ids['c']}", json={"rankHigherThan": None})
    assert [n for n, _ in _names(tenant, app_id)] == ["c", "b", "a"]
    tenant.http.put(url, json={"friendlyName": "a2"})
    assert [n for n, _ in _names(tenant, app_id)] == ["c", "b", "a2"]
    same = tenant.http.put(f"applications/{app_id}/flights/{ids['b']}", json={"rankHigherThan": "a2"})
    assert same.json()["rankHigherThan"] == "a2"
    assert [n for n, _ in _names(tenant, app_id)] == ["c", "b", "a2"]


def test_invalid_modify_requests_are_400_and_change_nothing(tenant: Tenant, app_id: str) -> None:
    tenant.create_flight(app_id, "taken")
    flight = tenant.create_flight(app_id, "mine")
    url = f"applications/{app_id}/flights/{flight['flightId']}"
    cases = [
        {},
        {"friendlyName": "taken"},
        {"friendlyName": ""},
        {"friendlyName": 5},
        {"groupIds": []},
        {"groupIds": ["1234"]},
        {"groupIds": [new_tenant(tenant.server).create_group()]},
        {"groupIds": "1"},
        {"rankHigherThan": "nope"},
        {"rankHigherThan": "mine"},
        {"rankHigherThan": 3},
    ]
    for body in cases:
        response = tenant.http.put(url, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == "InvalidParameterValue"
    assert tenant.http.get(url).json() == flight


def test_modify_unknown_flight_is_404(tenant: Tenant, app_id: str) -> None:
    response = tenant.http.put(
        f"applications/{app_id}/flights/00000000-0000-0000-0000-000000000000", json={"friendlyName": "x"}
    )
    assert response.status_code == 404


def test_modify_flight_is_409_while_its_submission_is_in_the_pipeline(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id, "beta")
    url = f"applications/{app_id}/flights/{flight['flightId']}"
    force_state(tenant.server, tenant, flight["pendingFlightSubmission"]["id"], status=Status.PRE_PROCESSING)
    response = tenant.http.put(url, json={"friendlyName": "gamma"})
    assert response.status_code == 409
    assert response.json()["code"] == "InvalidState"
    assert tenant.http.get(url).json()["friendlyName"] == "beta"
