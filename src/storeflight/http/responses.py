"""JSON responses the way Store clients need them: explicit charset, always a Content-Length."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse, Response

from storeflight.domain import text


class StoreJSONResponse(JSONResponse):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        """Compact UTF-8 JSON, as Starlette renders it; a lone surrogate stored before such text was refused
        is sent as U+FFFD instead of failing the whole response."""
        rendered = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        try:
            return rendered.encode("utf-8")
        except UnicodeEncodeError:
            return text.readable(rendered).encode("utf-8")


def ok(body: Any, status_code: int = 200) -> StoreJSONResponse:
    return StoreJSONResponse(body, status_code=status_code)


def no_content() -> Response:
    return Response(status_code=204)
