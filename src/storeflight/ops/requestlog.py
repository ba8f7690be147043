"""The request middleware: a fresh `MS-CorrelationId` on every response, one log line per request (and, when
metrics are on, its count and latency by route template, method and status)."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterable

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeflight.http.middleware import CORRELATION_KEY, TENANT_KEY
from storeflight.ops import metrics
from storeflight.ops.logs import REQUEST_LINE, direct_json
from storeflight.ops.metrics import METHODS
from storeflight.ops.scrub import SCRUBBED, scrub

UNMATCHED = "unmatched"  # the route label of a request no route matched (never its raw path)
log = logging.getLogger("storeflight.requests")


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1.0/my/applications/{application_id}`), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


def tenant_of(scope: Scope) -> str | None:
    """The tenant the request spoke for, once authentication (or the token endpoint's path, scrubbed: a client
    wrote it) said so."""
    tenant = scope.get(TENANT_KEY)
    if isinstance(tenant, str):
        return tenant
    given = scope.get("path_params", {}).get("tenant")
    return scrub(given) if isinstance(given, str) else None


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
    route, method = route_template(scope), scope["method"]
    method = method if method in METHODS else "other"
    counted = metrics.ACTIVE
    if counted is not None:
        counted.request(route, method, status, seconds)
    if log.isEnabledFor(logging.INFO):
        direct = direct_json(log)
        if direct is not None:  # our JSON handler is the only one: the line without a record (see ops/logs.py)
            handler, formatter = direct
            line = formatter.request_line(time.time(), log.name, f"{method} {route} {status} {seconds * 1000:.1f} ms",
                                          correlation, tenant_of(scope), route, method, status,
                                          round(seconds * 1000, 2))  # fmt: skip
            handler.write_line(line)
            return
        record = _record(f"{method} {route} {status} {seconds * 1000:.1f} ms")
        record.__dict__.update(
            {
                SCRUBBED: True,  # a route template, a bounded method, numbers, our id and a scrubbed tenant
                REQUEST_LINE: True,  # ... which are JSON text as they are, but for the tenant
                "correlation_id": correlation,
                "tenant": tenant_of(scope),
                "route": route,
                "method": method,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
        )
        log.handle(record)


_BASE: dict[int, dict[str, object]] = {}  # process id -> the attributes every request record shares


def _record(message: str) -> logging.LogRecord:
    """An INFO record of `storeflight.requests`, made from a template: `Logger.makeRecord` works out the
    caller, thread and process anew for every record, which costs more than the rest of the line."""
    base = _BASE.get(os.getpid())
    if base is None:
        base = _BASE[os.getpid()] = vars(log.makeRecord(log.name, logging.INFO, __file__, 0, "", (), None))
    record = logging.LogRecord.__new__(logging.LogRecord)
    fields = record.__dict__
    fields.update(base)
    now = time.time()
    fields["created"], fields["msecs"], fields["msg"], fields["args"] = now, (now % 1) * 1000, message, None
    return record
