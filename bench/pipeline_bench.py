"""Create -> Published wall time for a ~1 MiB package with zero stage delays, on a real server process;
and pipeline throughput with 1, 2, 4... `storeflight worker` processes.

Run: .venv/bin/python bench/pipeline_bench.py [--runs 10] [--backends sqlite,postgres]
Each run: POST create, PUT the package entry, upload the ZIP to fileUploadUrl, commit, poll status every
5 ms until Published. The server runs its embedded worker (`storeflight serve`, default settings).

Throughput: .venv/bin/python bench/pipeline_bench.py --throughput 1,2,4 [--submissions 40] [--rounds 2]
    [--slots 2] [--backends postgres]
A `storeflight serve --no-worker` takes the uploads; per measurement, --submissions submissions (each in an app
of its own) are created and uploaded first, then N `storeflight worker` processes (--slots slots each) are
started and, once all say they are up, every submission is committed in a burst. Printed: committed
submissions per second from the first commit until the last is Published (polled in the database every 20 ms),
per N in interleaved rounds, the median, and its ratio to the first N.
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
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.ingest.builders import Identity, package_bytes

from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage import tables as t
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


def start(url: str, data_dir: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
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
            *extra,
        ]
    )
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)


def tenant_app(store: SqlStore, base: str) -> tuple[str, str]:
    """A new tenant's app and a token for it: (app id, token)."""
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
    return app.id, str(token)


def one_run(store: SqlStore, base: str, data: bytes) -> tuple[float, float]:
    app_id, token = tenant_app(store, base)
    with httpx.Client(
        base_url=f"{base}/v1.0/my/applications/{app_id}/submissions", headers={"Authorization": f"Bearer {token}"}
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


def prepare(store: SqlStore, base: str, data: bytes) -> tuple[httpx.Client, str]:
    """A submission of a new app with its package uploaded, ready to commit: (its client, its URL path)."""
    app_id, token = tenant_app(store, base)
    http = httpx.Client(
        base_url=f"{base}/v1.0/my/applications/{app_id}/submissions", headers={"Authorization": f"Bearer {token}"}
    )
    sub = http.post("").json()
    sub["applicationPackages"] = [{"fileName": "App_1.2.3.0_x64.msix", "fileStatus": "PendingUpload"}]
    url = http.put(f"/{sub['id']}", json=sub).json()["fileUploadUrl"]
    httpx.put(url, content=data, headers={"x-ms-blob-type": "BlockBlob"}).raise_for_status()
    return http, str(sub["id"])


def workers(url: str, data_dir: str, count: int, slots: int) -> list[subprocess.Popen[str]]:
    """`count` `storeflight worker` processes, returned once each has said it started."""
    command = [
        sys.executable,
        "-m",
        "storeflight",
        "worker",
        "--database-url",
        url,
        "--data-dir",
        data_dir,
        "--worker-slots",
        str(slots),
        "--log-level",
        "info",
    ]
    started = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(count)
    ]
    for process in started:
        assert process.stdout is not None
        for line in process.stdout:
            if "started with" in line:
                break
        else:
            raise RuntimeError(f"a worker exited with {process.wait()}")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # drained: never blocks on a full pipe
    return started


def one_throughput(
    store: SqlStore, url: str, base: str, data_dir: str, count: int, args: argparse.Namespace, data: bytes
) -> float:
    prepared = [prepare(store, base, data) for _ in range(args.submissions)]
    ids = [sid for _, sid in prepared]
    pool = workers(url, data_dir, count, args.slots)
    try:
        began = time.perf_counter()
        for http, sid in prepared:
            http.post(f"/{sid}/commit").raise_for_status()
        query = select(t.submissions.c.status).where(t.submissions.c.id.in_(ids))
        while True:
            with store.engine.connect() as conn:
                statuses = [row[0] for row in conn.execute(query)]
            failed = [s for s in statuses if s.endswith("Failed")]
            assert not failed, failed
            if statuses.count("Published") == len(ids):
                return len(ids) / (time.perf_counter() - began)
            time.sleep(0.02)
    finally:
        for process in pool:
            process.send_signal(signal.SIGTERM)
        for process in pool:
            process.wait(30)
        for http, _ in prepared:
            http.close()


def throughput(label: str, url: str, args: argparse.Namespace, data: bytes) -> None:
    counts = [int(n) for n in args.throughput.split(",")]
    engine = make_engine(url)
    migrate(engine)
    store = SqlStore(engine)
    port = 20000 + os.getpid() % 20000
    rates: dict[int, list[float]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory() as data_dir:
        process = start(url, data_dir, port, "--no-worker", "--workers", "2")
        try:
            for number in range(args.rounds):
                for count in counts if number % 2 == 0 else counts[::-1]:
                    rate = one_throughput(store, url, f"http://127.0.0.1:{port}", data_dir, count, args, data)
                    rates[count].append(rate)
                    print(
                        f"{label} round {number + 1}: {count} worker processes x {args.slots} slots: "
                        f"{rate:.1f} submissions/s",
                        flush=True,
                    )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    store.close()
    first = statistics.median(rates[counts[0]])
    for count in counts:
        median = statistics.median(rates[count])
        print(
            f"{label}: {count} worker processes: median {median:.1f} committed submissions/s to Published "
            f"({median / first:.2f}x {counts[0]})"
        )


def on_backend(backend: str, run: Callable[[str, str], None]) -> None:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", f"sqlite:///{folder}/bench.db")
        return
    name = f"storeflight_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        run("postgres", f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}")
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--backends", default=None, help="default: sqlite,postgres; postgres with --throughput")
    parser.add_argument("--throughput", default=None, help="worker process counts, e.g. 1,2,4")
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--slots", type=int, default=2)
    args = parser.parse_args()
    data = archive()
    backends = (args.backends or ("postgres" if args.throughput else "sqlite,postgres")).split(",")
    if args.throughput:
        print(
            f"archive: {len(data) / 2**20:.2f} MiB, {args.submissions} submissions per measurement, "
            f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        for backend in backends:
            on_backend(backend, lambda label, url: throughput(label, url, args, data))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    print(f"archive: {len(data) / 2**20:.2f} MiB, {args.runs} runs per backend")
    for backend in backends:
        on_backend(backend, lambda label, url: bench(label, url, args.runs, data))


if __name__ == "__main__":
    main()
