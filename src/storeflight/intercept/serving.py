"""Serving in interception mode: the API on its own port, the same app over TLS with the CA's leaf
certificate for the intercepted hosts (the hosts-file variant), and optionally the CONNECT proxy in front."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from storeflight.intercept.proxy import InterceptProxy

log = logging.getLogger("storeflight.intercept")


@dataclass(frozen=True)
class Listeners:
    """Sockets bound before anything starts, so a port in use is a clear error, not a half-started server."""

    tls: socket.socket
    proxy: socket.socket | None

    @property
    def tls_port(self) -> int:
        return int(self.tls.getsockname()[1])


def bind(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port); OSError when it cannot be had.

    `reuse_port`: SO_REUSEPORT, so that other sockets can listen on the same port and the kernel spreads new
    connections between them (`serve --workers`); `listen=False` only holds the port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Accepted connections inherit it: answers go out at once, not after the peer's delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class ProxyThread:
    """The proxy on an event loop of its own, in a thread of this process (the tests run it so; `serve` uses
    ProxyProcess): a tunnel's bytes move while the app's loop is busy in a handler."""

    def __init__(self, proxy: InterceptProxy, sock: socket.socket) -> None:
        self.proxy, self.sock = proxy, sock
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="storeflight-intercept", daemon=True)

    def __enter__(self) -> ProxyThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(self.sock), self.loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class ProxyProcess:
    """The proxy in a child process on the bound socket (intercept/child.py): its relaying then runs beside
    the API, on another core, instead of taking turns with it (measured: bench/intercept_bench.py)."""

    def __init__(self, upstream: tuple[str, int], sock: socket.socket, log_level: str = "info") -> None:
        self.upstream, self.sock, self.log_level = upstream, sock, log_level
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ProxyProcess:
        fd = self.sock.fileno()
        host, port = self.upstream
        command = [sys.executable, "-m", "storeflight.intercept.child", "--fd", str(fd), "--upstream",
                   f"[{host}]:{port}", "--parent", str(os.getpid()), "--log-level", self.log_level]
        self.process = subprocess.Popen(command, pass_fds=(fd,))  # connections wait in the backlog meanwhile
        return self

    def __exit__(self, *_: object) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class SecondaryServer(uvicorn.Server):
    """A uvicorn server that leaves the stop signals to the main server, which stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve(
    main: uvicorn.Server, tls: uvicorn.Server, listeners: Listeners, sockets: list[socket.socket] | None = None
) -> None:
    """Run the main server (on `sockets` when given), the TLS server and the proxy until the main server stops."""
    tls_task = asyncio.create_task(tls.serve(sockets=[listeners.tls]))
    with contextlib.ExitStack() as stack:
        if listeners.proxy is not None:
            upstream = upstream_of(_address(listeners.tls))
            stack.enter_context(ProxyProcess(upstream, listeners.proxy, _level_name(main.config.log_level)))
            log.info("interception proxy on %s:%d (HTTPS_PROXY=http://%s:%d)", *_address(listeners.proxy),
                     *_address(listeners.proxy))
        log.info("TLS listener for the intercepted hosts on %s:%d", *_address(listeners.tls))
        try:
            await main.serve(sockets=sockets)
        finally:
            tls.should_exit = True
            await tls_task


def run(
    app: Any,
    listeners: Listeners,
    leaf: tuple[Path, Path],
    main_options: dict[str, Any],
    sockets: list[socket.socket] | None = None,
) -> bool:
    """Serve `app` as `main_options` say (host, port, TLS of the API port...) and in interception mode, the
    API on `sockets` when given (a worker of `serve --workers`); whether the API server started."""
    common = {k: v for k, v in main_options.items() if k in ("log_level", "timeout_graceful_shutdown")}
    main = uvicorn.Server(uvicorn.Config(app, **main_options))
    tls = SecondaryServer(
        uvicorn.Config(app, lifespan="off", ssl_certfile=str(leaf[0]), ssl_keyfile=str(leaf[1]), **common)
    )
    with asyncio.Runner(loop_factory=main.config.get_loop_factory()) as runner:  # uvloop when installed
        runner.run(serve(main, tls, listeners, sockets))
    return main.started


def _level_name(level: str | int | None) -> str:
    if isinstance(level, str):
        return level
    return logging.getLevelName(level).lower() if level is not None else "info"


def upstream_of(address: tuple[str, int]) -> tuple[str, int]:
    """Where the proxy reaches the TLS listener bound at `address`: loopback when it listens everywhere."""
    host, port = address
    return ({"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host), port)


def _address(sock: socket.socket) -> tuple[str, int]:
    host, port = sock.getsockname()[:2]
    return str(host), int(port)
