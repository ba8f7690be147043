"""A full release through a real server logging JSON at debug level: no secret in any line, every line parses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from storeflight.storage.sql import SqlStore
from tests.cli.test_worker import FINAL, IDENTITY, Server, _wait_status
from tests.ingest.builders import package_bytes
from tests.pipeline.test_end_to_end import zip_of
from tests.support import seed_client_and_app

RESOURCE = "https://manage.devcenter.microsoft.com"


class LoggingServer(Server):
    """The subprocess server with its log lines (stderr) kept in a file."""

    def __init__(self, database_url: str, data_dir: Path, log: Path, *extra: str) -> None:
        super().__init__(database_url, data_dir, *extra)
        self.log = log

    def spawn(self) -> LoggingServer:
        with self.log.open("ab") as out:
            command = [*self.args, "--port", str(self.port)]
            self.process = subprocess.Popen(command, env=dict(os.environ), stderr=out)
        return self


def _release(server: Server, store: SqlStore) -> tuple[list[str], str]:
    """Token, create, upload through the SAS URL, commit, Published, delivery; the secrets seen and the app."""
    seeded = seed_client_and_app(store, IDENTITY.name, IDENTITY.publisher)
    client, secret, app_id = seeded, seeded.secret, seeded.app_id
    form = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret,
            "resource": RESOURCE}  # fmt: skip
    token = httpx.post(f"{server.url}/{client.tenant_id}/oauth2/token", data=form).json()["access_token"]
    wrong = httpx.post(f"{server.url}/{client.tenant_id}/oauth2/token", data={**form, "client_secret": secret[:-2]})
    assert wrong.status_code == 401
    http = httpx.Client(base_url=f"{server.url}/v1.0/my/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    sub = http.post(f"applications/{app_id}/submissions").json()
    sub["applicationPackages"] = [{"fileName": "a.msix", "fileStatus": "PendingUpload"}]
    put = http.put(f"applications/{app_id}/submissions/{sub['id']}", json=sub).json()
    upload = put["fileUploadUrl"]
    data = zip_of({"a.msix": package_bytes(identity=IDENTITY)})
    assert httpx.put(upload, content=data, headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    assert http.post(f"applications/{app_id}/submissions/{sub['id']}/commit").status_code == 200
    assert _wait_status(http, app_id, str(sub["id"]), FINAL, timeout=60) == "Published"
    device = {"customerId": "c@example.com", "deviceFamily": "Windows.Desktop", "osVersion": "10.0.22621.0"}
    answer = http.get(f"applications/{app_id}/delivery", params=device).json()
    download = answer["packages"][0]["downloadUrl"]
    signatures = [parse_qs(urlsplit(url).query)["sig"][0] for url in (upload, download)]
    return [secret, token, *signatures], app_id


def test_a_release_logs_no_secret_and_json_lines_carry_their_fields(
    database_url: str, store: SqlStore, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    server = LoggingServer(database_url, tmp_path, log, "--log-format", "json", "--log-level", "debug",
                           "--stage-delay", "0")  # fmt: skip
    server.start()
    try:
        secrets, app_id = _release(server, store)
    finally:
        server.stop()
    text = log.read_text()
    for secret in secrets:
        assert secret not in text
    assert re.search(r"sig=(?!\[redacted\])", text) is None
    assert "sig=[redacted]" in text  # uvicorn's debug access lines had the URLs' signatures: scrubbed
    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "storeflight.requests"]
    fields = {"ts", "level", "logger", "message", "correlation_id", "route", "method", "status", "duration_ms"}
    assert requests and all(fields <= line.keys() for line in requests)
    delivery = [r for r in requests if r["route"].endswith("/delivery")]
    assert delivery and delivery[0]["tenant"] and delivery[0]["status"] == 200
    assert all(app_id not in r["route"] for r in requests)
    stages = [line for line in lines if line["logger"] == "storeflight.pipeline" and "outcome" in line]
    assert stages and all(line["submission_id"] and line["stage"] for line in stages)
