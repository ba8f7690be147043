"""The blob storage contract. Every backend passes the one conformance suite in tests/blobs/."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


class BlobNotFound(Exception):
    """No committed blob under this name."""


class BlobTooLarge(Exception):
    """The blob would exceed the configured size cap."""


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    etag: str
    last_modified: datetime
    content_md5: bytes | None = None


class BlobStore(Protocol):
    """Where uploaded submission archives live. Names are the submissions' upload blob ids."""

    def upload_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        """A signed URL with which a client uploads this blob (write, read, list), valid until `expires_at`."""

    def properties(self, name: str) -> BlobInfo | None:
        """The committed blob's properties, or None."""

    def put(self, name: str, chunks: Iterable[bytes], *, max_bytes: int) -> BlobInfo:
        """Store a whole blob from a stream of chunks, in constant memory; BlobTooLarge past `max_bytes`."""

    def put_block(self, name: str, block_id: str, chunks: Iterable[bytes], *, max_bytes: int) -> int:
        """Stage one uncommitted block; returns its size."""

    def commit_blocks(self, name: str, block_ids: list[str], *, max_bytes: int) -> BlobInfo:
        """Make the blob the concatenation of the named blocks (staged or already committed)."""

    def local_copy(self, name: str) -> AbstractContextManager[Path]:
        """A seekable local file with the blob's content, for as long as the context lasts."""

    def delete(self, name: str) -> None:
        """Remove the blob and its staged blocks, if any."""


