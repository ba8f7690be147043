"""Connection bounds against a live `storeflight serve`: slow and oversized headers, and idle keep-alive."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator

import pytest

from tests.support import ServeProcess, raw_exchange


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with ServeProcess(tmp_path_factory.mktemp("conn"), "--header-timeout", "2") as process:
        yield process


def test_headers_that_never_finish_get_the_connection_closed(serve: ServeProcess) -> None:
    answer = raw_exchange(serve.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", timeout=30)
    assert answer.status == 0  # closed without an answer
    assert 1.5 < answer.seconds < 20


def test_headers_dribbled_a_byte_at_a_time_are_cut_at_the_deadline(serve: ServeProcess) -> None:
    def dribble() -> Iterator[bytes]:
        for _ in range(200):  # 20 s of one byte every 0.1 s: far past the 2 s deadline
            time.sleep(0.1)
            yield b"X"

    answer = raw_exchange(serve.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", dribble(), timeout=30)
    assert answer.status == 0
    assert answer.seconds < 15


def test_a_connection_that_sends_nothing_is_closed(serve: ServeProcess) -> None:
    answer = raw_exchange(serve.port, b"", timeout=30)
    assert answer.status == 0 and answer.seconds < 20


def test_oversized_headers_get_431(serve: ServeProcess) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Big: " + b"a" * 200_000
    answer = raw_exchange(serve.port, head, timeout=30)
    assert answer.status == 431, answer
    assert answer.headers["connection"] == "close"


def test_prompt_requests_are_answered_and_kept_alive(serve: ServeProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=10)
    for _ in range(3):
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert response.status == 200
        response.read()
        time.sleep(2.5)  # idle past the header deadline: an idle connection is the keep-alive timeout's
    connection.close()


@pytest.mark.slow
def test_a_connection_idle_for_65_seconds_is_reused(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The documented Python samples poll every 60 s on one http.client connection."""
    with ServeProcess(tmp_path_factory.mktemp("idle")) as serve:
        connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=10)
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        local = connection.sock.getsockname()
        time.sleep(65)
        connection.request("GET", "/healthz")  # RemoteDisconnected here if the server had closed it
        second = connection.getresponse()
        second.read()
        assert first.status == second.status == 200
        assert connection.sock.getsockname() == local  # the same connection, not a silent reconnect
        connection.close()
