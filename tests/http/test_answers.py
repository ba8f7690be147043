"""The OpenAPI document's success answers: every operation declares one, and real answers match them.

A recording client walks the whole API against a live server (token service, apps, flights, groups,
submissions through the real pipeline, rollouts, reports, delivery and the blob endpoint); every answer it
gets is checked against the schema the served document declares for that path, method and status.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema_rs
import pytest

from storeflight.audit.record import ADMIN
from storeflight.devices import service as devices
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.approvals.conftest import rolling_submission
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import IDENTITY, drain, zip_of
from tests.support import LiveServer, Tenant

SUCCESS = ("200", "201", "202", "204", "206")


def _document(server: LiveServer) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json").json()
    return document


def test_every_success_answer_has_a_schema(server: LiveServer) -> None:
    document = _document(server)
    checked = 0
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            where = f"{method.upper()} {path}"
            success = {code: answer for code, answer in spec["responses"].items() if code in SUCCESS}
            assert success, where
            for code, answer in success.items():
                checked += 1
                if code == "204" or method == "head" or (path.startswith("/storeflight/") and method == "put"):
                    assert "content" not in answer, where  # no body: the status and headers are the answer
                    continue
                for media, content in answer["content"].items():
                    schema = content["schema"]
                    assert schema.get("$ref") or schema.get("type") in ("string", "object"), (where, media)
                    assert schema not in ({}, {"type": "object"}), (where, media)
    assert checked >= 50
    assert "/storeflight/ingestion/{blob}" in document["paths"]


def test_the_blob_endpoint_declares_its_azure_parameters_and_xml_errors(server: LiveServer) -> None:
    blob = _document(server)["paths"]["/storeflight/ingestion/{blob}"]
    assert set(blob) == {"get", "head", "put"}
    put = {p["name"] for p in blob["put"]["parameters"]}
    assert {"sig", "se", "sp", "comp", "blockid", "x-ms-blob-type", "Content-MD5"} <= put
    for method, spec in blob.items():
        assert "security" not in spec  # a shared access signature in the URL, not a bearer token
        for code, answer in spec["responses"].items():
            if code.startswith(("4", "5")):
                assert "x-ms-error-code" in answer["headers"], (method, code)
                if method != "head":
                    assert list(answer["content"]) == ["application/xml"], (method, code)
    assert "Retry-After" in blob["put"]["responses"]["503"]["headers"]


@dataclass
class Recorder:
    """Every answer a client got, keyed by the document's (path, method)."""

    document: dict[str, Any]
    seen: list[tuple[str, str, httpx.Response]] = field(default_factory=list)
    _routes: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for path in self.document["paths"]:
            parts = re.split(r"(\{[^}]+\})", path)
            pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            self._routes.append((re.compile(f"^{pattern}$"), path))
        self._routes.sort(key=lambda route: -len(re.sub(r"\{[^}]+\}", "", route[1])))  # literal paths first

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        path = next(p for rx, p in self._routes if rx.match(response.request.url.path))
        self.seen.append((path, response.request.method.lower(), response))


def _validate(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    where = f"{method.upper()} {response.request.url} -> {response.status_code}"
    if method not in document["paths"][path]:  # a method the document does not list: refused, as it says
        assert response.status_code == 405, where
        return
    declared = document["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, where
    answer = declared[str(response.status_code)]
    for header, spec in answer.get("headers", {}).items():
        if spec.get("required"):
            assert header in response.headers, (where, header)
    media = response.headers.get("content-type", "").split(";")[0]
    if "content" not in answer:
        assert response.content == b"", where
        return
    assert media in answer["content"], (where, media)
    if media != "application/json":
        return
    schema = {**answer["content"][media]["schema"], "components": document["components"]}
    errors = [str(e) for e in jsonschema_rs.validator_for(schema).iter_errors(response.json())]
    assert not errors, (where, errors, response.text[:2000])


def _webhooks(client: httpx.Client, app: str) -> None:
    """A webhook's whole life: created (its secret shown once), listed, read, switched off, pinged, its
    deliveries read, deleted."""
    created = client.post("webhooks", json={"url": "https://hooks.example.invalid/x", "applicationId": app})
    assert created.status_code == 201 and created.json()["secret"], created.text
    one = f"webhooks/{created.json()['id']}"
    assert client.get("webhooks").status_code == 200 and client.get(one).status_code == 200
    assert client.patch(one, json={"enabled": False}).json()["enabled"] is False
    assert client.post(f"{one}/test").status_code == 202
    assert client.get(f"{one}/deliveries").json()["value"]  # the ping waits for the worker
    assert client.delete(one).status_code == 200


def _history(client: httpx.Client) -> None:
    """The audit history of everything above, a page of it and its export."""
    assert client.get("history", params={"top": 2}).status_code == 200
    assert client.get("history/export").status_code == 200


@pytest.fixture
def recorder(tenant: Tenant) -> Iterator[tuple[Recorder, httpx.Client]]:
    recorder = Recorder(_document(tenant.server))
    with httpx.Client(
        base_url=f"{tenant.server.url}/v1.0/my/",
        headers={"Authorization": f"Bearer {tenant.token}"},
        event_hooks={"response": [recorder]},
        timeout=30,
    ) as client:
        yield recorder, client


def test_real_answers_match_the_declared_schemas(tenant: Tenant, recorder: tuple[Recorder, httpx.Client]) -> None:
    record, client = recorder
    worker = Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())
    _token_service(tenant, client)
    _groups(client)
    app = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    _app_line(client, app, worker)
    _flight_line(tenant, client, app, worker)
    _manual_publish(client, app, worker)
    _device_reports(tenant, client, app)
    _device_credentials(client, app)
    _approvals(tenant, client, app)
    _webhooks(client, app)
    _history(client)
    for path, method, response in record.seen:
        _validate(record.document, path, method, response)
    answered = {(path, method) for path, method, r in record.seen if str(r.status_code) in SUCCESS}
    every = {(p, m) for p, methods in record.document["paths"].items() for m in methods}
    assert every - answered == set()  # every operation was seen succeeding, and its answer checked


def _token_service(tenant: Tenant, client: httpx.Client) -> None:
    root = tenant.server.url
    assert client.get(f"{root}/healthz").status_code == 200
    assert client.get(f"{root}/readyz").status_code == 200
    form = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.secret}
    v1 = {**form, "resource": "https://manage.devcenter.microsoft.com"}
    assert client.post(f"{root}/{tenant.tenant_id}/oauth2/token", data=v1).status_code == 200
    v2 = {**form, "scope": "https://manage.devcenter.microsoft.com/.default"}
    assert client.post(f"{root}/{tenant.tenant_id}/oauth2/v2.0/token", data=v2).status_code == 200
    assert (
        client.post(f"{root}/{tenant.tenant_id}/oauth2/token", data={**v1, "client_secret": "wrong"}).status_code == 401
    )
    for path in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
        assert client.get(f"{root}/{tenant.tenant_id}/{path}").status_code == 200
    endpoint = f"https://login.microsoftonline.com/{tenant.tenant_id}/oauth2/v2.0/authorize"
    assert (
        client.get(f"{root}/common/discovery/instance", params={"authorization_endpoint": endpoint}).status_code == 200
    )


def _groups(client: httpx.Client) -> None:
    created = client.post("flightgroups", json={"name": "answers", "members": ["a@example.com"]})
    assert created.status_code == 201
    group = created.json()["id"]
    assert client.get("flightgroups").status_code == 200
    assert client.get(f"flightgroups/{group}").status_code == 200
    assert client.put(f"flightgroups/{group}", json={"name": "answers 2"}).status_code == 200
    change = client.post(f"flightgroups/{group}/members", json={"add": ["b@example.com"], "remove": ["x"]})
    assert change.status_code == 200
    assert client.get(f"flightgroups/{group}/members").status_code == 200
    spare = client.post("flightgroups", json={"name": "spare"}).json()["id"]
    assert client.delete(f"flightgroups/{spare}").status_code == 204
    assert client.get("flightgroups/no-such-group").status_code == 404


def _submit(client: httpx.Client, base: str, name: str, version: str, **fields: Any) -> str:
    """Create, add one package, upload it (in blocks) and commit; returns the submission id."""
    sub = client.post(base).json()
    key = "flightPackages" if "flightId" in sub else "applicationPackages"
    sub[key] = [*sub[key], {"fileName": name, "fileStatus": "PendingUpload"}]
    put = client.put(f"{base}/{sub['id']}", json={**sub, **fields})
    assert put.status_code == 200, put.text
    _upload(client, put.json()["fileUploadUrl"], zip_of({name: package_bytes(identity=Identity(version=version))}))
    assert client.post(f"{base}/{sub['id']}/commit").status_code == 200
    assert client.get(f"{base}/{sub['id']}/status").status_code == 200
    return str(sub["id"])


def _upload(client: httpx.Client, url: str, data: bytes) -> None:
    """Put Block twice, Get Block List, Put Block List, then Get Blob, a range, properties and some errors."""
    url = url.replace("+", "%2B")
    ids = [base64.b64encode(f"block-{i}".encode()).decode() for i in range(2)]
    half = len(data) // 2
    for block, part in zip(ids, (data[:half], data[half:]), strict=True):
        assert client.put(f"{url}&comp=block&blockid={quote(block)}", content=part).status_code == 201
    assert client.get(f"{url}&comp=blocklist&blocklisttype=all").status_code == 200
    listing = "".join(f"<Latest>{block}</Latest>" for block in ids)
    body = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{listing}</BlockList>'
    assert client.put(f"{url}&comp=blocklist", content=body).status_code == 201
    assert client.get(url).content == data
    assert client.get(url, headers={"x-ms-range": "bytes=0-9"}).status_code == 206
    assert client.head(url).status_code == 200
    assert client.put(url, headers={"x-ms-blob-type": "AppendBlob"}).status_code == 400
    assert client.post(url).headers["Allow"] == "GET, HEAD, PUT"
    assert client.get(url.replace("sig=", "sig=x")).status_code == 403


def _app_line(client: httpx.Client, app: str, worker: Worker) -> None:
    assert client.get("applications").status_code == 200
    assert client.get(f"applications/{app}").status_code == 200
    base = f"applications/{app}/submissions"
    rollout = {"packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": 20}}
    sid = _submit(client, base, "a.msix", "1.2.3.0", packageDeliveryOptions=rollout)
    drain(worker)
    published = client.get(f"{base}/{sid}").json()
    assert published["status"] == "Published", published["statusDetails"]
    report = published["statusDetails"]["certificationReports"][0]["reportUrl"]
    assert client.get(report).status_code == 200
    assert client.get(report.replace(".html", ".json")).status_code == 200
    assert client.get(f"{base}/{sid}/packagerollout").status_code == 200
    assert client.post(f"{base}/{sid}/updatepackagerolloutpercentage", params={"percentage": 40}).status_code == 200
    assert client.post(f"{base}/{sid}/haltpackagerollout").status_code == 200
    assert client.get(base).status_code == 200
    params = {"customerId": "a@example.com", "deviceFamily": "Windows.Desktop", "osVersion": "10.0.22621.0"}
    assert client.get(f"applications/{app}/delivery", params={**params, "explain": "true"}).status_code == 200
    assert client.get(f"applications/{app}/delivery", params=params).status_code == 200


def _flight_line(tenant: Tenant, client: httpx.Client, app: str, worker: Worker) -> None:
    group = tenant.create_group(["a@example.com"])
    created = client.post(f"applications/{app}/flights", json={"friendlyName": "beta", "groupIds": [group]})
    assert created.status_code == 201
    flight = created.json()["flightId"]
    assert client.get(f"applications/{app}/listflights").status_code == 200
    assert client.get(f"applications/{app}/flights/{flight}").status_code == 200
    assert client.put(f"applications/{app}/flights/{flight}", json={"friendlyName": "beta 2"}).status_code == 200
    base = f"applications/{app}/flights/{flight}/submissions"
    pending = created.json()["pendingFlightSubmission"]["id"]
    assert client.get(f"{base}/{pending}").status_code == 200
    assert client.delete(f"{base}/{pending}").status_code == 204
    rollout = {"packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": 50}}
    sid = _submit(client, base, "f.msix", "2.0.0.0", packageDeliveryOptions=rollout)
    drain(worker)
    assert client.get(base).status_code == 200
    for step in ("packagerollout", "updatepackagerolloutpercentage?percentage=60", "finalizepackagerollout"):
        answer = client.get(f"{base}/{sid}/{step}") if step == "packagerollout" else client.post(f"{base}/{sid}/{step}")
        assert answer.status_code == 200, answer.text
    second = f"{base}/{sid}/haltpackagerollout"
    assert client.post(second).status_code == 409  # finalized: a Store error body, checked as well
    manual = _submit(client, base, "g.msix", "2.1.0.0", targetPublishMode="Manual", packageDeliveryOptions=rollout)
    drain(worker)
    assert client.post(f"{base}/{manual}/publish").status_code == 200
    drain(worker)
    assert client.post(f"{base}/{manual}/haltpackagerollout").status_code == 200
    spare = client.post(f"applications/{app}/flights", json={"friendlyName": "spare", "groupIds": [group]})
    assert client.delete(f"applications/{app}/flights/{spare.json()['flightId']}").status_code == 204


def _manual_publish(client: httpx.Client, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    rollout = {"packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": 10}}
    sid = _submit(client, base, "b.msix", "1.3.0.0", targetPublishMode="Manual", packageDeliveryOptions=rollout)
    drain(worker)
    assert client.get(f"{base}/{sid}/status").json()["status"] == "Release"
    assert client.post(f"{base}/{sid}/publish").status_code == 200
    drain(worker)
    assert client.post(f"{base}/{sid}/finalizepackagerollout").status_code == 200
    pending = client.post(base).json()["id"]
    assert client.delete(f"{base}/{pending}").status_code == 204


def _device_reports(tenant: Tenant, client: httpx.Client, app: str) -> None:
    with tenant.server.store.transaction(write=True) as tx:
        _, key = devices.create_key(
            tx, tenant.tenant_id, app, name="fleet", now=dates.utcnow(), rate_per_minute=600, by=ADMIN
        )
        _, token = devices.create_url(tx, tenant.tenant_id, app, "a@example.com", dates.utcnow(), by=ADMIN)
    root = tenant.server.url
    events = {"events": [{"id": "e1", "type": "launched", "version": "1.3.0.0"}, {"id": "e2", "type": "nonsense"}]}
    by_key = client.post(
        f"{root}/devices/v1/apps/{app}/reports",
        params={"customerId": "b@example.com"},
        json=events,
        headers={"Authorization": f"Bearer {key}"},
    )
    assert by_key.status_code == 200 and by_key.json()["refused"], by_key.text
    assert (
        client.post(f"{root}/devices/v1/d/{token}/reports", json=events, headers={"Authorization": ""}).status_code
        == 200
    )
    assert client.get(f"applications/{app}/rollouthealth").status_code == 200
    flight = client.get(f"applications/{app}/listflights").json()["value"][0]["flightId"]
    assert client.get(f"applications/{app}/flights/{flight}/rollouthealth", params={"hours": 24}).status_code == 200


def _device_credentials(client: httpx.Client, app: str) -> None:
    for base in (f"applications/{app}/deliverykeys", "deliverykeys"):
        key = client.post(base, json={"name": "kiosks", "expiresInDays": 30})
        assert key.status_code == 201, key.text
        assert client.get(base).json()["totalCount"] >= 1
        assert client.delete(f"{base}/{key.json()['id']}").json()["revokedAt"] != dates.render(None)
    url = client.post(f"applications/{app}/deviceurls", json={"customerId": "kiosk-1"})
    assert url.status_code == 201, url.text
    assert client.get(f"applications/{app}/deviceurls", params={"customerId": "kiosk-1"}).json()["totalCount"] == 1
    assert client.delete(f"applications/{app}/deviceurls/{url.json()['id']}").status_code == 200
    assert client.get(f"applications/{app}/devicesettings").json()["public"] is False
    assert client.patch(f"applications/{app}/devicesettings", json={"public": True}).json()["public"] is True


def _approvals(tenant: Tenant, client: httpx.Client, app: str) -> None:
    rules = f"applications/{app}/approvalrules"
    body = {"action": "rollout", "abovePercentage": 50, "allowSelfApproval": True}
    rule = client.post(rules, json=body).json()["id"]
    assert client.get(rules).status_code == 200 and client.get(f"{rules}/{rule}").status_code == 200
    assert client.put(f"{rules}/{rule}", json=body).status_code == 200
    finalize = client.post(rules, json={"action": "finalize"}).json()["id"]
    _, base = rolling_submission(tenant, app)
    refused = client.post(f"{base}/updatepackagerolloutpercentage", params={"percentage": 80})
    change = next(d.split("=")[1] for d in refused.json()["details"] if d.startswith("pendingChange="))
    assert client.get("pendingchanges").status_code == 200 and client.get(f"pendingchanges/{change}").status_code == 200
    assert client.patch(f"pendingchanges/{change}", json={"percentage": 70}).json()["status"] == "pending"
    assert client.post(f"pendingchanges/{change}/approve").json()["status"] == "applied"
    waiting = client.post(f"{base}/finalizepackagerollout").json()["details"][-1].split("=")[1]
    assert client.post(f"pendingchanges/{waiting}/reject", json={"reason": "later"}).json()["status"] == "rejected"
    assert (
        client.delete(f"{rules}/{rule}").status_code == 200 and client.delete(f"{rules}/{finalize}").status_code == 200
    )
