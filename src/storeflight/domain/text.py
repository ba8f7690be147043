"""Text rules every resource shares: valid Unicode without NUL on the way in, always encodable on the way out."""

from __future__ import annotations

import re

from storeflight.domain.errors import InvalidParameterValue

# A lone surrogate is not a character (it cannot be encoded as UTF-8), and no database stores NUL in text.
_BAD = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def problem(value: str) -> str | None:
    """Why `value` may not be stored, or None when it may."""
    found = _BAD.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return f"is not valid Unicode (a lone surrogate U+{ord(found.group()):04X} at character {found.start()})"


def check(value: str, field: str) -> str:
    """`value`, or InvalidParameterValue naming `field` when it is not valid Unicode or contains NUL."""
    reason = problem(value)
    if reason is not None:
        raise InvalidParameterValue(f"{field} {reason}.", target=field)
    return value


def readable(value: str) -> str:
    """`value` with any lone surrogate (stored before it was refused) replaced by U+FFFD, so it can be sent."""
    return _SURROGATE.sub(REPLACEMENT, value)
