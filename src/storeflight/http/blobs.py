"""The upload endpoint behind `fileUploadUrl` (local blob backend only): the Blob REST subset uploaders use.

`/<account>/<container>/<blob>?<SAS>` with HEAD (Get Blob Properties), GET (Get Blob, with ranges;
`comp=blocklist`: Get Block List) and PUT: Put Blob, `comp=block` (Put Block), `comp=blocklist` (Put Block
List) and `comp=properties` (Set Blob Properties); any other `comp` is a 400. Every answer here, errors
included, is in Azure's shape (XML errors with `x-ms-error-code`), never the Store's JSON: the handler turns
every failure into one itself. Uploads hold one of their tenant's upload slots, and are refused with 503
ServerBusy while the disk is below its free-space floor.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.responses import Response

from storeflight.auth import sas
from storeflight.blobs.protocol import (
    BlobError,
    BlobMd5Mismatch,
    BlobNotFound,
    BlobTooLarge,
    InvalidBlockId,
    InvalidBlockList,
    TooManyBlocks,
)
from storeflight.blobs.space import SpaceFloor, is_out_of_space
from storeflight.domain import dates
from storeflight.domain.errors import StorageFull
from storeflight.http import blob_download
from storeflight.http.blob_openapi import ALLOWED_METHODS
from storeflight.http.blob_quota import quota_errors, record_upload, upload_cap
from storeflight.http.blob_wire import (
    BlobHttpError,
    blob_headers,
    block_id,
    block_list_type,
    common_headers,
    content_md5,
    error_response,
    max_block_list_bytes,
    parse_block_list,
    render_block_list,
    server_busy,
)
from storeflight.http.body_stream import BodyInterrupted, consume_body
from storeflight.http.deps import ServerState, server_state
from storeflight.http.errors import BodyTimeout, PayloadTooLarge
from storeflight.ops import metrics

log = logging.getLogger("storeflight.http.blobs")
router = APIRouter(include_in_schema=False)
PREFIX = f"/{sas.ACCOUNT}/"
SPACE_RETRY_AFTER = StorageFull.retry_after
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]


class BlobNameConvertor(PathConvertor):
    """A path that may hold any character, newlines too (Starlette's `path` stops at one), so every blob name
    reaches the blob endpoint and gets Azure's XML answer."""

    regex = "[\\s\\S]*"


register_url_convertor("blobname", BlobNameConvertor())

_STORE_ERRORS: dict[type[BlobError], tuple[int, str, str]] = {
    BlobNotFound: (404, "BlobNotFound", "The specified blob does not exist."),
    BlobTooLarge: (
        413,
        "RequestBodyTooLarge",
        "The request body is too large and exceeds the maximum permissible limit.",
    ),
    BlobMd5Mismatch: (
        400,
        "Md5Mismatch",
        "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
    ),
    InvalidBlockList: (400, "InvalidBlockList", "The specified block list is invalid."),
    InvalidBlockId: (400, "InvalidQueryParameterValue", "The specified block id is invalid."),
    TooManyBlocks: (409, "BlockCountExceedsLimit", "The block count exceeds the maximum allowed for this blob."),
}
_BODY_ERRORS: dict[type[Exception], BlobHttpError] = {  # the body cut short, too large (or too slow)
    BodyInterrupted: BlobHttpError(400, "IncompleteBody", "The request body is incomplete."),
    PayloadTooLarge: BlobHttpError(*_STORE_ERRORS[BlobTooLarge]),
    BodyTimeout: BlobHttpError(408, "RequestTimeout", "The request body did not arrive in time (the client stalled)."),
}
_FULL = "The server is out of storage space. Retry after some space has been freed."
_INTERNAL = BlobHttpError(500, "InternalError", "The server encountered an internal error. Please retry the request.")


@router.api_route(PREFIX + "{path:blobname}", methods=METHODS)
async def blob_endpoint(request: Request, path: str) -> Response:
    request_id = str(uuid.uuid4())
    try:
        response = await _dispatch(request, path)
    except Exception as error:  # every failure becomes an Azure error answer
        return error_response(_as_blob_error(error), request, request_id)
    response.headers.update(common_headers(request, request_id))
    return response


def _as_blob_error(error: Exception) -> BlobHttpError:
    """Every failure as an Azure error; the unexpected ones are logged and answered as InternalError."""
    if isinstance(error, BlobHttpError):
        return error
    if is_out_of_space(error):  # OutOfSpace, StorageFull, or an ENOSPC no layer below translated
        return server_busy(_FULL, SPACE_RETRY_AFTER)
    if isinstance(error, BlobError):
        return _from_store(error)
    answer = next((answer for cls, answer in _BODY_ERRORS.items() if isinstance(error, cls)), None)
    if answer is not None:
        return answer
    log.exception("blob request failed", exc_info=error)
    return _INTERNAL


async def _dispatch(request: Request, path: str) -> Response:
    state = server_state(request)
    container, _, name = path.partition("/")
    if request.method not in ("GET", "HEAD", "PUT"):
        raise BlobHttpError(
            405,
            "UnsupportedHttpVerb",
            "The resource doesn't support the specified HTTP verb.",
            headers={"Allow": ALLOWED_METHODS},
        )
    if "\x00" in path or b"%00" in request.scope.get("query_string", b""):  # never looked up, nor stored
        raise BlobHttpError(400, "InvalidUri", "The requested URI contains a NUL character.")
    _authorize(request, state, path, needed="w" if request.method == "PUT" else "r")
    if container != sas.CONTAINER or not name:
        raise BlobHttpError(400, "InvalidUri", "The requested URI does not represent any resource on the server.")
    comp = request.query_params.get("comp")
    if request.method != "PUT":
        if comp is None:
            return await (_properties(state, name) if request.method == "HEAD" else _download(request, state, name))
        if comp == "blocklist" and request.method == "GET":
            return await _get_block_list(request, state, name)
        raise _unsupported(comp)
    handler = _PUT_HANDLERS.get(comp)
    if handler is None:
        raise _unsupported(comp)
    if comp == "properties":
        return await handler(request, state, name)
    with state.upload_slots.hold(name):
        _check_floor(request, state)
        return await handler(request, state, name)


def _unsupported(comp: str | None) -> BlobHttpError:
    shown = (comp or "")[:64]
    message = f"The value for one of the query parameters is not valid: comp={shown}."
    return BlobHttpError(400, "InvalidQueryParameterValue", message)


async def _download(request: Request, state: ServerState, name: str) -> Response:
    return await blob_download.download(request, state.blobs, name)


def _check_floor(request: Request, state: ServerState) -> None:
    """503 ServerBusy before reading a byte when the declared body would eat into the free-space floor."""
    declared = request.headers.get("content-length", "")
    floor = SpaceFloor(state.settings.data_dir, state.settings.min_free_bytes)
    if not floor.has_room(int(declared) if declared.isdigit() else 0):
        raise server_busy(_FULL, SPACE_RETRY_AFTER)


def _authorize(request: Request, state: ServerState, path: str, *, needed: str) -> None:
    try:
        sas.verify_any(
            state.keys.sas().all(),
            blob_path=PREFIX + path,
            query=request.query_params,
            needed=needed,
            now=dates.utcnow(),
        )
    except sas.SasRejected as rejected:
        if rejected.code == "AuthorizationPermissionMismatch":
            raise BlobHttpError(403, rejected.code, str(rejected)) from None
        message = "Server failed to authenticate the request. Make sure the SAS in the URL is complete and unexpired."
        raise BlobHttpError(403, rejected.code, message, rejected.detail) from None


async def _get_block_list(request: Request, state: ServerState, name: str) -> Response:
    kind = block_list_type(request.query_params.get("blocklisttype"))
    found = await anyio.to_thread.run_sync(state.blobs.block_list, name)
    if found is None:
        raise BlobNotFound(name)
    committed, uncommitted = found
    body = render_block_list(committed if kind != "uncommitted" else None, uncommitted if kind != "committed" else None)
    info = await anyio.to_thread.run_sync(state.blobs.properties, name)
    headers = {"x-ms-blob-content-length": str(info.size if info else 0)}
    if info is not None:
        headers.update(blob_headers(info, md5=False))
    return Response(body, status_code=200, headers=headers, media_type="application/xml")


async def _properties(state: ServerState, name: str) -> Response:
    info = await anyio.to_thread.run_sync(state.blobs.properties, name)
    if info is None:
        raise BlobNotFound(name)
    return Response(status_code=200, headers=blob_download.properties_headers(info))


async def _put_blob(request: Request, state: ServerState, name: str) -> Response:
    blob_type = request.headers.get("x-ms-blob-type")
    if blob_type is None:
        raise BlobHttpError(
            400,
            "MissingRequiredHeader",
            "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type.",
        )
    if blob_type != "BlockBlob":
        raise BlobHttpError(400, "InvalidHeaderValue", "Only block blobs are supported (x-ms-blob-type: BlockBlob).")
    md5 = content_md5(request)
    quota = await upload_cap(state, name)
    with quota_errors(quota):
        cap = _check_length(request, quota.max_bytes)
        if request.headers.get("if-none-match") == "*" and await _exists(state, name):
            raise BlobHttpError(409, "BlobAlreadyExists", "The specified blob already exists.")
        info = await consume_body(request, lambda chunks: state.blobs.put(name, chunks, max_bytes=cap, content_md5=md5))
    await record_upload(state, quota, name, info.size)
    if (counted := metrics.ACTIVE) is not None:
        counted.uploaded("put_blob", info.size)
    return Response(status_code=201, headers=blob_headers(info))


async def _exists(state: ServerState, name: str) -> bool:
    return await anyio.to_thread.run_sync(state.blobs.properties, name) is not None


async def _put_block(request: Request, state: ServerState, name: str) -> Response:
    block = block_id(request.query_params.get("blockid"))
    md5 = content_md5(request)
    cap = _check_length(request, state.settings.max_upload_bytes)  # the quota applies when blocks are committed
    size = await consume_body(
        request, lambda chunks: state.blobs.put_block(name, block, chunks, max_bytes=cap, content_md5=md5)
    )
    if (counted := metrics.ACTIVE) is not None:
        counted.uploaded("put_block", size)
    headers = {"Content-MD5": base64.b64encode(md5).decode()} if md5 else {}
    return Response(status_code=201, headers=headers)


async def _put_block_list(request: Request, state: ServerState, name: str) -> Response:
    md5 = content_md5(request)
    cap = _check_length(request, max_block_list_bytes(state.settings.max_blob_blocks))
    body = await consume_body(request, lambda chunks: _read_all(chunks, cap, md5))
    refs = parse_block_list(body, max_blocks=state.settings.max_blob_blocks)
    quota = await upload_cap(state, name)
    try:
        with quota_errors(quota):
            info = await anyio.to_thread.run_sync(
                lambda: state.blobs.commit_blocks(name, refs, max_bytes=quota.max_bytes)
            )
    except InvalidBlockId as error:
        raise InvalidBlockList(str(error)) from None
    await record_upload(state, quota, name, info.size)
    headers = blob_headers(info, md5=False)
    headers["Content-MD5"] = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
    return Response(status_code=201, headers=headers)


async def _set_properties(request: Request, state: ServerState, name: str) -> Response:
    """Accepted and answered like Azure; the content headers it sets are not kept (nothing here serves them)."""
    info = await anyio.to_thread.run_sync(state.blobs.properties, name)
    if info is None:
        raise BlobNotFound(name)
    return Response(status_code=200, headers=blob_headers(info, md5=False))


_PUT_HANDLERS: dict[str | None, Callable[[Request, ServerState, str], Awaitable[Response]]] = {
    None: _put_blob,
    "block": _put_block,
    "blocklist": _put_block_list,
    "properties": _set_properties,
}


def _check_length(request: Request, cap: int) -> int:
    """413 at once when the declared length is past `cap` (nothing is read); returns `cap`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise BlobTooLarge(f"{declared} bytes declared, more than {cap}")
    return cap


def _read_all(chunks: Iterator[bytes], cap: int, md5: bytes | None) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise BlobTooLarge(f"more than {cap} bytes")
        parts.append(chunk)
    body = b"".join(parts)
    if md5 is not None and hashlib.md5(body, usedforsecurity=False).digest() != md5:
        raise BlobMd5Mismatch("the block list does not have the MD5 given")
    return body


def _from_store(error: BlobError) -> BlobHttpError:
    for cls in type(error).__mro__:
        if cls in _STORE_ERRORS:
            status, code, message = _STORE_ERRORS[cls]
            return BlobHttpError(status, code, message)
    return _INTERNAL
