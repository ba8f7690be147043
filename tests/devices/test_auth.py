"""Device credentials into a DevicePrincipal: keys, device URLs and public apps, with every refusal, on both
backends."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update
from starlette.requests import Request

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.devices.auth import BAD_KEY, NEED_KEY, NO_APP, NO_URL, NOT_A_KEY, OTHER_APP, authenticate
from storeflight.devices.model import DevicePrincipal
from storeflight.domain import dates
from storeflight.domain.errors import Forbidden, NotFound, Throttled, Unauthorized
from storeflight.storage.tables import delivery_keys
from tests.support import Tenant, new_tenant


def request(tenant: Tenant, path: dict[str, str], authorization: str | None = None, query: bytes = b"") -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization is not None else []
    app = SimpleNamespace(state=SimpleNamespace(storeflight=tenant.server.state))
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": headers,
        "query_string": query,
        "path_params": path,
        "app": app,
    }
    return Request(scope)


def new_key(tenant: Tenant, app_id: str | None, **options: Any) -> tuple[str, str]:
    with tenant.server.store.transaction(write=True) as tx:
        key, secret = service.create_key(
            tx, tenant.tenant_id, app_id, name="fleet", now=dates.utcnow(), **options, by=ADMIN
        )
    return key.id, secret


def revoke(tenant: Tenant, key_id: str) -> None:
    with tenant.server.store.transaction(write=True) as tx:
        service.revoke_key(tx, tenant.tenant_id, key_id, dates.utcnow(), by=ADMIN)
    tenant.server.state.devices.forget()


def test_a_key_names_its_app_and_the_customer_of_the_query(tenant: Tenant, app_id: str) -> None:
    key_id, secret = new_key(tenant, app_id)
    assert secret.startswith("sfdk_")
    found = authenticate(request(tenant, {"app_id": app_id.lower()}, f"Bearer {secret}", b"customerId=a%40b.example"))
    assert found == DevicePrincipal(tenant.tenant_id, app_id, key_id, None, "a@b.example")


def test_a_tenant_wide_key_works_for_every_app_of_its_tenant_only(tenant: Tenant, app_id: str) -> None:
    key_id, secret = new_key(tenant, None)
    other = tenant.create_app(identity="Contoso.Other")
    for app in (app_id, other):
        assert authenticate(request(tenant, {"app_id": app}, f"Bearer {secret}")).key_id == key_id
    stranger = new_tenant(tenant.server).create_app()
    with pytest.raises(NotFound) as refused:
        authenticate(request(tenant, {"app_id": stranger}, f"Bearer {secret}"))
    assert refused.value.message == NO_APP


def test_refusals_say_what_is_wrong_with_the_credential_only(tenant: Tenant, app_id: str) -> None:
    _, secret = new_key(tenant, app_id)
    other_app = tenant.create_app(identity="Contoso.Other")
    cases: list[tuple[dict[str, str], str | None, type[Exception], str]] = [
        ({"app_id": app_id}, None, Unauthorized, NEED_KEY),
        ({"app_id": "9NOSUCHAPP000"}, None, Unauthorized, NEED_KEY),  # the same answer as for a real app
        ({"app_id": app_id}, f"Bearer {tenant.token}", Unauthorized, NOT_A_KEY),
        ({"app_id": app_id}, "Bearer sfdk_forged", Unauthorized, BAD_KEY),
        ({"app_id": app_id}, f"Basic {secret}", Unauthorized, NOT_A_KEY),
        ({"app_id": other_app}, f"Bearer {secret}", Forbidden, OTHER_APP),
        ({"app_id": "9NOSUCHAPP000"}, f"Bearer {secret}", NotFound, NO_APP),
        ({"token": "sfdu_forged"}, None, NotFound, NO_URL),
        ({"token": secret}, None, NotFound, NO_URL),
    ]
    for path, authorization, error, message in cases:
        with pytest.raises(error) as refused:
            authenticate(request(tenant, path, authorization))
        assert refused.value.args[0] == message, (path, authorization)


def test_revoked_and_expired_keys_are_refused_alike(tenant: Tenant, app_id: str) -> None:
    key_id, secret = new_key(tenant, app_id)
    assert authenticate(request(tenant, {"app_id": app_id}, f"Bearer {secret}")).key_id == key_id
    revoke(tenant, key_id)
    with pytest.raises(Unauthorized, match=BAD_KEY):
        authenticate(request(tenant, {"app_id": app_id}, f"Bearer {secret}"))
    key_id, expiring = new_key(tenant, app_id, expires_at=dates.utcnow() + timedelta(hours=1))
    assert authenticate(request(tenant, {"app_id": app_id}, f"Bearer {expiring}")).key_id == key_id
    with tenant.server.store.transaction(write=True) as tx:  # an hour later, as far as the key is concerned
        tx.conn.execute(  # type: ignore[attr-defined]
            update(delivery_keys).where(delivery_keys.c.id == key_id).values(expires_at=dates.utcnow())
        )
    tenant.server.state.devices.forget()
    with pytest.raises(Unauthorized, match=BAD_KEY):
        authenticate(request(tenant, {"app_id": app_id}, f"Bearer {expiring}"))


def test_a_device_url_names_tenant_app_and_customer_until_revoked(tenant: Tenant, app_id: str) -> None:
    key_id, _ = new_key(tenant, app_id, rate_per_minute=5)
    with tenant.server.store.transaction(write=True) as tx:
        key = tx.get_delivery_key(tenant.tenant_id, key_id)
        url, token = service.create_url(
            tx, tenant.tenant_id, app_id, " Ann@Example.com ", dates.utcnow(), key=key, by=ADMIN
        )
    assert token.startswith("sfdu_") and url.rate_per_minute == 5
    found = authenticate(request(tenant, {"token": token}, query=b"customerId=someone-else"))
    assert found == DevicePrincipal(tenant.tenant_id, app_id, None, url.id, "Ann@Example.com")
    with tenant.server.store.transaction(write=True) as tx:
        service.revoke_url(tx, tenant.tenant_id, app_id, url.id, dates.utcnow(), by=ADMIN)
    tenant.server.state.devices.forget()
    with pytest.raises(NotFound, match=NO_URL):
        authenticate(request(tenant, {"token": token}))


def test_a_public_app_answers_without_a_key(tenant: Tenant, app_id: str) -> None:
    with tenant.server.store.transaction(write=True) as tx:
        assert service.update_settings(tx, tenant.tenant_id, app_id, {"public": True}, by=ADMIN).public
    found = authenticate(request(tenant, {"app_id": app_id}, query=b"customerId=x"))
    assert found == DevicePrincipal(tenant.tenant_id, app_id, None, None, "x")


def test_each_key_has_its_rate_limit(tenant: Tenant, app_id: str) -> None:
    _, slow = new_key(tenant, app_id, rate_per_minute=2)
    _, fast = new_key(tenant, app_id, rate_per_minute=100)
    for _ in range(2):
        authenticate(request(tenant, {"app_id": app_id}, f"Bearer {slow}"))
    with pytest.raises(Throttled) as throttled:
        authenticate(request(tenant, {"app_id": app_id}, f"Bearer {slow}"))
    assert throttled.value.retry_after >= 1
    for _ in range(10):
        authenticate(request(tenant, {"app_id": app_id}, f"Bearer {fast}"))


def test_keys_and_urls_of_a_deleted_app_go_with_it(tenant: Tenant, app_id: str) -> None:
    key_id, _ = new_key(tenant, app_id)
    with tenant.server.store.transaction(write=True) as tx:
        service.create_url(tx, tenant.tenant_id, app_id, "c", dates.utcnow(), by=ADMIN)
        tx.delete_app(app_id)
        assert tx.get_delivery_key(tenant.tenant_id, key_id) is None
        assert tx.list_device_urls(tenant.tenant_id, app_id, None) == []
