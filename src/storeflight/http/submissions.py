"""Flight submissions and app submissions: one set of handlers, mounted under both parents."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from storeflight.domain.models import Submission
from storeflight.domain.rollout import RolloutAction
from storeflight.http import render, schemas
from storeflight.http.deps import Api, ApiDep, BodyDep
from storeflight.http.paging import PagingDep
from storeflight.http.parse import rollout_percentage, submission_update
from storeflight.http.responses import StoreJSONResponse, no_content, ok
from storeflight.services import rollout, submissions
from storeflight.services.submissions import Parent


def _full(api: Api, submission: Submission) -> dict[str, Any]:
    return render.submission(submission, blobs=api.state.blobs, public_url=api.public_url)


def _article(kind: str) -> str:
    return "an" if kind[:1] in "aeiou" else "a"


def _routes(router: APIRouter, parent_of: Callable[..., Awaitable[Parent]], packages_key: str, kind: str) -> None:
    """Register create/get/status/update/commit/delete for one parent kind."""
    a = _article(kind)

    @router.post("", status_code=201, summary=f"Create {a} {kind} submission")
    def create(api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            created = submissions.create(tx, api.ctx, parent)
        return ok(_full(api, created), 201)

    @router.get(
        "",
        summary=f"List {a} {kind}'s submissions (storeflight extension)",
        description="The pending submission, if any, then every published one, newest first.",
    )
    async def history(
        api: ApiDep, paging: PagingDep, parent: Annotated[Parent, Depends(parent_of)]
    ) -> StoreJSONResponse:
        found = await api.read(lambda tx: submissions.history(tx, api.ctx, parent))
        page = [render.history_item(s) for s in found[paging.skip : paging.skip + paging.top]]
        owner = f"applications/{parent.app_id}" + (f"/flights/{parent.flight_id}" if parent.flight_id else "")
        path = f"{owner}/submissions"
        return ok(paging.wrap(page, len(found), path))

    @router.get("/{submission_id}", summary=f"Get {a} {kind} submission")
    async def get(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        found = await api.read(lambda tx: submissions.get(tx, api.ctx, parent, submission_id))
        return ok(_full(api, found))

    @router.get("/{submission_id}/status", summary=f"Get the status of {a} {kind} submission")
    async def status(
        submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]
    ) -> StoreJSONResponse:
        found = await api.read(lambda tx: submissions.get(tx, api.ctx, parent, submission_id))
        return ok(render.status(found, api.public_url))

    @router.put(
        "/{submission_id}",
        summary=f"Update {a} {kind} submission",
        openapi_extra=schemas.body(schemas.SubmissionUpdate),
    )
    def put(
        submission_id: str, api: ApiDep, body: BodyDep, parent: Annotated[Parent, Depends(parent_of)]
    ) -> StoreJSONResponse:
        change = submission_update(body, packages_key=packages_key)
        with api.tx(write=True) as tx:
            updated = submissions.update(tx, api.ctx, parent, submission_id, change)
        return ok(_full(api, updated))

    @router.post("/{submission_id}/commit", summary=f"Commit {a} {kind} submission")
    def commit(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        rough, fixed = api.state.rough, api.state.settings.commit_hold
        tenant = api.caller.tenant_id

        def hold() -> timedelta:  # a rough-edges rule for CommitStarted, else every status's --stage-delay
            return (rough.commit_delay(tenant) if rough is not None else None) or fixed

        with api.tx(write=True) as tx:
            committed = submissions.commit(tx, api.ctx, parent, submission_id, hold=hold)
        api.state.wake_pipeline()
        return ok({"status": committed.status.value})

    @router.post(
        "/{submission_id}/publish",
        summary=f"Publish {a} {kind} submission resting in Release (storeflight extension)",
        description="Partner Center's 'publish now' for Manual (or not yet due SpecificDate) submissions.",
    )
    def publish(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            released = submissions.publish(tx, api.ctx, parent, submission_id)
        api.state.wake_pipeline()
        return ok({"status": released.status.value})

    @router.delete("/{submission_id}", status_code=204, summary=f"Delete {a} {kind} submission")
    def delete(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> Response:
        with api.tx(write=True) as tx:
            submissions.delete(tx, api.ctx, parent, submission_id)
        return no_content()


# Read by hand (a JSON body `{"percentage": n}` may carry it instead, as one client sends), declared here.
_PERCENTAGE = {
    "name": "percentage",
    "in": "query",
    "required": True,
    "schema": {"type": "number", "minimum": 0, "maximum": 100},
    "description": '0 to 100, e.g. 20, 50.5 or 1E-05. A JSON body {"percentage": n} is accepted instead.',
}


def _rollout_routes(router: APIRouter, parent_of: Callable[..., Awaitable[Parent]], kind: str) -> None:
    """Register the four package rollout endpoints for one parent kind."""
    a = _article(kind)

    @router.get("/{submission_id}/packagerollout", summary=f"Get the package rollout of {a} {kind} submission")
    async def get_rollout(
        submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]
    ) -> StoreJSONResponse:
        found = await api.read(lambda tx: rollout.get(tx, api.ctx, parent, submission_id))
        return ok(render.rollout(found))

    def act(
        api: Api, parent: Parent, submission_id: str, action: RolloutAction, pct: float | None
    ) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            return ok(render.rollout(rollout.change(tx, api.ctx, parent, submission_id, action, pct)))

    @router.post(
        "/{submission_id}/updatepackagerolloutpercentage",
        summary=f"Set {a} {kind} rollout percentage",
        openapi_extra={"parameters": [_PERCENTAGE]},
    )
    def update_percentage(
        submission_id: str, request: Request, api: ApiDep, body: BodyDep, parent: Annotated[Parent, Depends(parent_of)]
    ) -> StoreJSONResponse:
        percentage = rollout_percentage(request.query_params.get("percentage"), body)
        return act(api, parent, submission_id, RolloutAction.UPDATE, percentage)

    @router.post("/{submission_id}/haltpackagerollout", summary=f"Halt {a} {kind} rollout")
    def halt(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        return act(api, parent, submission_id, RolloutAction.HALT, None)

    @router.post("/{submission_id}/finalizepackagerollout", summary=f"Finalize {a} {kind} rollout")
    def finalize(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        return act(api, parent, submission_id, RolloutAction.FINALIZE, None)


async def _flight_parent(application_id: str, flight_id: str) -> Parent:
    return Parent(application_id, flight_id)


async def _app_parent(application_id: str) -> Parent:
    return Parent(application_id)


flight_router = APIRouter(
    prefix="/v1.0/my/applications/{application_id}/flights/{flight_id}/submissions", tags=["flight submissions"]
)
app_router = APIRouter(prefix="/v1.0/my/applications/{application_id}/submissions", tags=["app submissions"])
_routes(flight_router, _flight_parent, "flightPackages", "flight")
_routes(app_router, _app_parent, "applicationPackages", "app")
_rollout_routes(flight_router, _flight_parent, "flight")
_rollout_routes(app_router, _app_parent, "app")
