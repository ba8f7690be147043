"""Entry point of the `storeflight` command.

Server-side commands (`serve`, `worker`, `admin`, `dev-cert`, `ca`, and `demo`, which runs a server) work on a
server's own database; the user-facing commands (`login`, `apps`, `flights`, `groups`, `submission`,
`publish`, `rollout`, `delivery`, `webhooks`, ...) call a server through `storeflight.client` with a profile
(docs/cli.md).

The server-side commands are loaded only when named: they import the whole server (FastAPI, SQLAlchemy,
uvicorn), which would otherwise add most of a second to every `storeflight apps list`.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from storeflight.cli import (
    approvals,
    apps,
    delivery,
    devices,
    flights,
    groups,
    history,
    package,
    profiles,
    rollout,
    submission,
    webhooks,
)
from storeflight.cli.publish import publish

# command name -> (module, attribute: a Typer app or a command function)
_SERVER_SIDE: dict[str, tuple[str, str]] = {
    "serve": ("storeflight.cli.serve", "serve"),
    "worker": ("storeflight.cli.worker", "worker"),
    "admin": ("storeflight.cli.admin", "app"),
    "dev-cert": ("storeflight.cli.devcert", "dev_cert"),
    "demo": ("storeflight.cli.demo", "demo"),
    "ca": ("storeflight.cli.ca", "app"),
}


class LazyGroup(TyperGroup):
    """Typer's group, with the server-side commands imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:  # typer.core vendors its own click types
        return [*_SERVER_SIDE, *super().list_commands(ctx)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in _SERVER_SIDE:
            return super().get_command(ctx, cmd_name)
        module, attribute = _SERVER_SIDE[cmd_name]
        found: Any = getattr(importlib.import_module(module), attribute)
        command: Any
        if isinstance(found, typer.Typer):
            command = typer.main.get_group(found)
        else:
            # completion options belong to the top level only
            single = typer.Typer(rich_markup_mode=None, add_completion=False)
            single.command(cmd_name)(found)
            command = typer.main.get_command(single)
        command.name = cmd_name
        return command


app = typer.Typer(
    rich_markup_mode=None,
    cls=LazyGroup,
    help="storeflight: a self-hosted Microsoft Store submission API for package flights.",
    no_args_is_help=True,
)
app.command("login")(profiles.login)
app.command("logout")(profiles.logout)
app.command("profiles")(profiles.list_profiles)
app.command("history")(history.history)
app.add_typer(apps.app, name="apps")
app.add_typer(flights.app, name="flights")
app.add_typer(groups.app, name="groups")
app.add_typer(submission.app, name="submission")
app.command("publish")(publish)
app.add_typer(rollout.app, name="rollout")
app.add_typer(delivery.app, name="delivery")
app.add_typer(devices.app, name="devices")
app.add_typer(approvals.app, name="approvals")
app.add_typer(package.app, name="package")
app.add_typer(webhooks.app, name="webhooks")
