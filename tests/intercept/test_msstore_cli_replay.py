"""The recorded msstore-cli sequences (tests/clients/test_msstore_cli.py) through the proxy: its token from
MSAL with the default authority https://login.microsoftonline.com/<tenant> (as msstore-cli's MSAL.NET has),
its API on https://manage.devcenter.microsoft.com, nothing configured but HTTPS_PROXY and the CA."""

from __future__ import annotations

import msal
import pytest

from storeflight.domain import dates
from storeflight.services import admin
from tests.clients import test_msstore_cli as recorded
from tests.intercept.conftest import API, LOGIN, Intercepted
from tests.intercept.replay import adopt
from tests.support import Tenant

ADOPTED = adopt(recorded, globals())


@pytest.fixture
def tenant(proxy_env: Intercepted) -> Tenant:
    with proxy_env.store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="msstore", now=dates.utcnow())
    app = msal.ConfidentialClientApplication(client.client_id, client_credential=secret,
                                             authority=f"{LOGIN}/{client.tenant_id}")
    result = app.acquire_token_for_client(scopes=[f"{API}/.default"])
    assert "access_token" in result, result
    return Tenant(proxy_env, client.tenant_id, client.client_id, secret,  # type: ignore[arg-type]
                  token=result["access_token"])


def test_the_replayed_tests_are_the_recorded_ones() -> None:
    assert len([n for n in ADOPTED if n.startswith("test_")]) >= 4
