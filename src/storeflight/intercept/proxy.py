"""The CONNECT proxy: tunnels HTTPS for the intercepted hosts to the local TLS listener, refuses the rest.

It never opens a connection anywhere but the TLS listener it was given, so nothing a client sends through
it leaves the machine. A refusal is a plain-text HTTP answer on the proxy connection, and is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable

from storeflight.intercept import HTTPS_PORT, INTERCEPTED_HOSTS

log = logging.getLogger("storeflight.intercept")

HEAD_LIMIT = 16 * 1024  # bytes of request line and headers
HEAD_TIMEOUT = 10.0  # seconds to send them
CHUNK = 256 * 1024
LINGER = 30.0  # once one side of a tunnel is done, how long the other may go on
_REASONS = {400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed", 408: "Request Timeout",
            431: "Request Header Fields Too Large", 502: "Bad Gateway"}


class Refused(Exception):
    """Why a proxy request gets no tunnel: an HTTP status and a sentence for the person reading it."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status, self.text = status, text


class InterceptProxy:
    """An asyncio CONNECT proxy in front of the TLS listener at `upstream` (host, port)."""

    def __init__(
        self, upstream: tuple[str, int], hosts: Iterable[str] = INTERCEPTED_HOSTS, head_timeout: float = HEAD_TIMEOUT
    ) -> None:
        self.upstream = upstream
        self.hosts = tuple(h.lower() for h in hosts)
        self.head_timeout = head_timeout
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, sock: socket.socket) -> None:
        """Serve on the bound, listening socket `sock`."""
        self._server = await asyncio.start_server(self.handle, sock=sock, limit=HEAD_LIMIT)

    async def stop(self) -> None:
        """Stop listening and end every open tunnel."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            try:
                host, port = await self._target(reader)
                up_reader, up_writer = await self._open_upstream()
            except Refused as refused:
                log.warning("refused a proxy request from %s with %d: %s", peer, refused.status, refused.text)
                await _answer(writer, refused)
                return
            log.debug("tunnel for %s:%d from %s", host, port, peer)
            _no_delay(writer)
            _no_delay(up_writer)
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await _splice(reader, writer, up_reader, up_writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away
        finally:
            if task is not None:
                self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _target(self, reader: asyncio.StreamReader) -> tuple[str, int]:
        """The host and port of a well-formed CONNECT to an intercepted host, or Refused."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.head_timeout)
        except TimeoutError:
            raise Refused(408, f"No complete request head within {self.head_timeout:g} seconds.") from None
        except asyncio.LimitOverrunError:
            raise Refused(431, f"The request head is larger than {HEAD_LIMIT} bytes.") from None
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise Refused(400, "Not an HTTP/1.x request line.")
        method, target, _ = parts
        if method != "CONNECT":
            raise Refused(405, f"This proxy only tunnels HTTPS (CONNECT) to {self._names()}; it forwards nothing.")
        host, _, port = target.rpartition(":")
        host = host.strip("[]").lower()
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise Refused(400, f"CONNECT wants host:port, not {target[:200]!r}.")
        if host not in self.hosts or int(port) != HTTPS_PORT:
            raise Refused(
                403,
                f"{host[:200]}:{port} is not intercepted by storeflight (only {self._names()} on port 443); "
                "nothing is forwarded off this machine.",
            )
        return host, int(port)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.wait_for(asyncio.open_connection(*self.upstream), self.head_timeout)
        except (OSError, TimeoutError) as error:
            log.error("the TLS listener at %s:%d does not answer: %s", *self.upstream, error)
            raise Refused(502, "storeflight's TLS listener does not answer.") from None

    def _names(self) -> str:
        return ", ".join(self.hosts)


def _no_delay(writer: asyncio.StreamWriter) -> None:
    """Send each piece at once: HTTP answers come as several small TLS records, and Nagle's algorithm would
    hold the last one back until the client's delayed acknowledgement (some 40 ms a request)."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _answer(writer: asyncio.StreamWriter, refused: Refused) -> None:
    body = (refused.text + "\n").encode()
    allow = b"Allow: CONNECT\r\n" if refused.status == 405 else b""
    writer.write(
        f"HTTP/1.1 {refused.status} {_REASONS[refused.status]}\r\n".encode()
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + allow
        + b"Connection: close\r\n\r\n"
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()


async def _splice(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Copy bytes both ways until both sides are done (or one is, and the other lingers past LINGER)."""
    pumps = {asyncio.create_task(_pump(reader, up_writer)), asyncio.create_task(_pump(up_reader, writer))}
    try:
        _, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            await asyncio.wait(pending, timeout=LINGER)
    finally:
        for pump in pumps:
            pump.cancel()
        up_writer.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
