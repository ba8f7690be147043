"""Endpoints as data: paths, bodies, idempotence, and the pager."""

from __future__ import annotations

from typing import Any

from storeflight.client import Page, Submission
from storeflight.client import endpoints as ep
from storeflight.client.config import ClientConfig


def test_flight_and_app_submissions_have_their_paths() -> None:
    assert ep.get_submission("APP", "1", "f").path == "applications/APP/flights/f/submissions/1"
    assert ep.get_submission("APP", "1").path == "applications/APP/submissions/1"
    assert ep.commit_submission("APP", "1", "f").path.endswith("/submissions/1/commit")
    assert ep.get_application("a/b").path == "applications/a%2Fb"  # ids cannot escape their segment


def test_only_calls_that_are_safe_to_repeat_are_idempotent() -> None:
    sub = Submission(id="1")
    safe: list[ep.Call[Any]] = [ep.get_status("A", "1"), ep.update_submission("A", sub), ep.delete_flight("A", "f")]
    safe += [ep.set_rollout_percentage("A", "1", 5), ep.change_members("g", add=["x"])]
    unsafe: list[ep.Call[Any]] = [
        ep.create_submission("A"),
        ep.commit_submission("A", "1"),
        ep.create_flight("A", "n", ["1"]),
    ]
    unsafe += [ep.halt_rollout("A", "1"), ep.finalize_rollout("A", "1"), ep.create_group("g")]
    assert all(c.idempotent for c in safe) and not any(c.idempotent for c in unsafe)


def test_bodies_and_queries() -> None:
    assert ep.create_flight("A", "beta", ["1"]).json == {"friendlyName": "beta", "groupIds": ["1"]}
    assert ep.update_flight("A", "f", rank_higher_than="").json == {"rankHigherThan": ""}
    assert ep.set_rollout_percentage("A", "1", 50.5).params == {"percentage": "50.5"}
    assert ep.set_rollout_percentage("A", "1", 20).params == {"percentage": "20"}
    delivery = ep.check_delivery("A", "me@example.com", explain=True)
    assert delivery.params["customerId"] == "me@example.com" and delivery.params["explain"] == "true"
    assert "manualCheck" not in delivery.params


def _page(n: int, total: int, link: str | None = None) -> Page[Any]:
    body: dict[str, object] = {"value": [{"flightId": str(i)} for i in range(n)], "totalCount": total}
    if link:
        body["@nextLink"] = link
    return Page[Any].from_json(body)


def test_the_pager_follows_next_links_then_skip_and_stops() -> None:
    pager = ep.Pager(lambda skip: ep.list_flights("A", skip, 2))
    assert pager.first().params == {"skip": "0", "top": "2"}
    followed = pager.next(_page(2, 6, "applications/A/listflights/?skip=2&top=2"))
    assert followed is not None and followed.path == "applications/A/listflights/"
    assert followed.params == {"skip": "2", "top": "2"}
    by_skip = pager.next(_page(2, 6))  # no @nextLink: the count still says more remain
    assert by_skip is not None and by_skip.params["skip"] == "4"
    assert pager.next(_page(2, 6)) is None  # six read of six
    assert pager.next(_page(0, 99)) is None  # an empty page always ends the walk


def test_a_repeated_or_absolute_next_link() -> None:
    pager = ep.Pager(lambda skip: ep.list_applications(skip, 1))
    absolute = pager.next(_page(1, 9, "https://manage.devcenter.microsoft.com/v1.0/my/applications?skip=1&top=1"))
    assert absolute is not None and absolute.path == "applications"
    assert pager.next(_page(1, 9, "https://manage.devcenter.microsoft.com/v1.0/my/applications?skip=1&top=1")) is None


def test_config_urls_for_microsoft_and_for_storeflight() -> None:
    microsoft = ClientConfig("t", "c", "s")
    assert microsoft.api_root == "https://manage.devcenter.microsoft.com/v1.0/my/"
    assert microsoft.token_url == "https://login.microsoftonline.com/t/oauth2/token"
    assert microsoft.token_form()["resource"] == "https://manage.devcenter.microsoft.com"
    local = ClientConfig(
        "t",
        "c",
        "s",
        base_url="http://127.0.0.1:8080/v1.0/my/",
        token_version="v2",
        authority="http://127.0.0.1:8080/",
        resource="https://manage.devcenter.microsoft.com/",
    )
    assert local.api_root == "http://127.0.0.1:8080/v1.0/my/"
    assert local.token_url == "http://127.0.0.1:8080/t/oauth2/v2.0/token"
    assert local.token_form()["scope"] == "https://manage.devcenter.microsoft.com/.default"
