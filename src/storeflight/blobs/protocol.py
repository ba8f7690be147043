"""The blob storage contract. Every backend passes the one conformance suite in tests/blobs/.

Errors (each backend turns its vendor's errors into these, so callers never import a storage SDK):

    BlobError
    ├── BlobNotFound       no committed blob under this name
    ├── BlobTooLarge       past the size cap (nothing was stored)
    ├── BlobMd5Mismatch    the content does not have the MD5 the caller expected (nothing was stored)
    ├── InvalidBlockId     a block id no backend can store
    ├── InvalidBlockList   a block list names a block that is not there, or one block twice
    ├── TooManyBlocks      more blocks listed or staged than the limits allow (nothing was stored)
    └── OutOfSpace         the disk is full, or would be below its free-space floor (nothing was stored)
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

MAX_BLOCK_ID = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class BlobError(Exception):
    """Root of the blob storage errors."""


class BlobNotFound(BlobError):
    """No committed blob under this name."""


class BlobTooLarge(BlobError):
    """The blob would exceed the configured size cap."""


class BlobMd5Mismatch(BlobError):
    """The content's MD5 is not the one the caller announced."""


class InvalidBlockId(BlobError):
    """The block id is empty or too long."""


class InvalidBlockList(BlobError):
    """The block list names a block that is neither staged nor committed (as its kind demands)."""


class TooManyBlocks(BlobError):
    """A block list, or a blob's staged blocks, would have more blocks than the limits allow."""


class OutOfSpace(BlobError):
    """The disk has no room for the write (or the write would eat into the free-space floor)."""


@dataclass(frozen=True)
class BlockLimits:
    """Bounds on one blob's blocks (the local backend's; Azure enforces its own).

    `max_staged_bytes` None means the blob size cap the caller passes (`max_bytes`).
    """

    max_blob_blocks: int = 50_000  # blocks in one committed list (Azure's limit)
    max_staged_blocks: int = 50_000  # uncommitted blocks of one blob (Azure allows 100,000)
    max_staged_bytes: int | None = None


@dataclass(frozen=True)
class BlockInfo:
    id: str
    size: int


class BlockKind(StrEnum):
    """Where Put Block List looks a block id up (the element names of the Blob REST API)."""

    LATEST = "Latest"  # the staged block if there is one, else the committed one
    COMMITTED = "Committed"
    UNCOMMITTED = "Uncommitted"


@dataclass(frozen=True)
class BlockRef:
    id: str
    kind: BlockKind = BlockKind.LATEST


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    etag: str  # quoted, as in the HTTP header
    last_modified: datetime
    content_md5: bytes | None = None  # None when the backend does not know it (Azure, after a block list)


class BlobStore(Protocol):
    """Where uploaded submission archives live. Names are the submissions' upload blob ids.

    Block ids are opaque strings of 1 to 64 characters (longer ones are not portable across backends).
    """

    def upload_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        """A signed URL with which a client uploads this blob (read, write), valid until `expires_at`."""

    def download_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        """A signed URL that only downloads this blob, valid until `expires_at`."""

    def properties(self, name: str) -> BlobInfo | None:
        """The committed blob's properties, or None."""

    def put(self, name: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None) -> BlobInfo:
        """Store a whole blob from a stream of chunks, in constant memory, replacing it and any staged blocks.

        BlobTooLarge past `max_bytes`, BlobMd5Mismatch if `content_md5` is given and wrong; in both cases, and
        if `chunks` raises, the previous blob (if any) stays as it was.
        """

    def put_block(
        self, name: str, block_id: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None
    ) -> int:
        """Stage one uncommitted block (replacing a staged block of the same id); returns its size."""

    def commit_blocks(self, name: str, blocks: Sequence[BlockRef | str], *, max_bytes: int) -> BlobInfo:
        """Make the blob the concatenation of the named blocks, in list order; a plain id means Latest.

        Staged blocks not in the list are discarded. InvalidBlockList for a missing block or an id listed twice
        (so a blob is never larger than the bytes uploaded for it), BlobTooLarge if the result would exceed
        `max_bytes`; either way the previous blob stays.
        """

    def block_list(self, name: str) -> tuple[list[BlockInfo], list[BlockInfo]] | None:
        """(committed, uncommitted) blocks in order; None if there is neither a blob nor a staged block."""

    def local_copy(self, name: str) -> AbstractContextManager[Path]:
        """A seekable local file with the blob's content, for as long as the context lasts; BlobNotFound."""

    def delete(self, name: str) -> None:
        """Remove the blob and its staged blocks, if any."""


def check_name(name: str) -> str:
    """Blob names are submission ids: letters, digits, `.`, `_`, `-`, not starting with a dot."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a valid blob name: {name!r}")
    return name


def check_block_id(block_id: str) -> str:
    if not 0 < len(block_id) <= MAX_BLOCK_ID:
        raise InvalidBlockId(f"block ids have 1 to {MAX_BLOCK_ID} characters, not {len(block_id)}")
    return block_id


def block_refs(blocks: Sequence[BlockRef | str]) -> list[BlockRef]:
    """The list as BlockRefs; InvalidBlockList if one id is listed twice (a block is used at most once)."""
    refs = [b if isinstance(b, BlockRef) else BlockRef(b) for b in blocks]
    seen: set[str] = set()
    for ref in refs:
        check_block_id(ref.id)
        if ref.id in seen:
            raise InvalidBlockList(f"block {ref.id!r} is listed more than once")
        seen.add(ref.id)
    return refs


class Meter:
    """Counts (and, unless told not to, hashes) a stream while it passes, enforcing the size cap as it goes."""

    def __init__(self, max_bytes: int, *, md5: bool = True) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False) if md5 else None

    def add(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise BlobTooLarge(f"the blob is larger than the cap of {self.max_bytes} bytes")
        if self._md5 is not None:
            self._md5.update(chunk)
        return chunk

    def digest(self) -> bytes:
        assert self._md5 is not None, "this meter does not hash"
        return self._md5.digest()

    def check(self, expected: bytes | None) -> None:
        """BlobMd5Mismatch if `expected` is given and is not the MD5 of everything seen."""
        if expected is not None and not hmac.compare_digest(self.digest(), expected):
            raise BlobMd5Mismatch("the MD5 of the content does not match the one given")

    def metered(self, chunks: Iterable[bytes], expected_md5: bytes | None = None) -> Iterator[bytes]:
        """`chunks`, counted and hashed; raises at the end (before it is exhausted) on an MD5 mismatch."""
        for chunk in chunks:
            if chunk:
                yield self.add(chunk)
        self.check(expected_md5)
