"""Package flights: list, get, create, modify (a storeflight extension), delete."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from storeflight.http import render, schemas
from storeflight.http.deps import ApiDep, BodyDep
from storeflight.http.paging import PagingDep
from storeflight.http.parse import flight_change, new_flight
from storeflight.http.responses import StoreJSONResponse, no_content, ok
from storeflight.services import flights

router = APIRouter(prefix="/v1.0/my/applications/{application_id}", tags=["flights"])


@router.get("/listflights", summary="Get package flights for an app")
async def list_flights(application_id: str, api: ApiDep, paging: PagingDep) -> StoreJSONResponse:
    views, total = await api.read(
        lambda tx: flights.list_page(tx, api.ctx, application_id, skip=paging.skip, top=paging.top)
    )
    items = [render.flight(v) for v in views]
    return ok(paging.wrap(items, total, f"applications/{application_id.upper()}/listflights"))


@router.get("/flights/{flight_id}", summary="Get a package flight")
async def get_flight(application_id: str, flight_id: str, api: ApiDep) -> StoreJSONResponse:
    return ok(render.flight(await api.read(lambda tx: flights.get(tx, api.ctx, application_id, flight_id))))


@router.post(
    "/flights",
    status_code=201,
    summary="Create a package flight (and its first submission)",
    openapi_extra=schemas.body(schemas.FlightCreate),
)
def create_flight(application_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    request = new_flight(body)
    with api.tx(write=True) as tx:
        created = flights.create(tx, api.ctx, application_id, request)
    return ok(render.flight(created), 201)


@router.put(
    "/flights/{flight_id}",
    summary="Modify a package flight's name, groups or rank (extension)",
    openapi_extra=schemas.body(schemas.FlightUpdate),
)
def modify_flight(application_id: str, flight_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    change = flight_change(body)
    with api.tx(write=True) as tx:
        modified = flights.modify(tx, api.ctx, application_id, flight_id, change)
    return ok(render.flight(modified))


@router.delete("/flights/{flight_id}", status_code=204, summary="Delete a package flight")
def delete_flight(application_id: str, flight_id: str, api: ApiDep) -> Response:
    with api.tx(write=True) as tx:
        flights.delete(tx, api.ctx, application_id, flight_id)
    return no_content()
