"""The request middleware: a fresh `MS-CorrelationId` on every response, one log line per request (and, when
metrics are on, its count and latency by route template, method and status)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeflight.http.middleware import CORRELATION_KEY, TENANT_KEY
from storeflight.ops import metrics

UNMATCHED = "unmatched"  # the route label of a request no route matched (never its raw path)
log = logging.getLogger("storeflight.requests")


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1.0/my/applications/{application_id}`), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


def tenant_of(scope: Scope) -> str | None:
    """The tenant the request spoke for, once authentication (or the token endpoint's path) said so."""
    tenant = scope.get(TENANT_KEY)
    if tenant is None:
        tenant = scope.get("path_params", {}).get("tenant")
    return tenant if isinstance(tenant, str) else None


def name_routes(routes: Iterable[BaseRoute]) -> None:
    """Make plain Starlette routes say which they are in the scope, as FastAPI's routes do (`scope["route"]`)."""
    for route in routes:
        if isinstance(route, Route) and not hasattr(route.app, "storeflight_route"):
            route.app = _naming(route, route.app)


def _naming(route: Route, app: ASGIApp) -> ASGIApp:
    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = route
        await app(scope, receive, send)

    named.storeflight_route = route  # type: ignore[attr-defined]
    return named


class RequestLogMiddleware:
    """Outermost: every response carries a fresh `MS-CorrelationId`, as the real service's do, which handlers
    find in the scope (`http.middleware.correlation_id`); when it is sent, one INFO line on
    `storeflight.requests` says what was answered and how fast."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        text = str(uuid.uuid4())
        correlation = text.encode()
        scope[CORRELATION_KEY] = text
        status = 500  # what the client sees when the app fails before answering (the server's own 500)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"ms-correlationid", correlation)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _finished(scope, text, status, time.perf_counter() - started)


def _finished(scope: Scope, correlation: str, status: int, seconds: float) -> None:
    route = route_template(scope)
    counted = metrics.ACTIVE
    if counted is not None:
        counted.request(route, scope["method"], status, seconds)
    if log.isEnabledFor(logging.INFO):
        method = scope["method"]
        fields = {
            "correlation_id": correlation,
            "tenant": tenant_of(scope),
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        log.info("%s %s %d %.1f ms", method, route, status, seconds * 1000, extra=fields)
