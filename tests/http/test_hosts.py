"""Trusted Host names against a live `storeflight serve`: forged hosts never reach issuers or upload URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storeflight.config import Settings
from storeflight.http.hosts import host_name, trusted_hosts
from tests.support import ServeProcess


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with ServeProcess(tmp_path_factory.mktemp("hosts"), "--allowed-host", "Store.Example.Test") as process:
        yield process


def _discovery(serve: ServeProcess, host: str) -> httpx.Response:
    return httpx.get(f"{serve.url}/t/v2.0/.well-known/openid-configuration", headers={"Host": host})


@pytest.mark.parametrize("host", ["evil.example", "evil.example:443", "127.0.0.1.evil.example", "[::2]"])
def test_a_forged_host_is_refused_with_a_store_error(serve: ServeProcess, host: str) -> None:
    response = _discovery(serve, host)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and body["target"] == "Host"
    assert "--allowed-host" in body["message"]


def test_token_and_upload_requests_for_a_forged_host_are_refused_in_their_shapes(serve: ServeProcess) -> None:
    token = httpx.post(f"{serve.url}/t/oauth2/v2.0/token", data={"a": "b"}, headers={"Host": "evil.example"})
    assert token.status_code == 400 and token.json()["error"] == "invalid_request"
    upload = httpx.put(f"{serve.url}/storeflight/ingestion/x", content=b"x", headers={"Host": "evil.example"})
    assert upload.status_code == 400 and upload.headers["x-ms-error-code"] == "InvalidHeaderValue"
    assert b"<Code>InvalidHeaderValue</Code>" in upload.content


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST.", "[::1]"])
def test_the_loopback_names_are_trusted_on_any_port(serve: ServeProcess, host: str) -> None:
    response = _discovery(serve, f"{host}:{serve.port}")
    assert response.status_code == 200
    assert response.json()["token_endpoint"] == f"http://{host}:{serve.port}/t/oauth2/v2.0/token"


def test_an_allowed_host_names_the_issuer(serve: ServeProcess) -> None:
    response = _discovery(serve, "store.example.test")
    assert response.status_code == 200
    assert response.json()["issuer"] == "http://store.example.test/t/v2.0"


def test_the_public_url_host_is_trusted_and_a_star_trusts_any(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://pub.example.test:8443")
    assert trusted_hosts(settings) == {"127.0.0.1", "localhost", "::1", "pub.example.test"}
    with ServeProcess(tmp_path, "--allowed-host", "*") as serve:
        assert _discovery(serve, "anything.example").status_code == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [("Example.COM:8080", "example.com"), ("[::1]:8080", "::1"), ("::1", "::1"), ("host.", "host"), ("h", "h")],
)
def test_host_names_lose_their_port_and_case(header: str, name: str) -> None:
    assert host_name(header) == name
