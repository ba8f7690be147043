"""Upload URL signatures: what `sas.verify` accepts and why it refuses the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from storeflight.auth import sas

KEY = "test-key"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _signed(blob_id: str = "blob-1", expires: datetime = NOW + timedelta(hours=1)) -> tuple[str, dict[str, str]]:
    url = sas.upload_url(KEY, public_url="http://127.0.0.1:1", blob_id=blob_id, expires_at=expires)
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


def test_a_url_this_server_signed_verifies_for_read_and_write() -> None:
    path, query = _signed()
    assert path == "/storeflight/ingestion/blob-1"
    for needed in ("r", "w", "rw"):
        sas.verify(KEY, blob_path=path, query=query, needed=needed, now=NOW)


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"sig": "x" * 43}, "Signature did not match"),
        ({"se": "2031-01-01T00:00:00Z"}, "Signature did not match"),
        ({"sp": "rwdl"}, "Signature did not match"),
        ({"sv": "2030-01-01"}, "Signature did not match"),
        ({"sr": "c"}, "Signature did not match"),
        ({"sig": ""}, "missing: sig"),
        ({"se": "2030-01-01T01:00:00Z\nb"}, "line breaks"),
    ],
)
def test_any_change_to_a_signed_value_is_refused(change: dict[str, str], detail: str) -> None:
    path, query = _signed()
    with pytest.raises(sas.SasRejected, match=detail) as raised:
        sas.verify(KEY, blob_path=path, query={**query, **change}, needed="w", now=NOW)
    assert raised.value.code == "AuthenticationFailed"


def test_a_signature_is_bound_to_its_blob_and_its_key() -> None:
    path, query = _signed("blob-1")
    with pytest.raises(sas.SasRejected):
        sas.verify(KEY, blob_path=path.replace("blob-1", "blob-2"), query=query, needed="w", now=NOW)
    with pytest.raises(sas.SasRejected):
        sas.verify("another-key", blob_path=path, query=query, needed="w", now=NOW)


def test_an_expired_signature_is_refused() -> None:
    path, query = _signed(expires=NOW)
    with pytest.raises(sas.SasRejected, match="expiry"):
        sas.verify(KEY, blob_path=path, query=query, needed="r", now=NOW)


def test_a_permission_the_signature_does_not_grant_is_a_mismatch() -> None:
    expiry = "2030-01-01T01:00:00Z"
    sig = sas.signature(KEY, blob_path="/a/b/c", permissions="r", expiry=expiry, version=sas.SAS_VERSION)
    query = {"sv": sas.SAS_VERSION, "sr": "b", "sig": sig, "se": expiry, "sp": "r"}
    sas.verify(KEY, blob_path="/a/b/c", query=query, needed="r", now=NOW)
    with pytest.raises(sas.SasRejected) as raised:
        sas.verify(KEY, blob_path="/a/b/c", query=query, needed="w", now=NOW)
    assert raised.value.code == "AuthorizationPermissionMismatch"


def test_a_url_signed_with_the_previous_key_still_verifies_and_its_expiry_still_counts() -> None:
    path, query = _signed()
    sas.verify_any(("new", KEY), blob_path=path, query=query, needed="w", now=NOW)
    with pytest.raises(sas.SasRejected, match="did not match"):
        sas.verify_any(("new", "newer"), blob_path=path, query=query, needed="w", now=NOW)
    with pytest.raises(sas.SasRejected, match="must be in the future"):
        sas.verify_any(("new", KEY), blob_path=path, query=query, needed="w", now=NOW + timedelta(hours=2))
