"""/docs and /redoc work offline: every script and style they load comes from this server."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support import LiveServer


@pytest.mark.parametrize(("page", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_the_api_pages_load_their_assets_from_this_server(server: LiveServer, page: str, script: str) -> None:
    html = httpx.get(f"{server.url}{page}")
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN or any other host
    assert f"/docs-assets/{script}" in sources
    assert "fonts.googleapis" not in html.text
    for source in sources:
        asset = httpx.get(f"{server.url}{source}")
        assert asset.status_code == 200 and len(asset.content) > 1000, source
    assert "/openapi.json" in html.text
