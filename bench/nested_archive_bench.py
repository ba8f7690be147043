"""Bytes written to the temporary folder while PreProcessing a nested-archive upload, against the budget.

Run: .venv/bin/python bench/nested_archive_bench.py [--inner-mib 256] [--max-extracted-bytes N]
The upload is a submission ZIP holding an .appxupload whose package inflates to --inner-mib MiB; each of the
two levels expands 190 times, under the per-level cap of 200. A real server and its worker (SQLite) run the
submission; a thread samples the size of everything in the worker's temporary folder every 2 ms and the
peak is printed, with the submission's outcome and the budget it had.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.ingest.builders import Identity, nested_bomb
from tests.pipeline.test_end_to_end import submit
from tests.support import LiveServer, make_settings, new_tenant, open_store

from storeflight.ingest.archive import ArchiveLimits
from storeflight.pipeline.worker import Worker, WorkerSettings


def folder_bytes(root: str) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


class PeakSampler(threading.Thread):
    def __init__(self, root: str) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.done = root, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.002):
            self.peak = max(self.peak, folder_bytes(self.root))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inner-mib", type=int, default=256)
    parser.add_argument("--max-extracted-bytes", type=int, default=None, help="default: the server's default")
    args = parser.parse_args()
    upload = nested_bomb(args.inner_mib << 20)
    with tempfile.TemporaryDirectory(prefix="nested-bench-") as folder:
        scratch = Path(folder) / "tmp"
        scratch.mkdir()
        store = open_store(f"sqlite:///{folder}/bench.db")
        with LiveServer(store, make_settings(Path(folder) / "data")) as server:
            tenant = new_tenant(server)
            identity = Identity()
            app = tenant.create_app(identity=identity.name, publisher=identity.publisher)
            packages = [{"fileName": "App.appxupload", "fileStatus": "PendingUpload"}]
            sub = submit(tenant, f"applications/{app}/submissions", packages, upload)
            # Without the flag, the defaults: so the same script also measures code from before the budget.
            given = {"max_extracted_bytes": args.max_extracted_bytes} if args.max_extracted_bytes else {}
            limits = ArchiveLimits(**given)
            worker = Worker(store, server.state.blobs, WorkerSettings(limits=limits))
            tempfile.tempdir = str(scratch)  # where the worker's stages put their temporary files
            sampler = PeakSampler(str(scratch))
            sampler.start()
            started = time.perf_counter()
            while worker.run_once():
                pass
            seconds = time.perf_counter() - started
            sampler.done.set()
            sampler.join()
            status = tenant.http.get(f"applications/{app}/submissions/{sub}/status").json()
        store.close()
    budget = getattr(limits, "budget", None)
    print(f"upload: {len(upload)} bytes; package inside inflates to {args.inner_mib << 20} bytes")
    if budget is not None:
        limit = budget(len(upload)).limit
        print(f"budget of this upload: {limit} bytes (max extracted bytes {limits.max_extracted_bytes})")
    print(f"peak bytes in the temporary folder: {sampler.peak} ({seconds:.2f} s)")
    errors = status.get("statusDetails", {}).get("errors") or [{}]
    print(f"outcome: {status['status']}: {errors[0].get('details', '')[:200]}")


if __name__ == "__main__":
    main()
