"""Create -> Published wall time for a ~1 MiB package with zero stage delays, on a real server process.

Run: .venv/bin/python bench/pipeline_bench.py [--runs 10] [--backends sqlite,postgres]
Each run: POST create, PUT the package entry, upload the ZIP to fileUploadUrl, commit, poll status every
5 ms until Published. The server runs its embedded worker (`storeflight serve`, default settings).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.ingest.builders import Identity, package_bytes

from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
IDENTITY = Identity()


def archive() -> bytes:
    files = {f"Assets/file{i}.bin": os.urandom(64 * 1024) for i in range(16)}  # ~1 MiB, incompressible
    package = package_bytes(identity=IDENTITY, files=files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("App_1.2.3.0_x64.msix", package)
    return buffer.getvalue()


def start(url: str, data_dir: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "storeflight",
            "serve",
            "--database-url",
            url,
            "--data-dir",
            data_dir,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
    )
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)


def one_run(store: SqlStore, base: str, data: bytes) -> tuple[float, float]:
    with store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="bench", now=dates.utcnow())
        app = admin.create_app(
            tx,
            tenant_id=client.tenant_id,
            name="B",
            identity_name=IDENTITY.name,
            publisher=IDENTITY.publisher,
            now=dates.utcnow(),
        )
    token = httpx.post(
        f"{base}/{client.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
            "resource": "https://manage.devcenter.microsoft.com",
        },
    ).json()["access_token"]
    with httpx.Client(
        base_url=f"{base}/v1.0/my/applications/{app.id}/submissions", headers={"Authorization": f"Bearer {token}"}
    ) as http:
        started = time.perf_counter()
        sub = http.post("").json()
        sub["applicationPackages"] = [{"fileName": "App_1.2.3.0_x64.msix", "fileStatus": "PendingUpload"}]
        url = http.put(f"/{sub['id']}", json=sub).json()["fileUploadUrl"]
        httpx.put(url, content=data, headers={"x-ms-blob-type": "BlockBlob"}).raise_for_status()
        http.post(f"/{sub['id']}/commit").raise_for_status()
        committed = time.perf_counter()
        while (status := http.get(f"/{sub['id']}/status").json()["status"]) not in ("Published",) and (
            not status.endswith("Failed")
        ):
            time.sleep(0.005)
        assert status == "Published", status
        return time.perf_counter() - started, time.perf_counter() - committed


def bench(label: str, url: str, runs: int, data: bytes) -> None:
    engine = make_engine(url)
    migrate(engine)
    store = SqlStore(engine)
    port = 20000 + os.getpid() % 20000
    with tempfile.TemporaryDirectory() as data_dir:
        process = start(url, data_dir, port)
        try:
            results = [one_run(store, f"http://127.0.0.1:{port}", data) for _ in range(runs)]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    store.close()
    total = [r[0] for r in results]
    after_commit = [r[1] for r in results]
    print(
        f"{label}: create->Published median {statistics.median(total) * 1000:.0f} ms "
        f"(max {max(total) * 1000:.0f} ms); commit->Published median {statistics.median(after_commit) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    data = archive()
    print(f"archive: {len(data) / 2**20:.2f} MiB, {args.runs} runs per backend")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                bench("sqlite", f"sqlite:///{folder}/bench.db", args.runs, data)
        else:
            name = f"storeflight_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                bench("postgres", f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", args.runs, data)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
