"""Interception mode under test: a CA in a temporary folder, the app over TLS with its leaf certificate, the
CONNECT proxy in front of it, and clients configured only through their environment (HTTPS_PROXY, CA files)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from storeflight.domain import dates
from storeflight.intercept import INTERCEPTED_HOSTS, ca, serving
from storeflight.intercept.proxy import InterceptProxy
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, Tenant, make_settings

LOGIN = "https://login.microsoftonline.com"
API = "https://manage.devcenter.microsoft.com"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                   "NO_PROXY", "no_proxy")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS")


class ProxyThread(serving.ProxyThread):
    """The production proxy thread on a free loopback port, with the URL clients put in HTTPS_PROXY."""

    def __init__(self, proxy: InterceptProxy) -> None:
        super().__init__(proxy, serving.bind("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"


@dataclass
class Intercepted:
    """What a client sees in interception mode: Microsoft's host names, reached through `proxy_url`.

    `url`, `verify` and `store` make it usable as a Tenant's server: the API as its clients address it.
    """

    listener: LiveServer
    proxy_url: str
    ca_file: str
    url: str = API

    @property
    def verify(self) -> str:
        return self.ca_file

    @property
    def store(self) -> SqlStore:
        return self.listener.store


@pytest.fixture(scope="session")
def authority(tmp_path_factory: pytest.TempPathFactory) -> ca.Authority:
    return ca.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def intercepted(store: SqlStore, authority: ca.Authority, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Intercepted]:
    cert, key = authority.write_leaf()
    settings = make_settings(tmp_path_factory.mktemp("intercept-data"), intercept_hosts=INTERCEPTED_HOSTS)
    with (
        LiveServer(store, settings, ssl_certfile=str(cert), ssl_keyfile=str(key)) as listener,
        ProxyThread(InterceptProxy(("127.0.0.1", listener.port))) as proxy,
    ):
        yield Intercepted(listener, proxy.url, str(authority.cert_path))


@pytest.fixture
def proxy_env(intercepted: Intercepted, monkeypatch: pytest.MonkeyPatch) -> Intercepted:
    """The recipe of docs/interception.md for this process: HTTPS_PROXY, and the CA as the only trusted one."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", intercepted.proxy_url)
    for name in CA_VARIABLES:
        monkeypatch.setenv(name, intercepted.ca_file)
    return intercepted


def v1_token(tenant_id: str, client_id: str, secret: str) -> str:
    """The Azure DevOps task's token request, to the real host (through the proxy the environment names)."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "resource": API}
    response = httpx.post(f"{LOGIN}/{tenant_id}/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def intercepted_tenant(server: Intercepted) -> Tenant:
    """A fresh tenant whose token came from login.microsoftonline.com and whose API is manage.devcenter...."""
    with server.store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="intercepted", now=dates.utcnow())
    token = v1_token(client.tenant_id, client.client_id, secret)
    return Tenant(server, client.tenant_id, client.client_id, secret, token=token)  # type: ignore[arg-type]


@pytest.fixture
def blob_file(tmp_path: Path) -> Path:
    path = tmp_path / "upload.zip"
    path.write_bytes(b"PK\x05\x06" + bytes(18) + b"x" * 300_000)
    return path
