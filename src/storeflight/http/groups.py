"""Flight groups (a storeflight extension): list, create, get, rename, delete, and members in bulk."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from storeflight.http import render, schemas
from storeflight.http.deps import ApiDep, BodyDep
from storeflight.http.paging import PagingDep
from storeflight.http.parse import group_create, group_rename, member_changes
from storeflight.http.responses import StoreJSONResponse, no_content, ok
from storeflight.services import groups

router = APIRouter(prefix="/v1.0/my/flightgroups", tags=["flight groups (extension)"])


@router.get("", summary="List flight groups (extension)")
async def list_groups(api: ApiDep, paging: PagingDep) -> StoreJSONResponse:
    views, total = await api.read(lambda tx: groups.list_page(tx, api.ctx, skip=paging.skip, top=paging.top))
    return ok(paging.wrap([render.group(v) for v in views], total, "flightgroups"))


@router.post(
    "", status_code=201, summary="Create a flight group (extension)", openapi_extra=schemas.body(schemas.GroupCreate)
)
def create_group(api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    name, members = group_create(body)
    with api.tx(write=True) as tx:
        created = groups.create(tx, api.ctx, name, members)
    return ok(render.group(created), 201)


@router.get("/{group_id}", summary="Get a flight group (extension)")
async def get_group(group_id: str, api: ApiDep) -> StoreJSONResponse:
    return ok(render.group(await api.read(lambda tx: groups.get(tx, api.ctx, group_id))))


@router.put("/{group_id}", summary="Rename a flight group (extension)", openapi_extra=schemas.body(schemas.GroupRename))
def rename_group(group_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    name = group_rename(body)
    with api.tx(write=True) as tx:
        renamed = groups.rename(tx, api.ctx, group_id, name)
    return ok(render.group(renamed))


@router.delete("/{group_id}", status_code=204, summary="Delete a flight group no flight uses (extension)")
def delete_group(group_id: str, api: ApiDep) -> Response:
    with api.tx(write=True) as tx:
        groups.delete(tx, api.ctx, group_id)
    return no_content()


@router.get("/{group_id}/members", summary="List a flight group's members (extension)")
async def list_members(group_id: str, api: ApiDep, paging: PagingDep) -> StoreJSONResponse:
    members, total = await api.read(
        lambda tx: groups.list_members(tx, api.ctx, group_id, skip=paging.skip, top=paging.top)
    )
    return ok(paging.wrap(members, total, f"flightgroups/{group_id}/members"))


@router.post(
    "/{group_id}/members",
    summary="Add and remove members in bulk (extension)",
    openapi_extra=schemas.body(schemas.GroupMembers),
)
def change_members(group_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    add, remove = member_changes(body)
    with api.tx(write=True) as tx:
        changed = groups.change_members(tx, api.ctx, group_id, add, remove)
    return ok({"memberCount": changed.member_count, "added": changed.added, "removed": changed.removed})
