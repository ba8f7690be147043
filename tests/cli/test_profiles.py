"""`storeflight login|logout|profiles`: profiles checked against a live server, 0600, secrets never shown."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from storeflight.cli.output import ExitCode
from tests.cli.conftest import Account, fails, login, run, run_json
from tests.support import LiveServer, new_tenant


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_login_checks_the_credentials_and_saves_a_0600_profile(live: LiveServer, config_dir: Path) -> None:
    tenant = new_tenant(live)
    result = login(tenant, "--profile", "ci")
    assert result.exit_code == 0, result.output
    assert "saved profile ci" in result.stdout and "the client sees 0 app(s)" in result.stdout
    path = config_dir / "profiles.json"
    assert _mode(path) == 0o600 and _mode(config_dir) == 0o700
    stored = json.loads(path.read_text())
    assert stored["default"] == "ci"
    assert stored["profiles"]["ci"]["tenant_id"] == tenant.tenant_id
    assert tenant.secret not in result.output  # the prompt hides it and nothing echoes it
    listed = run("profiles")
    assert listed.exit_code == 0 and "ci" in listed.stdout and tenant.secret not in listed.output
    assert tenant.secret not in json.dumps(run_json("profiles"))


def test_a_second_login_keeps_the_file_0600(account: Account, config_dir: Path) -> None:
    (config_dir / "profiles.json").chmod(0o644)
    assert login(account.tenant, "--profile", "other").exit_code == 0
    assert _mode(config_dir / "profiles.json") == 0o600
    assert {p["name"] for p in run_json("profiles")} == {"default", "other"}


def test_bad_credentials_exit_with_the_auth_code_and_save_nothing(live: LiveServer, config_dir: Path) -> None:
    tenant = new_tenant(live)
    tenant.secret = "sfs_not-the-secret"
    result = login(tenant)
    assert result.exit_code == ExitCode.AUTH, result.output
    assert "authentication failed" in result.stderr and "storeflight login" in result.stderr
    assert not (config_dir / "profiles.json").exists()


def test_the_secret_can_come_from_an_environment_variable(
    live: LiveServer, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = new_tenant(live)
    monkeypatch.setenv("MY_STORE_SECRET", tenant.secret)
    assert login(tenant, "--secret-env", "MY_STORE_SECRET").exit_code == 0
    stored = json.loads((config_dir / "profiles.json").read_text())["profiles"]["default"]
    assert stored["secret_env"] == "MY_STORE_SECRET" and stored["secret"] is None  # only the name is kept
    assert run_json("apps", "list") == []
    monkeypatch.delenv("MY_STORE_SECRET")
    result = fails(ExitCode.AUTH, "apps", "list")
    assert "MY_STORE_SECRET" in result.stderr


def test_the_secret_can_come_from_a_file(live: LiveServer, tmp_path: Path) -> None:
    tenant = new_tenant(live)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(tenant.secret + "\n")
    assert login(tenant, "--secret-file", str(secret_file), "--profile", "filed").exit_code == 0
    assert run_json("apps", "list", "--profile", "filed") == []


def test_environment_variables_stand_in_for_a_profile(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = new_tenant(live)
    app_id = tenant.create_app()
    for name, value in {
        "STOREFLIGHT_BASE_URL": live.url,
        "STOREFLIGHT_AUTHORITY": live.url,
        "STOREFLIGHT_TENANT_ID": tenant.tenant_id,
        "STOREFLIGHT_CLIENT_ID": tenant.client_id,
        "STOREFLIGHT_CLIENT_SECRET": tenant.secret,
    }.items():
        monkeypatch.setenv(name, value)
    assert [a["id"] for a in run_json("apps", "list")] == [app_id]


def test_without_a_profile_the_error_says_to_log_in() -> None:
    result = fails(ExitCode.AUTH, "apps", "list")
    assert "storeflight login" in result.stderr
    result = fails(ExitCode.AUTH, "apps", "list", "--profile", "nope")
    assert "no profile 'nope'" in result.stderr and "--profile nope" in result.stderr


def test_profile_from_the_environment_and_logout(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    assert login(account.tenant, "--profile", "second").exit_code == 0
    monkeypatch.setenv("STOREFLIGHT_PROFILE", "second")
    assert [a["id"] for a in run_json("apps", "list")] == [account.app_id]
    assert run("logout").exit_code == 0  # STOREFLIGHT_PROFILE names the one to delete
    assert fails(ExitCode.AUTH, "apps", "list").exit_code == ExitCode.AUTH
    monkeypatch.delenv("STOREFLIGHT_PROFILE")
    assert [a["id"] for a in run_json("apps", "list")] == [account.app_id]
