"""The blob endpoint behind `fileUploadUrl` in the OpenAPI document: Azure's Blob REST operations it serves,
their parameters and headers, and its Azure XML error answers (described here, since it answers them itself)."""

from __future__ import annotations

from typing import Any

from storeflight.auth import sas

PATH = f"/{sas.ACCOUNT}/{sas.CONTAINER}/{{blob}}"
_TAGS = ["blob endpoint (fileUploadUrl, local blob store)"]


def _query(name: str, description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _header(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_TEXT = {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"}
# The shared access signature the submission's fileUploadUrl (or a delivery downloadUrl) carries.
_SAS = [
    _query("sv", "Signed version.", {"type": "string", "enum": [sas.SAS_VERSION]}, required=True),
    _query("sr", "Signed resource: b (one blob).", {"type": "string", "enum": ["b"]}, required=True),
    _query(
        "sp",
        "Signed permissions (r read, w write, c create).",
        {"type": "string", "pattern": "^[rwc]{1,3}$"},
        required=True,
    ),
    _query("se", "Signed expiry, e.g. 2026-12-03T14:00:00Z.", _TEXT, required=True),
    _query("sig", "The signature (base64).", _TEXT, required=True),
]
_COMMON = [
    {"name": "blob", "in": "path", "required": True, "description": "The blob's name.", "schema": _TEXT},
    *_SAS,
    _header("x-ms-version", "The Blob REST version the client speaks; echoed back."),
    _header("x-ms-client-request-id", "Echoed back as sent (1 to 1024 printable characters)."),
]
_BLOCK_ID = {"type": "string", "pattern": "^[A-Za-z0-9+/]{2,88}={0,2}$", "maxLength": 88}
_MD5 = {"type": "string", "pattern": "^[A-Za-z0-9+/]{22}==$"}
_ANSWER_HEADERS: dict[str, Any] = {
    "x-ms-request-id": {"description": "This request's id.", "required": True, "schema": {"type": "string"}},
    "x-ms-version": {
        "description": "The Blob REST version of the answer.",
        "required": True,
        "schema": {"type": "string"},
    },
}


def _blob_headers(*, required: bool) -> dict[str, Any]:
    """The answer headers, with the blob's ETag and Last-Modified (`required` when every such answer has them)."""
    return {
        **_ANSWER_HEADERS,
        "ETag": {"required": required, "schema": {"type": "string"}},
        "Last-Modified": {"description": "An HTTP date.", "required": required, "schema": {"type": "string"}},
    }


_ERRORS: dict[str, str] = {
    "400": "Invalid request: a NUL in the path or query, a bad comp, blockid, blocklisttype, Content-MD5 or "
    "x-ms-blob-type, an MD5 that does not match, an invalid block list, or a body cut short",
    "403": "The shared access signature is missing, invalid, expired, or lacks the permission needed",
    "404": "No such blob (BlobNotFound)",
    "405": "Only GET, HEAD and PUT are served (UnsupportedHttpVerb)",
    "408": "The request body stalled (RequestTimeout)",
    "409": "The blob already exists (If-None-Match: *) or the block count exceeds the limit",
    "413": "The body is larger than the upload limit or the tenant's stored-bytes quota (RequestBodyTooLarge)",
    "416": "The range is invalid for the blob's size (InvalidRange)",
    "500": "An unexpected failure (InternalError)",
    "503": "The server is out of storage space or busy (ServerBusy); retry after Retry-After seconds",
}
_BY_METHOD = {
    "get": ("400", "403", "404", "405", "416", "500"),
    "head": ("400", "403", "404", "500"),
    "put": ("400", "403", "404", "408", "409", "413", "500", "503"),
}
_XML_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "Azure's error body; its Code is also in the x-ms-error-code header.",
    "xml": {"name": "Error"},
    "required": ["Code", "Message"],
    "properties": {
        "Code": {"type": "string"},
        "Message": {"type": "string", "description": "The message, the request id and the time, on three lines."},
        "AuthenticationErrorDetail": {"type": "string", "description": "With 403 signature failures only."},
    },
}
_BLOCK = {"type": "object", "properties": {"Name": {"type": "string"}, "Size": {"type": "integer"}}}
_BLOCK_LIST_ANSWER: dict[str, Any] = {
    "type": "object",
    "xml": {"name": "BlockList"},
    "properties": {
        kind: {"type": "array", "xml": {"wrapped": True}, "items": {**_BLOCK, "xml": {"name": "Block"}}}
        for kind in ("CommittedBlocks", "UncommittedBlocks")
    },
}
_BLOCK_LIST_REQUEST: dict[str, Any] = {
    "type": "object",
    "xml": {"name": "BlockList"},
    "description": "Latest, Committed or Uncommitted elements, each holding a block id, in blob order.",
    "properties": {kind: {"type": "string"} for kind in ("Latest", "Committed", "Uncommitted")},
}
COMPONENTS = {
    "schemas": {"BlobError": _XML_ERROR, "BlockList": _BLOCK_LIST_ANSWER, "BlockListRequest": _BLOCK_LIST_REQUEST}
}


def _errors(method: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for status in _BY_METHOD[method]:
        headers = {
            "x-ms-error-code": {"description": "The error's code.", "schema": {"type": "string"}},
            **_ANSWER_HEADERS,
        }
        if status == "503":
            headers["Retry-After"] = {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
        answer: dict[str, Any] = {"description": _ERRORS[status], "headers": headers}
        if method != "head":  # HEAD answers carry the headers only
            answer["content"] = {"application/xml": {"schema": {"$ref": "#/components/schemas/BlobError"}}}
        found[status] = answer
    return found


_BLOB_BODY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
_GET: dict[str, Any] = {
    "tags": _TAGS,
    "summary": "Get Blob, or Get Block List with comp=blocklist",
    "operationId": "blobGet",
    "parameters": [
        *_COMMON,
        _query(
            "comp", "blocklist: Get Block List; absent: the blob itself.", {"type": "string", "enum": ["blocklist"]}
        ),
        _query(
            "blocklisttype",
            "With comp=blocklist (default committed).",
            {"type": "string", "enum": ["committed", "uncommitted", "all"]},
        ),
        _header(
            "x-ms-range",
            "bytes=START-[END]: one byte range (a 206 answer).",
            {"type": "string", "pattern": "^bytes=[0-9]{1,15}-[0-9]{0,15}$"},
        ),
        _header(
            "Range",
            "The same, when x-ms-range is absent.",
            {"type": "string", "pattern": "^bytes=[0-9]{1,15}-[0-9]{0,15}$"},
        ),
    ],
    "responses": {
        "200": {
            "description": "The blob (application/octet-stream), or with comp=blocklist its block list (XML).",
            "headers": _blob_headers(required=False),
            "content": {**_BLOB_BODY, "application/xml": {"schema": {"$ref": "#/components/schemas/BlockList"}}},
        },
        "206": {
            "description": "The byte range asked for, with Content-Range.",
            "headers": {
                **_blob_headers(required=True),
                "Content-Range": {"required": True, "schema": {"type": "string"}},
            },
            "content": _BLOB_BODY,
        },
        **_errors("get"),
    },
}
_HEAD: dict[str, Any] = {
    "tags": _TAGS,
    "summary": "Get Blob Properties",
    "operationId": "blobProperties",
    "parameters": _COMMON,
    "responses": {
        "200": {
            "description": "The blob's properties, in headers only.",
            "headers": {
                **_blob_headers(required=True),
                "x-ms-blob-type": {"required": True, "schema": {"type": "string", "enum": ["BlockBlob"]}},
            },
        },
        **_errors("head"),
    },
}
_PUT: dict[str, Any] = {
    "tags": _TAGS,
    "summary": "Put Blob; Put Block, Put Block List, Set Blob Properties (comp=block, blocklist, properties)",
    "description": "Uploads hold one of the tenant's upload slots and count towards its stored-bytes quota when the "
    "blob is complete (Put Blob, Put Block List).",
    "operationId": "blobPut",
    "parameters": [
        *_COMMON,
        _query(
            "comp",
            "absent: Put Blob; block, blocklist or properties.",
            {"type": "string", "enum": ["block", "blocklist", "properties"]},
        ),
        _query("blockid", "With comp=block: base64 of 1 to 64 bytes.", _BLOCK_ID),
        _header("x-ms-blob-type", "Put Blob: must be BlockBlob.", {"type": "string", "enum": ["BlockBlob"]}),
        _header("Content-MD5", "Base64 of the body's MD5; checked when given.", _MD5),
        _header("If-None-Match", "*: refuse to overwrite an existing blob (409).", {"type": "string", "enum": ["*"]}),
    ],
    "requestBody": {
        "required": False,
        "content": {
            **_BLOB_BODY,
            "application/xml": {"schema": {"$ref": "#/components/schemas/BlockListRequest"}},
        },
    },
    "responses": {
        "201": {
            "description": "Created: the blob, the block, or the committed block list (ETag and Last-Modified but "
            "for a block).",
            "headers": _blob_headers(required=False),
        },
        "200": {"description": "Set Blob Properties: accepted.", "headers": _blob_headers(required=True)},
        **_errors("put"),
    },
}
OPENAPI: dict[str, Any] = {PATH: {"get": _GET, "head": _HEAD, "put": _PUT}}
ALLOWED_METHODS = "GET, HEAD, PUT"
