"""Get Blob and Get Blob Properties: the whole blob or one byte range, read in a worker thread."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from typing import IO

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from storeflight.blobs.protocol import BlobInfo, BlobNotFound, BlobStore
from storeflight.http.blob_wire import BlobHttpError, blob_headers

CHUNK = 1024 * 1024
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def properties_headers(info: BlobInfo) -> dict[str, str]:
    return {
        **blob_headers(info),
        "Content-Length": str(info.size),
        "Content-Type": "application/octet-stream",
        "Accept-Ranges": "bytes",
        "x-ms-blob-type": "BlockBlob",
        "x-ms-lease-state": "available",
        "x-ms-lease-status": "unlocked",
    }


async def download(request: Request, blobs: BlobStore, name: str) -> Response:
    """200 with the blob, or 206 with the range `x-ms-range` (or `Range`) asks for; 416 past the end."""
    stack = contextlib.ExitStack()
    try:
        file, info = await anyio.to_thread.run_sync(_open, stack, blobs, name)
        size = os.fstat(file.fileno()).st_size
        span = _range(request, size)
    except BaseException:
        stack.close()
        raise
    headers = properties_headers(info)
    if span is None:
        start, length, status = 0, size, 200
    else:
        start, end = span
        length, status = end - start + 1, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        md5 = headers.pop("Content-MD5", None)  # a range answer carries the whole blob's MD5 under another name
        if md5:
            headers["x-ms-blob-content-md5"] = md5
    headers["Content-Length"] = str(length)
    return StreamingResponse(_read(stack, file, start, length), status_code=status, headers=headers)


def _open(stack: contextlib.ExitStack, blobs: BlobStore, name: str) -> tuple[IO[bytes], BlobInfo]:
    try:
        path = stack.enter_context(blobs.local_copy(name))
        file = stack.enter_context(path.open("rb"))
    except FileNotFoundError:
        raise BlobNotFound(name) from None
    info = blobs.properties(name)
    if info is None:
        raise BlobNotFound(name)
    return file, info


def _range(request: Request, size: int) -> tuple[int, int] | None:
    value = request.headers.get("x-ms-range") or request.headers.get("range")
    match = _RANGE.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    start = int(match.group(1))
    end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    if start >= size or end < start:
        raise BlobHttpError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
    return start, end


async def _read(stack: contextlib.ExitStack, file: IO[bytes], start: int, length: int) -> AsyncIterator[bytes]:
    with stack:
        await anyio.to_thread.run_sync(file.seek, start)
        remaining = length
        while remaining > 0:
            chunk = await anyio.to_thread.run_sync(file.read, min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
