"""The audit history (storeflight extension): a tenant's records, filtered and paged, or exported as JSON lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from storeflight.audit import history
from storeflight.audit.model import ActorKind, AuditFilter, as_json, canonical
from storeflight.domain import dates
from storeflight.http import schemas
from storeflight.http.deps import ApiDep
from storeflight.http.paging import PagingDep
from storeflight.http.responses import StoreJSONResponse, ok

router = APIRouter(prefix="/v1.0/my/history", tags=["audit history (extension)"])
schemas.declare_error(
    404,
    "The resourceId filter names a resource this tenant's history does not (another tenant's are not found either)",
    lambda op: op.path.startswith("/v1.0/my/history"),
)
_JSON_LINES = {
    200: {
        "description": "One canonical JSON object per line, each an AuditRecord, oldest first",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}

Text = Annotated[str | None, Query(max_length=128)]
TimeQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=40,
        description="ISO 8601; since inclusive, until exclusive",
        json_schema_extra={"format": "date-time"},
    ),
]
TypeQuery = Annotated[history.ResourceType | None, Query(description="The kind of resource")]
KindQuery = Annotated[ActorKind | None, Query(description="The kind of actor")]


def _filter(
    resource_type: str | None,
    resource_id: str | None,
    actor: str | None,
    actor_kind: ActorKind | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> AuditFilter:
    return history.check(
        AuditFilter(
            resource_type=resource_type or None,
            resource_id=resource_id or None,
            actor_id=actor or None,
            actor_kind=actor_kind,
            action=action or None,
            since=dates.parse(since, field="since"),
            until=dates.parse(until, field="until"),
        )
    )


def _query(values: dict[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value}


@router.get("", summary="Read the audit history (extension)")
async def read_history(
    api: ApiDep,
    paging: PagingDep,
    resourceType: TypeQuery = None,
    resourceId: Text = None,
    actor: Text = None,
    actorKind: KindQuery = None,
    action: Text = None,
    since: TimeQuery = None,
    until: TimeQuery = None,
) -> StoreJSONResponse:
    where = _filter(resourceType, resourceId, actor, actorKind, action, since, until)
    tenant = api.caller.tenant_id
    found = await api.read(lambda tx: history.page(tx, tenant, where, skip=paging.skip, top=paging.top))
    body: dict[str, object] = {"value": [as_json(r) for r in found.items], "totalCount": found.total}
    if paging.skip + paging.top < found.total:
        kind = actorKind.value if actorKind else None
        names = {"resourceType": resourceType, "resourceId": resourceId, "actor": actor, "actorKind": kind}
        query = _query({**names, "action": action, "since": since, "until": until})
        body["@nextLink"] = f"history?{urlencode({**query, 'skip': paging.skip + paging.top, 'top': paging.top})}"
    return ok(body)


@router.get(
    "/export",
    summary="Export the audit history as JSON lines (extension)",
    response_class=StreamingResponse,
    responses=_JSON_LINES,  # type: ignore[arg-type]
)
def export_history(
    api: ApiDep,
    resourceType: TypeQuery = None,
    resourceId: Text = None,
    actor: Text = None,
    actorKind: KindQuery = None,
    action: Text = None,
    since: TimeQuery = None,
    until: TimeQuery = None,
) -> StreamingResponse:
    """Every matching record, oldest first, one canonical JSON object per line (with its hash)."""
    where = _filter(resourceType, resourceId, actor, actorKind, action, since, until)
    tenant = api.caller.tenant_id
    with api.tx() as tx:  # the caller's client checked; NotFound for a resource the tenant never had
        if where.resource_id is not None:
            history.page(tx, tenant, where, skip=0, top=1)

    def lines() -> Iterator[bytes]:
        for record in history.chain(api.state.store, tenant):
            if history.matches(record, where):
                yield (canonical(as_json(record)) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")
