"""Trusted host names: requests whose Host header names another host are refused before any handler runs.

Without `--public-url`, the Host header becomes the token issuer, the discovery document's endpoints and
every `fileUploadUrl`, so a forged one would hand clients links to somewhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from storeflight.config import Settings
from storeflight.http.errors import HostNotAllowed, store_error_response

DEFAULT_HOSTS = ("127.0.0.1", "localhost", "::1")
ANY_HOST = "*"


def trusted_hosts(settings: Settings) -> frozenset[str]:
    """The loopback names, the host of the public URL, and the configured names (`*`: any), lower-cased."""
    names = [*DEFAULT_HOSTS, *settings.allowed_hosts]
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


class TrustedHostMiddleware:
    """400 (Store error JSON) for a Host header outside `hosts`; requests without one use the bound address."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.any = ANY_HOST in self.hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.any:
            header = next((value for name, value in scope["headers"] if name == b"host"), None)
            if header is not None:
                name = host_name(header.decode("latin-1"))
                if name not in self.hosts:
                    error = HostNotAllowed(
                        f"This server does not answer for the host '{name[:100]}'. "
                        "Its operator can allow it with --allowed-host.",
                        target="Host",
                    )
                    await store_error_response(error)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
