"""Request bodies bounded in bytes and in idle time, per kind of route, enforced while they are read.

The middleware wraps `receive`: past the route's limit (or at once, when `Content-Length` already says so),
or when no part of the body arrives for `idle_timeout` seconds, `receive` raises PayloadTooLarge or
BodyTimeout. Each endpoint turns those into an answer in its own clients' shape (Store JSON, AAD error JSON,
Azure XML); the answer closes the connection, so the rest of the body is never read.
"""

from __future__ import annotations

import re
from typing import NoReturn

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeflight.config import Settings
from storeflight.http.errors import BodyTimeout, PayloadTooLarge

TOKEN_BODY_BYTES = 64 * 1024  # a client-credentials form is a few hundred bytes
_TOKEN_PATH = re.compile(r"/[^/]+/oauth2/(v2\.0/)?token/?", re.IGNORECASE)


def is_token_path(path: str) -> bool:
    """`/{tenant}/oauth2/token` or `/{tenant}/oauth2/v2.0/token`, in any case, with or without a final slash."""
    return _TOKEN_PATH.fullmatch(path) is not None


def body_limit(path: str, settings: Settings, *, blob_prefix: str) -> int:
    """The largest body the route at `path` reads: uploads, token forms, or JSON API bodies."""
    if path.startswith(blob_prefix):
        return settings.max_upload_bytes
    if is_token_path(path):
        return TOKEN_BODY_BYTES
    return settings.max_body_bytes


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class _BoundedBody:
    """One request's `receive`, counting the body and timing each wait for more of it."""

    def __init__(self, receive: Receive, limit: int, declared: int | None, idle_timeout: float) -> None:
        self._receive = receive
        self.limit = limit
        self.declared = declared
        self.idle_timeout = idle_timeout
        self.received = 0
        self.complete = False
        self.tripped = False

    async def receive(self) -> Message:
        if self.complete:  # afterwards only http.disconnect can come, whenever it does
            return await self._receive()
        if self.declared is not None and self.declared > self.limit:
            self._trip(PayloadTooLarge(f"The request body is larger than {self.limit} bytes.", target="body"))
        try:
            with anyio.fail_after(self.idle_timeout):
                message = await self._receive()
        except TimeoutError:
            self._trip(BodyTimeout(f"No part of the request body arrived for {self.idle_timeout:g} seconds."))
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if self.received > self.limit:
                self._trip(PayloadTooLarge(f"The request body is larger than {self.limit} bytes.", target="body"))
        return message

    def _trip(self, error: Exception) -> NoReturn:
        self.tripped = True
        raise error


class BodyLimitMiddleware:
    """Bounds every request body (see the module docstring); limits come from `body_limit`."""

    def __init__(self, app: ASGIApp, settings: Settings, *, blob_prefix: str) -> None:
        self.app = app
        self.settings = settings
        self.blob_prefix = blob_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.settings, blob_prefix=self.blob_prefix)
        body = _BoundedBody(receive, limit, declared_length(scope), self.settings.body_timeout)

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and body.tripped:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, body.receive, send_closing)
