"""Time from `storeflight serve` starting to its first healthy answer, and the SIGTERM shutdown time.

Run: .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_run(fresh: bool, data_dir: str) -> tuple[float, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "storeflight", "serve", "--port", str(port), "--data-dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.005)
    ready = time.perf_counter() - started
    stopping = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return ready, time.perf_counter() - stopping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for label, fresh in (("fresh data dir (creates and migrates the database)", True), ("existing data dir", False)):
        persistent = tempfile.mkdtemp()
        runs = [one_run(fresh, tempfile.mkdtemp() if fresh else persistent) for _ in range(args.runs)]
        starts = [r[0] for r in runs]
        stops = [r[1] for r in runs]
        print(
            f"{label}: start-to-healthy median {statistics.median(starts):.2f}s max {max(starts):.2f}s; "
            f"SIGTERM-to-exit median {statistics.median(stops):.2f}s"
        )


if __name__ == "__main__":
    main()
