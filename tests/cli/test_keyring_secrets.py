"""`storeflight login` keeps a typed secret in the system keyring where there is one, else in the 0600 file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from storeflight.cli.keyring_secrets import SERVICE, entry_name
from storeflight.cli.output import ExitCode
from tests.cli.conftest import login, run, run_json
from tests.cli.memory_keyring import MemoryKeyring
from tests.support import LiveServer, Tenant, new_tenant

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def _stored(config_dir: Path, name: str = "default") -> dict[str, object]:
    profiles: dict[str, dict[str, object]] = json.loads((config_dir / "profiles.json").read_text())["profiles"]
    return profiles[name]


def _entry(tenant: Tenant) -> tuple[str, str]:
    return SERVICE, entry_name(tenant.client_id, tenant.server.url)


def test_the_secret_goes_to_the_keyring_is_read_from_it_and_logout_deletes_it(
    live: LiveServer, config_dir: Path, memory: MemoryKeyring
) -> None:
    tenant = new_tenant(live)
    result = login(tenant)
    assert result.exit_code == 0, result.output
    assert "secret stored in the system keyring (memory keyring MemoryKeyring)" in " ".join(result.stdout.split())
    stored = _stored(config_dir)
    assert stored["secret"] is None and stored["secret_keyring"] == entry_name(tenant.client_id, tenant.server.url)
    assert tenant.secret not in (config_dir / "profiles.json").read_text() and tenant.secret not in result.output
    assert memory.entries[_entry(tenant)] == tenant.secret
    assert run_json("apps", "list") == []  # the secret read back from the keyring
    assert run_json("profiles")[0]["secretSource"] == "keyring"
    out = run("logout")
    assert out.exit_code == 0 and "and its secret in the system keyring" in out.stdout
    assert _entry(tenant) not in memory.entries


def test_a_missing_keyring_entry_is_a_clear_auth_error(
    live: LiveServer, config_dir: Path, memory: MemoryKeyring
) -> None:
    tenant = new_tenant(live)
    assert login(tenant).exit_code == 0
    memory.entries.clear()
    result = run("apps", "list")
    assert result.exit_code == ExitCode.AUTH, result.output
    message = " ".join(result.stderr.split())
    assert "system keyring (memory keyring MemoryKeyring) has no entry" in message and "--no-keyring" in message


def test_no_keyring_flag_or_variable_keeps_the_secret_in_the_file_and_forgets_the_entry(
    live: LiveServer, config_dir: Path, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = new_tenant(live)
    assert login(tenant).exit_code == 0 and _entry(tenant) in memory.entries
    result = login(tenant, "--no-keyring", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.removeprefix("Client secret: "))  # the prompt, then the JSON
    assert report["secretStorage"] == f"secret stored in {config_dir / 'profiles.json'} (mode 0600)"
    assert report["keyringBackend"] is None and tenant.secret not in result.stdout
    assert _stored(config_dir)["secret"] == tenant.secret and _stored(config_dir)["secret_keyring"] is None
    assert _entry(tenant) not in memory.entries  # no copy left behind in the keyring
    monkeypatch.setenv("STOREFLIGHT_NO_KEYRING", "1")
    assert login(tenant, "--profile", "env").exit_code == 0
    assert _stored(config_dir, "env")["secret"] == tenant.secret and not memory.entries


def test_without_a_keyring_the_secret_falls_back_to_the_file(live: LiveServer, config_dir: Path) -> None:
    assert isinstance(keyring.get_keyring(), fail.Keyring)  # the harness's default: as on a machine without one
    tenant = new_tenant(live)
    result = login(tenant)
    assert result.exit_code == 0, result.output
    assert f"secret stored in {config_dir / 'profiles.json'} (mode 0600)" in " ".join(result.stdout.split())
    assert _stored(config_dir)["secret"] == tenant.secret
    assert run_json("apps", "list") == []


@pytest.mark.parametrize(
    ("backend", "said"),
    [
        ("keyring.backends.fail.Keyring", "(mode 0600)"),
        ("tests.cli.memory_keyring.MemoryKeyring", "(memory keyring MemoryKeyring)"),
    ],
)
def test_a_login_process_uses_the_backend_the_environment_names(config_dir: Path, backend: str, said: str) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": backend, "PYTHONPATH": str(REPO), "COLUMNS": "300"}
    env.pop("STOREFLIGHT_NO_KEYRING", None)
    command = [sys.executable, "-m", "storeflight", "login", "--no-check", "--base-url", "http://127.0.0.1:9"]
    command += ["--tenant-id", "t", "--client-id", "c"]
    result = subprocess.run(command, input="s3cret-value\n", capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert said in result.stdout and "s3cret-value" not in result.stdout + result.stderr
    in_file = _stored(config_dir)["secret"]
    assert in_file == ("s3cret-value" if said == "(mode 0600)" else None)


def test_without_the_keyring_library_the_secret_goes_to_the_file(
    live: LiveServer, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # `import keyring` now fails, as where it is missing
    tenant = new_tenant(live)
    result = login(tenant)
    assert result.exit_code == 0, result.output
    assert "(mode 0600)" in result.stdout and _stored(config_dir)["secret"] == tenant.secret
