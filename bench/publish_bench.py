"""`storeflight publish` of a 100 MiB package end to end, and the raw Azure SDK upload of the same ZIP.

It starts `storeflight serve` (SQLite, local blob store, zero stage delays) as a subprocess on a free port,
creates an API client and an app with the admin CLI, logs in (`storeflight login`, a temporary config dir),
and builds one valid package per run (storeflight.msixbuild: ~100 MiB of random data, stored, a higher
version each run). Each run, on the same server:

1. raw: a fresh submission (through storeflight.client), the same ZIP `publish` uploads
   (`build_package_zip` of that run's package) sent with `BlobClient.from_blob_url(url).upload_blob(...)`
   and the SDK's defaults, then the submission is deleted again;
2. publish: `storeflight publish APP --replace PKG --json` as a process, timed from outside (wall time,
   process start included); its JSON gives the seconds of each step (create, update, zip, upload, commit,
   wait).

Before each timed upload: `sync`, then `--settle` seconds idle. It prints each run and the medians.

    .venv/bin/python bench/publish_bench.py --size-mib 100 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobClient

from storeflight.client import ClientConfig, StoreClient, build_package_zip
from storeflight.msixbuild import PackageSpec, random_chunks, write_msix

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
IDENTITY = ("Bench.Publish", "CN=Bench Publish")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(data_dir: Path, port: int) -> Iterator[str]:
    command = [sys.executable, "-m", "storeflight", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen([*command, "--log-level", "warning", "--stage-delay", "0"], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "storeflight", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"storeflight {' '.join(args[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return dict(json.loads(done.stdout)) if done.stdout.strip().startswith("{") else {}


def set_up(work: Path, url: str, env: dict[str, str]) -> tuple[str, ClientConfig]:
    data = ["--data-dir", str(work / "data")]
    client = cli(env, "admin", "create-client", *data)
    tenant = client["tenantId"]
    app = cli(
        env,
        "admin",
        "create-app",
        *data,
        "--tenant-id",
        tenant,
        "--name",
        "Bench",
        "--identity-name",
        IDENTITY[0],
        "--publisher",
        IDENTITY[1],
    )
    env["BENCH_SECRET"] = client["clientSecret"]
    cli(
        env,
        "login",
        "--base-url",
        url,
        "--authority",
        url,
        "--tenant-id",
        tenant,
        "--client-id",
        client["clientId"],
        "--secret-env",
        "BENCH_SECRET",
        "--json",
    )
    config = ClientConfig(
        tenant_id=tenant,
        client_id=client["clientId"],
        client_secret=client["clientSecret"],
        base_url=url,
        authority=url,
    )
    return str(app["id"]), config


def build(work: Path, size_mib: int, run: int) -> Path:
    version = f"1.0.{run + 1}.0"
    spec = PackageSpec(IDENTITY[0], IDENTITY[1], version)
    return write_msix(work / f"Bench_{version}_x64.msix", spec, {"payload.bin": random_chunks(size_mib * MIB, run)})


def settle(seconds: float) -> None:
    os.sync()
    time.sleep(seconds)


def raw_upload(config: ClientConfig, app_id: str, package: Path, work: Path, idle: float) -> float:
    """Seconds for the SDK alone to upload the ZIP `publish` would send, to a fresh fileUploadUrl."""
    archive = build_package_zip([package], work / "raw.zip")
    with StoreClient(config) as client:
        sub = client.create_submission(app_id)
        assert sub.file_upload_url
        settle(idle)
        with archive.open("rb") as fh:
            started = time.perf_counter()
            BlobClient.from_blob_url(sub.file_upload_url).upload_blob(fh, overwrite=True)
            elapsed = time.perf_counter() - started
        client.delete_submission(app_id, sub.id)
    archive.unlink()
    return elapsed


def publish(env: dict[str, str], app_id: str, package: Path, idle: float) -> tuple[float, dict[str, float]]:
    settle(idle)
    started = time.perf_counter()
    report = cli(env, "publish", app_id, "--replace", str(package), "--poll-interval", "0.05", "--json")
    wall = time.perf_counter() - started
    assert report["status"] == "Published", report
    return wall, dict(report["timings"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=2.0, help="idle seconds before each timed upload")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="publish-bench-") as raw:
        work = Path(raw)
        env = {**os.environ, "STOREFLIGHT_CONFIG_DIR": str(work / "config")}
        with serving(work / "data", free_port()) as url:
            app_id, config = set_up(work, url, env)
            rows = []
            for run in range(options.runs):
                package = build(work, options.size_mib, run)
                sdk = raw_upload(config, app_id, package, work, options.settle)
                wall, timings = publish(env, app_id, package, options.settle)
                rows.append((package.stat().st_size, sdk, wall, timings))
                package.unlink()
    report(rows, options)


def report(rows: list[tuple[int, float, float, dict[str, float]]], options: argparse.Namespace) -> None:
    mib = rows[0][0] / MIB
    print(f"# storeflight publish of a {mib:.1f} MiB package, zero stage delays, {options.runs} runs")
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# before each timed upload: sync, then {options.settle:.0f} s idle")
    for n, (_size, sdk, wall, t) in enumerate(rows, 1):
        steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in t.items())
        print(f"run {n}: publish wall {wall:.2f} s ({steps}); raw SDK upload {sdk:.2f} s")
    wall = statistics.median(r[2] for r in rows)
    ours = statistics.median(r[3]["upload"] for r in rows)
    sdk = statistics.median(r[1] for r in rows)
    print(
        f"median publish wall time: {wall:.2f} s; upload {ours:.2f} s = {ours / wall:.0%} of it "
        f"(zip {statistics.median(r[3]['zip'] for r in rows):.2f} s)"
    )
    print(
        f"median upload: publish {ours:.2f} s ({mib / ours:.0f} MiB/s), raw SDK {sdk:.2f} s ({mib / sdk:.0f} MiB/s);"
        f" ratio {ours / sdk:.2f}"
    )


if __name__ == "__main__":
    main()
