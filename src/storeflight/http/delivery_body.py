"""The delivery answer's JSON, mostly from memory: everything after `customerId` depends on the decision only.

A decision's packages, reason and mandatory facts are the same for every device that gets them until the hour
turns (the download URLs' expiry), so their JSON is encoded once and the answer is two short strings and that
fragment. The bytes are those `StoreJSONResponse` gives the same body (tests/http/test_delivery_body.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from json.encoder import encode_basestring  # json.dumps' own string encoder, non-ASCII kept
from typing import Any

from storeflight.delivery.model import Decision, PackageView

__all__ = ["answer_bytes"]

_LIMIT = 4096  # decisions' fragments kept; when full, it starts over
_quote: Callable[[str], str] = encode_basestring
_TAILS: dict[Hashable, tuple[tuple[PackageView, ...], bytes]] = {}

Render = Callable[[Decision], dict[str, Any]]


def answer_bytes(app_id: str, customer_id: str, decision: Decision, key: Hashable, render: Render) -> bytes | None:
    """The answer's JSON bytes, or None when its text cannot be sent as is (the caller then renders it whole).

    `key` names whatever else the fragment depends on (URL expiry, public URL, blob store); `render` gives the
    whole body as a dict, in the answer's key order, with `applicationId` and `customerId` first.
    """
    packages = decision.packages
    slot = (decision[:3], decision.reason, id(packages), decision.is_mandatory, decision.mandatory_date, key)
    found = _TAILS.get(slot)
    if found is None or found[0] is not packages:  # an id is only unique while its object lives: check
        tail = _tail(render(decision))
        if tail is None:
            return None
        if len(_TAILS) >= _LIMIT:
            _TAILS.clear()
        found = _TAILS[slot] = (packages, tail)
    try:
        head = f'{{"applicationId":{_quote(app_id)},"customerId":{_quote(customer_id)}'.encode()
    except UnicodeEncodeError:
        return None
    return head + found[1]


def _tail(body: dict[str, Any]) -> bytes | None:
    import json  # noqa: PLC0415 - only when a fragment is first built

    rest = {k: v for k, v in body.items() if k not in ("applicationId", "customerId")}
    text = json.dumps(rest, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    try:
        return b"," + text[1:].encode("utf-8")
    except UnicodeEncodeError:
        return None
