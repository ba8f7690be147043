"""The command table: user commands load without the server; server-side commands load when named."""

from __future__ import annotations

import os
import subprocess
import sys

import typer
from typer.testing import CliRunner

from storeflight.cli.main import app


def test_user_commands_do_not_import_the_server() -> None:
    server = ('fastapi', 'sqlalchemy', 'uvicorn')
    probe = f"import sys, storeflight.cli.main; print(sorted(m for m in {server!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_command_is_listed_and_server_side_ones_load_on_demand() -> None:
    listed = CliRunner().invoke(app, ["--help"])
    assert listed.exit_code == 0
    for name in ("serve", "worker", "admin", "dev-cert", "demo", "login", "publish", "rollout", "delivery"):
        assert name in listed.output
    admin = CliRunner().invoke(app, ["admin", "--help"])
    assert admin.exit_code == 0 and "create-client" in admin.output and "--install-completion" not in admin.output
    serve = CliRunner().invoke(app, ["serve", "--help"])
    assert serve.exit_code == 0 and "--database-url" in serve.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2


def test_help_at_80_columns_shows_every_environment_variable_and_default_whole() -> None:
    from storeflight.cli.serve import serve  # noqa: PLC0415

    single = typer.Typer()
    single.command()(serve)
    command = typer.main.get_command(single)
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    shown = subprocess.run(
        [sys.executable, "-m", "storeflight", "serve", "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert max(len(line) for line in shown.splitlines()) <= 80
    variables = [p.envvar for p in command.params if isinstance(p.envvar, str)]
    assert len(variables) > 10
    for name in variables:
        assert name in shown, name  # never cut short
    assert "default: 8080" in shown and "default: 127.0.0.1" in shown
