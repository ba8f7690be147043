"""Hostile body benchmark: the server's peak memory while clients offer 1 GiB bodies it must refuse.

It starts `storeflight serve` (SQLite, local blob store, `--max-upload-bytes` 64 MiB) as a subprocess, then
offers a body of `--size-mib` to the token endpoint (no authentication needed), to a JSON API endpoint (with
a valid token) and to the blob endpoint (with a valid upload URL), each once with `Content-Length` and once
chunked without it. The answer is read while sending, as the server gives it. For each it prints the status,
the bytes the client got into the connection before the server closed it, the seconds taken, and the server's
peak memory growth above idle (VmRSS sampled every 5 ms from /proc/<pid>/status).

    .venv/bin/python bench/hostile_body_bench.py --size-mib 1024
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx

from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.http.app import build_state
from storeflight.services import admin
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.sql import SqlStore

MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """The peak VmRSS of `pid` while it runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def start(data: Path, port: int) -> subprocess.Popen[bytes]:
    args = ["--port", str(port), "--data-dir", str(data), "--no-worker", "--log-level", "warning"]
    process = subprocess.Popen(
        [sys.executable, "-m", "storeflight", "serve", *args, "--max-upload-bytes", str(64 * MIB)]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        time.sleep(0.05)
    process.kill()
    raise SystemExit("storeflight serve did not start")


def credentials(data: Path, port: int) -> tuple[str, str]:
    """A valid bearer token and the path of a valid upload URL."""
    store = SqlStore(make_engine(sqlite_url(data)))
    try:
        with store.transaction(write=True) as tx:
            client, secret = admin.create_client(tx, tenant_id=None, name="bench", now=dates.utcnow())
        state = build_state(store, Settings(data_dir=data))
        url = f"http://127.0.0.1:{port}"
        upload = state.blobs.upload_url("hostile", public_url=url, expires_at=dates.utcnow() + timedelta(hours=1))
    finally:
        store.close()
    form = {
        "grant_type": "client_credentials",
        "client_id": client.client_id,
        "client_secret": secret,
        "resource": "https://manage.devcenter.microsoft.com",
    }
    token = httpx.post(f"{url}/{client.tenant_id}/oauth2/token", data=form).json()["access_token"]
    return token, upload.removeprefix(url)


def body(size: int, *, chunked: bool) -> Iterator[bytes]:
    piece = os.urandom(MIB)
    for _ in range(size // MIB):
        yield b"%x\r\n%s\r\n" % (MIB, piece) if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def offer(port: int, head: str, size: int, *, chunked: bool) -> tuple[str, int, float]:
    """Send the head and the body while reading the answer; returns its status line, bytes sent, seconds."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    received = bytearray()
    sent = 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:

        def read() -> None:
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    received.extend(chunk)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        with contextlib.suppress(OSError):
            sock.sendall(f"{head}{framing}\r\nConnection: close\r\n\r\n".encode())
            for part in body(size, chunked=chunked):
                sock.sendall(part)
                sent += len(part)
        reader.join(120)
    status = bytes(received).split(b"\r\n", 1)[0].decode("latin-1") or "(closed)"
    return status, sent, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    size = parser.parse_args().size_mib * MIB
    with tempfile.TemporaryDirectory() as folder:
        data, port = Path(folder) / "data", free_port()
        process = start(data, port)
        try:
            token, upload = credentials(data, port)
            targets = {
                "token endpoint": "POST /t/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                "JSON API": f"POST /v1.0/my/applications/9NX/flights HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n",
                "blob endpoint": f"PUT {upload} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\n",
            }
            time.sleep(0.5)
            idle = rss_mib(process.pid)
            print(f"server idle RSS: {idle:.1f} MiB; each body offered: {size // MIB} MiB")
            print(f"{'target':<15} {'framing':<15} {'answer':<40} {'sent MiB':>9} {'s':>6} {'peak-idle MiB':>14}")
            for name, head in targets.items():
                for chunked in (False, True):
                    before = rss_mib(process.pid)
                    with Sampler(process.pid) as sampler:
                        status, sent, seconds = offer(port, head, size, chunked=chunked)
                    framing = "chunked" if chunked else "Content-Length"
                    growth = max(sampler.peak, before) - idle
                    print(f"{name:<15} {framing:<15} {status:<40} {sent / MIB:>9.1f} {seconds:>6.2f} {growth:>14.1f}")
            print(f"server RSS after: {rss_mib(process.pid):.1f} MiB")
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
