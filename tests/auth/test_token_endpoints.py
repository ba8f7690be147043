"""The token service: v1 form posts, v2 for MSAL over HTTPS, expiry and revocation."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests

from storeflight.auth import tokens
from storeflight.cli.devcert import build_certificate
from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, Tenant, make_settings, new_tenant, open_store, postgres_database

RESOURCE = "https://manage.devcenter.microsoft.com"


def _form(tenant: Tenant, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": tenant.secret,
        "resource": RESOURCE,
    }
    form.update(overrides)
    return form


def test_v1_token_has_the_aad_v1_shape_with_numeric_strings(tenant: Tenant) -> None:
    response = httpx.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=_form(tenant))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["resource"] == RESOURCE
    for key in ("expires_in", "expires_on", "not_before"):
        assert isinstance(body[key], str) and body[key].isdigit()
    assert int(body["expires_in"]) == 3600
    assert int(body["expires_on"]) - int(body["not_before"]) == 3600
    api = httpx.get(
        f"{tenant.server.url}/v1.0/my/applications", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert api.status_code == 404  # authenticated; the new tenant simply has no apps yet


def test_v1_form_with_unencoded_values_works(tenant: Tenant) -> None:
    raw = (
        f"grant_type=client_credentials&client_id={tenant.client_id}&client_secret={tenant.secret}&resource={RESOURCE}"
    )
    response = httpx.post(
        f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token",
        content=raw,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, 400, "unauthorized_client"),
        ({"resource": RESOURCE + "//"}, 400, "invalid_resource"),
        ({"resource": "http://manage.devcenter.microsoft.com"}, 400, "invalid_resource"),
        ({"resource": RESOURCE + ".example.com"}, 400, "invalid_resource"),
        ({"resource": ""}, 400, "invalid_resource"),
        ({"resource": "https://graph.microsoft.com"}, 400, "invalid_resource"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_secret": ""}, 400, "invalid_request"),
    ],
)
def test_v1_token_errors_are_aad_shaped_and_issue_no_token(
    tenant: Tenant, overrides: dict[str, str], status: int, error: str
) -> None:
    response = httpx.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=_form(tenant, **overrides))
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_description"]
    assert "access_token" not in body
    code = body["error_description"].split(":")[0]  # e.g. "AADSTS7000215": Entra ID lists it as a number too
    assert code.startswith("AADSTS") and body["error_codes"] == [int(code.removeprefix("AADSTS"))]


@pytest.mark.parametrize("resource", [RESOURCE, RESOURCE + "/", "{server}", "{server}/"])
def test_v1_token_accepts_the_store_resource_and_the_servers_own_url_with_or_without_slash(
    tenant: Tenant, resource: str
) -> None:
    form = _form(tenant, resource=resource.format(server=tenant.server.url))
    response = httpx.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


def test_a_client_cannot_get_a_token_in_another_tenant(tenant: Tenant) -> None:
    other = new_tenant(tenant.server)
    response = httpx.post(f"{tenant.server.url}/{other.tenant_id}/oauth2/token", data=_form(tenant))
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_revoked_clients_tokens_stop_working(tenant: Tenant, app_id: str) -> None:
    assert tenant.http.get(f"applications/{app_id}").status_code == 200
    with tenant.server.store.transaction(write=True) as tx:
        admin.revoke_client(tx, tenant.client_id, now=dates.utcnow())
    time.sleep(tenant.server.state.clients.ttl + 0.1)  # revocation is honoured within the cache lifetime
    response = tenant.http.get(f"applications/{app_id}")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    token = httpx.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=_form(tenant))
    assert token.status_code == 400


def test_deleted_clients_tokens_stop_working(tenant: Tenant, app_id: str) -> None:
    assert tenant.http.get(f"applications/{app_id}").status_code == 200
    with tenant.server.store.transaction(write=True) as tx:
        admin.delete_client(tx, tenant.client_id)
    time.sleep(tenant.server.state.clients.ttl + 0.1)
    assert tenant.http.get(f"applications/{app_id}").status_code == 401
    token = httpx.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=_form(tenant))
    assert token.status_code == 400 and token.json()["error"] == "unauthorized_client"


def test_tokens_expire(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, token_lifetime=timedelta(seconds=3))
    with LiveServer(store, settings) as server:
        tenant = new_tenant(server)
        app_id = tenant.create_app()
        assert tenant.http.get(f"applications/{app_id}").status_code == 200
        time.sleep(4.1)
        response = tenant.http.get(f"applications/{app_id}")
        assert response.status_code == 401
        assert "expired" in response.json()["message"]


@pytest.fixture
def https_server(store: SqlStore, tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    cert, key = build_certificate(days=1)
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    with LiveServer(
        store, make_settings(tmp_path), ssl_certfile=str(tmp_path / "cert.pem"), ssl_keyfile=str(tmp_path / "key.pem")
    ) as server:
        yield server, tmp_path / "cert.pem"


def _msal(
    server: LiveServer, cert: Path, tenant: Tenant, secret: str, **where: Any
) -> tuple[requests.Session, dict[str, str]]:
    """MSAL's recommended set-up for a local authority: HTTPS, no instance discovery, our CA only
    (`where` replaces the authority, e.g. with `oidc_authority`)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(cert)
    authority = where or {"authority": f"{server.url}/{tenant.tenant_id}", "instance_discovery": False}
    app = msal.ConfidentialClientApplication(
        tenant.client_id, client_credential=secret, http_client=session, **authority
    )
    return session, app.acquire_token_for_client(scopes=[f"{RESOURCE}/.default"])


def test_msal_confidential_client_gets_a_working_token(https_server: tuple[LiveServer, Path]) -> None:
    server, cert = https_server
    tenant = new_tenant(server)
    session, result = _msal(server, cert, tenant, tenant.secret)
    assert "access_token" in result, result
    app_id = tenant.create_app()
    response = session.get(
        f"{server.url}/v1.0/my/applications/{app_id}", headers={"Authorization": f"Bearer {result['access_token']}"}
    )
    session.close()
    assert response.status_code == 200
    assert response.json()["id"] == app_id


def test_msal_with_a_wrong_secret_gets_invalid_client(https_server: tuple[LiveServer, Path]) -> None:
    server, cert = https_server
    tenant = new_tenant(server)
    session, result = _msal(server, cert, tenant, "wrong")
    session.close()
    assert result.get("error") == "invalid_client"
    assert "access_token" not in result


def test_v1_openid_configuration_names_the_v1_token_endpoint(tenant: Tenant) -> None:
    response = httpx.get(f"{tenant.server.url}/{tenant.tenant_id}/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    base = f"{tenant.server.url}/{tenant.tenant_id}"
    assert body["token_endpoint"] == f"{base}/oauth2/token"
    assert body["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert body["issuer"] == f"{base}/"


@pytest.mark.parametrize(("authorize", "discovery"), [
    ("https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
     "/contoso/v2.0/.well-known/openid-configuration"),
    ("https://login.microsoftonline.com/common/oauth2/authorize", "/common/.well-known/openid-configuration"),
    ("https://127.0.0.1/t1/oauth2/v2.0/authorize", "/t1/v2.0/.well-known/openid-configuration"),  # MSAL drops ports
])
def test_instance_discovery_points_at_this_servers_discovery_document(
    server: LiveServer, authorize: str, discovery: str
) -> None:
    response = httpx.get(f"{server.url}/common/discovery/instance",
                         params={"api-version": "1.1", "authorization_endpoint": authorize})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tenant_discovery_endpoint"] == server.url + discovery
    assert body["metadata"] == [{"preferred_network": "127.0.0.1", "preferred_cache": "127.0.0.1",
                                 "aliases": ["127.0.0.1"]}]
    assert httpx.get(body["tenant_discovery_endpoint"]).status_code == 200


@pytest.mark.parametrize("params", [
    {}, {"authorization_endpoint": "http://login.microsoftonline.com/t/oauth2/v2.0/authorize"},
    {"authorization_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token"},
    {"authorization_endpoint": "not a url"}, {"authorization_endpoint": "https:///t/oauth2/authorize"},
])
def test_instance_discovery_refuses_a_bad_authorization_endpoint_in_the_aad_shape(
    server: LiveServer, params: dict[str, str]
) -> None:
    response = httpx.get(f"{server.url}/common/discovery/instance", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_instance" and body["error_description"].startswith("AADSTS50049")


def test_requests_for_an_intercepted_host_get_urls_on_it_whatever_public_url_says(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, public_url="https://store.example.test",
                             intercept_hosts=("login.microsoftonline.com",))
    with LiveServer(store, settings) as live:
        url = f"{live.url}/t/v2.0/.well-known/openid-configuration"
        intercepted = httpx.get(url, headers={"Host": "login.microsoftonline.com"}).json()
        other = httpx.get(url, headers={"Host": "store.example.test"}).json()  # trusted: --public-url's host
        untrusted = httpx.get(url, headers={"Host": "manage.devcenter.microsoft.com"})  # not trusted
    assert intercepted["token_endpoint"] == "https://login.microsoftonline.com/t/oauth2/v2.0/token"
    assert other["token_endpoint"] == "https://store.example.test/t/oauth2/v2.0/token"
    assert untrusted.status_code == 400


def test_msal_with_oidc_authority_gets_a_working_token(https_server: tuple[LiveServer, Path]) -> None:
    """`oidc_authority` reads `<authority>/.well-known/openid-configuration`, which the v2.0 path serves."""
    server, cert = https_server
    tenant = new_tenant(server)
    oidc = f"{server.url}/{tenant.tenant_id}/v2.0"
    session, result = _msal(server, cert, tenant, tenant.secret, oidc_authority=oidc)
    assert "access_token" in result, result
    app_id = tenant.create_app()
    response = session.get(
        f"{server.url}/v1.0/my/applications/{app_id}", headers={"Authorization": f"Bearer {result['access_token']}"}
    )
    session.close()
    assert response.status_code == 200


@pytest.fixture
def own_store(database_url: str, tmp_path: Path) -> Iterator[SqlStore]:
    """A database of the test's own: a rotation in the shared one would retire the keys other servers hold."""
    with contextlib.ExitStack() as stack:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'own.db'}"
        else:
            url = stack.enter_context(postgres_database())
        store = open_store(url)
        stack.callback(store.close)
        yield store


def test_a_key_rotation_logs_nobody_out_and_the_next_one_retires_the_old_key(
    own_store: SqlStore, tmp_path: Path
) -> None:
    store = own_store

    def call(server: LiveServer, token: str, app_id: str) -> int:
        url = f"{server.url}/v1.0/my/applications/{app_id}"
        return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code

    with LiveServer(store, make_settings(tmp_path)) as before:
        tenant = new_tenant(before)
        app_id = tenant.create_app()
        old_token = tenant.token
    with store.transaction(write=True) as tx:
        tokens.rotate(tx)
    with LiveServer(store, make_settings(tmp_path)) as after:  # a restarted server
        assert call(after, old_token, app_id) == 200  # issued before the rotation: still valid
        tenant.server = after
        new_token = tenant.fetch_token()
        assert new_token != old_token and call(after, new_token, app_id) == 200
    with store.transaction(write=True) as tx:
        tokens.rotate(tx)
    with LiveServer(store, make_settings(tmp_path)) as later:
        assert call(later, old_token, app_id) == 401  # two rotations ago: retired
        assert call(later, new_token, app_id) == 200
