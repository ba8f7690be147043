"""The Blob REST wire format: Azure XML errors, block list bodies (both ways), and the headers every answer carries."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

# defusedxml ships no type information; the one call used here is typed at its use below.
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import Response

from storeflight.auth import sas
from storeflight.blobs.protocol import BlobInfo, BlockInfo, BlockKind, BlockRef
from storeflight.domain import dates

_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,1024}")
MAX_BLOCK_ID_BYTES = 64  # Azure's limit, before base64
BLOCK_LIST_TYPES = ("committed", "uncommitted", "all")
_BLOCK_ELEMENT_BYTES = 120  # `<Uncommitted>` + 88 base64 characters + `</Uncommitted>`, and some whitespace


class BlobHttpError(Exception):
    """An answer in Azure's error shape: status, `x-ms-error-code`, and an XML body."""

    def __init__(
        self, status: int, code: str, message: str, detail: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers or {}


def server_busy(message: str, retry_after: int) -> BlobHttpError:
    """503 ServerBusy with Retry-After: what Azure answers when it cannot take a request now (SDKs retry it)."""
    return BlobHttpError(503, "ServerBusy", message, headers={"Retry-After": str(retry_after)})


def error_response(error: BlobHttpError, request: Request, request_id: str) -> Response:
    """`<?xml ...?><Error><Code>..</Code><Message>..</Message></Error>`; HEAD answers carry only the headers."""
    now = dates.render(dates.utcnow())
    message = f"{error.message}\nRequestId:{request_id}\nTime:{now}"
    detail = f"<AuthenticationErrorDetail>{escape(error.detail)}</AuthenticationErrorDetail>" if error.detail else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(message)}</Message>{detail}</Error>"
    )
    headers = {"x-ms-error-code": error.code, **error.headers, **common_headers(request, request_id)}
    content = b"" if request.method == "HEAD" else body.encode()
    return Response(content, status_code=error.status, headers=headers, media_type="application/xml")


def common_headers(request: Request, request_id: str) -> dict[str, str]:
    """`x-ms-request-id`, `x-ms-version` (the client's if it sent one), and its `x-ms-client-request-id`."""
    version = request.headers.get("x-ms-version", "")
    headers = {
        "x-ms-request-id": request_id,
        "x-ms-version": version if _VERSION.fullmatch(version) else sas.SAS_VERSION,
    }
    client_id = request.headers.get("x-ms-client-request-id", "")
    if _CLIENT_ID.fullmatch(client_id):
        headers["x-ms-client-request-id"] = client_id
    return headers


def blob_headers(info: BlobInfo, *, md5: bool = True) -> dict[str, str]:
    headers = {"ETag": info.etag, "Last-Modified": http_date(info.last_modified)}
    if md5 and info.content_md5 is not None:
        headers["Content-MD5"] = base64.b64encode(info.content_md5).decode()
    return headers


def http_date(value: datetime) -> str:
    return format_datetime(value.replace(microsecond=0), usegmt=True)


def content_md5(request: Request) -> bytes | None:
    """The request's `Content-MD5`, decoded; 400 if it is not base64 of 16 bytes."""
    value = request.headers.get("content-md5")
    if value is None:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 16:
        raise BlobHttpError(400, "InvalidMd5", "The MD5 value specified in the request is invalid.")
    return digest


def block_id(value: str | None) -> str:
    """The `blockid` query value: base64 of 1 to 64 bytes, as Azure requires."""
    if not value:
        raise BlobHttpError(400, "MissingRequiredQueryParameter", "A query parameter that's mandatory is missing.")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raw = b""
    if not 0 < len(raw) <= MAX_BLOCK_ID_BYTES:
        raise BlobHttpError(
            400, "InvalidQueryParameterValue", "The value for blockid is not valid base64 of 1-64 bytes."
        )
    return value


def block_list_type(value: str | None) -> str:
    """The `blocklisttype` query value (default `committed`, as in Azure)."""
    kind = (value or "committed").lower()
    if kind not in BLOCK_LIST_TYPES:
        raise BlobHttpError(
            400, "InvalidQueryParameterValue", "The value for blocklisttype is not committed, uncommitted or all."
        )
    return kind


def max_block_list_bytes(max_blocks: int) -> int:
    """The largest Put Block List body worth reading: `max_blocks` elements of the longest kind."""
    return 1024 + max_blocks * _BLOCK_ELEMENT_BYTES


def render_block_list(committed: list[BlockInfo] | None, uncommitted: list[BlockInfo] | None) -> bytes:
    """`<BlockList><CommittedBlocks><Block><Name>..</Name><Size>..</Size></Block>..` (a None list is left out)."""
    parts = ['<?xml version="1.0" encoding="utf-8"?><BlockList>']
    for element, blocks in (("CommittedBlocks", committed), ("UncommittedBlocks", uncommitted)):
        if blocks is None:
            continue
        parts.append(f"<{element}>")
        parts.extend(f"<Block><Name>{escape(b.id)}</Name><Size>{b.size}</Size></Block>" for b in blocks)
        parts.append(f"</{element}>")
    parts.append("</BlockList>")
    return "".join(parts).encode()


def parse_block_list(body: bytes, *, max_blocks: int) -> list[BlockRef]:
    """`<BlockList><Latest|Committed|Uncommitted>id</...>...</BlockList>`, parsed without DTDs or entities.

    409 BlockCountExceedsLimit past `max_blocks` elements.
    """
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise BlobHttpError(400, "InvalidXmlDocument", "XML specified is not syntactically valid.") from None
    if root.tag != "BlockList":
        raise BlobHttpError(400, "InvalidXmlDocument", "The XML root element must be BlockList.")
    if len(root) > max_blocks:
        raise BlobHttpError(
            409, "BlockCountExceedsLimit", f"The block list may not contain more than {max_blocks} blocks."
        )
    kinds = {kind.value: kind for kind in BlockKind}
    refs = []
    for element in root:
        text = (element.text or "").strip()
        if element.tag not in kinds or not text:
            raise BlobHttpError(
                400, "InvalidXmlNodeValue", f"Unexpected element or empty id in BlockList: {element.tag}."
            )
        refs.append(BlockRef(text, kinds[element.tag]))
    return refs
