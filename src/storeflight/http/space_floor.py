"""The free-space floor on the API: changes are refused with 503 while the data folder is nearly full.

Deletes are always let through: they are how space is freed, and the floor is what leaves them room.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from storeflight.blobs.space import SpaceFloor
from storeflight.domain.errors import StorageFull
from storeflight.http.errors import store_error_response

GUARDED_METHODS = frozenset({"POST", "PUT", "PATCH"})
API_PREFIX = "/v1.0/"


class SpaceFloorMiddleware:
    """POST, PUT and PATCH under /v1.0/ answer 503 StorageFull (Retry-After) below the floor."""

    def __init__(self, app: ASGIApp, floor: SpaceFloor) -> None:
        self.app = app
        self.floor = floor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.floor.min_free > 0
            and scope["type"] == "http"
            and scope["method"] in GUARDED_METHODS
            and scope["path"].lower().startswith(API_PREFIX)
            and not self.floor.has_room()
        ):
            await store_error_response(StorageFull())(scope, receive, send)
            return
        await self.app(scope, receive, send)
