"""Entry point of the `storeflight` command.

Server-side commands (`serve`, `worker`, `admin`, `dev-cert`) work on a server's own database; the
user-facing commands (`login`, `apps`, `flights`, `groups`, `submission`, `publish`, `rollout`,
`delivery`, `demo`) call a server through `storeflight.client` with a profile (docs/cli.md).
"""

from __future__ import annotations

import typer

from storeflight.cli import admin, apps, delivery, flights, groups, profiles, rollout, submission
from storeflight.cli.demo import demo
from storeflight.cli.devcert import dev_cert
from storeflight.cli.publish import publish
from storeflight.cli.serve import serve
from storeflight.cli.worker import worker

app = typer.Typer(
    help="storeflight: a self-hosted Microsoft Store submission API for package flights.", no_args_is_help=True
)
app.command("serve")(serve)
app.command("dev-cert")(dev_cert)
app.command("worker")(worker)
app.add_typer(admin.app, name="admin")

app.command("login")(profiles.login)
app.command("logout")(profiles.logout)
app.command("profiles")(profiles.list_profiles)
app.add_typer(apps.app, name="apps")
app.add_typer(flights.app, name="flights")
app.add_typer(groups.app, name="groups")
app.add_typer(submission.app, name="submission")
app.command("publish")(publish)
app.add_typer(rollout.app, name="rollout")
app.add_typer(delivery.app, name="delivery")
app.command("demo")(demo)
