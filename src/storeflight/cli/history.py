"""`storeflight history`: the tenant's audit history (who changed what, when), filtered, as a table or JSON."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import session

Filter = Annotated[str | None, typer.Option()]


def _actor(record: dict[str, Any]) -> str:
    actor = record.get("actor") or {}
    return f"{actor.get('kind')}:{actor.get('display') or actor.get('id')}"


def history(
    resource_type: Annotated[str | None, typer.Option(help="application, flight, group, submission, client...")] = None,
    resource_id: Annotated[str | None, typer.Option(help="One resource's id.")] = None,
    actor: Annotated[str | None, typer.Option(help="An actor's id (an API client id, a delivery key id...).")] = None,
    actor_kind: Annotated[str | None, typer.Option(help="client, delivery_key, console, admin or server.")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. flight.update, rollout.halt.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601, exclusive.")] = None,
    top: Annotated[int, typer.Option(min=1, max=10_000, help="Records per page.")] = 20,
    skip: Annotated[int, typer.Option(min=0, help="Records to skip (newest first).")] = 0,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the audit history, newest first: who changed what, when, before and after (with --json)."""
    filters = {
        "resourceType": resource_type,
        "resourceId": resource_id,
        "actor": actor,
        "actorKind": actor_kind,
        "action": action,
        "since": since,
        "until": until,
    }
    with session(profile, json_output) as s:
        page = s.client.history(filters, skip=skip, top=top)
        records = page.get("value", [])
        rows = [
            (r.get("seq"), r.get("at"), _actor(r), r.get("action"), f"{r.get('resourceType')} {r.get('resourceId')}")
            for r in records
        ]
        title = f"history ({len(records)} of {page.get('totalCount', 0)})"
        s.out.result(page, lambda: s.out.table(title, ["seq", "at", "actor", "action", "resource"], rows))
