"""The upload endpoint behind `fileUploadUrl` (local blob backend only): the Blob REST subset uploaders use.

`/<account>/<container>/<blob>?<SAS>` with HEAD (Get Blob Properties), GET (Get Blob, with ranges) and PUT:
Put Blob, `comp=block` (Put Block), `comp=blocklist` (Put Block List) and `comp=properties` (Set Blob
Properties). Every answer here, errors included, is in Azure's shape (XML errors with `x-ms-error-code`),
never the Store's JSON: the handler turns every failure into one itself.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from storeflight.auth import sas
from storeflight.blobs.protocol import (
    BlobError,
    BlobMd5Mismatch,
    BlobNotFound,
    BlobTooLarge,
    InvalidBlockId,
    InvalidBlockList,
)
from storeflight.domain import dates
from storeflight.http import blob_download
from storeflight.http.blob_quota import quota_errors, record_upload, upload_cap
from storeflight.http.blob_wire import (
    BlobHttpError,
    blob_headers,
    block_id,
    common_headers,
    content_md5,
    error_response,
    parse_block_list,
)
from storeflight.http.body_stream import BodyInterrupted, consume_body
from storeflight.http.deps import ServerState, server_state

log = logging.getLogger("storeflight.http.blobs")
router = APIRouter(include_in_schema=False)
PREFIX = f"/{sas.ACCOUNT}/"
MAX_BLOCK_LIST_BYTES = 8 * 1024 * 1024  # 50,000 ids (Azure's most) of 88 characters fit with room to spare
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]

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
}
_INTERNAL = BlobHttpError(500, "InternalError", "The server encountered an internal error. Please retry the request.")


@router.api_route(PREFIX + "{path:path}", methods=METHODS)
async def blob_endpoint(request: Request, path: str) -> Response:
    request_id = str(uuid.uuid4())
    try:
        response = await _dispatch(request, path)
    except BlobHttpError as error:
        return error_response(error, request, request_id)
    except BlobError as error:
        return error_response(_from_store(error), request, request_id)
    except BodyInterrupted:
        return error_response(
            BlobHttpError(400, "IncompleteBody", "The request body is incomplete."), request, request_id
        )
    except Exception:
        log.exception("blob request failed")
        return error_response(_INTERNAL, request, request_id)
    response.headers.update(common_headers(request, request_id))
    return response


async def _dispatch(request: Request, path: str) -> Response:
    state = server_state(request)
    container, _, name = path.partition("/")
    if request.method not in ("GET", "HEAD", "PUT"):
        raise BlobHttpError(405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.")
    _authorize(request, state, path, needed="w" if request.method == "PUT" else "r")
    if container != sas.CONTAINER or not name:
        raise BlobHttpError(400, "InvalidUri", "The requested URI does not represent any resource on the server.")
    if request.method == "HEAD":
        return await _properties(state, name)
    if request.method == "GET":
        return await blob_download.download(request, state.blobs, name)
    handlers: dict[str | None, Callable[[Request, ServerState, str], Awaitable[Response]]] = {
        None: _put_blob,
        "block": _put_block,
        "blocklist": _put_block_list,
        "properties": _set_properties,
    }
    handler = handlers.get(request.query_params.get("comp"))
    if handler is None:
        raise BlobHttpError(
            400, "InvalidQueryParameterValue", "The value for one of the query parameters is not valid."
        )
    return await handler(request, state, name)


def _authorize(request: Request, state: ServerState, path: str, *, needed: str) -> None:
    try:
        sas.verify(
            state.sas_key, blob_path=PREFIX + path, query=request.query_params, needed=needed, now=dates.utcnow()
        )
    except sas.SasRejected as rejected:
        if rejected.code == "AuthorizationPermissionMismatch":
            raise BlobHttpError(403, rejected.code, str(rejected)) from None
        message = "Server failed to authenticate the request. Make sure the SAS in the URL is complete and unexpired."
        raise BlobHttpError(403, rejected.code, message, rejected.detail) from None


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
        info = await consume_body(
            request, lambda chunks: state.blobs.put(name, chunks, max_bytes=cap, content_md5=md5)
        )
    await record_upload(state, quota, name, info.size)
    return Response(status_code=201, headers=blob_headers(info))


async def _exists(state: ServerState, name: str) -> bool:
    return await anyio.to_thread.run_sync(state.blobs.properties, name) is not None


async def _put_block(request: Request, state: ServerState, name: str) -> Response:
    block = block_id(request.query_params.get("blockid"))
    md5 = content_md5(request)
    quota = await upload_cap(state, name)
    with quota_errors(quota):
        cap = _check_length(request, quota.max_bytes)
        await consume_body(
            request, lambda chunks: state.blobs.put_block(name, block, chunks, max_bytes=cap, content_md5=md5)
        )
    headers = {"Content-MD5": base64.b64encode(md5).decode()} if md5 else {}
    return Response(status_code=201, headers=headers)


async def _put_block_list(request: Request, state: ServerState, name: str) -> Response:
    md5 = content_md5(request)
    _check_length(request, MAX_BLOCK_LIST_BYTES)
    body = await consume_body(request, lambda chunks: _read_all(chunks, MAX_BLOCK_LIST_BYTES, md5))
    refs = parse_block_list(body)
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
