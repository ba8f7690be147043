"""Approvals over HTTP (storeflight extension, publisher token only, each tenant sees only its own):

/v1.0/my/applications/{applicationId}/approvalrules[/{ruleId}]   an app's rules (list, create, get,
                                                                  replace, delete)
/v1.0/my/pendingchanges[/{changeId}]                              changes waiting for approvals (list,
                                                                  get, PATCH a rollout's percentage)
/v1.0/my/pendingchanges/{changeId}/approve | /reject
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import SkipJsonSchema

from storeflight.approvals import service
from storeflight.approvals.model import ChangeStatus, PendingChange
from storeflight.approvals.rules import MAX_APPROVALS, Action, Rule, missing
from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.submissions import check_percentage
from storeflight.http import answers, schemas
from storeflight.http.deps import ApiDep, BodyDep
from storeflight.http.paging import PagingDep
from storeflight.http.responses import StoreJSONResponse, ok

_RULES = "/v1.0/my/applications/{application_id}/approvalrules"
_CHANGES = "/v1.0/my/pendingchanges"


@schemas.declare_model
class ApprovalRuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action = Field(description="rollout (raising above abovePercentage), finalize, commit, publish, plan.")
    approvals: Annotated[int, Field(ge=1, le=MAX_APPROVALS)] = Field(1, description="Distinct approvals needed.")
    role: str = Field("", description="The role approvers need ('' or absent: any client of the tenant).")
    flightId: str | SkipJsonSchema[None] = Field(None, description="One flight (absent: every line of the app).")
    abovePercentage: float | SkipJsonSchema[None] = Field(None, description="rollout only: the threshold.")
    allowSelfApproval: bool = Field(False, description="The requester's own approval counts.")
    expiresAfterHours: Annotated[int, Field(ge=1, le=2160)] = Field(168, description="Until a change expires.")


@schemas.declare_model
class PendingChangeRevision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percentage: Annotated[float, Field(ge=0, le=100)] = Field(description="The rollout percentage to ask for.")


@schemas.declare_model
class PendingChangeRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | SkipJsonSchema[None] = Field(None, description="Why (kept with the change).")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleCount(_Answer):
    role: str
    approvals: int


class ApprovalAnswer(_Answer):
    clientId: str
    role: str
    at: str


class ApprovalRuleAnswer(_Answer):
    id: str
    applicationId: str
    flightId: str | None
    action: str
    approvals: int
    role: str
    abovePercentage: float | None
    allowSelfApproval: bool
    expiresAfterHours: int
    createdAt: str


class PendingChangeAnswer(_Answer):
    id: str
    applicationId: str
    flightId: str | None
    submissionId: str
    action: str
    parameters: dict[str, Any]
    status: str = Field(description="pending, applied, failed, rejected or expired.")
    revision: int = Field(description="Moves when the change is changed; its approvals are cleared then.")
    rules: list[str]
    required: list[RoleCount]
    missing: list[RoleCount]
    allowSelfApproval: bool
    approvals: list[ApprovalAnswer]
    requestedBy: str
    requestedAt: str
    expiresAt: str
    decidedAt: str | None
    decidedBy: str | None
    reason: str | None


answers.MODELS |= {
    "ApprovalRule": ApprovalRuleAnswer,
    "ApprovalRulePage": answers.Page[ApprovalRuleAnswer],
    "PendingChange": PendingChangeAnswer,
    "PendingChangePage": answers.Page[PendingChangeAnswer],
}
answers.SUCCESS |= {
    (_RULES, "post"): "ApprovalRule",
    (_RULES, "get"): "ApprovalRulePage",
    (f"{_RULES}/{{rule_id}}", "get"): "ApprovalRule",
    (f"{_RULES}/{{rule_id}}", "put"): "ApprovalRule",
    (f"{_RULES}/{{rule_id}}", "delete"): "ApprovalRule",
    (_CHANGES, "get"): "PendingChangePage",
    (f"{_CHANGES}/{{change_id}}", "get"): "PendingChange",
    (f"{_CHANGES}/{{change_id}}", "patch"): "PendingChange",
    (f"{_CHANGES}/{{change_id}}/approve", "post"): "PendingChange",
    (f"{_CHANGES}/{{change_id}}/reject", "post"): "PendingChange",
}
schemas.declare_error(404, "The applicationId filter names no app of this tenant", lambda op: op.path == _CHANGES)
schemas.declare_error(
    403,
    "This client may not approve or reject the change (its own change, a role it lacks, approved already)",
    lambda op: op.path.startswith(f"{_CHANGES}/") and op.method == "post",
)
schemas.declare_error(
    409,
    "The pending change is no longer pending (applied, failed, rejected or expired), or a rule allows no more",
    lambda op: op.path.startswith(_CHANGES) and op.method != "get",
)

router = APIRouter(prefix="/v1.0/my", tags=["approvals (extension)"])
StatusQuery = Annotated[ChangeStatus | None, Query(alias="status", description="Only changes in this status.")]
AppQuery = Annotated[str | None, Query(alias="applicationId", max_length=16, description="Only this app's.")]


def render_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "applicationId": rule.app_id,
        "flightId": rule.flight_id,
        "action": rule.action.value,
        "approvals": rule.approvals,
        "role": rule.role,
        "abovePercentage": rule.above_percentage,
        "allowSelfApproval": rule.allow_self_approval,
        "expiresAfterHours": int(rule.expires_after.total_seconds() // 3600),
        "createdAt": dates.render(rule.created_at),
    }


def _counts(roles: dict[str, int]) -> list[dict[str, Any]]:
    return [{"role": role, "approvals": count} for role, count in sorted(roles.items())]


def render_change(change: PendingChange, now: Any) -> dict[str, Any]:
    status = change.status_at(now)
    left = missing(change.requirement, change.approvals) if status == ChangeStatus.PENDING else {}
    return {
        "id": change.id,
        "applicationId": change.app_id,
        "flightId": change.flight_id,
        "submissionId": change.submission_id,
        "action": change.action.value,
        "parameters": change.params,
        "status": status.value,
        "revision": change.revision,
        "rules": list(change.requirement.rule_ids),
        "required": _counts(change.requirement.roles),
        "missing": _counts(left),
        "allowSelfApproval": change.requirement.allow_self_approval,
        "approvals": [{"clientId": a.client_id, "role": a.role, "at": dates.render(a.at)} for a in change.approvals],
        "requestedBy": change.requested_by,
        "requestedAt": dates.render(change.requested_at),
        "expiresAt": dates.render(change.expires_at),
        "decidedAt": dates.render(change.decided_at) if change.decided_at else None,
        "decidedBy": change.decided_by,
        "reason": change.reason,
    }


def _model(model: type[BaseModel], body: Any) -> Any:
    """The body read into `model`; a 400 naming the fields otherwise."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidParameterValue("The body must be a JSON object.", target="body")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        message = "The body is invalid: " + "; ".join(problems)
        raise InvalidParameterValue(message, target="body", details=problems) from None


def _spec(body: Any) -> service.RuleSpec:
    found: ApprovalRuleSpec = _model(ApprovalRuleSpec, body)
    return service.RuleSpec(
        action=found.action,
        approvals=found.approvals,
        flight_id=found.flightId,
        role=found.role,
        above_percentage=found.abovePercentage,
        allow_self_approval=found.allowSelfApproval,
        expires_after=timedelta(hours=found.expiresAfterHours),
    )


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items, "totalCount": len(items)}


@router.post(
    _RULES.removeprefix("/v1.0/my"),
    status_code=201,
    summary="Create an approval rule",
    openapi_extra=schemas.body(ApprovalRuleSpec),
)
def create_rule(application_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        rule = service.create_rule(tx, api.ctx, application_id, _spec(body))
    return ok(render_rule(rule), 201)


@router.get(_RULES.removeprefix("/v1.0/my"), summary="List an app's approval rules")
async def list_rules(application_id: str, api: ApiDep) -> StoreJSONResponse:
    rules = await api.read(lambda tx: service.list_rules(tx, api.ctx, application_id))
    return ok(_list([render_rule(r) for r in rules]))


@router.get(_RULES.removeprefix("/v1.0/my") + "/{rule_id}", summary="Get an approval rule")
async def get_rule(application_id: str, rule_id: str, api: ApiDep) -> StoreJSONResponse:
    rule = await api.read(lambda tx: service.get_rule(tx, api.ctx, application_id, rule_id))
    return ok(render_rule(rule))


@router.put(
    _RULES.removeprefix("/v1.0/my") + "/{rule_id}",
    summary="Replace an approval rule",
    openapi_extra=schemas.body(ApprovalRuleSpec),
)
def replace_rule(application_id: str, rule_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        rule = service.replace_rule(tx, api.ctx, application_id, rule_id, _spec(body))
    return ok(render_rule(rule))


@router.delete(_RULES.removeprefix("/v1.0/my") + "/{rule_id}", summary="Delete an approval rule")
def delete_rule(application_id: str, rule_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        rule = service.delete_rule(tx, api.ctx, application_id, rule_id)
    return ok(render_rule(rule))


@router.get("/pendingchanges", summary="List changes waiting for (or decided by) approvals, newest first")
async def list_changes(
    api: ApiDep, paging: PagingDep, status: StatusQuery = None, app: AppQuery = None
) -> StoreJSONResponse:
    ctx = api.ctx
    page = await api.read(
        lambda tx: service.list_changes(tx, ctx, status=status, app_id=app, skip=paging.skip, top=paging.top)
    )
    return ok(paging.wrap([render_change(c, ctx.now) for c in page.items], page.total, "pendingchanges"))


@router.get("/pendingchanges/{change_id}", summary="Get a pending change")
async def get_change(change_id: str, api: ApiDep) -> StoreJSONResponse:
    ctx = api.ctx
    change = await api.read(lambda tx: service.get_change(tx, ctx, change_id))
    return ok(render_change(change, ctx.now))


@router.patch(
    "/pendingchanges/{change_id}",
    summary="Change a pending rollout's percentage (clears its approvals)",
    openapi_extra=schemas.body(PendingChangeRevision),
)
def revise_change(change_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    found: PendingChangeRevision = _model(PendingChangeRevision, body)
    ctx = api.ctx
    with api.tx(write=True) as tx:
        change = service.revise(tx, ctx, change_id, check_percentage(found.percentage))
    return ok(render_change(change, ctx.now))


@router.post("/pendingchanges/{change_id}/approve", summary="Approve a pending change (applied with the last approval)")
def approve_change(change_id: str, api: ApiDep) -> StoreJSONResponse:
    ctx = api.ctx
    with api.tx(write=True) as tx:
        change = service.approve(tx, ctx, change_id)
    if change.status == ChangeStatus.APPLIED:
        api.state.wake_pipeline()  # an approved commit or publish starts at once
    return ok(render_change(change, ctx.now))


@router.post(
    "/pendingchanges/{change_id}/reject",
    summary="Reject a pending change",
    openapi_extra=schemas.body(PendingChangeRejection, required=False),
)
def reject_change(change_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    found: PendingChangeRejection = _model(PendingChangeRejection, body)
    ctx = api.ctx
    with api.tx(write=True) as tx:
        change = service.reject(tx, ctx, change_id, found.reason)
    return ok(render_change(change, ctx.now))
