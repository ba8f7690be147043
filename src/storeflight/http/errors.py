"""The one place where errors become HTTP responses (Store error body, `{code, message, ...}`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeflight.domain import errors as e
from storeflight.http.responses import StoreJSONResponse

log = logging.getLogger("storeflight.http")

STATUS: dict[type[e.StoreflightError], int] = {
    e.NotFound: 404,
    e.InvalidParameterValue: 400,
    e.InvalidOperation: 400,
    e.InvalidState: 409,
    e.QuotaExceeded: 409,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.Throttled: 429,
    e.Unavailable: 503,
    e.ServiceError: 500,
    e.StorageFull: 503,
}


class PayloadTooLarge(e.InvalidParameterValue):
    """The request body is larger than the server accepts."""


class MethodNotAllowed(e.InvalidOperation):
    """The resource exists but does not support the request's method."""


class BodyTimeout(e.InvalidParameterValue):
    """The client stopped sending the request body before it was complete."""


class HostNotAllowed(e.InvalidParameterValue):
    """The request names a host (the Host header) this server does not answer for."""


STATUS[PayloadTooLarge] = 413
STATUS[MethodNotAllowed] = 405
STATUS[BodyTimeout] = 408


def status_for(error: e.StoreflightError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(code: str, message: str, target: str, details: list[str] | None = None) -> dict[str, object]:
    return {
        "code": code,
        "data": [],
        "details": details or [],
        "message": message,
        "source": "Ingestion Api",
        "target": target,
    }


def store_error_response(error: e.StoreflightError, headers: dict[str, str] | None = None) -> Response:
    status = status_for(error)
    body = error_body(error.code, error.message, error.target, error.details)
    headers = dict(headers or {})
    if status in (401, 429):
        body["statusCode"] = status  # the APIM shape real 401s and 429s carry, merged into the Store shape
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return StoreJSONResponse(body, status_code=status, headers=headers)


async def _domain(_: Request, error: Exception) -> Response:
    assert isinstance(error, e.StoreflightError)
    return store_error_response(error)


async def _validation(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in error.errors()]
    message = "The request is invalid: " + "; ".join(problems)
    return store_error_response(e.InvalidParameterValue(message, target="request", details=problems))


def allowed_methods(request: Request) -> str:
    """The `Allow` value for the request's path: the methods of every route at that path (one route per
    method here, so Starlette's own value, from the first route that matched the path, lists only one)."""
    routes: list[BaseRoute] = getattr(request.app.state, "method_index", [])
    methods: set[str] = set()
    for route in routes:
        if route.matches(request.scope)[0] is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404:
        wrapped: e.StoreflightError = e.NotFound("No resource exists at this path.", target="request")
    elif error.status_code == 405:
        allow = allowed_methods(request)
        message = f"This method is not allowed on this resource; it allows {allow}."
        return store_error_response(MethodNotAllowed(message, target="request"), {"Allow": allow})
    else:
        wrapped = e.InvalidParameterValue(str(error.detail), target="request")
        return StoreJSONResponse(error_body(wrapped.code, wrapped.message, "request"), status_code=error.status_code)
    return store_error_response(wrapped)


class UnexpectedErrorMiddleware:
    """Any exception no handler took becomes a 500 Store error body (never a stack trace), and is logged.

    It sits inside the correlation-id middleware, so even these responses carry MS-CorrelationId.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            log.exception("unexpected error", exc_info=error)
            if started or scope["type"] != "http":
                raise
            response = store_error_response(e.ServiceError("An internal error occurred. Retry the operation."))
            await response(scope, receive, send)


def install(app: FastAPI, routes: list[BaseRoute]) -> None:
    """Map errors to responses; `routes` (every routed endpoint) answer which methods a path allows."""
    app.state.method_index = routes
    app.add_exception_handler(e.StoreflightError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
