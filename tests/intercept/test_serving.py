"""`storeflight serve --intercept-port/--tls-port` as a real process: the CA made on first start, the proxy,
the TLS listener for the hosts-file variant, URLs on the real host names, a clean stop and clear errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msal
import pytest

from storeflight.intercept import serving
from tests.intercept.conftest import API, CA_VARIABLES, LOGIN, PROXY_VARIABLES
from tests.support import free_port


def _serve(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    return subprocess.Popen(
        [sys.executable, "-m", "storeflight", "serve", "--data-dir", str(tmp_path / "data"), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    return process.returncode, output


def _wait(check: object, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.TransportError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not come up")


def _create_client(tmp_path: Path) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "storeflight", "admin", "create-client", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return dict(json.loads(done.stdout))


def test_serve_with_intercept_port_makes_the_ca_and_answers_msal_and_the_api_through_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, proxy_port = free_port(), free_port()
    process = _serve(tmp_path, "--port", str(port), "--intercept-port", str(proxy_port),
                     "--public-url", "https://store.example.test")
    try:
        _wait(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200, process)
        ca_file = tmp_path / "data" / "ca" / "ca.pem"
        assert ca_file.exists()
        client = _create_client(tmp_path)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
        for name in CA_VARIABLES:
            monkeypatch.setenv(name, str(ca_file))
        app = msal.ConfidentialClientApplication(client["clientId"], client_credential=client["clientSecret"],
                                                 authority=f"{LOGIN}/{client['tenantId']}")
        result = app.acquire_token_for_client(scopes=[f"{API}/.default"])
        assert "access_token" in result, result
        token = result["access_token"]
        apps = httpx.get(f"{API}/v1.0/my/applications", headers={"Authorization": f"Bearer {token}"})
        assert apps.status_code == 404 and apps.json()["code"] == "ResourceNotFound"
        config = httpx.get(f"{LOGIN}/{client['tenantId']}/.well-known/openid-configuration").json()
        assert config["token_endpoint"] == f"{LOGIN}/{client['tenantId']}/oauth2/token"  # not --public-url
        direct = httpx.get(f"http://127.0.0.1:{port}/t/v2.0/.well-known/openid-configuration").json()
        assert direct["token_endpoint"] == "https://store.example.test/t/oauth2/v2.0/token"
        with pytest.raises(httpx.ProxyError, match="403"):
            httpx.get("https://pypi.org/simple/")
    finally:
        code, output = _stop(process)
    assert code == 0, output
    assert "refused a proxy request" in output and "pypi.org:443" in output
    assert "created the interception CA" in output


def test_tls_port_alone_serves_the_hosts_file_variant(tmp_path: Path) -> None:
    """No proxy: a client that resolves the host names to 127.0.0.1 connects to the TLS port directly."""
    port, tls_port = free_port(), free_port()
    process = _serve(tmp_path, "--port", str(port), "--tls-port", str(tls_port))
    ca_file = tmp_path / "data" / "ca" / "ca.pem"

    def hosts_file_get(path: str) -> httpx.Response:
        # What /etc/hosts does for the client: the real name in the URL, 127.0.0.1 on the wire.
        transport = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(ca_file)))
        with httpx.Client(transport=transport, trust_env=False) as client:
            request = client.build_request("GET", f"https://127.0.0.1:{tls_port}{path}",
                                           headers={"Host": "manage.devcenter.microsoft.com"},
                                           extensions={"sni_hostname": "manage.devcenter.microsoft.com"})
            return client.send(request)

    try:
        _wait(lambda: hosts_file_get("/healthz").status_code == 200, process)
        config = hosts_file_get("/t/v2.0/.well-known/openid-configuration").json()
        assert config["token_endpoint"] == "https://manage.devcenter.microsoft.com/t/oauth2/v2.0/token"
    finally:
        code, output = _stop(process)
    assert code == 0, output


def test_a_busy_intercept_port_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        process = _serve(tmp_path, "--port", str(free_port()), "--intercept-port", str(busy))
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 2, output
    assert "cannot listen for interception" in output


@pytest.mark.parametrize(("bound", "reached"), [
    (("127.0.0.1", 8443), ("127.0.0.1", 8443)), (("0.0.0.0", 8443), ("127.0.0.1", 8443)),
    (("::", 8443), ("::1", 8443)), (("10.1.2.3", 8443), ("10.1.2.3", 8443)),
])
def test_the_proxy_reaches_the_tls_listener_where_it_is_bound(bound: tuple[str, int], reached: tuple[str, int]
                                                              ) -> None:
    assert serving.upstream_of(bound) == reached


def test_an_unreadable_ca_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "ca"
    folder.mkdir(parents=True)
    (folder / "ca.pem").write_text("not a certificate")
    (folder / "ca-key.pem").write_text("not a key")
    process = _serve(tmp_path, "--port", str(free_port()), "--intercept-port", str(free_port()))
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2, output
    assert "cannot be read" in output and "storeflight ca init --force" in output
