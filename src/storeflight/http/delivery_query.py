"""The delivery endpoint's query string, read by hand: it is the hottest path of a device-facing server.

Every problem is an InvalidParameterValue naming the parameter (a Store-shaped 400), like FastAPI's own
validation would give, at a fraction of its cost per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from storeflight.delivery.model import Device
from storeflight.domain.errors import InvalidParameterValue

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

# name -> (default, maximum length, description); customerId has no default.
_TEXT: dict[str, tuple[str | None, int, str]] = {
    "customerId": (None, 320, "The customer: an e-mail address or an opaque id, as in the flight groups."),
    "deviceFamily": ("Windows.Desktop", 64, "The device family, e.g. Windows.Desktop."),
    "osVersion": ("10.0.0.0", 64, "The OS version, e.g. 10.0.19045.0."),
    "architecture": ("x64", 16, "x86, x64, arm or arm64."),
    "installedVersion": (None, 64, "The app version installed on the device, if any."),
}
_FLAGS: dict[str, str] = {
    "manualCheck": "The user asked for updates by hand (see isSeekEnabled).",
    "explain": "Also say why: the customer's flights, the chosen one, rollout bucket and threshold.",
}


def read_query(raw: bytes) -> dict[str, str]:
    """The query string as name -> value (the last one wins, as in Starlette), decoded like Starlette does,
    without the multi-dict it builds: percent-decoding only where a part needs it."""
    query: dict[str, str] = {}
    for part in raw.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        query[name] = value
    return query


def _text(query: Mapping[str, str], name: str) -> str | None:
    default, limit, _ = _TEXT[name]
    value = query.get(name)
    if value is None:
        return default
    if len(value) > limit:
        raise InvalidParameterValue(f"{name} may be at most {limit} characters long.", target=name)
    return value


def _flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name)
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise InvalidParameterValue(f"{name} must be true or false, not '{value}'.", target=name)


def _version(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    parts = value.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and len(p) <= 9 for p in parts):
        raise InvalidParameterValue(f"{name} must be a version like 10.0.19045.0, not '{value}'.", target=name)
    return value


def _required(query: Mapping[str, str], name: str) -> str:
    value = (_text(query, name) or "").strip()
    if not value:
        raise InvalidParameterValue(f"{name} is required and may not be empty.", target=name)
    return value


def read_device(query: Mapping[str, str]) -> tuple[Device, bool]:
    """The device asking, and whether to explain the answer."""
    device = Device(
        customer_id=_required(query, "customerId"),
        device_family=_required(query, "deviceFamily"),
        os_version=_version(_text(query, "osVersion"), "osVersion") or "0",
        architecture=_required(query, "architecture").lower(),
        installed_version=_version(_text(query, "installedVersion"), "installedVersion"),
        manual_check=_flag(query, "manualCheck"),
    )
    return device, _flag(query, "explain")


def _parameter(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
_VERSION = r"^$|^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$"


def _text_schema(name: str, default: str | None, limit: int) -> dict[str, Any]:
    pattern = _VERSION if name in ("osVersion", "installedVersion") else _NOT_BLANK
    return {"type": "string", "maxLength": limit, "pattern": pattern, **({"default": default} if default else {})}


OPENAPI_PARAMETERS: list[dict[str, Any]] = [
    *(
        _parameter(name, _text_schema(name, default, limit), text, required=name == "customerId")
        for name, (default, limit, text) in _TEXT.items()
    ),
    *(_parameter(name, {"type": "boolean", "default": False}, text) for name, text in _FLAGS.items()),
]
