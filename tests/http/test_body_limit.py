"""Hostile request bodies against a live `storeflight serve`: cut at each route's limit, in each route's shape,
with the server's memory flat, whatever Content-Length says (or if it is missing: chunked)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.http.app import build_state
from storeflight.http.body_limit import TOKEN_BODY_BYTES, body_limit, declared_length
from tests.support import RawAnswer, ServeProcess, open_store, raw_exchange

MIB = 1024 * 1024
HOSTILE = 1024 * MIB  # what the attacker offers; the server must stop long before
UPLOAD_LIMIT = 64 * MIB


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    data = tmp_path_factory.mktemp("hostile")
    args = ["--max-upload-bytes", str(UPLOAD_LIMIT), "--body-timeout", "2", "--header-timeout", "2"]
    with ServeProcess(data, *args) as process:
        yield process


@pytest.fixture(scope="module")
def token(serve: ServeProcess) -> str:
    return serve.token(*serve.tenant_client())


@pytest.fixture(scope="module")
def upload_path(serve: ServeProcess) -> str:
    store = open_store(f"sqlite:///{serve.data_dir / 'storeflight.db'}")
    try:
        state = build_state(store, Settings(data_dir=serve.data_dir))
        expires = dates.utcnow() + timedelta(hours=1)
        url = state.blobs.upload_url("hostile-1", public_url=serve.url, expires_at=expires)
    finally:
        store.close()
    return url.removeprefix(serve.url)


def _zeros(total: int, *, chunked: bool) -> Iterator[bytes]:
    piece = b"0" * MIB
    for _ in range(total // MIB):
        yield b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def _hostile(serve: ServeProcess, method: str, path: str, headers: str, *, chunked: bool) -> tuple[RawAnswer, float]:
    """Offer a 1 GiB body; returns the answer and how far (MiB) the server's memory rose meanwhile."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HOSTILE}"
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}{framing}\r\nConnection: close\r\n\r\n"
    idle = serve.rss_mib()
    peak = idle
    body = _zeros(HOSTILE, chunked=chunked)

    def sampled() -> Iterator[bytes]:
        nonlocal peak
        for part in body:
            peak = max(peak, serve.rss_mib())
            yield part

    answer = raw_exchange(serve.port, head.encode(), sampled())
    return answer, max(peak, serve.rss_mib()) - idle


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_token_request_is_cut_with_an_aad_413(serve: ServeProcess, chunked: bool) -> None:
    form = "Content-Type: application/x-www-form-urlencoded\r\n"
    answer, growth = _hostile(serve, "POST", "/t/oauth2/v2.0/token", form, chunked=chunked)
    assert answer.status == 413, answer
    body = json.loads(answer.body)
    assert body["error"] == "invalid_request" and "too large" in body["error_description"]
    assert answer.headers["connection"] == "close"
    assert growth < 50, f"server memory rose {growth:.0f} MiB"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_api_body_is_cut_with_a_store_413(serve: ServeProcess, token: str, chunked: bool) -> None:
    headers = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    answer, growth = _hostile(serve, "POST", "/v1.0/my/applications/9NX/flights", headers, chunked=chunked)
    assert answer.status == 413, answer
    assert json.loads(answer.body)["code"] == "InvalidParameterValue"
    assert growth < 50, f"server memory rose {growth:.0f} MiB"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_upload_is_cut_with_an_azure_413(serve: ServeProcess, upload_path: str, chunked: bool) -> None:
    answer, growth = _hostile(serve, "PUT", upload_path, "x-ms-blob-type: BlockBlob\r\n", chunked=chunked)
    assert answer.status == 413, answer
    assert b"<Code>RequestBodyTooLarge</Code>" in answer.body
    assert answer.headers["x-ms-error-code"] == "RequestBodyTooLarge"
    assert growth < 50, f"server memory rose {growth:.0f} MiB"
    assert not (serve.data_dir / "blobs" / "hostile-1").exists()


def test_an_understated_content_length_reads_no_further(serve: ServeProcess) -> None:
    """Bytes past the declared length are the next request, which is garbage: 400 and the connection closes."""
    head = b"POST /t/oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n"
    idle = serve.rss_mib()
    answer = raw_exchange(serve.port, head, _zeros(256 * MIB, chunked=False))
    assert answer.status in (400, 413), answer
    assert serve.rss_mib() - idle < 50


def _stalled(serve: ServeProcess, method: str, path: str, headers: str) -> RawAnswer:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: 1000\r\nConnection: close\r\n\r\n"
    return raw_exchange(serve.port, head.encode(), iter([b"grant_type=client"]), timeout=30)


def test_a_stalled_token_body_gets_an_aad_408(serve: ServeProcess) -> None:
    answer = _stalled(serve, "POST", "/t/oauth2/v2.0/token", "")
    assert answer.status == 408, answer
    assert json.loads(answer.body)["error"] == "invalid_request"
    assert answer.seconds < 20


def test_a_stalled_api_body_gets_a_store_408(serve: ServeProcess, token: str) -> None:
    answer = _stalled(serve, "POST", "/v1.0/my/applications/9NX/flights", f"Authorization: Bearer {token}\r\n")
    assert answer.status == 408, answer
    assert json.loads(answer.body)["code"] == "InvalidParameterValue"
    assert answer.seconds < 20


def test_a_stalled_upload_gets_an_azure_408(serve: ServeProcess, upload_path: str) -> None:
    answer = _stalled(serve, "PUT", upload_path, "x-ms-blob-type: BlockBlob\r\n")
    assert answer.status == 408, answer
    assert answer.headers["x-ms-error-code"] == "RequestTimeout"
    assert answer.seconds < 20


def test_a_body_within_the_limits_still_works(serve: ServeProcess, upload_path: str) -> None:
    start = time.monotonic()
    head = f"PUT {upload_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\n"
    head += f"Content-Length: {8 * MIB}\r\nConnection: close\r\n\r\n"
    answer = raw_exchange(serve.port, head.encode(), _zeros(8 * MIB, chunked=False))
    assert answer.status == 201, answer
    assert time.monotonic() - start < 60


def test_each_kind_of_route_has_its_limit() -> None:
    settings = Settings(data_dir=Path(), max_body_bytes=1000, max_upload_bytes=10**9)
    assert body_limit("/T/OAuth2/V2.0/Token/", settings, blob_prefix="/devstoreaccount1/") == TOKEN_BODY_BYTES
    assert body_limit("/t/oauth2/token", settings, blob_prefix="/devstoreaccount1/") == TOKEN_BODY_BYTES
    assert body_limit("/devstoreaccount1/ingestion/x", settings, blob_prefix="/devstoreaccount1/") == 10**9
    assert body_limit("/v1.0/my/applications", settings, blob_prefix="/devstoreaccount1/") == 1000


def test_a_content_length_that_is_not_a_number_declares_nothing() -> None:
    assert declared_length({"headers": [(b"content-length", b"12")]}) == 12
    assert declared_length({"headers": [(b"content-length", b"-1")]}) is None
    assert declared_length({"headers": []}) is None
