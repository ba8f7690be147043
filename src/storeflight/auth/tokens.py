"""Access tokens: HS256 JWTs bound to a tenant and a client, signed with a key kept in the database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from storeflight.domain import dates
from storeflight.domain.errors import Unauthorized
from storeflight.signing import keys
from storeflight.signing.keys import KeyPair
from storeflight.storage.protocol import Tx

RESOURCE = "https://manage.devcenter.microsoft.com"
SCOPE = RESOURCE + "/.default"
_ALGORITHM = "HS256"


def is_store_resource(resource: str, public_url: str) -> bool:
    """Whether a v1 `resource` names this service: the Store's resource or the server's own public URL, each
    with or without one trailing slash (the Azure DevOps task sends its service connection URL)."""
    return resource.removesuffix("/") in (RESOURCE, public_url.removesuffix("/"))


def signing_key(tx: Tx) -> str:
    """The shared signing key; the first process to ask creates it, every process then uses the same one."""
    return keys.ensure(tx, keys.TOKEN).current


def previous_key(tx: Tx) -> str | None:
    """The key the last rotation replaced: tokens it signed are still accepted until they expire."""
    return keys.ensure(tx, keys.TOKEN).previous


def rotate(tx: Tx) -> None:
    """A new signing key; the current one becomes the previous one (and the one before it is dropped), so
    tokens already issued keep working until they expire while new ones are signed with the new key."""
    keys.rotate(tx, keys.TOKEN, now=dates.utcnow())


@dataclass(frozen=True)
class Issued:
    token: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Claims:
    tenant_id: str
    client_id: str
    issued_at: datetime
    expires_at: float


def issue(key: str, *, tenant_id: str, client_id: str, issuer: str, now: datetime, lifetime: timedelta) -> Issued:
    expires = now + lifetime
    payload = {
        "aud": RESOURCE,
        "iss": issuer,
        "tid": tenant_id,
        "appid": client_id,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": str(uuid.uuid4()),
    }
    return Issued(jwt.encode(payload, key, algorithm=_ALGORITHM), now, expires)


def verify(key: str, token: str) -> Claims:
    """The token's claims, or Unauthorized when it is malformed, forged or expired."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            audience=RESOURCE,
            options={"require": ["exp", "iat", "tid", "appid"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired. Request a new token.") from None
    except jwt.PyJWTError:
        raise Unauthorized("The access token is missing or invalid.") from None
    return Claims(
        tenant_id=str(payload["tid"]),
        client_id=str(payload["appid"]),
        issued_at=datetime.fromtimestamp(int(payload["iat"]), tz=UTC),
        expires_at=float(payload["exp"]),
    )


class VerifiedTokens:
    """Remembers tokens already verified, so each is checked once and then only for expiry.

    `keys` gives the current and previous signing keys (they change when the keys are rotated: what was
    remembered is then checked again, so a dropped key's tokens are refused). Bounded: when full it starts
    over, which costs one signature check per token again.
    """

    def __init__(self, keys: KeyPair | Callable[[], KeyPair], max_entries: int = 10_000) -> None:
        self._keys = keys if callable(keys) else (lambda: keys)
        self._max = max_entries
        self._seen: dict[str, Claims] = {}
        self._seen_with: KeyPair | None = None

    def verify(self, token: str) -> Claims:
        pair = self._keys()
        if pair is not self._seen_with:
            self._seen.clear()
            self._seen_with = pair
        claims = self._seen.get(token)
        if claims is None:
            claims = self._verify(pair, token)
            if len(self._seen) >= self._max:
                self._seen.clear()
            self._seen[token] = claims
        elif claims.expires_at <= time.time():
            raise Unauthorized("The access token has expired. Request a new token.")
        return claims

    @staticmethod
    def _verify(pair: KeyPair, token: str) -> Claims:
        """Checked with the current key, else with the previous one (a rotation does not log anyone out)."""
        try:
            return verify(pair.current, token)
        except Unauthorized:
            if pair.previous is None:
                raise
            return verify(pair.previous, token)
