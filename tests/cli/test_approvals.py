"""`storeflight approvals ...` against a live server and `storeflight admin set-roles` on its database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from storeflight.cli.main import app
from tests.approvals.conftest import rolling_submission
from tests.cli.conftest import Account, run, run_json

admin = CliRunner()


def test_rules_pending_show_and_reject_through_the_cli(account: Account) -> None:
    app_id = account.app_id
    rule = run_json("approvals", "rules", "create", app_id, "--action", "rollout", "--above", "50", "--role", "qa")
    assert rule["abovePercentage"] == 50 and rule["role"] == "qa"
    assert [r["id"] for r in run_json("approvals", "rules", "list", app_id)] == [rule["id"]]
    table = run("approvals", "rules", "list", app_id)
    assert table.exit_code == 0 and table.stdout.startswith("approval rules")

    _, base = rolling_submission(account.tenant, app_id)
    refused = account.tenant.http.post(f"{base}/updatepackagerolloutpercentage?percentage=75")
    assert refused.status_code == 409
    listed = run_json("approvals", "pending", "--app", app_id)
    assert len(listed) == 1 and listed[0]["parameters"] == {"percentage": 75.0}
    change_id = listed[0]["id"]
    assert run("approvals", "pending").stdout.startswith("pending changes")
    assert run_json("approvals", "show", change_id)["missing"] == [{"role": "qa", "approvals": 1}]
    own = run("approvals", "approve", change_id)
    assert own.exit_code != 0 and "own change" in own.output
    changed = run_json("approvals", "change", change_id, "--percentage", "60")
    assert changed["revision"] == 2 and changed["parameters"] == {"percentage": 60.0}
    rejected = run_json("approvals", "reject", change_id, "--reason", "too fast")
    assert rejected["status"] == "rejected"
    assert run_json("approvals", "pending", "--app", app_id) == []
    assert [c["id"] for c in run_json("approvals", "pending", "--status", "rejected")] == [change_id]
    assert run_json("approvals", "rules", "delete", app_id, rule["id"])["id"] == rule["id"]


def test_admin_sets_roles_and_lists_them(account: Account) -> None:
    database = str(account.tenant.server.store.engine.url)
    client = account.tenant.client_id
    result = admin.invoke(
        app, ["admin", "set-roles", client, "--role", "qa", "--role", "release", "--database-url", database]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"clientId": client, "roles": ["qa", "release"]}
    listed = admin.invoke(
        app, ["admin", "list-clients", "--tenant-id", account.tenant.tenant_id, "--database-url", database]
    )
    assert json.loads(listed.stdout)[0]["roles"] == ["qa", "release"]
    bad = admin.invoke(app, ["admin", "set-roles", client, "--role", "no spaces", "--database-url", database])
    assert bad.exit_code == 2
    unknown = admin.invoke(app, ["admin", "set-roles", "nobody", "--role", "qa", "--database-url", database])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
