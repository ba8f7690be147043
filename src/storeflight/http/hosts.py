"""Trusted host names: requests whose Host header names another host are refused before any handler runs.

Without `--public-url`, the Host header becomes the token issuer, the discovery document's endpoints and
every `fileUploadUrl`, so a forged one would hand clients links to somewhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from storeflight.config import Settings
from storeflight.http.blob_wire import BlobHttpError, error_response
from storeflight.http.body_limit import is_token_path
from storeflight.http.errors import HostNotAllowed, store_error_response
from storeflight.http.responses import StoreJSONResponse

DEFAULT_HOSTS = ("127.0.0.1", "localhost", "::1")
ANY_HOST = "*"


def trusted_hosts(settings: Settings) -> frozenset[str]:
    """The loopback names, the host of the public URL, the intercepted Microsoft hosts (interception mode) and
    the configured names (`*`: any), lower-cased."""
    names = [*DEFAULT_HOSTS, *settings.allowed_hosts, *settings.intercept_hosts]
    if settings.public_url:
        names.append(urlsplit(settings.public_url).hostname or "")
    return frozenset(_normal(name) for name in names if name)


def host_name(header: str) -> str:
    """`Example.com:8080` -> `example.com`, `[::1]:8080` -> `::1`; the port never matters."""
    header = header.strip()
    if header.startswith("["):
        return _normal(header[1:].partition("]")[0])
    return _normal(header.rpartition(":")[0] if header.count(":") == 1 else header)


def _normal(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def refusal(scope: Scope, name: str, *, blob_prefix: str) -> Response:
    """The 400 in the shape the route's clients read: Azure XML for uploads, AAD JSON for tokens, else Store."""
    message = f"This server does not answer for the host '{name[:100]}'. Its operator can allow it with --allowed-host."
    path = scope["path"]
    if path.startswith(blob_prefix):
        request = Request(scope)
        return error_response(BlobHttpError(400, "InvalidHeaderValue", message), request, str(uuid.uuid4()))
    if is_token_path(path):
        body = {"error": "invalid_request", "error_description": message, "error_codes": []}
        return StoreJSONResponse(body, status_code=400)
    return store_error_response(HostNotAllowed(message, target="Host"))


class TrustedHostMiddleware:
    """400 for a Host header outside `hosts` (see `refusal`); requests without one use the bound address."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str], *, blob_prefix: str) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.any = ANY_HOST in self.hosts
        self.blob_prefix = blob_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.any:
            header = next((value for name, value in scope["headers"] if name == b"host"), None)
            if header is not None:
                name = host_name(header.decode("latin-1"))
                if name not in self.hosts:
                    await refusal(scope, name, blob_prefix=self.blob_prefix)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
