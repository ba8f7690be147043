"""The device endpoints over real HTTP: decisions as the delivery API decides, downloads with ranges, and every
refusal (nothing about other apps, tenants or customers leaks)."""

from __future__ import annotations

import hashlib

import httpx

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.domain import dates
from tests.devices.conftest import DEVICE, device_client, enroll, new_key
from tests.support import Tenant, new_tenant


def test_the_decision_is_the_delivery_apis_with_stable_device_urls(tenant: Tenant, app: str) -> None:
    key = new_key(tenant, app)
    query = {"customerId": "ann@example.com", **DEVICE, "explain": "true"}
    expected = tenant.http.get(f"applications/{app}/delivery", params=query).json()
    with device_client(tenant, key) as client:
        by_key = client.get(f"apps/{app}/decision", params=query).json()
    urls = enroll(tenant, app, key, "ann@example.com")
    by_url = httpx.get(urls["decisionUrl"], params={k: v for k, v in query.items() if k != "customerId"}).json()
    for answer in (by_key, by_url):
        for field in ("submissionId", "source", "reason", "customerId", "explanation", "isMandatoryUpdate"):
            assert answer[field] == expected[field], field
        (package,) = answer["packages"]
        assert "downloadUrlExpiry" not in package
        download = httpx.get(package["downloadUrl"], headers={"Authorization": f"Bearer {key}"})
        assert hashlib.sha256(download.content).hexdigest() == package["sha256"] == expected["packages"][0]["sha256"]
    assert by_url["packages"][0]["downloadUrl"].startswith(urls["deviceUrl"] + "/packages/")
    other = httpx.get(urls["decisionUrl"], params={"customerId": "bob@example.com"})
    assert other.status_code == 400 and other.json()["target"] == "customerId"


def test_downloads_answer_ranges_as_rfc_9110_says(tenant: Tenant, app: str) -> None:
    urls = enroll(tenant, app, new_key(tenant, app), "r@example.com", **DEVICE)
    (package,) = httpx.get(urls["decisionUrl"]).json()["packages"]
    url = package["downloadUrl"]
    whole = httpx.get(url)
    data, size = whole.content, package["size"]
    assert whole.status_code == 200 and len(data) == size == int(whole.headers["content-length"])
    assert whole.headers["content-type"] == "application/msix" and whole.headers["accept-ranges"] == "bytes"
    etag = whole.headers["etag"]
    assert etag == f'"{package["sha256"]}"'
    for asked, start, end in (
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=-500", size - 500, size - 1),
    ):
        part = httpx.get(url, headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.content == data[start : end + 1]
    beyond = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    several = httpx.get(url, headers={"Range": "bytes=0-9,20-29"})
    assert several.status_code == 206 and several.headers["content-type"].startswith("multipart/byteranges")
    assert data[0:10] in several.content and data[20:30] in several.content
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    assert httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'}).status_code == 200
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(size) and head.content == b""
    wrong_name = url.rsplit("/", 1)[0] + "/other.msix"
    assert httpx.get(wrong_name).status_code == 404


def test_a_key_can_do_nothing_on_the_management_api(tenant: Tenant, app: str) -> None:
    key = new_key(tenant, app)
    for method, path in (
        ("GET", f"applications/{app}"),
        ("GET", f"applications/{app}/delivery?customerId=a"),
        ("GET", "applications"),
        ("POST", f"applications/{app}/submissions"),
        ("GET", f"applications/{app}/deliverykeys"),
    ):
        response = httpx.request(
            method, f"{tenant.server.url}/v1.0/my/{path}", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 401, (method, path)
        assert app not in response.text


def test_every_wrong_credential_gets_its_refusal_and_nothing_more(tenant: Tenant, app: str) -> None:
    key = new_key(tenant, app)
    other_app = tenant.create_app(identity="Contoso.Other")
    stranger = new_tenant(tenant.server)
    stranger_app = stranger.create_app()
    stranger_key = new_key(stranger, stranger_app)
    urls = enroll(tenant, app, key, "victim@example.com")
    with tenant.server.store.transaction(write=True) as tx:
        revoked_key, revoked_secret = service.create_key(
            tx, tenant.tenant_id, app, name="old", now=dates.utcnow(), by=ADMIN
        )
        service.revoke_key(tx, tenant.tenant_id, revoked_key.id, dates.utcnow(), by=ADMIN)
    params = {"customerId": "a@example.com"}
    cases = [
        (f"apps/{app}/decision", tenant.token, 401),  # a publisher token
        (f"apps/{app}/decision", None, 401),  # no key, not a public app
        (f"apps/{app}/decision", "sfdk_" + "A" * 43, 401),  # a forged key
        (f"apps/{app}/decision", revoked_secret, 401),
        (f"apps/{app}/decision", stranger_key, 404),  # another tenant's key
        (f"apps/{stranger_app}/decision", key, 404),  # another tenant's app
        (f"apps/{other_app}/decision", key, 403),  # another app's key
        ("d/sfdu_" + "B" * 43 + "/decision", None, 404),  # a forged device URL
        ("d/sfdu_" + "B" * 43 + "/app.appinstaller", None, 404),
        (f"apps/{app}/enroll", None, 401),
    ]
    for path, credential, status in cases:
        with device_client(tenant, credential) as client:
            response = client.request("POST" if path.endswith("enroll") else "GET", path, params=params)
        assert response.status_code == status, (path, response.text)
        for secret in (urls["deviceUrlId"], "victim", stranger_app if status != 404 or app in path else "-"):
            assert secret not in response.text
    forged = httpx.get(f"{tenant.server.url}/devices/v1/d/sfdu_{'C' * 43}/decision")
    with tenant.server.store.transaction(write=True) as tx:
        service.revoke_url(tx, tenant.tenant_id, app, urls["deviceUrlId"], dates.utcnow(), by=ADMIN)
    tenant.server.state.devices.forget()
    revoked = httpx.get(urls["decisionUrl"])
    assert revoked.status_code == forged.status_code == 404 and revoked.json() == forged.json()


def test_a_key_past_its_rate_gets_429_with_retry_after(tenant: Tenant, app: str) -> None:
    key = new_key(tenant, app, rate_per_minute=3)
    with device_client(tenant, key) as client:
        answers = [client.get(f"apps/{app}/decision", params={"customerId": "a"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1


def test_a_public_app_serves_devices_without_credentials(tenant: Tenant, app: str) -> None:
    url = f"{tenant.server.url}/devices/v1/apps/{app}/app.appinstaller"
    assert httpx.get(url, params={"customerId": "p@example.com"}).status_code == 401
    with tenant.server.store.transaction(write=True) as tx:
        service.update_settings(tx, tenant.tenant_id, app, {"public": True}, by=ADMIN)
    tenant.server.state.devices.forget()
    response = httpx.get(url, params={"customerId": "p@example.com"})
    assert response.status_code == 200, response.text
    assert f"apps/{app}/app.appinstaller?customerId=p%40example.com" in response.text


def test_the_management_api_creates_lists_and_revokes_keys_and_urls(tenant: Tenant, app: str) -> None:
    created = tenant.http.post(f"applications/{app}/deliverykeys", json={"name": "kiosks", "rateLimitPerMinute": 60})
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key"].startswith("sfdk_") and key["applicationId"] == app and key["rateLimitPerMinute"] == 60
    listed = tenant.http.get(f"applications/{app}/deliverykeys").json()
    assert [k["id"] for k in listed["value"]] == [key["id"]] and "key" not in listed["value"][0]
    assert key["key"] not in tenant.http.get("deliverykeys").text  # shown once, never again
    urls = enroll(tenant, app, key["key"], "kiosk-7", **DEVICE)
    assert urls["rateLimitPerMinute"] == 60
    by_publisher = tenant.http.post(f"applications/{app}/deviceurls", json={"customerId": "kiosk-8"}).json()
    assert httpx.get(by_publisher["decisionUrl"], params=DEVICE).json()["customerId"] == "kiosk-8"
    devices = tenant.http.get(f"applications/{app}/deviceurls", params={"customerId": "kiosk-7"}).json()["value"]
    assert [d["id"] for d in devices] == [urls["deviceUrlId"]] and devices[0]["enrolledWithKeyId"] == key["id"]
    revoked = tenant.http.delete(f"applications/{app}/deliverykeys/{key['id']}").json()
    assert revoked["revokedAt"] is not None
    tenant.server.state.devices.forget()
    with device_client(tenant, key["key"]) as client:
        assert client.get(f"apps/{app}/decision", params={"customerId": "x"}).status_code == 401
    assert httpx.get(urls["decisionUrl"]).status_code == 200  # a device's own URL outlives the key it enrolled with
    assert tenant.http.delete(f"applications/{app}/deviceurls/{urls['deviceUrlId']}").status_code == 200
    tenant.server.state.devices.forget()
    assert httpx.get(urls["decisionUrl"]).status_code == 404


def test_management_refuses_bad_input_and_other_tenants(tenant: Tenant, app: str) -> None:
    bad = [
        ({"rateLimitPerMinute": 0}, "rateLimitPerMinute"),
        ({"rateLimitPerMinute": "many"}, "rateLimitPerMinute"),
        ({"expiresInDays": 0}, "expiresInDays"),
        ({"expiresInDays": "soon"}, "expiresInDays"),
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
    ]
    for body, target in bad:
        response = tenant.http.post(f"applications/{app}/deliverykeys", json=body)
        assert response.status_code == 400 and response.json()["target"] == target, body
    assert tenant.http.post(f"applications/{app}/deliverykeys", json=[1]).status_code == 400
    for body, target in (
        ({"hoursBetweenUpdateChecks": 256}, "hoursBetweenUpdateChecks"),
        ({"public": "yes"}, "public"),
        ({"color": "red"}, "color"),
    ):
        response = tenant.http.patch(f"applications/{app}/devicesettings", json=body)
        assert response.status_code == 400 and target in response.json()["message"], body
    stranger = new_tenant(tenant.server)
    key = tenant.http.post(f"applications/{app}/deliverykeys", json={}).json()
    for method, path in (
        ("GET", f"applications/{app}/deliverykeys"),
        ("POST", f"applications/{app}/deliverykeys"),
        ("DELETE", f"deliverykeys/{key['id']}"),
        ("GET", f"applications/{app}/devicesettings"),
        ("PATCH", f"applications/{app}/devicesettings"),
        ("POST", f"applications/{app}/deviceurls"),
    ):
        response = stranger.http.request(method, path, json={"customerId": "c"} if method != "GET" else None)
        assert response.status_code == 404, (method, path, response.text)
    settings = tenant.http.patch(f"applications/{app}/devicesettings", json={"public": True}).json()
    assert settings == {
        "applicationId": app,
        "public": True,
        "hoursBetweenUpdateChecks": 24,
        "automaticBackgroundTask": False,
        "forceUpdateFromAnyVersion": False,
        "frameworks": [],
    }
