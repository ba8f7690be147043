"""Access tokens: HS256 JWTs bound to a tenant and a client, signed with a key kept in the database."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from storeflight.domain.errors import Unauthorized
from storeflight.storage.protocol import Tx

RESOURCE = "https://manage.devcenter.microsoft.com"
SCOPE = RESOURCE + "/.default"
_KEY_SETTING = "jwt_signing_key"
_PREVIOUS_SETTING = "jwt_previous_key"
_ALGORITHM = "HS256"


def is_store_resource(resource: str, public_url: str) -> bool:
    """Whether a v1 `resource` names this service: the Store's resource or the server's own public URL, each
    with or without one trailing slash (the Azure DevOps task sends its service connection URL)."""
    return resource.removesuffix("/") in (RESOURCE, public_url.removesuffix("/"))


def signing_key(tx: Tx) -> str:
    """The shared signing key; the first process to ask creates it, every process then uses the same one."""
    return tx.put_setting_if_absent(_KEY_SETTING, secrets.token_urlsafe(48))


def previous_key(tx: Tx) -> str | None:
    """The key the last rotation replaced: tokens it signed are still accepted until they expire."""
    return tx.get_setting(_PREVIOUS_SETTING)


def rotate(tx: Tx) -> None:
    """A new signing key; the current one becomes the previous one (and the one before it is dropped), so
    tokens already issued keep working until they expire while new ones are signed with the new key."""
    tx.set_setting(_PREVIOUS_SETTING, signing_key(tx))
    tx.set_setting(_KEY_SETTING, secrets.token_urlsafe(48))


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

    Bounded: when full it starts over, which costs one signature check per token again.
    """

    def __init__(self, key: str, max_entries: int = 10_000, previous: str | None = None) -> None:
        self._key = key
        self._previous = previous
        self._max = max_entries
        self._seen: dict[str, Claims] = {}

    def verify(self, token: str) -> Claims:
        claims = self._seen.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._seen) >= self._max:
                self._seen.clear()
            self._seen[token] = claims
        elif claims.expires_at <= time.time():
            raise Unauthorized("The access token has expired. Request a new token.")
        return claims

    def _verify(self, token: str) -> Claims:
        """Checked with the current key, else with the previous one (a rotation does not log anyone out)."""
        try:
            return verify(self._key, token)
        except Unauthorized:
            if self._previous is None:
                raise
            return verify(self._previous, token)
