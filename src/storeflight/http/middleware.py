"""ASGI middleware: path normalisation (case, trailing slash); where a request's correlation id and tenant wait in
its scope (the request log, `ops/requestlog.py`, sets the one and logs both)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from storeflight.domain.errors import InvalidParameterValue
from storeflight.http.errors import store_error_response


def literal_segments(paths: Iterable[str]) -> dict[str, str]:
    """Every fixed word used in route paths, keyed by its lower-case form."""
    words: dict[str, str] = {}
    for path in paths:
        for segment in path.split("/"):
            if segment and not segment.startswith("{"):
                words[segment.lower()] = segment
    return words


def normalise_path(path: str, words: dict[str, str]) -> str:
    """`/V1.0/my/Applications/X/Submissions/1/Commit/` -> `/v1.0/my/applications/X/submissions/1/commit`."""
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return "/".join(words.get(segment.lower(), segment) for segment in path.split("/"))


def _has_nul(scope: Scope) -> bool:
    """No resource id or parameter contains NUL; PostgreSQL cannot even compare such text, so refuse it here."""
    return "\x00" in scope["path"] or b"%00" in bytes(scope.get("query_string", b""))


def _nul_response(path: str) -> Response:
    """The refusal of a NUL, in the shape the path's clients read: AAD's for the token service, else the Store's."""
    message = "The path or query contains a NUL character."
    if "/oauth2/" in path or path.startswith("/common/discovery/"):
        from storeflight.http.token import TokenError  # noqa: PLC0415 - the token service imports much more

        return TokenError(400, "invalid_request", message).response()
    return store_error_response(InvalidParameterValue(message))


class NormalisePathMiddleware:
    """Real clients send `/Commit`, `/commit`, `listflights/?top=` and `flights/`: route them all."""

    def __init__(self, app: ASGIApp, words: dict[str, str], *, skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.words = words
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        skipped = scope["type"] == "http" and scope["path"].startswith(self.skip_prefixes)
        if scope["type"] == "http" and not skipped and _has_nul(scope):  # the skipped answer NUL in their shape
            await _nul_response(scope["path"])(scope, receive, send)
            return
        if scope["type"] == "http" and not skipped:
            path = normalise_path(scope["path"], self.words)
            if path != scope["path"]:  # in place: the request log reads the route the router sets in this scope
                scope["path"], scope["raw_path"] = path, path.encode()
        await self.app(scope, receive, send)


CORRELATION_KEY = "storeflight.correlation_id"  # where the request's id waits in the ASGI scope
TENANT_KEY = "storeflight.tenant"  # the tenant an authenticated request speaks for (for the request log)


def correlation_id(scope: Scope) -> str | None:
    """The `MS-CorrelationId` this request's response carries (the audit history records it)."""
    found = scope.get(CORRELATION_KEY)
    return found if isinstance(found, str) else None


def note_tenant(scope: Scope, tenant: str) -> None:
    """Say which tenant the request speaks for (authentication does), for its log line."""
    scope[TENANT_KEY] = tenant
