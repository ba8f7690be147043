"""Behind a reverse proxy: `storeflight serve` takes X-Forwarded-Proto from trusted proxy addresses only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import ServeProcess


def _token_endpoint(server: ServeProcess, **headers: str) -> str:
    answer = httpx.get(f"{server.url}/t1/v2.0/.well-known/openid-configuration", headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token_endpoint"])


def test_a_proxy_on_the_loopback_address_is_trusted_for_the_scheme(tmp_path: Path) -> None:
    with ServeProcess(tmp_path) as server:
        assert _token_endpoint(server).startswith(f"http://127.0.0.1:{server.port}/")
        forwarded = _token_endpoint(server, **{"X-Forwarded-Proto": "https"})
        assert forwarded == f"https://127.0.0.1:{server.port}/t1/oauth2/v2.0/token"


def test_forwarded_headers_from_an_untrusted_address_are_ignored_and_public_url_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.255.255.1")  # the proxy is elsewhere: not this test
    with ServeProcess(tmp_path / "a") as server:
        assert _token_endpoint(server, **{"X-Forwarded-Proto": "https"}).startswith("http://127.0.0.1:")
    with ServeProcess(tmp_path / "b", "--public-url", "https://store.example.com") as server:
        assert _token_endpoint(server) == "https://store.example.com/t1/oauth2/v2.0/token"
