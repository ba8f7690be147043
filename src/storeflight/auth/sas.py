"""Signed upload URLs in the Azure SAS shape: `sig` binds blob path, permissions and expiry."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import quote, urlencode

from storeflight.domain import dates

SAS_VERSION = "2021-08-06"
ACCOUNT = "storeflight"
CONTAINER = "ingestion"
PERMISSIONS = "rwl"
_NO_MATCH = "Signature did not match."


def signature(key: str, *, blob_path: str, permissions: str, expiry: str, version: str) -> str:
    """URL-safe HMAC-SHA256 over the decoded values (no `+`, `/` or `=`, so no client mangles it)."""
    message = "\n".join((permissions, expiry, "b", version, blob_path)).encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def blob_path(blob_id: str) -> str:
    return f"/{ACCOUNT}/{CONTAINER}/{blob_id}"


@functools.lru_cache(maxsize=4096)  # pure and on every submission response: compute each URL once
def upload_url(key: str, *, public_url: str, blob_id: str, expires_at: datetime, permissions: str = PERMISSIONS) -> str:
    """`<public-url>/<account>/<container>/<blob-id>?sv=..&sr=b&sig=..&se=..&sp=rwl` (`sp=r`: download only)."""
    path = blob_path(blob_id)
    expiry = dates.render_seconds(expires_at)
    sig = signature(key, blob_path=path, permissions=permissions, expiry=expiry, version=SAS_VERSION)
    query = urlencode({"sv": SAS_VERSION, "sr": "b", "sig": sig, "se": expiry, "sp": permissions}, quote_via=quote)
    return public_url.rstrip("/") + quote(path) + "?" + query


class SasRejected(Exception):
    """The SAS on a request does not grant it: `code` is the Blob REST error code to answer with."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def verify(key: str, *, blob_path: str, query: Mapping[str, str], needed: str, now: datetime) -> None:
    """Check a request's SAS (its DECODED query values) for `blob_path`; SasRejected unless it grants `needed`.

    The signature binds path, permissions, expiry and version, so a valid one can be neither moved to
    another blob nor extended; it is compared in constant time.
    """
    values = {name: query.get(name, "") for name in ("sv", "sr", "sig", "se", "sp")}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SasRejected("AuthenticationFailed", f"Required SAS parameter(s) missing: {', '.join(missing)}.")
    if any("\n" in value for value in values.values()):  # the signed message is newline-separated
        raise SasRejected("AuthenticationFailed", "Signature fields may not contain line breaks.")
    expected = signature(key, blob_path=blob_path, permissions=values["sp"], expiry=values["se"], version=values["sv"])
    if values["sr"] != "b" or not hmac.compare_digest(expected.encode(), values["sig"].encode()):
        raise SasRejected("AuthenticationFailed", _NO_MATCH)
    try:
        expiry = datetime.fromisoformat(values["se"].replace("Z", "+00:00"))
    except ValueError:
        raise SasRejected("AuthenticationFailed", "Signed expiry is not a valid date.") from None
    if expiry.tzinfo is None or expiry <= now:
        raise SasRejected("AuthenticationFailed", "Signed expiry time must be in the future.")
    if not set(needed) <= set(values["sp"]):
        raise SasRejected(
            "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation."
        )


def verify_any(keys: Sequence[str], *, blob_path: str, query: Mapping[str, str], needed: str, now: datetime) -> None:
    """`verify` with each of `keys` in turn (current, then previous): a URL signed before a rotation still
    grants what it granted; the first key's refusal is the one raised when no key grants it."""
    refusal: SasRejected | None = None
    for key in keys:
        try:
            verify(key, blob_path=blob_path, query=query, needed=needed, now=now)
            return
        except SasRejected as rejected:
            if refusal is None:
                refusal = rejected
            if rejected.detail != _NO_MATCH:  # the signature matched: expiry or permissions refuse it
                raise
    assert refusal is not None
    raise refusal
