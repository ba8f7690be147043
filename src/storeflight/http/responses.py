"""JSON responses the way Store clients need them: explicit charset, always a Content-Length."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response


class StoreJSONResponse(JSONResponse):
    media_type = "application/json; charset=utf-8"


def ok(body: Any, status_code: int = 200) -> StoreJSONResponse:
    return StoreJSONResponse(body, status_code=status_code)


def no_content() -> Response:
    return Response(status_code=204)
