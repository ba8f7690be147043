"""Identifier formats of the Store API and the package family name computation."""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid

_STORE_ID_ALPHABET = string.ascii_uppercase + string.digits
_CROCKFORD_LOWER = "0123456789abcdefghjkmnpqrstvwxyz"
# Real submission and group ids are 19-digit decimals just above 2**60 (e.g. 1152921504621243649).
_DECIMAL_ID_BASE = 2**60
_DECIMAL_ID_SPAN = 2**58


def new_store_id() -> str:
    """A fresh 12-character Store ID starting with a digit and a letter, like `9NBLGGH4R315`."""
    return "9" + "".join(secrets.choice(_STORE_ID_ALPHABET) for _ in range(11))


def new_flight_id() -> str:
    """A lower-case GUID."""
    return str(uuid.uuid4())


def new_decimal_id() -> str:
    """A 19-digit decimal id, used for submissions, flight groups and packages."""
    return str(_DECIMAL_ID_BASE + secrets.randbelow(_DECIMAL_ID_SPAN))


def publisher_hash(publisher: str) -> str:
    """The 13-character publisher id: SHA-256 of the UTF-16LE publisher, first 64 bits, base32."""
    digest = hashlib.sha256(publisher.encode("utf-16-le")).digest()[:8]
    bits = int.from_bytes(digest, "big") << 1  # 65 bits, the last one zero
    return "".join(_CROCKFORD_LOWER[(bits >> (60 - 5 * i)) & 0x1F] for i in range(13))


def package_family_name(identity_name: str, publisher: str) -> str:
    """`<identity name>_<publisher hash>`, as Windows computes it."""
    return f"{identity_name}_{publisher_hash(publisher)}"


def package_blob(package_id: str) -> str:
    """The blob holding a validated package: what devices download (shared by a submission's clones)."""
    return f"pkg-{package_id}"
