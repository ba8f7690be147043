"""Stable per-device package URLs: the package streamed with Range, ETag and its MIME type.

Starlette's FileResponse answers ranges as RFC 9110 says: one range 206 with Content-Range, several ranges
206 multipart/byteranges, an unsatisfiable one 416 with `Content-Range: bytes */size`, and `If-Range` with
anything but the current ETag the whole file. `If-None-Match` with the current ETag is a 304. The ETag is the
package's SHA-256, so it never changes for a URL. With a blob backend other than local files the answer is a
redirect to a fresh short-lived link of that backend (which serves ranges itself).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import BlobNotFound
from storeflight.delivery.model import PackageView, SubmissionView
from storeflight.devices.answers import snapshot_of
from storeflight.devices.model import DevicePrincipal
from storeflight.domain import dates, ids
from storeflight.domain.errors import NotFound
from storeflight.http.deps import public_url, server_state

MEDIA_TYPES = {
    ".msix": "application/msix",
    ".msixbundle": "application/msixbundle",
    ".appx": "application/appx",
    ".appxbundle": "application/appxbundle",
}
NO_PACKAGE = "There is no such package of this app."
_LINK_LIFETIME = timedelta(minutes=15)


def media_type(file_name: str) -> str:
    _, suffix = os.path.splitext(file_name.lower())
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


async def package(request: Request, principal: DevicePrincipal) -> Response:
    """GET .../packages/{package_id}/{file_name}: a package of one of the app's published submissions."""
    state = server_state(request)
    snapshot = await snapshot_of(state, principal)
    found = _find(snapshot.app.submissions.values(), request.path_params["package_id"])
    if found is None or found.file_name.lower() != str(request.path_params["file_name"]).lower():
        raise NotFound(NO_PACKAGE, target="package")
    name = ids.package_blob(found.id)
    if not isinstance(state.blobs, LocalBlobStore):
        expires = dates.utcnow() + _LINK_LIFETIME
        return RedirectResponse(
            state.blobs.download_url(name, public_url=public_url(request, state), expires_at=expires)
        )
    etag = f'"{found.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=3600"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    try:
        path, stat = await anyio.to_thread.run_sync(_locate, state.blobs, name)
    except (BlobNotFound, FileNotFoundError):
        raise NotFound(NO_PACKAGE, target="package") from None
    return FileResponse(path, headers=headers, media_type=media_type(found.file_name), stat_result=stat)


def _find(submissions: Iterable[SubmissionView], package_id: str) -> PackageView | None:
    return next((p for sub in submissions for p in sub.packages if p.id == package_id), None)


def _matches(header: str, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/ prefixes do not matter; * matches any."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _locate(blobs: LocalBlobStore, name: str) -> tuple[str, os.stat_result]:
    with blobs.local_copy(name) as path:  # the blob's own file: package blobs never change
        return str(path), os.stat(path)
