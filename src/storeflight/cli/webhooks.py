"""`storeflight webhooks add|list|show|enable|disable|remove|test|deliveries`: webhooks and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import Session, session

app = typer.Typer(
    rich_markup_mode=None,
    help="Webhooks: signed POSTs of rollout, plan, approval and submission events.",
    no_args_is_help=True,
)
WebhookArgument = Annotated[str, typer.Argument(help="The webhook's id.")]
_COLUMNS = ["id", "url", "applicationId", "eventTypes", "enabled", "createdAt"]
_DELIVERY_COLUMNS = ["eventType", "eventId", "status", "attempts", "lastStatusCode", "lastError", "nextAttemptAt"]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "all"
    return value


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where events are POSTed: an http or https URL.")],
    event: Annotated[
        list[str] | None, typer.Option("--event", help="An event type to send (repeat; default: all of them).")
    ] = None,
    app_id: Annotated[str | None, typer.Option("--app", help="Only this app's events (default: every app).")] = None,
    enabled: Annotated[bool, typer.Option("--enabled/--disabled", help="Send events to it.")] = True,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add a webhook; its signing secret is printed once and never again."""
    spec: dict[str, Any] = {"url": url, "eventTypes": list(event or []), "enabled": enabled}
    if app_id:
        spec["applicationId"] = app_id
    with session(profile, json_output) as s:
        hook = s.client.create_webhook(spec)
        s.out.result(hook, lambda: s.out.fields(f"webhook {hook.get('id')} (secret shown once)", list(hook.items())))


@app.command("list")
def list_webhooks(profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """List the tenant's webhooks (never their secrets)."""
    with session(profile, json_output) as s:
        found: list[dict[str, Any]] = s.client.list_webhooks().get("value", [])
        rows = [[_cell(h.get(c)) for c in _COLUMNS] for h in found]
        s.out.result(found, lambda: s.out.table("webhooks", _COLUMNS, rows))


@app.command("show")
def show(webhook_id: WebhookArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Show one webhook."""
    with session(profile, json_output) as s:
        _print(s, f"webhook {webhook_id}", s.client.webhook(webhook_id))


@app.command("enable")
def enable(webhook_id: WebhookArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Switch a webhook on: new events go to it, and deliveries that waited go out."""
    _switch(webhook_id, True, profile, json_output)


@app.command("disable")
def disable(webhook_id: WebhookArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Switch a webhook off: it gets no new events, and its pending deliveries wait."""
    _switch(webhook_id, False, profile, json_output)


def _switch(webhook_id: str, enabled: bool, profile: str | None, json_output: bool) -> None:
    with session(profile, json_output) as s:
        _print(s, f"webhook {webhook_id}", s.client.enable_webhook(webhook_id, enabled))


@app.command("remove")
def remove(webhook_id: WebhookArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Remove a webhook and its delivery log: events not yet delivered are not sent."""
    with session(profile, json_output) as s:
        _print(s, f"webhook {webhook_id} removed", s.client.delete_webhook(webhook_id))


@app.command("test")
def test(webhook_id: WebhookArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Send a webhook.ping to the webhook (see `deliveries` for how it went)."""
    with session(profile, json_output) as s:
        _print(s, f"webhook {webhook_id}: ping queued", s.client.test_webhook(webhook_id))


def _print(s: Session, title: str, body: dict[str, Any]) -> None:
    """One object the server answered: JSON with --json, else its fields under `title`."""
    s.out.result(body, lambda: s.out.fields(title, list(body.items())))


@app.command("deliveries")
def deliveries(
    webhook_id: WebhookArgument,
    top: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """The webhook's deliveries, newest first: status, attempts, the last answer or error."""
    with session(profile, json_output) as s:
        found: list[dict[str, Any]] = s.client.webhook_deliveries(webhook_id, 0, top).get("value", [])
        rows = [[d.get(c) for c in _DELIVERY_COLUMNS] for d in found]
        s.out.result(found, lambda: s.out.table(f"deliveries of webhook {webhook_id}", _DELIVERY_COLUMNS, rows))
