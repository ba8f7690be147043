"""The recorded StoreBroker sequences (tests/clients/test_storebroker.py) outside its proxy mode, through
the interception proxy: a real token from https://login.windows.net/<tenant>/oauth2/token (StoreBroker's
hard-coded v1 token URL) and the API on https://manage.devcenter.microsoft.com."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.clients import test_storebroker as recorded
from tests.intercept.conftest import API, Intercepted
from tests.intercept.replay import adopt

ADOPTED = adopt(recorded, globals(), own=("proxy",))


@dataclass
class Intercepting:
    """Stands in for the recorded tests' `Proxy`: same tenant and store, StoreBroker with a real token."""

    server: Intercepted
    tenant_id: str
    store: SqlStore
    token: str

    def storebroker(self) -> recorded.StoreBroker:
        sb = recorded.StoreBroker(API, self.tenant_id)
        sb.http.headers["Authorization"] = f"Bearer {self.token}"  # what it sends outside proxy mode
        for name in ("TenantId", "TenantName", "UseINT"):  # proxy-mode headers only
            del sb.http.headers[name]
        return sb


@pytest.fixture
def proxy(proxy_env: Intercepted) -> Intercepting:
    with proxy_env.store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="storebroker", now=dates.utcnow())
    # StoreBroker's form: URL-encoded id and secret, the resource not encoded.
    form = (f"grant_type=client_credentials&client_id={client.client_id}&client_secret={secret}"
            f"&resource={API}")
    response = httpx.post(f"https://login.windows.net/{client.tenant_id}/oauth2/token", content=form,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert int(body["expires_in"]) > 90  # StoreBroker caches it for expires_in - 90 s
    return Intercepting(proxy_env, client.tenant_id, proxy_env.store, body["access_token"])


def test_the_replayed_tests_are_the_recorded_ones() -> None:
    assert len([n for n in ADOPTED if n.startswith("test_")]) >= 4
    assert "test_bearer_proxy_without_the_opt_in_is_401_with_a_json_body_and_no_windows_challenge" not in ADOPTED
