"""Rollout plans over HTTP (storeflight extension, publisher token, the Store's error shape):

    .../submissions/{submissionId}/rolloutplan              PUT attaches a plan, GET reads plan and state
    .../submissions/{submissionId}/rolloutplan/{verb}       POST pause | resume | skip | approve | abort

under `/v1.0/my/applications/{applicationId}` and `.../flights/{flightId}`. The Store's own rollout
endpoints and bodies are unchanged; another tenant's submission is 404.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError

from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.http.deps import ApiDep, BodyDep
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.plans import service
from storeflight.plans.model import Plan
from storeflight.plans.stored import PlanEvent, StoredPlan
from storeflight.services import submissions
from storeflight.services.context import Context
from storeflight.services.submissions import Parent
from storeflight.storage.protocol import Tx

_APP = "/v1.0/my/applications/{application_id}"
# Not in the OpenAPI document yet: the schemathesis sweep finds schema-valid plans refused (rules the
# schema cannot say, such as rising percentages); described in docs/api-extensions.md instead.
router = APIRouter(tags=["rollout plans (extension)"], include_in_schema=False)
_STEP_SCHEMA = {
    "type": "object",
    "required": ["percentage"],
    "properties": {
        "percentage": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "hold": {"type": "string", "enum": ["duration", "approval", "guard"]},
        "seconds": {"type": "integer", "minimum": 0},
    },
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["steps"],
                    "description": "A plan (docs/rollout-plans.md): rising steps, then finalize; an optional guard.",
                    "properties": {
                        "steps": {"type": "array", "minItems": 1, "maxItems": 20, "items": _STEP_SCHEMA},
                        "guard": {"type": "object"},
                    },
                }
            }
        },
    }
}
Verb = Callable[[Tx, Context, Parent, str], StoredPlan]
VERBS: dict[str, Verb] = {
    "pause": service.pause,
    "resume": service.resume,
    "skip": service.skip,
    "approve": service.approve,
    "abort": service.abort,
}


def parse_plan(body: Any) -> Plan:
    if not isinstance(body, dict):
        raise InvalidParameterValue("The body must be a JSON object describing a plan.", target="plan")
    try:
        return Plan.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidParameterValue(f"Invalid plan: {where}: {first['msg']}.", target="plan") from None


def _event(event: PlanEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": dates.render(event.at),
        "actor": event.actor,
        "action": event.action,
        "step": event.step,
        "percentage": event.percentage,
        "reason": event.reason,
        "checks": event.numbers,
    }


def render(stored: StoredPlan, view: service.PlanView | None = None) -> dict[str, Any]:
    state = stored.state
    body: dict[str, Any] = {
        "id": stored.id,
        "applicationId": stored.app_id,
        "flightId": stored.flight_id,
        "submissionId": stored.submission_id,
        "status": state.status.value,
        "currentStep": state.step,
        "stepApplied": state.applied,
        "stepStartedAt": dates.render(state.started_at) if state.started_at else None,
        "approved": state.approved,
        "reason": state.reason,
        "nextRunAt": dates.render(stored.next_run_at) if stored.next_run_at else None,
        "createdAt": dates.render(stored.created_at),
        "updatedAt": dates.render(stored.updated_at),
        "plan": stored.plan.model_dump(mode="json", by_alias=True),
    }
    if view is not None:
        rollout = view.submission.delivery.rollout
        body["packageRolloutPercentage"] = rollout.percentage
        body["packageRolloutStatus"] = rollout.status.value
        body["events"] = [_event(e) for e in view.events]
    return body


ParentFn = Callable[..., Awaitable[Parent]]


def _routes(prefix: str, parent_of: ParentFn) -> None:
    path = f"{prefix}/submissions/{{submission_id}}/rolloutplan"
    ParentDep = Annotated[Parent, Depends(parent_of)]

    @router.put(path, status_code=201, summary="Attach a rollout plan (storeflight extension)", openapi_extra=_BODY)
    def attach(submission_id: str, api: ApiDep, body: BodyDep, parent: ParentDep) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            submissions.get(tx, api.ctx, parent, submission_id)  # an unknown submission is 404 before any 400
            stored = service.create(tx, api.ctx, parent, submission_id, parse_plan(body))
        return ok(render(stored), status_code=201)

    @router.get(path, summary="Read a rollout plan, its state and events (storeflight extension)")
    async def read(submission_id: str, api: ApiDep, parent: ParentDep) -> StoreJSONResponse:
        view = await api.read(lambda tx: service.show(tx, api.ctx, parent, submission_id))
        return ok(render(view.stored, view))

    for verb, change in VERBS.items():
        _verb_route(f"{path}/{verb}", verb, change, parent_of)


def _verb_route(path: str, verb: str, change: Verb, parent_of: ParentFn) -> None:
    @router.post(path, summary=f"Rollout plan: {verb} (storeflight extension)")
    def act(submission_id: str, api: ApiDep, parent: Annotated[Parent, Depends(parent_of)]) -> StoreJSONResponse:
        with api.tx(write=True) as tx:
            return ok(render(change(tx, api.ctx, parent, submission_id)))


async def _app_parent(application_id: str) -> Parent:
    return Parent(application_id)


async def _flight_parent(application_id: str, flight_id: str) -> Parent:
    return Parent(application_id, flight_id)


_routes(_APP, _app_parent)
_routes(f"{_APP}/flights/{{flight_id}}", _flight_parent)
