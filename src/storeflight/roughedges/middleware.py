"""ASGI middleware that answers API calls 429 or 503 as the profile says, before any handler runs."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from storeflight.domain.errors import StoreflightError
from storeflight.http.errors import store_error_response
from storeflight.roughedges.gate import RoughEdges

API_PREFIX = "/v1.0/my/"


def operation(method: str, path: str) -> str:
    """The throttling class of a request: commit, status (polling), read or write."""
    last = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if method == "POST" and last == "commit":
        return "commit"
    if method in ("GET", "HEAD"):
        return "status" if last == "status" else "read"
    return "write"


class RoughEdgesMiddleware:
    """Only the submission API (`/v1.0/my/...`) is affected: not tokens, health, blobs or device delivery.

    Requests without a valid token pass untouched (the handler answers 401), so a tenant's budget is spent
    only by that tenant.
    """

    def __init__(self, app: ASGIApp, edges: RoughEdges, tenant_of: Callable[[str], str | None]) -> None:
        self.app = app
        self.edges = edges
        self.tenant_of = tenant_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            tenant = self.tenant_of(authorization.decode("latin-1"))
            if tenant is not None:
                try:
                    self.edges.check(tenant, operation(scope["method"], scope["path"]))
                except StoreflightError as error:
                    await store_error_response(error)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
