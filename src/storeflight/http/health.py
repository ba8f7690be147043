"""Liveness (the cheapest endpoint, used as the ceiling in benchmarks) and readiness (ops/ready.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from storeflight.http import schemas
from storeflight.http.deps import server_state
from storeflight.http.responses import StoreJSONResponse

router = APIRouter(tags=["health"])
READY_PATH = "/readyz"
schemas.declare_error(
    503, "Not ready: a check failed (the body names it)", lambda op: op.path == READY_PATH, "Readiness"
)


@router.get("/healthz", summary="Liveness probe")
async def healthz() -> StoreJSONResponse:
    return StoreJSONResponse({"status": "ok"})


@router.get(
    READY_PATH,
    summary="Readiness probe: database reachable at the schema's head, blob store writable, delivery snapshots "
    "warm (with --warm-delivery)",
)
async def readyz(request: Request) -> StoreJSONResponse:
    report = await run_in_threadpool(server_state(request).readiness.report)  # blocking checks: off the loop
    return StoreJSONResponse(report.body(), status_code=200 if report.ready else 503)
