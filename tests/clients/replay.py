"""Shared pieces of the client replay tests (clients.md section (a)).

- `Reply`: one response, whatever HTTP library the replayed client uses (httpx, requests, http.client).
- `json_reply`, `deleted_reply`, `error_reply`: what every client reads from a response, as assertions
  (clients.md (g) MUSTs 4-6, 13-20, 23).
- Seeding: apps, groups, and `simulate_publish`, which plays the ingestion pipeline's part (there is no API
  call that publishes a submission), so replays can start from "the flight already has a published
  submission with packages", as they do in real life.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import requests
from typer.testing import CliRunner

from storeflight.cli import main as cli_main
from storeflight.domain import dates, ids
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import FileStatus, Package
from storeflight.msixbuild import PackageSpec, write_msix
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.services import admin
from storeflight.storage.protocol import Store
from tests.support import Tenant

JSON_TYPE = "application/json; charset=utf-8"
SUBMISSION_STATUSES = {
    "None", "Canceled", "PendingCommit", "CommitStarted", "CommitFailed", "PendingPublication",
    "Publishing", "Published", "PublishFailed", "PreProcessing", "PreProcessingFailed", "Certification",
    "CertificationFailed", "Release", "ReleaseFailed",
}
ROLLOUT_STATUSES = {
    "PackageRolloutNotStarted", "PackageRolloutInProgress", "PackageRolloutComplete", "PackageRolloutStopped",
}
STORE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")
SUBMISSION_KEYS = {
    "id", "status", "statusDetails", "packageDeliveryOptions", "fileUploadUrl", "targetPublishMode",
    "targetPublishDate", "notesForCertification",
}


@dataclass
class Reply:
    """A response: status, headers with lower-case names, raw body."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<{self.method} {self.url} -> {self.status} {self.body[:300]!r}>"

    @classmethod
    def of_httpx(cls, response: httpx.Response) -> Reply:
        headers = {k.lower(): v for k, v in response.headers.items()}
        return cls(response.request.method, str(response.request.url), response.status_code, headers,
                   response.content)

    @classmethod
    def of_requests(cls, response: requests.Response) -> Reply:
        headers = {k.lower(): v for k, v in response.headers.items()}
        return cls(str(response.request.method), str(response.url), response.status_code, headers,
                   response.content)


@dataclass
class Trace:
    """The requests a replayed client sent, in order, as `METHOD path?query` (host left out)."""

    calls: list[str] = field(default_factory=list)
    correlation_ids: list[str] = field(default_factory=list)

    def record(self, reply: Reply) -> None:
        path = reply.url.split("://", 1)[-1]
        self.calls.append(f"{reply.method} {path[path.index('/'):]}")
        self.correlation_ids.append(reply.headers.get("ms-correlationid", ""))

    def reset(self) -> None:
        """Forget the arrange steps: the replay starts here."""
        self.calls.clear()
        self.correlation_ids.clear()

    def fresh_correlation_ids(self) -> bool:
        """Every response carried its own MS-CorrelationId."""
        return len(set(self.correlation_ids)) == len(self.calls) and all(self.correlation_ids)


def is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def common_headers(reply: Reply) -> None:
    """Every response: an MS-CorrelationId (clients log it) and a Content-Length (StoreBroker on PS 5.1)."""
    assert is_uuid(reply.headers.get("ms-correlationid")), reply
    if reply.status != 204:
        assert reply.headers.get("content-length") == str(len(reply.body)), reply


def json_reply(reply: Reply, status: int | tuple[int, ...]) -> Any:
    """A successful JSON response with the exact status, content type and a non-empty body."""
    wanted = status if isinstance(status, tuple) else (status,)
    assert reply.status in wanted, reply
    common_headers(reply)
    assert reply.headers.get("content-type") == JSON_TYPE, reply
    assert reply.body, reply
    return reply.json()


def deleted_reply(reply: Reply) -> None:
    """DELETE success: 204 (or 200) with an empty body (msstore-cli reads an empty body as success)."""
    assert reply.status in (200, 204), reply
    common_headers(reply)
    assert reply.body == b"", reply


def error_reply(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    """A failure: a non-empty JSON `{code, data: [str], details: [str], message, source, target}`."""
    body = json_reply(reply, status)
    assert isinstance(body, dict), reply
    assert {"code", "data", "details", "message", "source", "target"} <= body.keys(), body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert body["source"] == "Ingestion Api", body
    assert isinstance(body["target"], str), body
    for key in ("data", "details"):
        assert isinstance(body[key], list) and all(isinstance(x, str) for x in body[key]), body
    if code is not None:
        assert body["code"] == code, body
    return body


def status_details(details: Any) -> None:
    """`statusDetails` always present with the three arrays (msstore-cli stops polling otherwise)."""
    assert isinstance(details, dict), details
    for key in ("errors", "warnings", "certificationReports"):
        assert isinstance(details.get(key), list), details


def submission_shape(body: Any, *, flight_id: str | None, packages_key: str = "flightPackages") -> None:
    """MUST 15-17: the fields every client reads, never null where .NET reads a non-nullable."""
    assert body.keys() >= SUBMISSION_KEYS, body
    if flight_id is not None:
        assert body["flightId"] == flight_id, body
    assert isinstance(body["id"], str) and body["id"].isdigit(), body
    assert body["status"] in SUBMISSION_STATUSES, body
    status_details(body["statusDetails"])
    assert isinstance(body[packages_key], list), body
    options = body["packageDeliveryOptions"]
    assert isinstance(options["isMandatoryUpdate"], bool), options
    assert STORE_DATE.match(options["mandatoryUpdateEffectiveDate"]), options
    rollout = options["packageRollout"]
    assert isinstance(rollout["isPackageRollout"], bool), rollout
    assert isinstance(rollout["packageRolloutPercentage"], int | float), rollout
    assert rollout["packageRolloutStatus"] in ROLLOUT_STATUSES, rollout
    assert isinstance(rollout["fallbackSubmissionId"], str), rollout
    assert body["targetPublishMode"] in ("Immediate", "Manual", "SpecificDate"), body
    assert STORE_DATE.match(body["targetPublishDate"]), body
    assert isinstance(body["notesForCertification"], str), body


def application_shape(body: Any, app_id: str) -> None:
    """The app resource (store-api 2.1): what StoreBroker, msstore-cli and the DevOps task read from it."""
    assert body["id"] == app_id, body
    for key in ("primaryName", "packageFamilyName", "packageIdentityName", "publisherName"):
        assert isinstance(body[key], str) and body[key], body
    assert STORE_DATE.match(body["firstPublishedDate"]), body
    assert isinstance(body["hasAdvancedListingPermission"], bool), body
    for key in ("pendingApplicationSubmission", "lastPublishedApplicationSubmission"):
        if key in body:  # left out when there is none, never null
            ref = body[key]
            assert ref["resourceLocation"] == f"applications/{app_id}/submissions/{ref['id']}", body


def upload_expiry(file_upload_url: str) -> datetime:
    """The `se=` value of a SAS URL, read the way msstore-cli does (query-string parse of the whole URL)."""
    assert isinstance(file_upload_url, str) and file_upload_url.startswith("http"), file_upload_url
    values = parse_qs(file_upload_url.replace("+", "%2B"))
    assert "se" in values, file_upload_url
    expiry = datetime.fromisoformat(values["se"][0].replace("Z", "+00:00"))
    assert expiry.tzinfo is not None, file_upload_url
    return expiry


def future_upload_url(file_upload_url: Any) -> str:
    """MUST 16 and 24: a non-null upload URL whose `se` lies in the future."""
    assert isinstance(file_upload_url, str), file_upload_url
    assert upload_expiry(file_upload_url) > datetime.now(UTC), file_upload_url
    return file_upload_url


def parse_store_date(value: str) -> datetime:
    parsed = dates.parse(value, field="test")
    assert parsed is not None, value
    return parsed


# ---------------------------------------------------------------------------------------------- seeding


def seed_app(store: Store, tenant_id: str, name: str | None = None) -> str:
    """An app with a published (Partner Center) non-flighted submission, as the real service needs."""
    with store.transaction(write=True) as tx:
        app = admin.create_app(
            tx, tenant_id=tenant_id, name=name or f"App {uuid.uuid4().hex[:6]}", identity_name="Contoso.App",
            publisher="CN=Contoso", now=dates.utcnow(),
        )
    return app.id


def seed_group(store: Store, tenant_id: str, name: str = "testers") -> str:
    with store.transaction(write=True) as tx:
        group = admin.create_group(tx, tenant_id=tenant_id, name=name, members=["a@example.com"],
                                   now=dates.utcnow())
    return group.id


def uploaded_package(file_name: str, version: str) -> Package:
    """A package as ingestion leaves it: id, version and the extracted metadata filled in."""
    return Package(
        file_name=file_name, file_status=FileStatus.UPLOADED, id=ids.new_decimal_id(), version=version,
        architecture="x64", languages=["en-us"], capabilities=["runFullTrust"],
        target_device_families=["Windows.Desktop min version 10.0.17763.0"],
    )


def seed_app_baseline(store: Store, tenant_id: str, app_id: str, packages: list[Package],
                      extra: dict[str, Any]) -> None:
    """Give the app's published baseline submission packages and app-submission fields (listings, ...)."""
    with store.transaction(write=True) as tx:
        baseline = tx.last_published(f"app:{app_id}")
        assert baseline is not None
        tx.save_submission(baseline.model_copy(update={"packages": packages, "extra": extra}))


def simulate_publish(store: Store, tenant_id: str, submission_id: str) -> None:
    """What ingestion does to a committed submission that passes: Published, packages processed."""
    with store.transaction(write=True) as tx:
        submission = tx.get_submission(tenant_id, submission_id)
        assert submission is not None and submission.status == Status.COMMIT_STARTED, submission
        packages = [
            uploaded_package(p.file_name, f"1.0.{n}.0") if p.file_status == FileStatus.PENDING_UPLOAD else p
            for n, p in enumerate(submission.packages, start=1)
            if p.file_status != FileStatus.PENDING_DELETE
        ]
        tx.save_submission(submission.model_copy(
            update={"status": Status.PUBLISHED, "published_at": dates.utcnow(), "packages": packages}
        ))


def publish_flight_submission(http: httpx.Client, url: str, store: Store, tenant_id: str,
                              file_names: list[str]) -> None:
    """Arrange step: give a pending flight submission packages, commit it and let "ingestion" publish it.

    `url` is the submission's URL (relative when `http` has the `/v1.0/my/` base URL).
    """
    base = url
    submission_id = url.rstrip("/").rsplit("/", 1)[-1]
    packages = [{"fileName": n, "fileStatus": "PendingUpload"} for n in file_names]
    put = http.put(base, json={"flightPackages": packages})
    assert put.status_code == 200, put.text
    commit = http.post(f"{base}/commit")
    assert commit.status_code == 200, commit.text
    simulate_publish(store, tenant_id, submission_id)


def bare_httpx(headers: Mapping[str, str]) -> httpx.Client:
    """An httpx client that sends exactly `headers` (plus Host and Content-Length), not httpx's defaults."""
    client = httpx.Client(timeout=30)
    for name in ("accept", "accept-encoding", "connection", "user-agent"):
        del client.headers[name]
    client.headers.update(headers)
    return client


# ------------------------------------------------------------------------------------ run after run


def cli_create_app(tenant: Tenant, name: str, identity: str, publisher: str, *options: str) -> str:
    """`storeflight admin create-app` on the live server's database and blob folder, as a user sets up."""
    server = tenant.server
    url = server.store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli_main.app, [
        "admin", "create-app", "--tenant-id", tenant.tenant_id, "--name", name, "--identity-name", identity,
        "--publisher", publisher, "--data-dir", str(server.settings.data_dir), "--database-url", url, *options,
    ])
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["id"])


def build_msix(folder: Path, identity: str, publisher: str, version: str, architecture: str = "x64") -> Path:
    """A valid package of the app's identity, as a release build would produce."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"build-{version}-{architecture}.msix"
    return write_msix(target, PackageSpec(identity, publisher, version=version, architecture=architecture))


def run_pipeline(tenant: Tenant) -> None:
    """Let the real ingestion pipeline take every committed submission as far as it goes."""
    worker = Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())
    for _ in range(100):
        if not worker.run_once():
            return
    raise AssertionError("the pipeline did not settle")
