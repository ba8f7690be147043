"""Reading a batch: good events count, bad ones are refused one by one with their reasons."""

from __future__ import annotations

from typing import Any

import pytest

from storeflight.domain.errors import InvalidParameterValue
from storeflight.telemetry.events import MAX_EVENTS, Event, Kind, Refusal, read_batch


def _event(**changes: Any) -> dict[str, Any]:
    return {"id": "e1", "type": "launched", "version": "1.2.3.0", **changes}


def test_good_events_are_read_with_their_fields() -> None:
    events, refused = read_batch(
        {
            "events": [
                _event(),
                {"ID": "e2", "Type": "UPDATEFAILED", "Version": "1.3", "errorCode": "0x80073CF3", "submissionId": "9"},
                _event(id="e3", type="installed", packageId="p1", errorCode=5),
            ]
        }
    )
    assert refused == []
    assert events == [
        Event("e1", Kind.LAUNCHED, "1.2.3.0"),
        Event("e2", Kind.UPDATE_FAILED, "1.3.0.0", submission_id="9", error_code="0x80073CF3"),
        Event("e3", Kind.INSTALLED, "1.2.3.0", package_id="p1"),  # an error code counts only for failures
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not an object", "an event must be a JSON object"),
        (_event(id=None), "id is required"),
        (_event(id="  "), "id may not be empty"),
        (_event(id="x" * 129), "id may be at most 128 characters long"),
        (_event(id="a\x00b"), "id may hold printable characters only"),
        (_event(type="exploded"), "type must be one of installed, updateFailed, launched, crashed, heartbeat"),
        (_event(version="1.x"), "version must be a version like 1.2.3.0, not '1.x'"),
        (_event(version="1.2.3.4.5"), "version must be a version like 1.2.3.0"),
        (_event(version=7), "version must be a string"),
        (_event(type="updateFailed"), "an updateFailed event needs an errorCode"),
        (_event(type="updateFailed", errorCode=True), "errorCode must be a number or a string"),
        (_event(type="updateFailed", errorCode=2**70), "errorCode is out of range"),
        (_event(submissionId=12), "submissionId must be a string"),
    ],
)
def test_a_bad_event_is_refused_with_its_reason_and_the_others_count(raw: Any, reason: str) -> None:
    events, refused = read_batch({"events": [_event(id="good-1"), raw, _event(id="good-2")]})
    assert [e.id for e in events] == ["good-1", "good-2"]
    assert len(refused) == 1
    assert refused[0].index == 1
    assert refused[0].reason.startswith(reason)
    sent = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    assert refused[0].id == (sent[:128] if sent is not None else None)  # echoed, bounded


@pytest.mark.parametrize("body", [None, [], {"events": "x"}, {"other": []}, {"events": {"id": "e"}}])
def test_a_body_that_is_no_batch_is_an_error_of_the_request(body: Any) -> None:
    with pytest.raises(InvalidParameterValue, match="'events' list"):
        read_batch(body)


def test_a_batch_is_bounded() -> None:
    events, _ = read_batch({"events": [_event(id=str(i)) for i in range(MAX_EVENTS)]})
    assert len(events) == MAX_EVENTS
    with pytest.raises(InvalidParameterValue, match=f"at most {MAX_EVENTS} events, not {MAX_EVENTS + 1}"):
        read_batch({"events": [_event(id=str(i)) for i in range(MAX_EVENTS + 1)]})


def test_an_empty_batch_is_fine() -> None:
    assert read_batch({"events": []}) == ([], [])
    assert Refusal(0, None, "x").index == 0
