"""mitmproxy's `release/deploy-microsoft-store.py` (Python, http.client only), replayed run after run.

The script (mitmproxy/mitmproxy at 8fc25b3) gets a v1 token with `resource=https://manage.devcenter.microsoft.com`,
GETs the app (or, with MSFT_APP_FLIGHT, `applications/{app}/flights/{flight}`), DELETEs the pending submission
if the key `pendingApplicationSubmission` / `pendingFlightSubmission` is present, POSTs a new submission, marks
every package of the copy `PendingDelete`, appends `installer.msix` as `PendingUpload` (always that name),
PUTs the whole object back, zips the build as `installer.msix`, PUTs the ZIP to the create response's
`fileUploadUrl` with `x-ms-blob-type: BlockBlob` and `x-ms-version: 2019-12-12` (no Content-Type), and
commits. It never polls. Every API call carries `Authorization`, `Content-type: application/json` and
`User-Agent: Python/mitmproxy`, with the body `""` where it sends nothing.

What differs from the script: it talks HTTPS to two hard-coded hosts; here the same calls go over plain HTTP
to the loopback server (the only change), and `fileUploadUrl` loses its `http://` prefix where the script
strips `https://`. From the second run on, the copy holds the previous `installer.msix`, so the PUT lists that
name twice: once leaving, once arriving.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zipfile import ZipFile

import pytest

from tests.clients.replay import build_msix, cli_create_app, run_pipeline
from tests.support import Tenant

IDENTITY, PUBLISHER = "mitmproxy.mitmproxy", "CN=Mitmproxy Test"
STORE_RESOURCE = "https://manage.devcenter.microsoft.com"


@dataclass
class DeployScript:
    """The script's requests, in its order, with its headers and bodies."""

    tenant: Tenant
    app_id: str
    app_flight: str = ""
    calls: list[str] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        split = urllib.parse.urlsplit(self.tenant.server.url)
        self.host = split.netloc

    def token(self) -> str:
        auth = http.client.HTTPConnection(self.host, timeout=30)
        form = {"grant_type": "client_credentials", "client_id": self.tenant.client_id,
                "client_secret": self.tenant.secret, "resource": STORE_RESOURCE}
        auth.request("POST", f"/{self.tenant.tenant_id}/oauth2/token", body=urllib.parse.urlencode(form),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        token = str(json.loads(auth.getresponse().read())["access_token"])
        auth.close()
        return token

    def request(self, conn: http.client.HTTPConnection, method: str, path: str, body: str = "") -> bytes:
        conn.request(method, path, body, headers=self.headers)
        resp = conn.getresponse()
        data = resp.read()
        self.calls.append(f"{method} {path} -> {resp.status}")
        self.bodies.append(json.loads(data) if data else None)
        assert 200 <= resp.status < 300, data
        return data

    def run(self, msi_file: Path) -> str:
        """One release: everything up to the commit; returns the submission id."""
        app_id, pending_key, packages = self.app_id, "pendingApplicationSubmission", "applicationPackages"
        if self.app_flight:
            app_id = f"{app_id}/flights/{self.app_flight}"
            pending_key, packages = "pendingFlightSubmission", "flightPackages"
        self.headers = {"Authorization": f"Bearer {self.token()}", "Content-type": "application/json",
                        "User-Agent": "Python/mitmproxy"}
        conn = http.client.HTTPConnection(self.host, timeout=30)
        app_info = json.loads(self.request(conn, "GET", f"/v1.0/my/applications/{app_id}"))
        if pending_key in app_info:
            self.request(conn, "DELETE", f"/v1.0/my/applications/{app_id}/submissions/{app_info[pending_key]['id']}")
        submission = json.loads(self.request(conn, "POST", f"/v1.0/my/applications/{app_id}/submissions"))
        for package in submission[packages]:
            package["fileStatus"] = "PendingDelete"
        submission[packages].append({"fileName": "installer.msix", "fileStatus": "PendingUpload",
                                     "minimumDirectXVersion": "None", "minimumSystemRam": "None"})
        self.request(conn, "PUT", f"/v1.0/my/applications/{app_id}/submissions/{submission['id']}",
                     json.dumps(submission))
        conn.close()
        self.upload(submission["fileUploadUrl"], msi_file)
        conn = http.client.HTTPConnection(self.host, timeout=30)
        self.request(conn, "POST", f"/v1.0/my/applications/{app_id}/submissions/{submission['id']}/commit")
        conn.close()
        return str(submission["id"])

    def upload(self, file_upload_url: str, msi_file: Path) -> None:
        with tempfile.TemporaryFile() as zipfile:
            with ZipFile(zipfile, "w") as f:
                f.write(msi_file, "installer.msix")
            zip_size = zipfile.tell()
            zipfile.seek(0)
            host, _, path = file_upload_url.removeprefix("http://").partition("/")
            upload = http.client.HTTPConnection(host, timeout=60)
            upload.request("PUT", "/" + path, zipfile, {"x-ms-blob-type": "BlockBlob", "x-ms-version": "2019-12-12",
                                                        "Content-Length": str(zip_size)})
        resp = upload.getresponse()
        resp.read()
        upload.close()
        assert 200 <= resp.status < 300, resp.status


def _submission(tenant: Tenant, script: DeployScript, submission_id: str) -> Any:
    base = f"applications/{script.app_id}"
    if script.app_flight:
        base += f"/flights/{script.app_flight}"
    return tenant.http.get(f"{base}/submissions/{submission_id}").json()


@pytest.fixture(params=["app", "flight"])
def script(request: pytest.FixtureRequest, tenant: Tenant) -> DeployScript:
    app_id = cli_create_app(tenant, "mitmproxy", IDENTITY, PUBLISHER)
    flight = tenant.create_flight(app_id, "citest")["flightId"] if request.param == "flight" else ""
    return DeployScript(tenant, app_id, flight)


def test_deploy_script_publishes_installer_msix_run_after_run(
    script: DeployScript, tenant: Tenant, tmp_path: Path
) -> None:
    key = "flightPackages" if script.app_flight else "applicationPackages"
    for run, version in enumerate(["10.1.0.0", "10.2.0.0", "10.3.0.0"], start=1):
        script.calls.clear()
        script.bodies.clear()
        sid = script.run(build_msix(tmp_path, IDENTITY, PUBLISHER, version))
        run_pipeline(tenant)
        body = _submission(tenant, script, sid)
        assert body["status"] == "Published", (run, body["statusDetails"])
        assert [(p["fileName"], p["version"], p["fileStatus"]) for p in body[key]] == [
            ("installer.msix", version, "Uploaded"),
        ]
        put = script.bodies[-2]
        if run > 1:
            assert [(p["fileName"], p["fileStatus"]) for p in put[key]] == [
                ("installer.msix", "PendingDelete"), ("installer.msix", "PendingUpload"),
            ]
        elif script.app_flight:  # a new flight's first submission is empty
            assert [(p["fileName"], p["fileStatus"]) for p in put[key]] == [("installer.msix", "PendingUpload")]
        else:  # the app's baseline package, made by `admin create-app`, leaves
            assert [p["fileStatus"] for p in put[key]] == ["PendingDelete", "PendingUpload"]
        # A new flight comes with a pending submission, which the first run deletes.
        expected = ["GET", "DELETE", "POST", "PUT", "POST"] if run == 1 and script.app_flight else \
            ["GET", "POST", "PUT", "POST"]
        assert [call.split(" ", 1)[0] for call in script.calls] == expected


def test_a_rerun_of_the_same_version_fails_in_the_pipeline_and_the_next_release_goes_through(
    script: DeployScript, tenant: Tenant, tmp_path: Path
) -> None:
    script.run(build_msix(tmp_path, IDENTITY, PUBLISHER, "10.1.0.0"))
    run_pipeline(tenant)
    again = script.run(build_msix(tmp_path / "again", IDENTITY, PUBLISHER, "10.1.0.0"))
    run_pipeline(tenant)
    failed = _submission(tenant, script, again)
    assert failed["status"] == "PreProcessingFailed"
    assert "must be higher than 10.1.0.0" in failed["statusDetails"]["errors"][0]["details"]
    script.calls.clear()
    fixed = script.run(build_msix(tmp_path, IDENTITY, PUBLISHER, "10.1.0.1"))  # deletes the failed one first
    assert script.calls[1].startswith(f"DELETE /v1.0/my/applications/{script.app_id}")
    assert script.calls[1].endswith(f"/submissions/{again} -> 204")
    run_pipeline(tenant)
    assert _submission(tenant, script, fixed)["status"] == "Published"
