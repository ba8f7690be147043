"""The command table: user commands load without the server; server-side commands load when named."""

from __future__ import annotations

import subprocess
import sys

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
