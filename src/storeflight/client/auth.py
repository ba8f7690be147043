"""Access tokens: fetched lazily with client credentials, renewed before they run out, dropped on a 401.

The cache itself does no I/O: the clients ask it for the request to send and hand it the answer, so the sync
and the async client share every rule. Times come from the client's injected monotonic `clock`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from storeflight.client.config import ClientConfig
from storeflight.client.errors import AuthError, decode_body, from_response

RENEW_BEFORE = 300.0  # renew when less than five minutes of a token's lifetime remain
DEFAULT_LIFETIME = 3600.0


@dataclass(frozen=True)
class Token:
    value: str
    obtained_at: float
    expires_at: float

    def fresh(self, now: float) -> bool:
        """Usable without renewal: more than five minutes left (or half the lifetime, for short-lived tokens)."""
        margin = min(RENEW_BEFORE, (self.expires_at - self.obtained_at) / 2)
        return self.expires_at - now > margin


class TokenCache:
    """Holds the current token; `fetches` counts how many were obtained."""

    def __init__(self, config: ClientConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.token: Token | None = None
        self.fetches = 0

    def current(self) -> str | None:
        """The cached token if it needs no renewal yet, else None (the caller fetches one)."""
        if self.token is not None and self.token.fresh(self.clock()):
            return self.token.value
        return None

    def request(self) -> tuple[str, dict[str, str]]:
        """The token endpoint URL and the form to POST to it."""
        return self.config.token_url, self.config.token_form()

    def invalidate(self) -> None:
        """Forget the token (the API answered 401 with it)."""
        self.token = None

    def accept(self, status: int, headers: Mapping[str, str], content: bytes) -> str:
        """Read the token endpoint's answer; AuthError (with Entra's error code) unless it issued a token."""
        if not 200 <= status < 300:
            error = from_response(status, headers, content, what="token request")
            raise AuthError(
                error.message,
                status=status,
                code=error.code,
                correlation_id=_request_id(headers, error.correlation_id),
                body=error.body,
            )
        body = decode_body(content)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AuthError("the token endpoint answered without an access_token", status=status, body=body)
        now = self.clock()
        self.token = Token(str(body["access_token"]), now, now + _lifetime(body))
        self.fetches += 1
        return self.token.value


def _lifetime(body: dict[str, Any]) -> float:
    """`expires_in` (a string in v1, a number in v2), else `expires_on` (epoch seconds), else an hour."""
    try:
        return max(float(body["expires_in"]), 0.0)
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return max(float(body["expires_on"]) - time.time(), 0.0)
    except (KeyError, TypeError, ValueError):
        return DEFAULT_LIFETIME


def _request_id(headers: Mapping[str, str], correlation_id: str | None) -> str | None:
    return correlation_id or headers.get("x-ms-request-id") or headers.get("client-request-id")
