"""Blobs as files under `<data-dir>/blobs/`, served to uploaders by storeflight itself (`http/blobs.py`).

Layout (names starting with a dot are never blob names):

    <root>/<name>                           the committed blob
    <root>/.meta/<name>.json                its MD5, ETag and block list, valid only for the file it names
    <root>/.blocks/<name>/<hex id>.<size>   staged (uncommitted) blocks
    <root>/.tmp/proc-*/                     files being written, one locked folder per process
    <root>/.trash/                          staged blocks of committed blobs, being deleted in the background

Every write goes to a file in `.tmp/` and is then renamed into place, so a crash at any moment leaves either
the old blob or the new one, never half of one. A blob is on disk (fsync) before it is renamed into place,
so before the request that made it is answered. Staged blocks are not synced, since most are deleted again
within seconds: their names carry their sizes, so a block cut short by a power failure fails the commit
(InvalidBlockList) instead of shortening the blob. The side file is written before the rename and names the
file (inode, mtime, size) it describes: after a crash between the two it describes nothing, and the blob
simply has no stored MD5.

Put Block List concatenates with `copy_file_range` (in the kernel, not through Python) and, like Azure,
records no MD5 for the result. A block may appear once in a list, so a blob is never larger than the bytes
uploaded for it; a commit of exactly the blob's current list writes nothing. Staged blocks are bounded per
blob in number and bytes (`BlockLimits`), counted in memory (this process serves the uploads).

Every write keeps the free-space floor (`SpaceFloor`) and turns a full disk into OutOfSpace; the `.tmp/`
file of a failed write is removed, so a full disk leaves no partial files behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from storeflight import scratch
from storeflight.auth import sas
from storeflight.blobs import files
from storeflight.blobs.protocol import (
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
    BlockInfo,
    BlockKind,
    BlockLimits,
    BlockRef,
    InvalidBlockList,
    Meter,
    OutOfSpace,
    TooManyBlocks,
    block_refs,
    check_block_id,
    check_name,
)
from storeflight.blobs.space import SpaceFloor
from storeflight.private import private_dir
from storeflight.signing.keys import KeyPair, fixed

STALE_TEMP = timedelta(days=1)
STALE_BLOCKS = timedelta(days=7)  # Azure discards uncommitted blocks after a week too
FLOOR_CHECK_BYTES = 8 * 1024 * 1024  # a streaming write looks at the free space this often


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
    meta: dict[str, Any] | None = None


class _Usage:
    """One blob's staged blocks, as this process knows them: id -> size, and their total."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.bytes = sum(sizes.values())

    def set(self, block_id: str, size: int) -> None:
        self.bytes += size - self.sizes.get(block_id, 0)
        self.sizes[block_id] = size


class LocalBlobStore:
    """The default backend: files in the data folder, upload URLs signed with storeflight's own SAS key."""

    def __init__(
        self,
        root: Path,
        sas_key: str | Callable[[], KeyPair],
        *,
        fsync: bool = True,
        limits: BlockLimits | None = None,
        min_free_bytes: int = 0,
    ) -> None:
        self.root = root
        self._sas_keys = sas_key if callable(sas_key) else fixed(KeyPair(sas_key))
        self.fsync = fsync
        self.limits = limits or BlockLimits()
        self.floor = SpaceFloor(root, min_free_bytes)
        self._usage: dict[str, _Usage] = {}
        self._usage_lock = threading.Lock()
        self._tmp = root / ".tmp"
        self._meta = root / ".meta"
        self._blocks = root / ".blocks"
        self._trash = root / ".trash"
        for folder in (root, self._tmp, self._meta, self._blocks, self._trash):
            private_dir(folder)
        scratch.sweep(self._tmp, ("proc-",))  # the files of stopped processes: partial uploads
        files.remove_older_than(self._tmp, STALE_TEMP.total_seconds(), only_files=True)  # older versions'
        self._work = scratch.LockedFolder(self._tmp, "proc-")  # this process's, locked while it lives
        files.remove_older_than(self._blocks, STALE_BLOCKS.total_seconds())
        files.remove_older_than(self._trash, 0)

    @property
    def sas_key(self) -> str:
        """The key new URLs are signed with (the previous one still verifies: `sas_keys`)."""
        return self._sas_keys().current

    def sas_keys(self) -> KeyPair:
        """The keys a URL's signature is checked against: current, then previous."""
        return self._sas_keys()

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
        with _disk_full_as_error(), self._temp() as (tmp, out):
            self.floor.check()
            self._stream(meter.metered(chunks, content_md5), out)
            info = self._publish(name, tmp, out, meter.digest(), [])
        self._discard_staged(name)  # Put Blob discards staged blocks
        return info

    def put_block(
        self, name: str, block_id: str, chunks: Iterable[bytes], *, max_bytes: int, content_md5: bytes | None = None
    ) -> int:
        folder = self._block_dir(name)
        check_block_id(block_id)
        usage = self._usage_of(name)
        with self._usage_lock:
            room = self._staged_room(usage, block_id, max_bytes)
        meter = Meter(room, md5=content_md5 is not None)  # a block's MD5 is only ever checked
        with _disk_full_as_error(), self._temp() as (tmp, out):
            self.floor.check()
            self._stream(meter.metered(chunks, content_md5), out)
            out.flush()
            with self._usage_lock:  # blocks of one blob arrive in parallel: admit each against the others
                if meter.size > self._staged_room(usage, block_id, max_bytes):
                    raise BlobTooLarge(f"staging this block would pass the cap of {self._staged_cap(max_bytes)}")
                self._stage(folder, block_id, tmp, meter.size, usage)
        return meter.size

    def commit_blocks(self, name: str, blocks: Sequence[BlockRef | str], *, max_bytes: int) -> BlobInfo:
        check_name(name)
        refs = block_refs(blocks)
        if len(refs) > self.limits.max_blob_blocks:
            raise TooManyBlocks(f"{len(refs)} blocks listed, more than {self.limits.max_blob_blocks}")
        with _disk_full_as_error(), contextlib.ExitStack() as stack:
            committed = self._open_committed(name, stack)
            staged = self._staged(name)
            plan = [_locate(ref, committed, staged) for ref in refs]
            total = sum(source.size for source in plan)
            if total > max_bytes:
                raise BlobTooLarge(f"the blob would be {total} bytes, more than the cap of {max_bytes}")
            if committed.file is not None and _unchanged(plan, committed):
                info = self._info(name, os.fstat(committed.file.fileno()), committed.meta)
            else:
                info = self._write_blocks(name, plan, committed, total)
        self._discard_staged(name)  # uncommitted blocks go with the commit
        return info

    def block_list(self, name: str) -> tuple[list[BlockInfo], list[BlockInfo]] | None:
        with contextlib.ExitStack() as stack:
            committed = self._open_committed(name, stack)
        staged = sorted(self._staged(name).items(), key=lambda item: (_mtime(item[1][0]), item[0]))
        if committed.file is None and not staged:
            return None
        return (
            [BlockInfo(block_id, size) for block_id, (_, size) in committed.blocks.items()],
            [BlockInfo(block_id, size) for block_id, (_, size) in staged],
        )

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

    def _write_blocks(self, name: str, plan: list[_Source], committed: _Committed, total: int) -> BlobInfo:
        self.floor.check(total)
        with self._temp() as (tmp, out):
            for source in plan:
                _copy(source, committed.file, out)
            return self._publish(name, tmp, out, None, [(s.id, s.size) for s in plan])

    # --- files ---------------------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def _block_dir(self, name: str) -> Path:
        return self._blocks / check_name(name)

    @contextmanager
    def _temp(self) -> Iterator[tuple[Path, IO[bytes]]]:
        """A new file in `.tmp/`, removed unless the body renamed it into place."""
        fd, raw = tempfile.mkstemp(dir=self._work.path)
        path = Path(raw)
        try:
            with os.fdopen(fd, "wb") as out:
                yield path, out
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _stream(self, chunks: Iterable[bytes], out: IO[bytes]) -> None:
        """Write `chunks`, looking at the free-space floor every few MiB."""
        unchecked = 0
        for chunk in chunks:
            out.write(chunk)
            unchecked += len(chunk)
            if unchecked >= FLOOR_CHECK_BYTES:
                self.floor.check()
                unchecked = 0

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
        meta = self._read_meta(name, os.fstat(file.fileno()))
        offsets: dict[str, tuple[int, int]] = {}
        offset = 0
        for block_id, size in (meta or {}).get("blocks", []):
            offsets[block_id] = (offset, size)
            offset += size
        return _Committed(file, offsets, meta)

    def _staged(self, name: str) -> dict[str, tuple[Path, int]]:
        """Staged blocks by id: their files and the sizes their names record."""
        staged: dict[str, tuple[Path, int]] = {}
        with contextlib.suppress(FileNotFoundError), os.scandir(self._block_dir(name)) as entries:
            for entry in entries:
                stem, _, size = entry.name.partition(".")
                with contextlib.suppress(ValueError):
                    staged[bytes.fromhex(stem).decode()] = (Path(entry.path), int(size))
        return staged

    def _usage_of(self, name: str) -> _Usage:
        """The blob's staged blocks as counted here; read from disk the first time (e.g. after a restart)."""
        with self._usage_lock:
            usage = self._usage.get(name)
        if usage is None:
            found = _Usage({block_id: size for block_id, (_, size) in self._staged(name).items()})
            with self._usage_lock:
                usage = self._usage.setdefault(name, found)
        return usage

    def _staged_cap(self, max_bytes: int) -> int:
        cap = self.limits.max_staged_bytes
        return max_bytes if cap is None else cap

    def _staged_room(self, usage: _Usage, block_id: str, max_bytes: int) -> int:
        """How large this block may be (call with the usage lock held); TooManyBlocks if it may not be staged."""
        replaced = usage.sizes.get(block_id)
        if replaced is None and len(usage.sizes) >= self.limits.max_staged_blocks:
            raise TooManyBlocks(f"the blob has {len(usage.sizes)} staged blocks, the most allowed")
        return max(0, min(max_bytes, self._staged_cap(max_bytes) - usage.bytes + (replaced or 0)))

    def _stage(self, folder: Path, block_id: str, tmp: Path, size: int, usage: _Usage) -> None:
        """Rename the written block into place, replacing one of the same id (call with the usage lock held)."""
        stem = _block_stem(block_id)
        folder.mkdir(exist_ok=True)
        os.replace(tmp, folder / f"{stem}.{size}")
        older = usage.sizes.get(block_id)
        if older is not None and older != size:
            (folder / f"{stem}.{older}").unlink(missing_ok=True)
        usage.set(block_id, size)

    def _discard_staged(self, name: str) -> None:
        """Move the blob's staged blocks out of the way at once, and delete them in the background."""
        trash = self._trash / secrets.token_hex(8)
        with self._usage_lock:
            self._usage.pop(name, None)
        try:
            self._block_dir(name).rename(trash)
        except FileNotFoundError:
            return
        threading.Thread(target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True}, daemon=True).start()


@contextmanager
def _disk_full_as_error() -> Iterator[None]:
    """ENOSPC (and a full quota) as OutOfSpace; the `.tmp/` file was removed on the way out."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OutOfSpace(f"the disk is full: {error.strerror}") from error
        raise


def _unchanged(plan: list[_Source], committed: _Committed) -> bool:
    """The list names exactly the committed blocks, in order: committing it again writes nothing."""
    return bool(plan) and [(s.id, s.path) for s in plan] == [(b, None) for b in committed.blocks]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


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
