"""`storeflight approvals rules|pending|show|approve|reject|change`: approval rules and pending changes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, session

app = typer.Typer(
    rich_markup_mode=None, help="Approval rules and the changes waiting for approvals.", no_args_is_help=True
)
rules = typer.Typer(rich_markup_mode=None, help="An app's approval rules.", no_args_is_help=True)
app.add_typer(rules, name="rules")

ChangeArgument = Annotated[str, typer.Argument(help="The pending change's id.")]
_RULE_COLUMNS = [
    "id",
    "action",
    "flightId",
    "abovePercentage",
    "approvals",
    "role",
    "allowSelfApproval",
    "expiresAfterHours",
]
_CHANGE_COLUMNS = [
    "id",
    "action",
    "applicationId",
    "submissionId",
    "parameters",
    "status",
    "missing",
    "requestedBy",
    "expiresAt",
]


def _show_change(s: Any, change: dict[str, Any]) -> None:
    s.out.result(change, lambda: s.out.fields(f"pending change {change.get('id')}", list(change.items())))


@rules.command("list")
def list_rules(app_id: AppArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """List the app's approval rules."""
    with session(profile, json_output) as s:
        found: list[dict[str, Any]] = s.client.list_approval_rules(app_id).get("value", [])
        rows = [[r.get(c) for c in _RULE_COLUMNS] for r in found]
        s.out.result(found, lambda: s.out.table("approval rules", _RULE_COLUMNS, rows))


@rules.command("create")
def create_rule(
    app_id: AppArgument,
    action: Annotated[str, typer.Option(help="rollout, finalize, commit, publish or plan.")],
    approvals: Annotated[int, typer.Option(help="Distinct approvals needed.")] = 1,
    role: Annotated[str, typer.Option(help="The role approvers need (default: any client).")] = "",
    flight: Annotated[str | None, typer.Option(help="Only this flight (default: every line of the app).")] = None,
    above: Annotated[float | None, typer.Option(help="rollout rules: the percentage above which raises wait.")] = None,
    allow_self_approval: Annotated[bool, typer.Option(help="The requester's own approval counts.")] = False,
    expires_after_hours: Annotated[int, typer.Option(help="Hours until a change expires.")] = 168,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create an approval rule."""
    body: dict[str, Any] = {
        "action": action,
        "approvals": approvals,
        "role": role,
        "allowSelfApproval": allow_self_approval,
        "expiresAfterHours": expires_after_hours,
    }
    if flight is not None:
        body["flightId"] = flight
    if above is not None:
        body["abovePercentage"] = above
    with session(profile, json_output) as s:
        rule = s.client.create_approval_rule(app_id, body)
        s.out.result(rule, lambda: s.out.fields(f"approval rule {rule.get('id')}", list(rule.items())))


@rules.command("delete")
def delete_rule(
    app_id: AppArgument,
    rule_id: Annotated[str, typer.Argument(help="The rule's id.")],
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Delete an approval rule (changes already waiting keep what they need)."""
    with session(profile, json_output) as s:
        rule = s.client.delete_approval_rule(app_id, rule_id)
        s.out.result(rule, lambda: s.out.fields(f"approval rule {rule_id} deleted", list(rule.items())))


@app.command("pending")
def pending(
    status: Annotated[
        str | None, typer.Option(help="pending (default), applied, failed, rejected, expired, all.")
    ] = "pending",
    app_id: Annotated[str | None, typer.Option("--app", help="Only this app's changes.")] = None,
    top: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """List changes waiting for approvals (or, with --status, decided ones)."""
    with session(profile, json_output) as s:
        wanted = None if status == "all" else status
        found: list[dict[str, Any]] = s.client.list_pending_changes(wanted, app_id, 0, top).get("value", [])
        rows = [[_cell(c.get(col)) for col in _CHANGE_COLUMNS] for c in found]
        s.out.result(found, lambda: s.out.table("pending changes", _CHANGE_COLUMNS, rows))


def _cell(value: Any) -> Any:
    if isinstance(value, list):  # missing: [{role, approvals}]
        return ", ".join(f"{v.get('approvals')} {v.get('role') or 'any'}" for v in value if isinstance(v, dict))
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


@app.command("show")
def show(change_id: ChangeArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Show one pending change with its approvals."""
    with session(profile, json_output) as s:
        _show_change(s, s.client.pending_change(change_id))


@app.command("approve")
def approve(change_id: ChangeArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Approve a change; with the last approval it needs it is carried out."""
    with session(profile, json_output) as s:
        _show_change(s, s.client.approve_change(change_id))


@app.command("reject")
def reject(
    change_id: ChangeArgument,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the change).")] = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Reject a change: it is never carried out."""
    with session(profile, json_output) as s:
        _show_change(s, s.client.reject_change(change_id, reason))


@app.command("change")
def change(
    change_id: ChangeArgument,
    percentage: Annotated[float, typer.Option(help="The rollout percentage to ask for instead.")],
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Ask for another percentage in a pending rollout change: its approvals are cleared."""
    with session(profile, json_output) as s:
        _show_change(s, s.client.revise_change(change_id, percentage))
