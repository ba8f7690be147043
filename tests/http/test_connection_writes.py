"""One write per response: the head goes out with the first body bytes, never later than the loop's step."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from storeflight.config import Settings
from storeflight.http.connection import CoalescingTransport, uvicorn_options
from tests.support import free_port

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


class Recording(asyncio.Transport):
    """A transport that keeps what was written (the unit under test only ever writes and closes)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def run(steps: Any) -> Recording:
    async def main() -> Recording:
        sink = Recording()
        await steps(CoalescingTransport(sink, asyncio.get_running_loop()), sink)
        await asyncio.sleep(0)
        return sink

    return asyncio.run(main())


def test_head_and_body_go_out_in_one_write() -> None:
    async def steps(t: CoalescingTransport, _: Recording) -> None:
        t.write(HEAD)
        t.write(b"hello")

    assert run(steps).writes == [HEAD + b"hello"]


def test_a_head_without_body_goes_out_at_the_end_of_the_step() -> None:
    async def steps(t: CoalescingTransport, sink: Recording) -> None:
        t.write(HEAD)
        assert sink.writes == []
        await asyncio.sleep(0)  # the loop's next step
        assert sink.writes == [HEAD]

    assert run(steps).writes == [HEAD]


def test_continue_passes_straight_through_and_the_head_still_waits_for_its_body() -> None:
    async def steps(t: CoalescingTransport, sink: Recording) -> None:
        t.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        assert sink.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
        t.write(HEAD)
        t.write(b"hello")

    assert run(steps).writes == [b"HTTP/1.1 100 Continue\r\n\r\n", HEAD + b"hello"]


def test_a_large_first_chunk_is_not_copied_into_the_head() -> None:
    chunk = b"x" * (1 << 20)

    async def steps(t: CoalescingTransport, _: Recording) -> None:
        t.write(HEAD)
        t.write(chunk)
        t.write(b"more")

    assert run(steps).writes == [HEAD, chunk, b"more"]


def test_close_sends_a_held_head_first() -> None:
    async def steps(t: CoalescingTransport, sink: Recording) -> None:
        t.write(HEAD)
        t.close()
        assert sink.writes == [HEAD] and sink.closed

    assert run(steps).closed


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """/slow: the head, then the body half a second later; /close: answered with `connection: close`."""
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"5")]
    if scope["path"] == "/close":
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/slow":
        await asyncio.sleep(0.5)
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """uvicorn with storeflight's protocol, serving `app`."""
    options = uvicorn_options(Settings(data_dir=Path(tmp_path_factory.mktemp("writes"))))
    number = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=number, log_level="warning", lifespan="off", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    yield number
    server.should_exit = True
    thread.join(timeout=10)


def test_a_late_body_does_not_hold_back_the_head(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        started = time.monotonic()
        first = sock.recv(65536)
        waited = time.monotonic() - started
        rest = b""
        while not (first + rest).endswith(b"hello"):
            rest += sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"hello" not in first  # the head, alone, first
    assert waited < 0.4, waited


def test_head_requests_keep_alive_and_answers_follow_each_other(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for method in ("HEAD", "GET", "HEAD", "GET"):
        connection.request(method, "/fast")
        response = connection.getresponse()
        assert response.status == 200 and response.headers["content-length"] == "5"
        assert response.read() == (b"hello" if method == "GET" else b"")
    connection.close()


def test_connection_close_sends_everything_then_closes(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /close HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"\r\n\r\nhello")
