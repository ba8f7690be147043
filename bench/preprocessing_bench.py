"""PreProcessing time of one submission of N small packages, on a real server and its worker (SQLite).

Run: .venv/bin/python bench/preprocessing_bench.py [--counts 1000,10000] [--no-fsync]
Each count: a fresh tenant and app, a published submission with N packages (what the version rule compares
against), then a new submission of N new packages: PUT, upload the ZIP to fileUploadUrl, commit, then the
worker runs CommitStarted and, timed alone, PreProcessing. Prints the wall-clock and CPU seconds per count
and their ratio. The local blob store syncs every package blob to disk (three fsyncs each); --no-fsync turns
that off, to tell the pipeline's own work from the disk's flush latency.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import httpx
from tests.ingest.builders import Identity, package_bytes
from tests.support import LiveServer, make_settings, new_tenant, open_store

from storeflight.domain.lifecycle import Status
from storeflight.pipeline.worker import Worker, WorkerSettings


def archive(count: int, version: str) -> bytes:
    package = package_bytes(identity=Identity(version=version), files={"App.exe": b"x" * 1000})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for index in range(count):
            zf.writestr(f"p{index}.msix", package)
    return buffer.getvalue()


def submit(tenant_http: httpx.Client, app: str, count: int, version: str) -> str:
    base = f"applications/{app}/submissions"
    sub = tenant_http.post(base).json()
    sub["applicationPackages"] = [{"fileName": f"p{i}.msix", "fileStatus": "PendingUpload"} for i in range(count)]
    put = tenant_http.put(f"{base}/{sub['id']}", json=sub).json()
    url = put["fileUploadUrl"].replace("+", "%2B")
    httpx.put(url, content=archive(count, version), headers={"x-ms-blob-type": "BlockBlob"}, timeout=300)
    tenant_http.post(f"{base}/{sub['id']}/commit")
    return str(sub["id"])


def status_of(worker: Worker, tenant_id: str, sub_id: str) -> Status:
    with worker.store.transaction(write=False) as tx:
        current = tx.get_submission(tenant_id, sub_id)
    assert current is not None
    return current.status


def time_preprocessing(worker: Worker, tenant_id: str, sub_id: str) -> tuple[float, float]:
    """Run the worker through CommitStarted, then time its PreProcessing stage alone."""
    while status_of(worker, tenant_id, sub_id) == Status.COMMIT_STARTED:
        worker.run_once()
    assert status_of(worker, tenant_id, sub_id) == Status.PRE_PROCESSING
    started, cpu = time.perf_counter(), time.process_time()
    assert worker.run_once()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert status_of(worker, tenant_id, sub_id) != Status.PRE_PROCESSING
    return seconds, cpu


def measure(server: LiveServer, worker: Worker, count: int) -> tuple[float, float]:
    tenant = new_tenant(server)
    identity = Identity()
    app = tenant.create_app(identity=identity.name, publisher=identity.publisher)
    first = submit(tenant.http, app, count, "1.0.0.0")
    while worker.run_once():
        pass
    second = submit(tenant.http, app, count, "2.0.0.0")
    seconds = time_preprocessing(worker, tenant.tenant_id, second)
    with worker.store.transaction(write=False) as tx:
        published = tx.get_submission(tenant.tenant_id, first)
        done = tx.get_submission(tenant.tenant_id, second)
    assert published is not None and published.status == Status.PUBLISHED, published
    assert done is not None and done.status == Status.CERTIFICATION, done.status_details
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="1000,10000")
    parser.add_argument("--no-fsync", action="store_true")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    with tempfile.TemporaryDirectory(prefix="preprocessing-bench-") as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        with LiveServer(store, make_settings(Path(folder))) as server:
            if args.no_fsync:
                server.state.blobs.fsync = False  # type: ignore[attr-defined]  # the local store's switch
            worker = Worker(store, server.state.blobs, WorkerSettings(lease=timedelta(minutes=30)))
            figures = {count: measure(server, worker, count) for count in counts}
        store.close()
    for count, (seconds, cpu) in figures.items():
        print(
            f"PreProcessing of {count:>6} packages: {seconds:7.2f} s wall, {cpu:7.2f} s CPU "
            f"({seconds / count * 1000:.2f} ms wall per package)"
        )
    if len(figures) > 1:
        (low, (t_low, c_low)), (high, (t_high, c_high)) = next(iter(figures.items())), list(figures.items())[-1]
        print(
            f"ratio {high}/{low} packages (x{high / low:.0f}): wall time x{t_high / t_low:.1f}, "
            f"CPU time x{c_high / c_low:.1f}"
        )


if __name__ == "__main__":
    main()
