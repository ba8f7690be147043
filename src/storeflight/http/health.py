"""Liveness: the cheapest endpoint, used as the ceiling in benchmarks."""

from __future__ import annotations

from fastapi import APIRouter

from storeflight.http.responses import StoreJSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness probe")
async def healthz() -> StoreJSONResponse:
    return StoreJSONResponse({"status": "ok"})
