"""Flight submissions and app submissions: one set of handlers, mounted under both parents."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from storeflight.domain.models import Submission
from storeflight.http import render, schemas
from storeflight.http.deps import Api, ApiDep, BodyDep
from storeflight.http.parse import submission_update
from storeflight.http.responses import StoreJSONResponse, no_content, ok
from storeflight.services import submissions
from storeflight.services.submissions import Parent


def _full(api: Api, submission: Submission) -> dict[str, Any]:
    return render.submission(submission, sas_key=api.state.sas_key, public_url=api.public_url)


def _routes(router: APIRouter, parent_of: Callable[..., Parent], packages_key: str, kind: str) -> None:
    """Register create/get/status/update/commit/delete for one parent kind."""

    @router.post("", status_code=201, summary=f"Create a {kind} submission")
    def create(api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            created = submissions.create(tx, api.ctx, parent)
        return ok(_full(api, created), 201)

    @router.get("/{submission_id}", summary=f"Get a {kind} submission")
    def get(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx() as tx:
            return ok(_full(api, submissions.get(tx, api.ctx, parent, submission_id)))

    @router.get("/{submission_id}/status", summary=f"Get the status of a {kind} submission")
    def status(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx() as tx:
            return ok(render.status(submissions.get(tx, api.ctx, parent, submission_id)))

    @router.put(
        "/{submission_id}",
        summary=f"Update a {kind} submission",
        openapi_extra=schemas.body(schemas.SubmissionUpdate),
    )
    def put(
        submission_id: str, api: ApiDep, body: BodyDep, parent: Annotated[Parent, Depends(parent_of)]
    ) -> StoreJSONResponse:
        change = submission_update(body, packages_key=packages_key)
        with api.tx(write=True) as tx:
            updated = submissions.update(tx, api.ctx, parent, submission_id, change)
        return ok(_full(api, updated))

    @router.post("/{submission_id}/commit", summary=f"Commit a {kind} submission")
    def commit(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            committed = submissions.commit(tx, api.ctx, parent, submission_id)
        return ok({"status": committed.status.value})

    @router.delete("/{submission_id}", status_code=204, summary=f"Delete a {kind} submission")
    def delete(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> Response:
        with api.tx(write=True) as tx:
            submissions.delete(tx, api.ctx, parent, submission_id)
        return no_content()


def _flight_parent(application_id: str, flight_id: str) -> Parent:
    return Parent(application_id, flight_id)


def _app_parent(application_id: str) -> Parent:
    return Parent(application_id)


flight_router = APIRouter(
    prefix="/v1.0/my/applications/{application_id}/flights/{flight_id}/submissions", tags=["flight submissions"]
)
app_router = APIRouter(prefix="/v1.0/my/applications/{application_id}/submissions", tags=["app submissions"])
_routes(flight_router, _flight_parent, "flightPackages", "flight")
_routes(app_router, _app_parent, "applicationPackages", "app")
