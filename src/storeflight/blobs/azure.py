"""Blobs in Azure Blob Storage (or Azurite): clients upload straight to Azure with a SAS the SDK generates.

Needs the `azure` extra (`pip install "storeflight[azure]"`) and a connection string with an account key,
which signs the upload URLs.
"""

from __future__ import annotations

import functools
import secrets
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import (
    BlobBlock,
    BlobClient,
    BlobSasPermissions,
    BlobServiceClient,
    BlockState,
    ContentSettings,
    generate_blob_sas,
)

from storeflight.blobs.protocol import (
    BlobInfo,
    BlobMd5Mismatch,
    BlobNotFound,
    BlobTooLarge,
    BlockInfo,
    BlockKind,
    BlockRef,
    InvalidBlockId,
    InvalidBlockList,
    Meter,
    block_refs,
    check_block_id,
    check_name,
)

BLOCK_SIZE = 4 * 1024 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024
_STATE = {BlockKind.LATEST: BlockState.LATEST, BlockKind.COMMITTED: BlockState.COMMITTED}
_STATE[BlockKind.UNCOMMITTED] = BlockState.UNCOMMITTED
_ERRORS: dict[str, type[Exception]] = {
    "InvalidBlockList": InvalidBlockList,
    "InvalidBlockId": InvalidBlockId,
    "Md5Mismatch": BlobMd5Mismatch,
    "RequestBodyTooLarge": BlobTooLarge,
}


class AzureBlobStore:
    """A container in an Azure storage account; created on first use if missing."""

    def __init__(self, connection_string: str, container: str, *, block_size: int = BLOCK_SIZE) -> None:
        service = BlobServiceClient.from_connection_string(connection_string)
        account_key = getattr(service.credential, "account_key", None)
        if not account_key:
            raise ValueError("the Azure connection string needs an AccountKey: it signs the upload URLs")
        self._account: str = service.account_name or ""
        self._key: str = account_key
        self._container = service.get_container_client(container)
        self._block_size = block_size
        with suppress(ResourceExistsError):
            self._container.create_container()
        self._signed_url = functools.lru_cache(maxsize=4096)(self._sign)

    def upload_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        """A real Azure SAS URL (read, create, write) on the storage endpoint: `public_url` plays no part."""
        return self._signed_url(check_name(name), expires_at)

    def download_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        """A real Azure SAS URL that only reads."""
        token = generate_blob_sas(
            self._account,
            self._container.container_name,
            check_name(name),
            account_key=self._key,
            permission=BlobSasPermissions(read=True),
            expiry=expires_at,
        )
        return f"{self._blob(name).url}?{token}"

    def properties(self, name: str) -> BlobInfo | None:
        try:
            props = self._blob(name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        md5 = props.content_settings.content_md5
        return BlobInfo(name, props.size, _quoted(props.etag), props.last_modified, bytes(md5) if md5 else None)

    def put(self, name: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None) -> BlobInfo:
        """Staged in blocks, then one commit that sets the MD5 and drops other staged blocks.

        A single Put Blob would save a request for small blobs, but Azurite keeps staged blocks across it. Azure
        wants every staged id of a blob to have one length: ours have the SDK's (64), as clients' ids do.
        """
        blob = self._blob(name)
        meter = Meter(max_bytes)
        with _mapped():
            ids = [self._stage(blob, block) for block in _rechunk(meter.metered(chunks, content_md5), self._block_size)]
            settings = ContentSettings(content_md5=bytearray(meter.digest()))
            result = blob.commit_block_list(ids, content_settings=settings)
        return _written(name, meter.size, result, meter.digest())

    def put_block(
        self, name: str, block_id: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None
    ) -> int:
        blob = self._blob(name)
        check_block_id(block_id)
        meter = Meter(max_bytes)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            for chunk in meter.metered(chunks, content_md5):
                spool.write(chunk)
            spool.seek(0)
            with _mapped():
                blob.stage_block(block_id, spool, length=meter.size)
        return meter.size

    def commit_blocks(self, name: str, blocks: Sequence[BlockRef | str], *, max_bytes: int) -> BlobInfo:
        blob = self._blob(name)
        refs = block_refs(blocks)
        sizes = self._block_sizes(blob, refs)
        total = sum(sizes)
        if total > max_bytes:
            raise BlobTooLarge(f"the blob would be {total} bytes, more than the cap of {max_bytes}")
        with _mapped():
            result = blob.commit_block_list([BlobBlock(ref.id, _STATE[ref.kind]) for ref in refs])
        return _written(name, total, result, None)

    def block_list(self, name: str) -> tuple[list[BlockInfo], list[BlockInfo]] | None:
        try:
            with _mapped():
                committed, staged = self._blob(name).get_block_list("all")
        except BlobNotFound:
            return None
        return [BlockInfo(b.id, int(b.size)) for b in committed], [BlockInfo(b.id, int(b.size)) for b in staged]

    @contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        blob = self._blob(name)
        with tempfile.TemporaryDirectory(prefix="storeflight-blob-") as folder:
            path = Path(folder) / name
            with _mapped(), path.open("wb") as out:
                blob.download_blob(max_concurrency=2).readinto(out)
            yield path

    def delete(self, name: str) -> None:
        blob = self._blob(name)
        with _mapped():
            try:
                blob.delete_blob()
            except ResourceNotFoundError:
                # Staged blocks of a never-committed blob can only be dropped by committing, then deleting.
                blob.commit_block_list([])
                blob.delete_blob()

    # --- helpers -------------------------------------------------------------------------------------------

    def _blob(self, name: str) -> BlobClient:
        return self._container.get_blob_client(check_name(name))

    def _sign(self, name: str, expires_at: datetime) -> str:
        token = generate_blob_sas(
            self._account,
            self._container.container_name,
            name,
            account_key=self._key,
            permission=BlobSasPermissions(read=True, create=True, write=True),
            expiry=expires_at,
        )
        return f"{self._blob(name).url}?{token}"

    def _stage(self, blob: BlobClient, block: bytes) -> BlobBlock:
        block_id = secrets.token_hex(32)
        blob.stage_block(block_id, block, length=len(block))
        return BlobBlock(block_id)

    def _block_sizes(self, blob: BlobClient, refs: list[BlockRef]) -> list[int]:
        """Each listed block's size, looked up as Put Block List will (InvalidBlockList if one is missing)."""
        try:
            with _mapped():
                committed, staged = blob.get_block_list("all")
        except BlobNotFound:
            committed, staged = [], []
        found = {BlockKind.COMMITTED: {b.id: b.size for b in committed}, BlockKind.UNCOMMITTED: {}}
        found[BlockKind.UNCOMMITTED] = {b.id: b.size for b in staged}
        found[BlockKind.LATEST] = {**found[BlockKind.COMMITTED], **found[BlockKind.UNCOMMITTED]}
        sizes = []
        for ref in refs:
            if ref.id not in found[ref.kind]:
                raise InvalidBlockList(f"the block list names {ref.kind.value} block {ref.id!r}, which does not exist")
            sizes.append(int(found[ref.kind][ref.id]))
        return sizes


@contextmanager
def _mapped() -> Iterator[None]:
    """Azure's errors as the protocol's (httpx's `map_exceptions`, for one vendor)."""
    try:
        yield
    except ResourceNotFoundError as error:
        raise BlobNotFound(str(error.message)) from error
    except HttpResponseError as error:
        mapped = _ERRORS.get(str(getattr(error, "error_code", "")))
        if mapped is None:
            raise
        raise mapped(str(error.message)) from error


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The stream cut into pieces of exactly `size` bytes (the last one shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _written(name: str, size: int, result: dict[str, Any], md5: bytes | None) -> BlobInfo:
    """BlobInfo from the headers of an upload or commit answer."""
    modified = result["last_modified"]
    assert isinstance(modified, datetime)
    return BlobInfo(name, size, _quoted(result["etag"]), modified, md5)


def _quoted(etag: Any) -> str:
    text = str(etag)
    return text if text.startswith('"') else f'"{text}"'
