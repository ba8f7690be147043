"""Upload benchmark: one archive through `azure-storage-blob` to our endpoint and to Azurite, in the same run.

It starts `storeflight serve` (SQLite, local blob store) and Azurite (`tests/js`, `npm ci --prefix tests/js`) as
subprocesses on free ports, builds a ZIP archive of the given size (stored entries of random data), gets a
real `fileUploadUrl` (admin CLI, token, flight, submission), and uploads the archive with the SDK's defaults
(Put Block of 4 MiB and Put Block List above 64 MiB) several times to each, alternating. It reports the median
throughput of each, their ratio, and the server's peak memory growth during the uploads, sampled from
/proc/<pid>/status (VmRSS every 5 ms, and VmHWM).

    .venv/bin/python bench/upload_bench.py --size-mib 256 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from azure.storage.blob import BlobClient

from storeflight.blobs.azure import AzureBlobStore

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / "tests" / "js" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"process {process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


@contextlib.contextmanager
def running(command: list[str], port: int, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


# --- memory ------------------------------------------------------------------------------------------------


def status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


_SAMPLER = """
import select, sys
def rss():
    for line in open(f"/proc/{sys.argv[1]}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
start = peak = rss()
while not select.select([sys.stdin], [], [], 0.005)[0]:
    peak = max(peak, rss())
print(start, max(peak, rss()))
"""


class MemorySampler:
    """Samples a process's VmRSS every 5 ms from a separate process (so the sampling takes no time from the
    uploading client); `peak_growth_mib` is the highest RSS seen above the one at the start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_growth_mib = 0.0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> MemorySampler:
        command = [sys.executable, "-c", _SAMPLER, str(self.pid)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        time.sleep(0.2)  # let it take the starting value
        return self

    def __exit__(self, *_: object) -> None:
        assert self._process is not None
        output, _ = self._process.communicate("", timeout=10)
        start, peak = (int(value) for value in output.split())
        self.peak_growth_mib = (peak - start) / 1024


# --- set-up ------------------------------------------------------------------------------------------------


def build_archive(path: Path, size_mib: int) -> None:
    """A ZIP of stored entries of random data, about `size_mib` MiB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for index in range(max(1, size_mib // 64)):
            with archive.open(f"App_1.0.{index}.0_x64.msix", "w", force_zip64=True) as entry:
                for _ in range(min(64, size_mib)):
                    entry.write(os.urandom(MIB))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(8 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def admin(data_dir: Path, *args: str) -> dict[str, str]:
    command = [sys.executable, "-m", "storeflight", "admin", *args, "--data-dir", str(data_dir)]
    return dict(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))


def file_upload_url(base: str, data_dir: Path) -> str:
    """A real submission's fileUploadUrl: client, app and group by the admin CLI, then token, flight, GET."""
    client = admin(data_dir, "create-client")
    tenant = client["tenantId"]
    app = admin(
        data_dir,
        "create-app",
        "--tenant-id",
        tenant,
        "--name",
        "Bench",
        "--identity-name",
        "Bench.App",
        "--publisher",
        "CN=Bench",
    )
    group = admin(data_dir, "create-group", "--tenant-id", tenant, "--name", "bench")
    form = {
        "grant_type": "client_credentials",
        "client_id": client["clientId"],
        "client_secret": client["clientSecret"],
    }
    form["resource"] = "https://manage.devcenter.microsoft.com"
    token = httpx.post(f"{base}/{tenant}/oauth2/token", data=form).json()["access_token"]
    api = httpx.Client(
        base_url=f"{base}/v1.0/my/applications/{app['id']}/", headers={"Authorization": f"Bearer {token}"}
    )
    flight = api.post("flights", json={"friendlyName": "bench", "groupIds": [group["id"]]}).json()
    submission = api.get(f"flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}")
    return str(submission.json()["fileUploadUrl"])


def upload(url: str, archive: Path, pid: int, settle: float) -> tuple[float, float]:
    """Seconds for one upload with the SDK's defaults, and the target process's peak RSS growth (MiB).

    Before it, dirty pages are flushed and the machine is left alone for `settle` seconds, so that neither
    target pays for the other's (or its own earlier) write-back or garbage collection.
    """
    os.sync()
    time.sleep(settle)
    client = BlobClient.from_blob_url(url)
    with archive.open("rb") as file, MemorySampler(pid) as memory:
        started = time.perf_counter()
        client.upload_blob(file, overwrite=True)
        elapsed = time.perf_counter() - started
    return elapsed, memory.peak_growth_mib


# --- main --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before each upload")
    parser.add_argument("--azurite-in-memory", action="store_true", help="Azurite without disk (default: on disk)")
    options = parser.parse_args()
    if not AZURITE.exists():
        raise SystemExit(f"{AZURITE} is missing: npm ci --prefix tests/js")
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as raw:
        run(Path(raw), options)


def run(work: Path, options: argparse.Namespace) -> None:
    archive = work / "archive.zip"
    build_archive(archive, options.size_mib)
    size = archive.stat().st_size
    ours_port, azurite_port = free_port(), free_port()
    serve = [sys.executable, "-m", "storeflight", "serve", "--port", str(ours_port), "--data-dir", str(work / "data")]
    serve += ["--log-level", "warning"]
    storage = ["--inMemoryPersistence"] if options.azurite_in_memory else ["--location", str(work / "azurite")]
    azurite = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(azurite_port), *storage]
    azurite += ["--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    with running(serve, ours_port, ROOT) as server, running(azurite, azurite_port, work) as emulator:
        ours_url = file_upload_url(f"http://127.0.0.1:{ours_port}", work / "data")
        connection = (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{azurite_port}/devstoreaccount1;"
        )
        expires = datetime.now(UTC) + timedelta(hours=1)
        azurite_url = AzureBlobStore(connection, "ingestion").upload_url("bench", public_url="", expires_at=expires)
        results: dict[str, list[tuple[float, float]]] = {"storeflight": [], "azurite": []}
        for _ in range(options.runs):
            results["storeflight"].append(upload(ours_url, archive, server.pid, options.settle))
            results["azurite"].append(upload(azurite_url, archive, emulator.pid, options.settle))
        stored = work / "data" / "blobs" / urlsplit(ours_url).path.rsplit("/", 1)[1]
        intact = sha256(stored) == sha256(archive)
        hwm_growth = (status_kib(server.pid, "VmHWM") - status_kib(server.pid, "VmRSS")) / 1024
    report(results, size, options, intact, hwm_growth)


def report(
    results: dict[str, list[tuple[float, float]]], size: int, options: argparse.Namespace, intact: bool, hwm: float
) -> None:
    mib = size / MIB
    print(f"# upload of a {mib:.1f} MiB ZIP, azure-storage-blob defaults, {options.runs} runs each, alternating")
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# before each upload: sync, then {options.settle:.0f} s idle")
    print(f"# Azurite {'in memory' if options.azurite_in_memory else 'on disk (--location)'}")
    medians = {}
    for target, runs in results.items():
        times = [elapsed for elapsed, _ in runs]
        medians[target] = mib / statistics.median(times)
        growth = max(peak for _, peak in runs)
        per_run = ", ".join(f"{mib / t:.0f}" for t in times)
        print(f"{target:12} median {medians[target]:7.1f} MiB/s  (runs: {per_run})  peak RSS growth {growth:6.1f} MiB")
    print(f"ratio storeflight/azurite: {medians['storeflight'] / medians['azurite']:.2f}")
    print(f"server VmHWM above its final VmRSS: {hwm:.1f} MiB; stored blob equals the archive: {intact}")


if __name__ == "__main__":
    main()
