"""Date-time handling: accept every ISO 8601 form clients send, emit the Store's 7-digit UTC form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from storeflight.domain.errors import InvalidParameterValue

UNSET = "1601-01-01T00:00:00.0000000Z"
_UNSET_YEAR = 1601
_FRACTION = re.compile(r"(\.\d{1,9})")


def parse(value: str | None, *, field: str) -> datetime | None:
    """Parse an ISO 8601 date; empty, null and the 1601 sentinel mean "unset" (None)."""
    if value is None or value.strip() == "":
        return None
    # .NET sends up to 7 fractional digits; Python's parser takes at most 6.
    text = _FRACTION.sub(lambda m: m.group(1)[:7], value.strip(), count=1)
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidParameterValue(f"'{value}' is not a valid ISO 8601 date for {field}.", target=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC; 9999-12-31T23:00-05:00 after 9999
        raise InvalidParameterValue(
            f"'{value}' is outside the years 1 to 9999 in UTC, for {field}.", target=field
        ) from None
    return None if parsed.year == _UNSET_YEAR else parsed


def render(value: datetime | None) -> str:
    """`2016-06-17T21:29:44.0000000Z`, or the 1601 sentinel for unset."""
    if value is None:
        return UNSET
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"


def render_seconds(value: datetime) -> str:
    """`2016-06-17T21:29:44Z`, the form SAS expiry values use."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
