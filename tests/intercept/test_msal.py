"""The real `msal` package with its default authority, https://login.microsoftonline.com/<tenant>, through
the proxy: configured only by HTTPS_PROXY and REQUESTS_CA_BUNDLE, as a tool that builds its own MSAL app is."""

from __future__ import annotations

import uuid

import httpx
import msal
import pytest

from storeflight.domain import dates
from storeflight.services import admin
from tests.intercept.conftest import API, LOGIN, Intercepted

SCOPE = f"{API}/.default"


def _client(server: Intercepted) -> tuple[str, str, str]:
    with server.store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="msal", now=dates.utcnow())
    return client.tenant_id, client.client_id, secret


def test_msal_default_authority_gets_a_token_that_the_api_accepts(proxy_env: Intercepted) -> None:
    tenant_id, client_id, secret = _client(proxy_env)
    app = msal.ConfidentialClientApplication(client_id, client_credential=secret,
                                             authority=f"{LOGIN}/{tenant_id}")
    assert app.authority.token_endpoint == f"{LOGIN}/{tenant_id}/oauth2/v2.0/token"  # from our discovery document
    result = app.acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert result["token_source"] == "identity_provider"
    response = httpx.get(f"{API}/v1.0/my/applications", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert response.status_code == 404, response.text  # authenticated: a new tenant has no apps yet
    assert response.json()["code"] == "ResourceNotFound"


def test_msal_through_the_proxy_gets_entra_shaped_errors(proxy_env: Intercepted) -> None:
    tenant_id, client_id, _ = _client(proxy_env)
    app = msal.ConfidentialClientApplication(client_id, client_credential="wrong",
                                             authority=f"{LOGIN}/{tenant_id}")
    result = app.acquire_token_for_client(scopes=[SCOPE])
    assert result["error"] == "invalid_client", result
    assert "AADSTS7000215" in result["error_description"]


def test_msal_asks_instance_discovery_for_a_host_it_does_not_know_and_gets_the_answer_here(
    proxy_env: Intercepted,
) -> None:
    """An authority on a host MSAL does not know (the API host here) makes MSAL call
    login.microsoftonline.com/common/discovery/instance first; the answer sends it to our discovery document."""
    tenant_id, client_id, secret = _client(proxy_env)
    app = msal.ConfidentialClientApplication(client_id, client_credential=secret, authority=f"{API}/{tenant_id}")
    assert app.authority.token_endpoint == f"{LOGIN}/{tenant_id}/oauth2/v2.0/token"
    result = app.acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" in result, result


@pytest.mark.parametrize("version", ["", "/v2.0"])
def test_msal_net_style_discovery_then_token_on_the_real_host(proxy_env: Intercepted, version: str) -> None:
    """What MSAL.NET (msstore-cli) sends: instance discovery with api-version 1.1, then the v2 token POST."""
    tenant_id, client_id, secret = _client(proxy_env)
    discovery = httpx.get(f"{LOGIN}/common/discovery/instance", params={
        "api-version": "1.1", "authorization_endpoint": f"{LOGIN}/common/oauth2{version}/authorize",
    })
    assert discovery.status_code == 200, discovery.text
    body = discovery.json()
    assert body["tenant_discovery_endpoint"] == f"{LOGIN}/common{version}/.well-known/openid-configuration"
    assert body["metadata"] == [{"preferred_network": "login.microsoftonline.com",
                                 "preferred_cache": "login.microsoftonline.com",
                                 "aliases": ["login.microsoftonline.com"]}]
    config = httpx.get(body["tenant_discovery_endpoint"].replace("/common", f"/{tenant_id}")).json()
    expected = "/oauth2/v2.0/token" if version else "/oauth2/token"
    assert config["token_endpoint"] == f"{LOGIN}/{tenant_id}{expected}"
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": SCOPE,
            "client_info": "1"}
    token = httpx.post(f"{LOGIN}/{tenant_id}/oauth2/v2.0/token", data=form,
                       headers={"x-client-SKU": "MSAL.NetCore", "client-request-id": str(uuid.uuid4())})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "Bearer"
