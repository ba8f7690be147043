"""Signed upload URLs in the Azure SAS shape: `sig` binds blob path, permissions and expiry."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote, urlencode

from storeflight.domain import dates

SAS_VERSION = "2021-08-06"
ACCOUNT = "storeflight"
CONTAINER = "ingestion"
PERMISSIONS = "rwl"


def signature(key: str, *, blob_path: str, permissions: str, expiry: str, version: str) -> str:
    """URL-safe HMAC-SHA256 over the decoded values (no `+`, `/` or `=`, so no client mangles it)."""
    message = "\n".join((permissions, expiry, "b", version, blob_path)).encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def blob_path(blob_id: str) -> str:
    return f"/{ACCOUNT}/{CONTAINER}/{blob_id}"


@functools.lru_cache(maxsize=4096)  # pure and on every submission response: compute each URL once
def upload_url(key: str, *, public_url: str, blob_id: str, expires_at: datetime) -> str:
    """`<public-url>/<account>/<container>/<blob-id>?sv=..&sr=b&sig=..&se=..&sp=rwl`."""
    path = blob_path(blob_id)
    expiry = dates.render_seconds(expires_at)
    sig = signature(key, blob_path=path, permissions=PERMISSIONS, expiry=expiry, version=SAS_VERSION)
    query = urlencode({"sv": SAS_VERSION, "sr": "b", "sig": sig, "se": expiry, "sp": PERMISSIONS}, quote_via=quote)
    return public_url.rstrip("/") + quote(path) + "?" + query
