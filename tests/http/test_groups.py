"""Flight groups (a storeflight extension) over real HTTP: CRUD, paging, tenants, members in bulk."""

from __future__ import annotations

from tests.support import Tenant, new_tenant


def _create(tenant: Tenant, name: str = "testers", members: list[str] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"name": name}
    if members is not None:
        body["members"] = members
    response = tenant.http.post("flightgroups", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def test_create_get_rename_delete(tenant: Tenant) -> None:
    created = _create(tenant, "  insiders ", ["A@Example.com", "a@example.com", " opaque-ID "])
    assert created["name"] == "insiders"
    assert created["memberCount"] == 2
    assert created["createdDate"]
    group = f"flightgroups/{created['id']}"
    assert tenant.http.get(group).json() == created
    renamed = tenant.http.put(group, json={"Name": "outsiders"})
    assert renamed.status_code == 200
    assert renamed.json() | {"name": "insiders"} == created
    assert tenant.http.get(group).json()["name"] == "outsiders"
    members = tenant.http.get(f"{group}/members").json()
    assert members == {"value": ["a@example.com", "opaque-ID"], "totalCount": 2}
    assert tenant.http.delete(group).status_code == 204
    assert tenant.http.get(group).status_code == 404
    assert tenant.http.delete(group).status_code == 404


def test_list_groups_pages_with_next_link(tenant: Tenant) -> None:
    assert tenant.http.get("flightgroups").json() == {"value": [], "totalCount": 0}
    ids = [_create(tenant, f"g{i}", [f"u{j}" for j in range(i)])["id"] for i in range(5)]
    first = tenant.http.get("flightgroups?top=2").json()
    assert first["totalCount"] == 5
    assert first["@nextLink"] == "flightgroups?skip=2&top=2"
    seen = first["value"]
    link = first["@nextLink"]
    while link:
        page = tenant.http.get(link).json()
        seen += page["value"]
        link = page.get("@nextLink")
    assert [g["id"] for g in seen] == ids
    assert [g["memberCount"] for g in seen] == [0, 1, 2, 3, 4]
    assert tenant.http.get("flightgroups?skip=10").json() == {"value": [], "totalCount": 5}


def test_another_tenants_group_is_404(tenant: Tenant) -> None:
    other = new_tenant(tenant.server)
    foreign = _create(other, "theirs", ["x@example.com"])["id"]
    group = f"flightgroups/{foreign}"
    assert tenant.http.get(group).status_code == 404
    assert tenant.http.get(f"{group}/members").status_code == 404
    assert tenant.http.put(group, json={"name": "mine"}).status_code == 404
    assert tenant.http.post(f"{group}/members", json={"add": ["me@example.com"]}).status_code == 404
    response = tenant.http.delete(group)
    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFound"
    assert tenant.http.get("flightgroups").json()["totalCount"] == 0
    assert other.http.get(group).json()["memberCount"] == 1


def test_delete_is_409_while_a_flight_uses_the_group(tenant: Tenant, app_id: str) -> None:
    group = str(_create(tenant, "used", ["a@example.com"])["id"])
    flight = tenant.create_flight(app_id, "beta", [group])
    response = tenant.http.delete(f"flightgroups/{group}")
    assert response.status_code == 409
    assert response.json()["code"] == "InvalidState"
    assert tenant.http.get(f"flightgroups/{group}").status_code == 200
    assert tenant.http.delete(f"applications/{app_id}/flights/{flight['flightId']}").status_code == 204
    assert tenant.http.delete(f"flightgroups/{group}").status_code == 204


def test_100000_members_in_one_request(tenant: Tenant) -> None:
    group = f"flightgroups/{_create(tenant, 'big')['id']}"
    members = [f"customer{i}@example.com" for i in range(100_000)]
    response = tenant.http.post(f"{group}/members", json={"add": members}, timeout=300)
    assert response.status_code == 200, response.text
    assert response.json() == {"memberCount": 100_000, "added": 100_000, "removed": 0}
    assert tenant.http.get(group).json()["memberCount"] == 100_000
    page = tenant.http.get(f"{group}/members?top=3&skip=0").json()
    assert page["totalCount"] == 100_000
    assert page["value"] == sorted(members)[:3]
    assert page["@nextLink"] == f"{group}/members?skip=3&top=3"
    again = tenant.http.post(f"{group}/members", json={"add": members[:50_000]}, timeout=300)
    assert again.json() == {"memberCount": 100_000, "added": 0, "removed": 0}
    removed = tenant.http.post(f"{group}/members", json={"remove": members[:60_000]}, timeout=300)
    assert removed.json() == {"memberCount": 40_000, "added": 0, "removed": 60_000}


def test_add_and_remove_members(tenant: Tenant) -> None:
    group = f"flightgroups/{_create(tenant, 'g', ['a@example.com', 'b@example.com'])['id']}"
    response = tenant.http.post(
        f"{group}/members",
        json={"ADD": ["C@Example.com", "c@example.com", "a@example.com"], "Remove": ["B@EXAMPLE.COM", "nobody"]},
    )
    assert response.status_code == 200
    assert response.json() == {"memberCount": 2, "added": 1, "removed": 1}
    assert tenant.http.get(f"{group}/members").json()["value"] == ["a@example.com", "c@example.com"]


def test_bad_members_are_400_and_change_nothing(tenant: Tenant) -> None:
    group = f"flightgroups/{_create(tenant, 'g', ['a@example.com'])['id']}"
    bad_bodies = [
        {"add": ["ok@example.com", ""]},
        {"add": ["   "]},
        {"add": ["x" * 321]},
        {"add": ["tab\there"]},
        {"add": ["nul\x00"]},
        {"add": [5]},
        {"add": "a@example.com"},
        {"remove": [None]},
        {"add": ["ok@example.com"], "remove": ["OK@example.com"]},
        {},
        [],
    ]
    for body in bad_bodies:
        response = tenant.http.post(f"{group}/members", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == "InvalidParameterValue"
    assert tenant.http.get(f"{group}/members").json() == {"value": ["a@example.com"], "totalCount": 1}
    assert tenant.http.post(f"{group}/members", json={"add": ["y" * 320]}).json()["added"] == 1


def test_bad_group_requests_are_400(tenant: Tenant) -> None:
    for body in [
        {},
        {"name": ""},
        {"name": 5},
        {"name": "x" * 257},
        {"name": "g", "members": ["a", ""]},
        {"name": "g", "members": "a"},
    ]:
        response = tenant.http.post("flightgroups", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == "InvalidParameterValue"
    assert tenant.http.get("flightgroups").json()["totalCount"] == 0
    group = f"flightgroups/{_create(tenant)['id']}"
    for body in [{}, {"name": "  "}, {"name": "bad\nname"}]:
        assert tenant.http.put(group, json=body).status_code == 400
    assert tenant.http.get(group).json()["name"] == "testers"


def test_groups_made_over_http_work_for_flights(tenant: Tenant, app_id: str) -> None:
    group = str(_create(tenant, "beta testers", ["a@example.com"])["id"])
    flight = tenant.create_flight(app_id, "beta", [group])
    assert flight["groupIds"] == [group]
