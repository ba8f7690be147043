"""`storeflight admin audit verify|export` on a database of its own (rows tampered with through SQL), the
pipeline's records (actor: the server), and `storeflight history` against a live server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from storeflight.cli.main import app
from storeflight.cli.profiles import ENV
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.services import admin
from storeflight.storage.engine import make_engine
from tests.support import Tenant, postgres_database

runner = CliRunner()


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the session's backend: tampering here disturbs no other test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'audit.db'}"
        return
    with postgres_database() as url:
        yield url


def admin_cli(url: str, *args: str) -> Result:
    return runner.invoke(app, ["admin", *args, "--database-url", url])


def seed(url: str) -> str:
    """A tenant with a client, an app (and its baseline submission) and a group: four records."""
    made = json.loads(admin_cli(url, "create-client").stdout)
    tenant = made["tenantId"]
    assert admin_cli(url, "create-app", "--tenant-id", tenant, "--name", "Notes", "--identity-name", "C.N",
                     "--publisher", "CN=C").exit_code == 0  # fmt: skip
    assert admin_cli(url, "create-group", "--tenant-id", tenant, "--name", "g", "--member", "a@x").exit_code == 0
    return str(tenant)


def tamper(url: str, statement: str, **params: Any) -> None:
    """Change audit rows behind the server's back, past the append-only trigger (as an intruder with the
    database owner's rights could)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_delete"))
        conn.execute(text(statement), params)
    engine.dispose()


def verify(url: str) -> tuple[int, dict[str, Any]]:
    result = admin_cli(url, "audit", "verify")
    return result.exit_code, json.loads(result.stdout)


def test_an_untouched_history_verifies(fresh_url: str) -> None:
    seed(fresh_url)
    seed(fresh_url)
    code, report = verify(fresh_url)
    assert (code, report) == (0, {"tenants": 2, "records": 8, "intact": True})


def test_a_changed_row_is_named(fresh_url: str) -> None:
    tenant = seed(fresh_url)
    tamper(fresh_url, "UPDATE audit_records SET after = :v WHERE tenant_id = :t AND seq = 3", v='{"x":1}', t=tenant)
    code, report = verify(fresh_url)
    assert code == 1
    assert report["firstBroken"]["tenantId"] == tenant
    assert report["firstBroken"]["seq"] == 3
    assert "changed" in report["firstBroken"]["reason"]


def test_a_deleted_row_and_a_cut_tail_are_named(fresh_url: str) -> None:
    tenant = seed(fresh_url)
    tamper(fresh_url, "DELETE FROM audit_records WHERE tenant_id = :t AND seq = 4", t=tenant)
    code, report = verify(fresh_url)
    assert (code, report["firstBroken"]["seq"]) == (1, 4)
    assert "head" in report["firstBroken"]["reason"]
    tamper(fresh_url, "DELETE FROM audit_records WHERE tenant_id = :t AND seq = 2", t=tenant)
    code, report = verify(fresh_url)
    assert (code, report["firstBroken"]["seq"]) == (1, 3)
    assert "missing" in report["firstBroken"]["reason"]


def test_export_writes_every_chain_as_json_lines(fresh_url: str, tmp_path: Path) -> None:
    one, two = seed(fresh_url), seed(fresh_url)
    lines = admin_cli(fresh_url, "audit", "export").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted({r["tenantId"] for r in records}) == sorted([one, two])
    assert [r["action"] for r in records if r["tenantId"] == one] == [
        "client.create",
        "submission.create",
        "application.create",
        "group.create",
    ]
    assert {r["actor"]["kind"] for r in records} == {"admin"}
    assert "clientSecret" not in "".join(lines) and "secret_hash" not in "".join(lines)
    target = tmp_path / "one.jsonl"
    assert admin_cli(fresh_url, "audit", "export", "--tenant-id", one, "--output", str(target)).exit_code == 0
    assert [json.loads(line)["seq"] for line in target.read_text().splitlines()] == [1, 2, 3, 4]


def test_pipeline_moves_are_recorded_for_the_server(tenant: Tenant, app_id: str) -> None:
    store = tenant.server.store
    with store.transaction(write=True) as tx:
        admin.inject_failure(tx, tenant_id=tenant.tenant_id, app_id=app_id, stage="CommitStarted", code="Boom",
                             details="", now=dates.utcnow())  # fmt: skip
    sub = tenant.http.post(f"applications/{app_id}/submissions").json()["id"]
    assert tenant.http.post(f"applications/{app_id}/submissions/{sub}/commit").status_code == 200
    worker = Worker(store, tenant.server.state.blobs, WorkerSettings())
    for _ in range(50):
        with store.transaction(write=False) as tx:
            found = tx.get_submission(tenant.tenant_id, sub)
        if found is not None and found.status.value == "CommitFailed":
            break
        worker.run_once()
    records = tenant.http.get("history", params={"resourceId": sub, "actorKind": "server"}).json()["value"]
    assert [(r["action"], r["before"], r["after"]["status"]) for r in records] == [
        ("submission.status", {"status": "CommitStarted"}, "CommitFailed")
    ]
    assert records[0]["actor"]["id"] == "pipeline" and "Boom" in records[0]["reason"]


@pytest.fixture
def logged_in(tenant: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    for name in [*ENV.values(), "STOREFLIGHT_PROFILE"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STOREFLIGHT_CONFIG_DIR", str(tmp_path / "config"))
    url = tenant.server.url
    args = ["login", "--base-url", url, "--authority", url, "--tenant-id", tenant.tenant_id]
    result = runner.invoke(app, [*args, "--client-id", tenant.client_id], input=tenant.secret + "\n")
    assert result.exit_code == 0, result.output
    return tenant


def test_history_command_shows_a_table_and_json(logged_in: Tenant) -> None:
    group = logged_in.http.post("flightgroups", json={"name": "cli"}).json()["id"]
    logged_in.http.put(f"flightgroups/{group}", json={"name": "cli2"})
    table = runner.invoke(app, ["history", "--resource-id", group])
    assert table.exit_code == 0, table.output
    assert "group.update" in table.stdout and "group.create" in table.stdout
    as_json = runner.invoke(app, ["history", "--resource-type", "group", "--top", "1", "--json"])
    assert as_json.exit_code == 0, as_json.output
    page = json.loads(as_json.stdout)
    assert page["totalCount"] == 2
    assert [r["action"] for r in page["value"]] == ["group.update"]
    missing = runner.invoke(app, ["history", "--resource-id", "no-such-thing"])
    assert missing.exit_code != 0
