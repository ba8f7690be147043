"""Connection bounds uvicorn lacks: a deadline for each request's headers, and a cap on their size.

A connection that has not finished sending a request's headers `header_timeout` seconds after it opened (or
after that request's first byte) is closed; one whose headers grow past `max_header_bytes` gets 431 and is
closed. Idle keep-alive connections between requests are uvicorn's `timeout_keep_alive`.

Each response's status line and headers go out with its first body bytes in one write (`CoalescingTransport`):
uvicorn writes them separately, and each write is a system call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from storeflight.config import Settings

MAX_HEADER_BYTES = 64 * 1024

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 32\r\nconnection: close\r\n\r\n"
    b"The request headers are too large"
)


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the header deadline and size cap (see the module docstring)."""

    header_timeout = 10.0
    max_header_bytes = MAX_HEADER_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._reading_headers = True  # a connection starts by waiting for its first request's headers
        self._header_bytes = 0
        self._header_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._reading_headers or self.transport.is_closing():
            return
        self._header_bytes += len(data)  # may count a previous body's last bytes too: a bound, not a size
        if self._header_bytes > self.max_header_bytes:
            self.transport.write(_TOO_LARGE)
            self.transport.close()
            return
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True
        self._header_bytes = 0

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._disarm()
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:  # the request's cycle (its task has not run yet)
            cycle.transport = CoalescingTransport(self.transport, self.loop)  # type: ignore[assignment]

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self._reading_headers and not self.transport.is_closing():
            self.transport.close()


class CoalescingTransport:
    """One response's view of the connection: its head (status line and headers, the first write that is not
    `100 Continue`) is held until the first body bytes and sent with them, or on its own at the end of the
    event loop's current step (a HEAD answer, a body that is late): never later. Everything else passes on."""

    _JOIN_BELOW = 64 * 1024  # a larger first body chunk goes in its own write rather than being copied

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._head: bytes | None = None
        self._headed = False

    def write(self, data: bytes) -> None:
        if not self._headed and not data.startswith(b"HTTP/1.1 100 "):
            self._headed, self._head = True, data
            self._loop.call_soon(self._flush)
            return
        head, self._head = self._head, None
        if head is not None and len(data) < self._JOIN_BELOW:
            data = head + data
        elif head is not None:
            self._transport.write(head)
        self._transport.write(data)

    def _flush(self) -> None:
        head, self._head = self._head, None
        if head is not None and not self._transport.is_closing():
            self._transport.write(head)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, ...
        return getattr(self._transport, name)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings that bound connections: the protocol above and the keep-alive timeout."""
    protocol = type("ConfiguredHttpProtocol", (BoundedHttpProtocol,), {"header_timeout": settings.header_timeout})
    return {"http": protocol, "timeout_keep_alive": settings.keep_alive_timeout}
