"""The ASGI application: routers, error mapping and middleware, wired once."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI

from storeflight import __version__
from storeflight.approvals import api as approvals_api
from storeflight.blobs import open_blob_store
from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import BlobStore
from storeflight.blobs.space import SpaceFloor
from storeflight.config import Settings
from storeflight.devices import api as device_api
from storeflight.devices import http as device_endpoints
from storeflight.domain import dates
from storeflight.http import (
    apidocs,
    applications,
    blob_openapi,
    delivery,
    device_reports,
    errors,
    flights,
    groups,
    health,
    history,
    reports,
    rollout_health,
    schemas,
    submission_reads,
    submissions,
    token,
    webhooks,
)
from storeflight.http import blobs as blob_endpoint
from storeflight.http.body_limit import BodyLimitMiddleware
from storeflight.http.deps import ServerState
from storeflight.http.hosts import TrustedHostMiddleware, trusted_hosts
from storeflight.http.lane import PlainRouteLane
from storeflight.http.middleware import NormalisePathMiddleware, literal_segments
from storeflight.http.space_floor import SpaceFloorMiddleware
from storeflight.ops.requestlog import RequestLogMiddleware, name_routes
from storeflight.plans import api as plans_api
from storeflight.roughedges.middleware import RoughEdgesMiddleware
from storeflight.services.report_writer import ReportWriter
from storeflight.signing import keys
from storeflight.signing.live import LiveKeys
from storeflight.storage.protocol import Store


def build_state(store: Store, settings: Settings, blobs: BlobStore | None = None) -> ServerState:
    """Load (or create, on first start) the signing keys shared by every process on this database; they are
    re-read every few seconds, so a rotation reaches running processes (`signing/live.py`).

    `blobs` defaults to the blob backend the settings name (`blobs.open_blob_store`).
    """
    with store.transaction(write=True) as tx:
        live = LiveKeys(store, keys.load(tx))
    if blobs is None:
        blobs = open_blob_store(settings, sas_key=live.sas)
    return ServerState(store=store, settings=settings, keys=live, blobs=blobs)


# FastAPI's own OpenTelemetry hook asks the global providers on every request whether anyone listens (about
# 15 us a request when nobody does); storeflight's figures are its Prometheus metrics (docs/operations.md).
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(state: ServerState) -> FastAPI:
    app = FastAPI(
        **_NO_TELEMETRY,
        title="storeflight",
        version=__version__,
        description="Microsoft Store submission API for package flights, self-hosted. "
        "Paths under /v1.0/my/ follow Microsoft's API; see docs/ for extensions.",
        docs_url=None,  # served by apidocs, with local assets
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.storeflight = state
    routers = (  # matched in this order: the busiest first
        health.router,
        submissions.flight_router,
        submissions.app_router,
        flights.router,
        applications.router,
        groups.router,
        token.router,
        reports.router,
        rollout_health.router,
        plans_api.router,
        device_api.router,
        approvals_api.router,
        history.router,
        webhooks.router,
    )
    # What devices call, so most of a device-facing server's traffic: matched first, as a plain route.
    devices = [*device_endpoints.routes(), *device_reports.ROUTES]  # with their own credentials (docs/devices.md)
    app.router.routes[0:0] = [delivery.ROUTE, *devices]
    app.state.device_reports = device_reports.ReportLimits()
    grouped = not getattr(state.store, "is_postgres", False)  # group commit where writers queue anyway
    app.state.report_writer = ReportWriter(state.store, dates.utcnow, grouped=grouped)
    for router in routers:
        app.include_router(router)
        if router is health.router:  # the busiest Store API reads, as plain routes, before their FastAPI twins
            app.router.routes.extend(submission_reads.ROUTES)
    local_blobs = isinstance(state.blobs, LocalBlobStore)
    if local_blobs:  # other backends hand out URLs of their own service
        app.include_router(blob_endpoint.router)
    apidocs.install(app)
    plain = [delivery.ROUTE, *devices, *submission_reads.ROUTES]
    name_routes(plain)  # for the request log and metrics: the route template, never the raw path
    endpoints = [*plain, *(route for router in (*routers, apidocs.router) for route in router.routes)]
    errors.install(app, endpoints)
    schemas.install_openapi(
        app,
        extra_paths=delivery.OPENAPI | device_reports.OPENAPI,
        routes=endpoints,
        own_paths=blob_openapi.OPENAPI if local_blobs else None,
        own_components=blob_openapi.COMPONENTS if local_blobs else None,
    )
    paths = [str(getattr(r, "path", "")) for r in endpoints]
    words = literal_segments(paths)
    # Outermost last: correlation id and request log -> trusted hosts -> body bounds -> catch-all 500 -> free-space
    # floor -> path normalisation (never of blob paths) -> rough edges (only when a profile turns throttling or
    # 503s on) -> the plain routes' fast lane -> routing.
    app.add_middleware(PlainRouteLane, routes=plain)  # innermost: added first
    if state.rough is not None and state.rough.profile.api_active:
        app.add_middleware(RoughEdgesMiddleware, edges=state.rough, tenant_of=state.bearer_tenant)
    app.add_middleware(NormalisePathMiddleware, words=words, skip_prefixes=(blob_endpoint.PREFIX,))
    floor = SpaceFloor(state.settings.data_dir, state.settings.min_free_bytes)
    app.add_middleware(SpaceFloorMiddleware, floor=floor)
    app.add_middleware(errors.UnexpectedErrorMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=state.settings, blob_prefix=blob_endpoint.PREFIX)
    app.add_middleware(TrustedHostMiddleware, hosts=trusted_hosts(state.settings), blob_prefix=blob_endpoint.PREFIX)
    app.add_middleware(RequestLogMiddleware)
    return app
