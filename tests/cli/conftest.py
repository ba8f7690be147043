"""The CLI's harness: a real server with its pipeline, the real `storeflight` app, and a throwaway config dir.

The user-facing commands are run through typer's CliRunner on `storeflight.cli.main.app` (the entry point
`storeflight` calls), against a live uvicorn server on 127.0.0.1 with an embedded pipeline worker on its
own SQLite database. Profiles go to a temporary STOREFLIGHT_CONFIG_DIR, never the real home.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from click.testing import Result
from keyring.backends import fail
from typer.testing import CliRunner

from storeflight.cli.main import app
from storeflight.cli.profiles import ENV
from storeflight.msixbuild import PackageSpec, write_msix
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.support import LiveServer, Tenant, make_settings, new_tenant, open_store

IDENTITY = ("Contoso.CliTests", "CN=Contoso CLI")
runner = CliRunner()


def run(*args: str, input: str | None = None) -> Result:
    """The real CLI app, in this process."""
    return runner.invoke(app, list(args), input=input)


def run_json(*args: str) -> Any:
    """Run with --json, require exit 0, and parse stdout."""
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fails(code: int, *args: str) -> Result:
    """Run, require exit `code`, and return the result for its message."""
    result = run(*args)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Profiles in a temporary folder; no STOREFLIGHT_* credentials leak in from the environment, and no
    secret reaches the machine's own keyring (keyring's fail backend, here and in CLI subprocesses)."""
    for name in [*ENV.values(), "STOREFLIGHT_PROFILE", "STOREFLIGHT_NO_KEYRING"]:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "config"
    monkeypatch.setenv("STOREFLIGHT_CONFIG_DIR", str(folder))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield folder
    keyring.set_keyring(before)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with its pipeline running (zero stage delays), on its own SQLite database."""
    folder = tmp_path_factory.mktemp("cli-server")
    store = open_store(f"sqlite:///{folder / 'storeflight.db'}")
    with LiveServer(store, make_settings(folder)) as server:
        worker = Worker(store, server.state.blobs, WorkerSettings(idle_poll=0.02))
        background = BackgroundWorker(worker).start()
        yield server
        background.stop()
    store.close()


@dataclass
class Account:
    """A tenant of the live server, logged in as the default profile."""

    tenant: Tenant
    app_id: str

    @property
    def url(self) -> str:
        return self.tenant.server.url


def login(tenant: Tenant, *extra: str) -> Result:
    url = tenant.server.url
    args = ["login", "--base-url", url, "--authority", url, "--tenant-id", tenant.tenant_id]
    return run(*args, "--client-id", tenant.client_id, "--max-retries", "1", *extra, input=tenant.secret + "\n")


@pytest.fixture
def account(live: LiveServer) -> Account:
    tenant = new_tenant(live)
    result = login(tenant)
    assert result.exit_code == 0, result.output
    return Account(tenant, tenant.create_app(identity=IDENTITY[0], publisher=IDENTITY[1]))


def package(folder: Path, version: str, name: str | None = None) -> Path:
    """A valid package of the test apps' identity."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or f"App_{version}_x64.msix")
    return write_msix(target, PackageSpec(IDENTITY[0], IDENTITY[1], version))
