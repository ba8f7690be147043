"""The fast lane: the plain routes (delivery, the device endpoints, the busiest Store API reads) reached without
Starlette's exception middleware, FastAPI's exit stack and the router's walk over every route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


class PlainRouteLane:
    """Innermost of our middlewares: a request one of `routes` fully matches goes straight to that route, with
    the application's exception handlers handed over as Starlette's exception middleware hands them (so its
    errors get the same answers); any other request (a 405 of a plain route's path included) goes on."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app, self.routes = app, tuple(routes)
        self._handlers: tuple[Any, Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.routes:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child)
                    scope["starlette.exception_handlers"] = self._handlers or self._load(scope["app"])
                    scope.setdefault("router", scope["app"].router)
                    await route.handle(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _load(self, app: Any) -> tuple[Any, Any]:
        """The handlers the application's exception middleware would hand over, made by one (built once, on
        the first request: handlers are registered after the middleware is)."""
        given = {key: value for key, value in app.exception_handlers.items() if key not in (500, Exception)}
        model = ExceptionMiddleware(self.app, handlers=given, debug=app.debug)
        self._handlers = (model._exception_handlers, model._status_handlers)
        return self._handlers
