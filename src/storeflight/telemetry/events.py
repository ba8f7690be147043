"""A batch of device events, read one event at a time: a bad event is refused with its reason, the rest count.

Pure: a parsed JSON body in, accepted events and refusals out. Only a body that is not a batch at all (not an
object with an `events` list, or more events than a batch may hold) is an error of the whole request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storeflight.domain.errors import InvalidParameterValue

MAX_EVENTS = 1000  # per batch
MAX_BODY_BYTES = 512 * 1024  # per batch, as sent
_MAX_ID = 128
_MAX_CODE = 64
_MAX_ID_TEXT = 64


class Kind(StrEnum):
    INSTALLED = "installed"
    UPDATE_FAILED = "updateFailed"
    LAUNCHED = "launched"
    CRASHED = "crashed"
    HEARTBEAT = "heartbeat"


_KINDS = {kind.value.lower(): kind for kind in Kind}


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    kind: Kind
    version: str
    submission_id: str | None = None
    package_id: str | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    index: int
    id: str | None
    reason: str


class Refused(Exception):
    """One event's problem (internal: becomes a Refusal)."""


def read_batch(body: Any) -> tuple[list[Event], list[Refusal]]:
    """The batch's well-formed events (in order) and the refusals of the others, by their index."""
    if not isinstance(body, Mapping):
        raise InvalidParameterValue("The body must be a JSON object with an 'events' list.", target="events")
    events = _field(body, "events")
    if not isinstance(events, list):
        raise InvalidParameterValue("The body must be a JSON object with an 'events' list.", target="events")
    if len(events) > MAX_EVENTS:
        raise InvalidParameterValue(
            f"A batch holds at most {MAX_EVENTS} events, not {len(events)}: send the rest in another batch.",
            target="events",
        )
    accepted: list[Event] = []
    refused: list[Refusal] = []
    for index, raw in enumerate(events):
        try:
            accepted.append(read_event(raw))
        except Refused as problem:
            refused.append(Refusal(index, _raw_id(raw), str(problem)))
    return accepted, refused


def read_event(raw: Any) -> Event:
    """One event, or Refused saying what is wrong with it. Field names match without regard to case."""
    if not isinstance(raw, Mapping):
        raise Refused("an event must be a JSON object")
    event_id = _text(raw, "id", _MAX_ID, required=True)
    kind_text = _text(raw, "type", 32, required=True)
    kind = _KINDS.get((kind_text or "").lower())
    if kind is None:
        raise Refused(f"type must be one of {', '.join(k.value for k in Kind)}, not '{kind_text}'")
    version = _version(_text(raw, "version", 64, required=True) or "")
    code = _code(_field(raw, "errorCode"))
    if kind is Kind.UPDATE_FAILED and code is None:
        raise Refused("an updateFailed event needs an errorCode")
    return Event(
        id=event_id or "",
        kind=kind,
        version=version,
        submission_id=_text(raw, "submissionId", _MAX_ID_TEXT),
        package_id=_text(raw, "packageId", _MAX_ID_TEXT),
        error_code=code if kind is Kind.UPDATE_FAILED else None,
    )


def _field(raw: Mapping[str, Any], name: str) -> Any:
    if name in raw:
        return raw[name]
    lowered = name.lower()
    return next((value for key, value in raw.items() if isinstance(key, str) and key.lower() == lowered), None)


def _printable(value: str) -> bool:
    return value.isprintable()


def _text(raw: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str | None:
    value = _field(raw, name)
    if value is None:
        if required:
            raise Refused(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise Refused(f"{name} must be a string")
    value = value.strip()
    if not value:
        if required:
            raise Refused(f"{name} may not be empty")
        return None
    if len(value) > limit:
        raise Refused(f"{name} may be at most {limit} characters long")
    if not _printable(value):
        raise Refused(f"{name} may hold printable characters only")
    return value


def _version(value: str) -> str:
    parts = value.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and len(p) <= 9 for p in parts):
        raise Refused(f"version must be a version like 1.2.3.0, not '{value[:64]}'")
    parts += ["0"] * (4 - len(parts))
    return ".".join(str(int(p)) for p in parts)  # one spelling per version: 1.2 and 1.2.0.0 count together


def _code(value: Any) -> str | None:
    """An error code as sent: a number (an HRESULT, signed or not) or a short text such as 0x80073CF3."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused("errorCode must be a number or a string")
    if isinstance(value, int):
        if not -(2**63) <= value < 2**64:
            raise Refused("errorCode is out of range")
        return str(value)
    if not isinstance(value, str):
        raise Refused("errorCode must be a number or a string")
    text = str(value).strip()
    if not text or len(text) > _MAX_CODE or not _printable(text):
        raise Refused(f"errorCode must be 1 to {_MAX_CODE} printable characters")
    return text


def _raw_id(raw: Any) -> str | None:
    if not isinstance(raw, Mapping):
        return None
    value = _field(raw, "id")
    return str(value)[:_MAX_ID] if isinstance(value, str) else None
