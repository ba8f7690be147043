"""Request bodies as JSON, parsed within bounds: nesting depth, number length, and valid text in every string.

Every refusal is an InvalidParameterValue (a Store-shaped 400) naming the JSON path of the value, e.g.
`flightPackages[0].fileName`, so no body can reach a handler, the database or a later read that fails.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from storeflight.domain import text
from storeflight.domain.errors import InvalidParameterValue

MAX_DEPTH = 64  # objects and arrays inside each other; real bodies use 4
MAX_NUMBER_CHARS = 100  # a number literal's length; the 4,300-digit integer limit is far past any real value
# Only an escape can put a lone surrogate or NUL into a parsed string (raw control characters are invalid
# JSON): `\u0000`, a high surrogate escape not followed by a low one, or a low one not after a high one. The
# last alternative catches an escaped backslash before text that looks like a high surrogate escape (which
# could hide a lone low one from the look-behind). False alarms only mean the walk runs and finds nothing.
_RISKY_ESCAPE = re.compile(  # each alternative after the backslash, so the search skips to backslashes
    r"\\(?:u0000"
    r"|u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\)u[dD][c-fC-F]"
    r"|\\u[dD][89abAB])"
)


class _NumberTooLong(ValueError):
    pass


class _NotFinite(ValueError):
    pass


def _number(literal: str, convert: type[int] | type[float]) -> int | float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _NumberTooLong(literal[:20])
    return convert(literal)


def _int(literal: str) -> int | float:
    return _number(literal, int)


def _float(literal: str) -> int | float:
    value = _number(literal, float)
    if math.isinf(value):  # 1e999: no database stores it, and no field here takes it
        raise _NotFinite(literal[:20])
    return value


def _constant(literal: str) -> Any:
    raise _NotFinite(literal)  # NaN, Infinity and -Infinity are not JSON


# Built once: json.loads with hooks would build a decoder per call, costing more than the parse.
_DECODER = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)


def parse(raw: str) -> Any:
    """The JSON value in `raw`, or InvalidParameterValue saying what is wrong and where."""
    try:
        value = _DECODER.decode(raw)
    except _NotFinite as error:
        raise InvalidParameterValue(
            f"The request body has a number that is not finite: {error}.", target="body"
        ) from None
    except _NumberTooLong as error:
        message = f"A number in the request body is longer than {MAX_NUMBER_CHARS} characters ({error}...)."
        raise InvalidParameterValue(message, target="body") from None
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as error:
        raise InvalidParameterValue(f"The request body is not valid JSON: {error}.", target="body") from None
    if raw.count("[") + raw.count("{") > MAX_DEPTH or ("\\u" in raw and _RISKY_ESCAPE.search(raw)):
        _check(value, [], 0)
    return value


def _too_deep() -> InvalidParameterValue:
    return InvalidParameterValue(f"The request body nests more than {MAX_DEPTH} levels deep.", target="body")


def _check(value: Any, path: list[str], depth: int) -> None:
    """Walk containers (depth-bounded) and check every string, key or value, for valid text."""
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            step = f"[{key}]" if isinstance(key, int) else f".{text.readable(key)}"
            path.append(step)
            if isinstance(key, str):
                _check_text(key, path)
            _check(item, path, depth + 1)
            path.pop()


def _check_text(value: str, path: list[str]) -> None:
    reason = text.problem(value)
    if reason is not None:
        where = "".join(path).lstrip(".") or "body"
        raise InvalidParameterValue(f"{where} {reason}.", target=where)
