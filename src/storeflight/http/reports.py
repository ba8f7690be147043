"""Certification reports at their reportUrl: `/reports/{token}.html` and `/reports/{token}.json`.

The token is unguessable and only ever shown in the submission's statusDetails, like the signed blob links
the real service hands out, so the URL itself is the credential.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from storeflight.domain import text
from storeflight.domain.errors import NotFound
from storeflight.http.deps import server_state
from storeflight.http.responses import ok

router = APIRouter(prefix="/reports", tags=["certification reports (extension)"])


def _load(request: Request, token: str) -> dict[str, Any]:
    with server_state(request).store.transaction(write=False) as tx:
        body = tx.get_report(token)
    if body is None:
        raise NotFound("No certification report at this address.", target="report")
    return body


@router.get("/{token}.json", summary="A certification report as JSON")
async def report_json(token: str, request: Request) -> Response:
    return ok(_load(request, token))


@router.get("/{token}.html", summary="A certification report as HTML", response_class=HTMLResponse)
async def report_html(token: str, request: Request) -> Response:
    report = _load(request, token)
    rows = "".join(
        f"<tr><td>{html.escape(c['name'])}</td><td>{html.escape(c['result'])}</td>"
        f"<td>{html.escape(c['details'])}</td></tr>"
        for c in report["checks"]
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Certification report</title></head><body>"
        f"<h1>Certification report: {html.escape(report['result'])}</h1>"
        f"<p>Submission {html.escape(report['submissionId'])}, app {html.escape(report['applicationId'])}, "
        f"{html.escape(report['date'])}</p>"
        f"<table><tr><th>Check</th><th>Result</th><th>Details</th></tr>{rows}</table></body></html>"
    )
    return HTMLResponse(text.readable(page))
