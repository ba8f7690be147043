"""Blobs as files under `<data-dir>/blobs/`, served to uploaders by storeflight itself (`http/blobs.py`).

Layout (names starting with a dot are never blob names):

    <root>/<name>                           the committed blob
    <root>/.meta/<name>.json                its MD5, ETag and block list, valid only for the file it names
    <root>/.blocks/<name>/<hex id>.<size>   staged (uncommitted) blocks
    <root>/.tmp/                            files being written
    <root>/.trash/                          staged blocks of committed blobs, being deleted in the background

Every write goes to a file in `.tmp/` and is then renamed into place, so a crash at any moment leaves either
the old blob or the new one, never half of one. A blob is on disk (fsync) before it is renamed into place,
so before the request that made it is answered. Staged blocks are not synced, since most are deleted again
within seconds: their names carry their sizes, so a block cut short by a power failure fails the commit
(InvalidBlockList) instead of shortening the blob. The side file is written before the rename and names the
file (inode, mtime, size) it describes: after a crash between the two it describes nothing, and the blob
simply has no stored MD5.

Put Block List concatenates with `copy_file_range` (in the kernel, not through Python) and, like Azure,
records no MD5 for the result.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from storeflight.auth import sas
from storeflight.blobs import files
from storeflight.blobs.protocol import (
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
    BlockKind,
    BlockRef,
    InvalidBlockList,
    Meter,
    block_refs,
    check_block_id,
    check_name,
)
from storeflight.private import private_dir

STALE_TEMP = timedelta(days=1)
STALE_BLOCKS = timedelta(days=7)  # Azure discards uncommitted blocks after a week too


@dataclass(frozen=True)
class _Source:
    """Where one block of a block list comes from: a staged file, or a range of the committed blob."""

    id: str
    size: int
    path: Path | None  # None: the committed blob, from `offset`
    offset: int = 0


@dataclass
class _Committed:
    file: IO[bytes] | None
    blocks: dict[str, tuple[int, int]]  # id -> (offset, size)


class LocalBlobStore:
    """The default backend: files in the data folder, upload URLs signed with storeflight's own SAS key."""

    def __init__(self, root: Path, sas_key: str, *, fsync: bool = True) -> None:
        self.root = root
        self.sas_key = sas_key
        self.fsync = fsync
        self._tmp = root / ".tmp"
        self._meta = root / ".meta"
        self._blocks = root / ".blocks"
        self._trash = root / ".trash"
        for folder in (root, self._tmp, self._meta, self._blocks, self._trash):
            private_dir(folder)
        files.remove_older_than(self._tmp, STALE_TEMP.total_seconds())  # what crashed writers left behind
        files.remove_older_than(self._blocks, STALE_BLOCKS.total_seconds())
        files.remove_older_than(self._trash, 0)

    def upload_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        return sas.upload_url(self.sas_key, public_url=public_url, blob_id=check_name(name), expires_at=expires_at)

    def download_url(self, name: str, *, public_url: str, expires_at: datetime) -> str:
        return sas.upload_url(
            self.sas_key, public_url=public_url, blob_id=check_name(name), expires_at=expires_at, permissions="r"
        )

    def properties(self, name: str) -> BlobInfo | None:
        try:
            stat = self._path(name).stat()
        except FileNotFoundError:
            return None
        return self._info(name, stat, self._read_meta(name, stat))

    def put(self, name: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None) -> BlobInfo:
        check_name(name)
        meter = Meter(max_bytes)
        with self._temp() as (tmp, out):
            for chunk in meter.metered(chunks, content_md5):
                out.write(chunk)
            info = self._publish(name, tmp, out, meter.digest(), [])
        self._discard_staged(name)  # Put Blob discards staged blocks
        return info

    def put_block(
        self, name: str, block_id: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None
    ) -> int:
        folder = self._block_dir(name)
        stem = _block_stem(check_block_id(block_id))
        meter = Meter(max_bytes, md5=content_md5 is not None)  # a block's MD5 is only ever checked
        with self._temp() as (tmp, out):
            for chunk in meter.metered(chunks, content_md5):
                out.write(chunk)
            out.flush()
            folder.mkdir(exist_ok=True)
            target = folder / f"{stem}.{meter.size}"
            os.replace(tmp, target)
        for older in folder.glob(f"{stem}.*"):  # the same id staged before, with another size
            if older != target:
                older.unlink(missing_ok=True)
        return meter.size

    def commit_blocks(self, name: str, blocks: Sequence[BlockRef | str], *, max_bytes: int) -> BlobInfo:
        check_name(name)
        refs = block_refs(blocks)
        with contextlib.ExitStack() as stack:
            committed = self._open_committed(name, stack)
            staged = self._staged(name)
            plan = [_locate(ref, committed, staged) for ref in refs]
            total = sum(source.size for source in plan)
            if total > max_bytes:
                raise BlobTooLarge(f"the blob would be {total} bytes, more than the cap of {max_bytes}")
            with self._temp() as (tmp, out):
                for source in plan:
                    _copy(source, committed.file, out)
                info = self._publish(name, tmp, out, None, [(s.id, s.size) for s in plan])
        self._discard_staged(name)  # uncommitted blocks go with the commit
        return info

    @contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        """The blob's own file: open it once and read from that handle if the blob may be replaced meanwhile."""
        path = self._path(name)
        if not path.is_file():
            raise BlobNotFound(f"no blob named {name}")
        yield path

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
        (self._meta / f"{name}.json").unlink(missing_ok=True)
        self._discard_staged(name)

    # --- files ---------------------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def _block_dir(self, name: str) -> Path:
        return self._blocks / check_name(name)

    @contextmanager
    def _temp(self) -> Iterator[tuple[Path, IO[bytes]]]:
        """A new file in `.tmp/`, removed unless the body renamed it into place."""
        fd, raw = tempfile.mkstemp(dir=self._tmp)
        path = Path(raw)
        try:
            with os.fdopen(fd, "wb") as out:
                yield path, out
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _publish(
        self, name: str, tmp: Path, out: IO[bytes], md5: bytes | None, blocks: list[tuple[str, int]]
    ) -> BlobInfo:
        """Sync `tmp`, record its side file, then rename it over the blob: the one step that makes it visible."""
        self._sync(out)
        stat = os.fstat(out.fileno())
        etag = secrets.token_hex(8).upper()
        meta = {"file": files.identity(stat), "md5": md5.hex() if md5 else None, "etag": etag, "blocks": blocks}
        self._write_meta(name, meta)
        os.replace(tmp, self._path(name))
        if self.fsync:
            files.sync_dir(self.root)
        return self._info(name, stat, meta)

    def _sync(self, out: IO[bytes]) -> None:
        out.flush()
        if self.fsync:
            os.fsync(out.fileno())

    def _write_meta(self, name: str, meta: dict[str, Any]) -> None:
        with self._temp() as (tmp, out):
            out.write(json.dumps(meta).encode())
            self._sync(out)
            os.replace(tmp, self._meta / f"{name}.json")

    def _read_meta(self, name: str, stat: os.stat_result) -> dict[str, Any] | None:
        try:
            meta: dict[str, Any] = json.loads((self._meta / f"{name}.json").read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        return meta if meta.get("file") == files.identity(stat) else None

    def _info(self, name: str, stat: os.stat_result, meta: dict[str, Any] | None) -> BlobInfo:
        tag = meta["etag"] if meta else f"{stat.st_mtime_ns:X}{stat.st_ino:X}"
        md5 = meta.get("md5") if meta else None
        return BlobInfo(
            name=name,
            size=stat.st_size,
            etag=f'"0x{tag}"',
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
            content_md5=bytes.fromhex(md5) if md5 else None,
        )

    # --- blocks --------------------------------------------------------------------------------------------

    def _open_committed(self, name: str, stack: contextlib.ExitStack) -> _Committed:
        """The committed blob, opened, with the offsets of its blocks (if it was made from a block list)."""
        try:
            file = stack.enter_context(self._path(name).open("rb"))
        except FileNotFoundError:
            return _Committed(None, {})
        meta = self._read_meta(name, os.fstat(file.fileno())) or {}
        offsets: dict[str, tuple[int, int]] = {}
        offset = 0
        for block_id, size in meta.get("blocks", []):
            offsets[block_id] = (offset, size)
            offset += size
        return _Committed(file, offsets)

    def _staged(self, name: str) -> dict[str, tuple[Path, int]]:
        """Staged blocks by id: their files and the sizes their names record."""
        staged: dict[str, tuple[Path, int]] = {}
        with contextlib.suppress(FileNotFoundError), os.scandir(self._block_dir(name)) as entries:
            for entry in entries:
                stem, _, size = entry.name.partition(".")
                with contextlib.suppress(ValueError):
                    staged[bytes.fromhex(stem).decode()] = (Path(entry.path), int(size))
        return staged

    def _discard_staged(self, name: str) -> None:
        """Move the blob's staged blocks out of the way at once, and delete them in the background."""
        trash = self._trash / secrets.token_hex(8)
        try:
            self._block_dir(name).rename(trash)
        except FileNotFoundError:
            return
        threading.Thread(target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True}, daemon=True).start()


def _block_stem(block_id: str) -> str:
    return block_id.encode().hex()  # any id, as a safe file name


def _locate(ref: BlockRef, committed: _Committed, staged: dict[str, tuple[Path, int]]) -> _Source:
    """Where Put Block List finds a block: staged (Uncommitted), committed, or staged else committed (Latest)."""
    if ref.kind != BlockKind.COMMITTED and ref.id in staged:
        path, size = staged[ref.id]
        return _Source(ref.id, size, path)
    if ref.kind != BlockKind.UNCOMMITTED and ref.id in committed.blocks:
        offset, size = committed.blocks[ref.id]
        return _Source(ref.id, size, None, offset)
    raise InvalidBlockList(f"the block list names {ref.kind.value} block {ref.id!r}, which does not exist")


def _copy(source: _Source, committed: IO[bytes] | None, out: IO[bytes]) -> None:
    with contextlib.ExitStack() as stack:
        try:
            src = stack.enter_context(source.path.open("rb")) if source.path else committed
        except FileNotFoundError:  # discarded by a concurrent commit or delete
            raise InvalidBlockList(f"block {source.id!r} is gone") from None
        assert src is not None
        if files.copy_range(src.fileno(), source.offset, source.size, out.fileno()) != source.size:
            raise InvalidBlockList(f"block {source.id!r} is shorter than it was when staged")
