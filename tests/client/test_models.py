"""Models: tolerant reading, `.raw`, and bodies that change only what was changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storeflight.client import Flight, Package, Page, Submission
from storeflight.client.models import UNSET_DATE, render_date


def test_dates_in_every_form_the_service_sends() -> None:
    flight_sub = Submission.from_json({"targetPublishDate": "2016-06-17T21:29:44.0747851Z"})
    assert flight_sub.target_publish_date == datetime(2016, 6, 17, 21, 29, 44, 74785, tzinfo=UTC)
    for unset in ("", None, UNSET_DATE, "1601-01-01T00:00:00Z"):
        assert Submission.from_json({"targetPublishDate": unset}).target_publish_date is None
    offset = Submission.from_json({"targetPublishDate": "2020-01-01T02:00:00+02:00"})
    assert offset.target_publish_date == datetime(2020, 1, 1, tzinfo=UTC)
    assert render_date(datetime(2020, 1, 1, tzinfo=UTC)) == "2020-01-01T00:00:00.0000000Z"
    assert render_date(None) == UNSET_DATE


def test_an_unchanged_model_gives_back_exactly_what_was_read() -> None:
    raw: dict[str, Any] = {
        "id": "1",
        "applicationPackages": [{"fileName": "a.msix", "fileStatus": "Uploaded", "languages": None, "new": 1}],
        "pricing": {"priceId": "Free"},  # an app submission field the model does not know
        "statusDetails": None,
        "targetPublishDate": "",
    }
    sub = Submission.from_json(raw)
    assert sub.to_body() == raw and sub.raw is raw
    assert sub.application_packages[0].raw == raw["applicationPackages"][0]


def test_changes_are_written_under_the_key_the_server_used() -> None:
    sub = Submission.from_json({"id": "1", "flightId": "f", "flightPackages": []})
    sub.flight_packages.append(Package(file_name="new.msix"))
    sub.target_publish_mode = "SpecificDate"
    sub.target_publish_date = datetime(2030, 1, 1, tzinfo=UTC)
    rollout = sub.rollout()
    rollout.is_package_rollout, rollout.package_rollout_percentage = True, 12.5
    body = sub.to_body()
    assert "applicationPackages" not in body
    (new,) = body["flightPackages"]
    assert (new["fileName"], new["fileStatus"], new["minimumDirectXVersion"]) == ("new.msix", "PendingUpload", "None")
    assert body["targetPublishDate"] == "2030-01-01T00:00:00.0000000Z"
    sent = body["packageDeliveryOptions"]["packageRollout"]
    assert (sent["isPackageRollout"], sent["packageRolloutPercentage"]) == (True, 12.5)


def test_a_cleared_date_is_sent_as_the_unset_sentinel() -> None:
    sub = Submission.from_json({"id": "1", "targetPublishDate": "2030-01-01T00:00:00Z"})
    sub.target_publish_date = None
    assert sub.to_body()["targetPublishDate"] == UNSET_DATE


def test_lists_pages_and_numbers_tolerate_nulls_and_strings() -> None:
    page = Page[Flight].from_json({"value": [{"flightId": "f", "groupIds": [0, "12"]}], "totalCount": "21"})
    assert page.total_count == 21 and page.next_link is None
    assert page.value[0].group_ids == ["0", "12"] and page.value[0].pending_flight_submission is None
    assert Page[Flight].from_json(None).value == [] and Page[Flight].from_json({"value": None}).value == []
    linked = Page[Flight].from_json({"value": [], "@nextLink": "applications/X/listflights/?skip=2&top=2"})
    assert linked.next_link == "applications/X/listflights/?skip=2&top=2"
