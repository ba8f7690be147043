"""The CONNECT proxy on its own: what it tunnels, what it refuses (and says why, and logs), its bounds."""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from storeflight.intercept import INTERCEPTED_HOSTS
from storeflight.intercept.proxy import HEAD_LIMIT, InterceptProxy
from tests.intercept.conftest import API, Intercepted, ProxyThread
from tests.support import free_port


def _exchange(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send `data` to the proxy and read until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _port(server: Intercepted) -> int:
    return int(server.proxy_url.rsplit(":", 1)[1])


def _status_and_text(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: text/plain; charset=utf-8" in head, answer
    assert f"Content-Length: {len(body)}".encode() in head, answer
    return int(head.split(b" ", 2)[1]), body.decode()


@pytest.mark.parametrize(
    "target",
    ["example.com:443", "login.microsoftonline.com.evil.test:443", "127.0.0.1:443", "login.microsoftonline.com:80",
     "manage.devcenter.microsoft.com:8443", "[::1]:443"],
)
def test_other_hosts_and_ports_are_refused_with_403_and_a_text_body_and_logged(
    intercepted: Intercepted, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="storeflight.intercept"):
        answer = _exchange(_port(intercepted), f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    status, text = _status_and_text(answer)
    assert status == 403
    assert "is not intercepted by storeflight" in text and "nothing is forwarded off this machine" in text
    assert ", ".join(INTERCEPTED_HOSTS) in text
    assert any("403" in r.getMessage() and target.rpartition(":")[0].strip("[]") in r.getMessage()
               for r in caplog.records)


def test_a_refused_host_is_an_error_for_a_real_client(proxy_env: Intercepted) -> None:
    with pytest.raises(httpx.ProxyError, match="403"):
        httpx.get("https://example.com/")


def test_plain_http_proxy_requests_get_405_and_are_not_forwarded(intercepted: Intercepted) -> None:
    answer = _exchange(_port(intercepted), b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
    status, text = _status_and_text(answer)
    assert status == 405 and b"Allow: CONNECT" in answer
    assert "only tunnels HTTPS (CONNECT)" in text


@pytest.mark.parametrize("request_line", [b"CONNECT\r\n\r\n", b"CONNECT a b c HTTP/1.1\r\n\r\n",
                                          b"CONNECT login.microsoftonline.com HTTP/1.1\r\n\r\n",
                                          b"CONNECT login.microsoftonline.com:99999 HTTP/1.1\r\n\r\n",
                                          b"\x16\x03\x01\x02\x00\x01\r\n\r\n"])
def test_malformed_requests_get_400(intercepted: Intercepted, request_line: bytes) -> None:
    status, _ = _status_and_text(_exchange(_port(intercepted), request_line))
    assert status == 400


def test_a_request_head_past_the_limit_gets_431(intercepted: Intercepted) -> None:
    head = b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nX-Padding: " + b"a" * (HEAD_LIMIT + 10)
    status, text = _status_and_text(_exchange(_port(intercepted), head))
    assert status == 431 and str(HEAD_LIMIT) in text


@pytest.fixture
def impatient_proxy(intercepted: Intercepted) -> Iterator[ProxyThread]:
    proxy = InterceptProxy(("127.0.0.1", intercepted.listener.port), head_timeout=0.5)
    with ProxyThread(proxy) as running:
        yield running


def test_a_head_that_never_ends_gets_408_within_the_head_timeout(impatient_proxy: ProxyThread) -> None:
    started = time.monotonic()
    status, _ = _status_and_text(_exchange(impatient_proxy.port, b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n"))
    assert status == 408
    assert time.monotonic() - started < 5  # bounded: not the socket's own 10 s timeout


def test_a_tls_listener_that_does_not_answer_is_a_502() -> None:
    with ProxyThread(InterceptProxy(("127.0.0.1", free_port()))) as proxy:
        answer = _exchange(proxy.port, b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n\r\n")
    status, _ = _status_and_text(answer)
    assert status == 502


def test_a_tunnel_carries_tls_to_the_app_with_the_ca_certificate(intercepted: Intercepted) -> None:
    """By hand: CONNECT, 200, then a TLS handshake that verifies the leaf against the CA for the real name."""
    context = ssl.create_default_context(cafile=intercepted.ca_file)
    with socket.create_connection(("127.0.0.1", _port(intercepted)), timeout=10) as raw:
        host = b"manage.devcenter.microsoft.com"
        raw.sendall(b"CONNECT " + host + b":443 HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        assert raw.recv(4096) == b"HTTP/1.1 200 Connection Established\r\n\r\n"
        with context.wrap_socket(raw, server_hostname="manage.devcenter.microsoft.com") as tls:
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: manage.devcenter.microsoft.com\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer


def test_keep_alive_requests_share_one_tunnel(proxy_env: Intercepted) -> None:
    with httpx.Client() as client:
        replies = [client.get(f"{API}/healthz") for _ in range(5)]
    assert [r.status_code for r in replies] == [200] * 5
    assert all(r.http_version == "HTTP/1.1" for r in replies)
