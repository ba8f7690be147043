"""`storeflight serve --workers N` as a real process tree, and which worker process holds a connection."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port


class Workers:
    """The supervisor started with `args`; its descendants and each connection's worker are read from /proc."""

    def __init__(self, data_dir: Path, database_url: str, *args: str, count: int = 2) -> None:
        self.count = count
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.verify = True
        self.args = ["--port", str(self.port), "--data-dir", str(data_dir), "--database-url", database_url,
                     "--workers", str(count), *args]
        self.output: list[str] = []

    def __enter__(self) -> Workers:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "storeflight", "serve", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        stdout = self.process.stdout
        assert stdout is not None
        self._reader = threading.Thread(target=lambda: self.output.extend(iter(stdout.readline, "")), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            if len(self.worker_pids()) == self.count and self._healthy():  # every worker listens
                return self
            time.sleep(0.1)
        self.stop()
        raise AssertionError("serve --workers did not start: " + "".join(self.output))

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> int:
        """SIGTERM to the supervisor; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode

    def descendants(self) -> set[int]:
        return descendants(self.process.pid)

    def worker_pids(self) -> set[int]:
        """The HTTP workers: the descendants holding a socket that listens on the port."""
        return listening_pids(self.process.pid, self.port)

    def serving(self, connection: http.client.HTTPConnection) -> int:
        """The worker process that accepted `connection` (after a request on it)."""
        assert connection.sock is not None
        mine = connection.sock.getsockname()[1]
        inodes = _inodes(lambda local, remote: local == self.port and remote == mine)
        (pid,) = [pid for pid in self.worker_pids() if _sockets_of(pid) & inodes]
        return pid


def descendants(root: int) -> set[int]:
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with open(task) as f:
                children = {int(c) for c in f.read().split()}
            todo.extend(children - found)
            found |= children
    return found


def listening_pids(root: int, port: int) -> set[int]:
    """The descendants of `root` that hold a socket listening on `port` (on Linux, from /proc)."""
    listening = _inodes(lambda local, remote: local == port and remote == 0)
    return {pid for pid in descendants(root) if _sockets_of(pid) & listening}


def established(port: int) -> set[str]:
    """The socket inodes of connections accepted on `port`."""
    return _inodes(lambda local, remote: local == port and remote != 0)


def connections_of(pid: int) -> set[str]:
    return _sockets_of(pid)


def _inodes(match: Any) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
                if match(local, remote):
                    found.add(fields[9])
    return found


def _sockets_of(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.scandir(f"/proc/{pid}/fd"):
            target = os.readlink(fd.path)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except (FileNotFoundError, PermissionError):
        pass
    return inodes


def get_json(connection: http.client.HTTPConnection, path: str, token: str, method: str = "GET") -> Any:
    """One request on a kept-alive connection (so on one worker); the JSON answer."""
    connection.request(method, path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    return json.loads(body)
