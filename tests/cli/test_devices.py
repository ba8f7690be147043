"""`storeflight devices ...` against a live server and `storeflight admin create-delivery-key` on its database."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from typer.testing import CliRunner

from storeflight.cli.main import app
from tests.cli.conftest import Account, run_json

admin = CliRunner()


def test_keys_are_created_once_listed_without_secrets_and_revoked(account: Account) -> None:
    app_id = account.app_id
    created = run_json("devices", "keys", "create", "--app", app_id, "--name", "kiosks", "--rate", "30", "--json")
    assert created["key"].startswith("sfdk_") and created["rateLimitPerMinute"] == 30
    listed = run_json("devices", "keys", "list", "--app", app_id, "--json")
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    decision = f"{account.url}/devices/v1/apps/{app_id}/decision"
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert httpx.get(decision, params={"customerId": "a"}, headers=headers).status_code == 200
    assert run_json("devices", "keys", "revoke", created["id"], "--app", app_id, "--json")["revokedAt"]
    account.tenant.server.state.devices.forget()
    assert httpx.get(decision, params={"customerId": "a"}, headers=headers).status_code == 401


def test_settings_and_device_urls_and_the_public_flag_in_app_show(account: Account) -> None:
    app_id = account.app_id
    assert run_json("apps", "show", app_id, "--json")["deviceSettings"]["public"] is False
    changed = run_json("devices", "settings", app_id, "--public", "--hours", "6", "--json")
    assert changed["public"] is True and changed["hoursBetweenUpdateChecks"] == 6
    assert run_json("apps", "show", app_id, "--json")["deviceSettings"]["public"] is True
    url = run_json("devices", "url", app_id, "--customer", "kiosk-1", "--json")
    assert httpx.get(url["decisionUrl"]).json()["customerId"] == "kiosk-1"


def test_admin_creates_and_revokes_keys_on_the_database(account: Account) -> None:
    database = str(account.tenant.server.store.engine.url)
    tenant = account.tenant.tenant_id
    base = ["--tenant-id", tenant, "--database-url", database]
    result = admin.invoke(app, ["admin", "create-delivery-key", *base, "--app", account.app_id, "--rate", "5"])
    assert result.exit_code == 0, result.output
    key = json.loads(result.stdout)
    assert key["key"].startswith("sfdk_") and key["applicationId"] == account.app_id
    revoked = admin.invoke(app, ["admin", "revoke-delivery-key", key["id"], *base])
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["revokedAt"], revoked.output
    unknown = admin.invoke(app, ["admin", "revoke-delivery-key", "dk-nope", *base])
    assert unknown.exit_code == 2 and "not found" in unknown.output


def test_frameworks_come_from_a_json_file_in_both_clis(account: Account, tmp_path: Path) -> None:
    entry = {
        "name": "Microsoft.VCLibs.140.00",
        "publisher": "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US",
        "version": "14.0.30704.0",
        "architecture": "x64",
        "uri": "https://frameworks.example/vclibs.x64.appx",
    }
    listed = tmp_path / "frameworks.json"
    listed.write_text(json.dumps([entry]), encoding="utf-8")
    changed = run_json("devices", "settings", account.app_id, "--frameworks-file", str(listed), "--json")
    assert changed["frameworks"] == [entry]
    database = str(account.tenant.server.store.engine.url)
    base = ["--tenant-id", account.tenant.tenant_id, "--database-url", database, "--app-id", account.app_id]
    command = ["admin", "device-settings", *base, "--frameworks-file", str(listed)]
    listed.write_text("[]", encoding="utf-8")
    result = admin.invoke(app, command)
    assert result.exit_code == 0 and json.loads(result.stdout)["frameworks"] == [], result.output
    listed.write_text("not json", encoding="utf-8")
    broken = admin.invoke(app, command)
    assert broken.exit_code == 2 and "is not a readable JSON file" in broken.output
