"""`GET applications`, `GET applications/{id}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeflight.domain.errors import NotFound
from storeflight.domain.models import Application
from storeflight.http import render
from storeflight.http.deps import ApiDep
from storeflight.http.paging import PagingDep
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.services.context import load_app
from storeflight.storage.protocol import Tx

router = APIRouter(prefix="/v1.0/my", tags=["applications"])


def _render(tx: Tx, app: Application) -> dict[str, Any]:
    key = f"app:{app.id}"
    return render.application(app, tx.pending_submission(key), tx.last_published(key))


@router.get("/applications", summary="Get all apps")
async def list_applications(api: ApiDep, paging: PagingDep) -> StoreJSONResponse:
    def query(tx: Tx) -> tuple[list[dict[str, Any]], int]:
        page = tx.list_apps(api.caller.tenant_id, skip=paging.skip, top=paging.top)
        if page.total == 0 and paging.skip == 0:
            raise NotFound("No apps were found.", target="application")
        return [_render(tx, app) for app in page.items], page.total

    items, total = await api.read(query)
    return ok(paging.wrap(items, total, "applications"))


@router.get("/applications/{application_id}", summary="Get an app")
async def get_application(application_id: str, api: ApiDep) -> StoreJSONResponse:
    return ok(await api.read(lambda tx: _render(tx, load_app(tx, api.ctx, application_id))))
