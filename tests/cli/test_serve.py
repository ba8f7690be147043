"""`storeflight serve` as a real process: options from the environment, HTTPS, SIGTERM."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from storeflight.blobs.azure import AzureBlobStore
from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import BlockLimits
from storeflight.cli import main
from storeflight.cli.devcert import build_certificate
from storeflight.http.connection import BoundedHttpProtocol
from storeflight.scratch import LOCK_NAME, LockedFolder
from tests.jstools import Azurite
from tests.support import free_port
from tests.test_scratch import abandoned, age


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "storeflight", "serve", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(url: str, verify: bool | str = True) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not become healthy")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    return process.returncode, output


def test_serve_reads_options_from_the_environment_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "STOREFLIGHT_PORT": str(port),
        "STOREFLIGHT_DATA_DIR": str(tmp_path / "data"),
        "STOREFLIGHT_PUBLIC_URL": "https://store.example.test/",
    }
    process = _start(env)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}")
        doc = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/v1.0/my/applications/{application_id}/flights" in doc["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        config = httpx.get(f"http://127.0.0.1:{port}/t/v2.0/.well-known/openid-configuration").json()
        assert config["token_endpoint"] == "https://store.example.test/t/oauth2/v2.0/token"
    finally:
        code, output = _stop(process)
    assert code == 0, output
    assert (tmp_path / "data" / "storeflight.db").exists()


def test_serve_over_https_with_a_dev_certificate(tmp_path: Path) -> None:
    cert, key = build_certificate(days=1)
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    port = free_port()
    process = _start(
        {},
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "d"),
        "--tls-cert",
        str(tmp_path / "cert.pem"),
        "--tls-key",
        str(tmp_path / "key.pem"),
    )
    try:
        _wait_healthy(f"https://127.0.0.1:{port}", verify=ssl.create_default_context(cafile=tmp_path / "cert.pem"))
    finally:
        code, output = _stop(process)
    assert code == 0, output


def test_allow_any_token_prints_a_warning(tmp_path: Path) -> None:
    port = free_port()
    process = _start({}, "--port", str(port), "--data-dir", str(tmp_path), "--allow-any-token", "t")
    try:
        _wait_healthy(f"http://127.0.0.1:{port}")
        response = httpx.get(f"http://127.0.0.1:{port}/v1.0/my/applications", headers={"Authorization": "Bearer PROXY"})
        assert response.status_code == 404  # accepted as tenant t, which has no apps
    finally:
        _code, output = _stop(process)
    assert "WARNING" in output and "--allow-any-token" in output


def test_warm_delivery_builds_the_snapshots_at_start(tmp_path: Path) -> None:
    created = CliRunner().invoke(
        main.app,
        ["admin", "create-app", "--data-dir", str(tmp_path), "--tenant-id", "t", "--new-tenant", "--name", "Warm",
         "--identity-name", "Test.Warm", "--publisher", "CN=Test"],
    )
    assert created.exit_code == 0, created.output
    port = free_port()
    process = _start({"STOREFLIGHT_WARM_DELIVERY": "1"}, "--port", str(port), "--data-dir", str(tmp_path))
    seen: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: seen.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        _wait_healthy(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("warmed delivery" in line for line in seen):
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        reader.join(timeout=5)
    assert "warmed delivery snapshots of 1 apps" in "".join(seen), "".join(seen)


def test_dev_cert_writes_a_certificate_and_a_private_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "storeflight", "dev-cert", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert oct((tmp_path / "key.pem").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("args", [["--tls-cert", "x.pem"]])
def test_tls_options_go_together(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "storeflight", "serve", "--data-dir", str(tmp_path), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode != 0
    assert "--tls-key" in result.stderr or "--tls-key" in result.stdout


def _serve_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> tuple[int, Any, str]:
    """Run `storeflight serve` in-process with uvicorn stubbed out; returns exit code, server state, output."""
    captured: dict[str, Any] = {}
    monkeypatch.setattr("storeflight.cli.serve.uvicorn.run", lambda app, **_: captured.setdefault("app", app))
    monkeypatch.setattr("storeflight.cli.serve.signal.signal", lambda *_: None)  # keep the test process's handlers
    result = CliRunner().invoke(main.app, ["serve", *args], env=env)
    state = captured["app"].state.storeflight if "app" in captured else None
    return result.exit_code, state, result.output


def test_serve_takes_the_blob_options_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, azurite: Azurite
) -> None:
    env = {
        "STOREFLIGHT_DATA_DIR": str(tmp_path),
        "STOREFLIGHT_BLOB_STORE": "azure",
        "STOREFLIGHT_AZURE_CONNECTION_STRING": azurite.connection_string,
        "STOREFLIGHT_AZURE_CONTAINER": "uploads",
        "STOREFLIGHT_MAX_UPLOAD_BYTES": "12345",
    }
    code, state, output = _serve_settings(monkeypatch, env)
    assert code == 0, output
    assert isinstance(state.blobs, AzureBlobStore)
    assert state.settings.max_upload_bytes == 12345 and state.settings.azure_container == "uploads"
    url = state.blobs.upload_url("b", public_url="", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert url.startswith(f"{azurite.endpoint}/uploads/b?")


def test_serve_defaults_to_local_blobs_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, state, output = _serve_settings(monkeypatch, {}, "--data-dir", str(tmp_path))
    assert code == 0, output
    assert isinstance(state.blobs, LocalBlobStore) and state.blobs.root == tmp_path / "blobs"
    assert state.settings.max_upload_bytes == 25 * 2**30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blob-store", "s3"], "--blob-store must be one of local, azure"),
        (["--blob-store", "azure"], "needs --azure-connection-string"),
        (["--blob-store", "azure", "--azure-connection-string", "AccountName=x"], "connection string"),
    ],
)
def test_serve_refuses_blob_options_that_cannot_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], message: str
) -> None:
    code, state, output = _serve_settings(monkeypatch, {}, "--data-dir", str(tmp_path), *args)
    assert code == 2 and state is None
    assert message in " ".join(output.split()), output


def test_serve_passes_the_upload_bounds_to_the_blob_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"STOREFLIGHT_MIN_FREE_BYTES": "1000", "STOREFLIGHT_MAX_STAGED_BYTES": "5000"}
    args = ["--data-dir", str(tmp_path), "--max-blob-blocks", "10", "--max-staged-blocks", "20"]
    code, state, output = _serve_settings(monkeypatch, env, *args, "--max-tenant-uploads", "3")
    assert code == 0, output
    assert isinstance(state.blobs, LocalBlobStore)
    assert state.blobs.limits == BlockLimits(max_blob_blocks=10, max_staged_blocks=20, max_staged_bytes=5000)
    assert state.blobs.floor.min_free == 1000 and state.upload_slots.per_tenant == 3


def test_serve_defaults_keep_a_free_space_floor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, state, output = _serve_settings(monkeypatch, {}, "--data-dir", str(tmp_path))
    assert code == 0, output
    assert state.blobs.floor.min_free == 64 * 2**20 and state.blobs.limits == BlockLimits()
    assert state.upload_slots.per_tenant == 8


def test_serve_refuses_zero_upload_slots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, state, output = _serve_settings(monkeypatch, {}, "--data-dir", str(tmp_path), "--max-tenant-uploads", "0")
    assert code == 2 and state is None and "max-tenant-uploads" in output


def test_serve_sweeps_what_killed_stages_left_in_the_temporary_folder(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = abandoned(temp)
    live = LockedFolder(temp, "storeflight-pkg-")  # another process's stage, running now
    age(live.path / LOCK_NAME, 60)
    port = free_port()
    process = _start({"TMPDIR": str(temp)}, "--port", str(port), "--data-dir", str(tmp_path / "data"))
    try:
        _wait_healthy(f"http://127.0.0.1:{port}")
        assert not dead.exists()
        assert live.path.exists()
    finally:
        code, output = _stop(process)
        live.close()
    assert code == 0, output


def test_serve_passes_the_connection_and_host_bounds_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    captured: dict[str, Any] = {}
    monkeypatch.setattr("storeflight.cli.serve.uvicorn.run", lambda app, **options: captured.update(options, app=app))
    monkeypatch.setattr("storeflight.cli.serve.signal.signal", lambda *_: None)
    env = {"STOREFLIGHT_ALLOWED_HOSTS": "a.example b.example", "STOREFLIGHT_TOKEN_ATTEMPTS_PER_CLIENT": "7"}
    args = ["serve", "--data-dir", str(tmp_path), "--header-timeout", "3", "--body-timeout", "4"]
    result = CliRunner().invoke(main.app, args, env=env)
    assert result.exit_code == 0, result.output
    settings = captured["app"].state.storeflight.settings
    assert settings.allowed_hosts == ("a.example", "b.example")
    assert settings.token_attempts_per_client == 7 and settings.body_timeout == 4
    assert captured["timeout_keep_alive"] == 120
    assert issubclass(captured["http"], BoundedHttpProtocol) and captured["http"].header_timeout == 3


def test_serve_takes_quotas_from_options_and_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"STOREFLIGHT_QUOTA_STORED_BYTES": "1000", "STOREFLIGHT_QUOTA_FLIGHTS": "0"}
    code, state, output = _serve_settings(monkeypatch, env, "--data-dir", str(tmp_path), "--quota-groups", "7")
    assert code == 0, output
    quotas = state.settings.quotas
    assert (quotas.groups, quotas.stored_bytes, quotas.flights, quotas.members) == (7, 1000, 0, 5_000_000)


def test_serve_refuses_a_negative_quota(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, state, output = _serve_settings(monkeypatch, {}, "--data-dir", str(tmp_path), "--quota-members", "-1")
    assert code == 2 and state is None
    assert "members quota cannot be negative" in " ".join(output.split()), output
