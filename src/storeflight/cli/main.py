"""Entry point of the `storeflight` command."""

from __future__ import annotations

import typer

from storeflight.cli import admin
from storeflight.cli.devcert import dev_cert
from storeflight.cli.serve import serve
from storeflight.cli.worker import worker

app = typer.Typer(
    help="storeflight: a self-hosted Microsoft Store submission API for package flights.", no_args_is_help=True
)
app.command("serve")(serve)
app.command("dev-cert")(dev_cert)
app.command("worker")(worker)
app.add_typer(admin.app, name="admin")
