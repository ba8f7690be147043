"""What only the local backend promises: its files, crash safety, and the clean-up of what crashes leave."""

from __future__ import annotations

import errno
import io
import multiprocessing
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import pytest

from storeflight.blobs import files
from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import (
    BlobTooLarge,
    BlockInfo,
    BlockKind,
    BlockLimits,
    BlockRef,
    InvalidBlockList,
    OutOfSpace,
    TooManyBlocks,
)
from tests.support import fill_disk, small_disk

CAP = 1024 * 1024 * 1024


def _die_while_putting(root: Path) -> None:
    store = LocalBlobStore(root, "key")

    def chunks() -> Iterator[bytes]:
        yield b"x" * 1_000_000
        os._exit(3)  # the process dies mid-upload: no exception handler, no clean-up

    store.put("victim", chunks(), max_bytes=CAP)


def test_a_process_killed_mid_upload_leaves_the_old_blob_and_no_half_one(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key")
    store.put("victim", [b"complete"], max_bytes=CAP)
    process = multiprocessing.get_context("spawn").Process(target=_die_while_putting, args=(tmp_path,))
    process.start()
    process.join(30)
    assert process.exitcode == 3
    assert (tmp_path / "victim").read_bytes() == b"complete"
    assert len(list((tmp_path / ".tmp").iterdir())) == 1  # the half-written temp file, never visible as a blob
    old = time.time() - 2 * 86400
    for leftover in (tmp_path / ".tmp").iterdir():
        os.utime(leftover, (old, old))
    LocalBlobStore(tmp_path, "key")  # a restart sweeps temp files older than a day
    assert list((tmp_path / ".tmp").iterdir()) == []


def test_blobs_are_plain_files_in_the_data_folder(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs", "key")
    store.put("3f1c-id", [b"zip"], max_bytes=CAP)
    assert (tmp_path / "blobs" / "3f1c-id").read_bytes() == b"zip"
    with store.local_copy("3f1c-id") as path:
        assert path == tmp_path / "blobs" / "3f1c-id"


def test_a_staged_block_cut_short_fails_the_commit(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key")
    store.put_block("b", "block-1", [b"0123456789"], max_bytes=CAP)
    (staged,) = (tmp_path / ".blocks" / "b").iterdir()
    assert staged.name.endswith(".10")  # the size it had when staged
    staged.write_bytes(b"01234")  # what a power failure can leave of an unsynced file
    with pytest.raises(InvalidBlockList):
        store.commit_blocks("b", ["block-1"], max_bytes=CAP)
    assert store.properties("b") is None


def test_a_side_file_that_describes_another_file_is_ignored(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key")
    store.put("s", [b"first"], max_bytes=CAP)
    (tmp_path / "s").write_bytes(b"replaced behind the store's back")  # as after a crash between the two renames
    info = store.properties("s")
    assert info is not None
    assert info.content_md5 is None and info.size == len(b"replaced behind the store's back")


def test_committed_staging_is_cleaned_up_and_swept_on_start(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key")
    store.put_block("c", "a", [b"aaa"], max_bytes=CAP)
    store.commit_blocks("c", ["a"], max_bytes=CAP)
    assert not (tmp_path / ".blocks" / "c").exists()
    (tmp_path / ".trash" / "left-by-a-crash").mkdir()
    LocalBlobStore(tmp_path, "key")
    assert not (tmp_path / ".trash" / "left-by-a-crash").exists()


@pytest.mark.parametrize("name", ["", ".meta", "../escape", "a/b", "with space", "x" * 201])
def test_names_that_are_not_blob_ids_are_refused(tmp_path: Path, name: str) -> None:
    store = LocalBlobStore(tmp_path, "key")
    with pytest.raises(ValueError, match="not a valid blob name"):
        store.put(name, [b"x"], max_bytes=CAP)


# --- bounds on blocks ---------------------------------------------------------------------------------------


def test_staged_blocks_are_bounded_in_number_and_bytes(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key", limits=BlockLimits(max_staged_blocks=3, max_staged_bytes=1000))
    for block_id in ("a", "b", "c"):
        store.put_block("n", block_id, [b"x" * 100], max_bytes=CAP)
    with pytest.raises(TooManyBlocks):
        store.put_block("n", "d", [b"x"], max_bytes=CAP)
    store.put_block("n", "a", [b"y" * 700], max_bytes=CAP)  # restaging an id replaces it: 700 + 100 + 100
    with pytest.raises(BlobTooLarge):
        store.put_block("n", "b", [b"z" * 201], max_bytes=CAP)
    assert store.block_list("n") == ([], [BlockInfo("b", 100), BlockInfo("c", 100), BlockInfo("a", 700)])
    store.commit_blocks("n", ["a", "b", "c"], max_bytes=CAP)  # the commit frees the staging allowance
    store.put_block("n", "d", [b"d" * 1000], max_bytes=CAP)


def test_the_staged_bytes_bound_defaults_to_the_blob_size_cap(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key")
    store.put_block("cap", "a", [b"x" * 600], max_bytes=1000)
    with pytest.raises(BlobTooLarge):
        store.put_block("cap", "b", [b"x" * 600], max_bytes=1000)


def test_staged_blocks_are_counted_again_after_a_restart(tmp_path: Path) -> None:
    limits = BlockLimits(max_staged_blocks=2)
    LocalBlobStore(tmp_path, "key", limits=limits).put_block("r", "a", [b"x"], max_bytes=CAP)
    again = LocalBlobStore(tmp_path, "key", limits=limits)
    again.put_block("r", "b", [b"x"], max_bytes=CAP)
    with pytest.raises(TooManyBlocks):
        again.put_block("r", "c", [b"x"], max_bytes=CAP)


def test_a_list_longer_than_the_limit_is_refused_before_writing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key", limits=BlockLimits(max_blob_blocks=2))
    for block_id in ("a", "b", "c"):
        store.put_block("long", block_id, [b"x"], max_bytes=CAP)
    with pytest.raises(TooManyBlocks):
        store.commit_blocks("long", ["a", "b", "c"], max_bytes=CAP)
    assert store.properties("long") is None


def test_a_repeated_commit_writes_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "key")
    store.put_block("same", "a", [b"A" * 1000], max_bytes=CAP)
    first = store.commit_blocks("same", ["a"], max_bytes=CAP)
    inode = (tmp_path / "same").stat().st_ino
    again = store.commit_blocks("same", [BlockRef("a", BlockKind.COMMITTED)], max_bytes=CAP)
    assert again.etag == first.etag and (tmp_path / "same").stat().st_ino == inode


# --- a full disk ---------------------------------------------------------------------------------------------


class _FullDisk(io.RawIOBase):
    """A file that takes `room` bytes and then fails as a full disk does."""

    def __init__(self, real: IO[bytes], room: int) -> None:
        self.real, self.room = real, room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.real.write(data)

    def fileno(self) -> int:
        return self.real.fileno()

    def flush(self) -> None:
        self.real.flush()


def _enospc(*_: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class EnospcStore(LocalBlobStore):
    """The local store on a disk with `room` bytes left for each new file: its writes raise ENOSPC past that."""

    room = 1000

    @contextmanager
    def _temp(self) -> Iterator[tuple[Path, IO[bytes]]]:
        with super()._temp() as (path, out):
            yield path, cast(IO[bytes], _FullDisk(out, self.room))


@pytest.mark.parametrize("write", ["put", "put_block", "commit"])
def test_enospc_is_out_of_space_and_leaves_no_partial_file(
    tmp_path: Path, write: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EnospcStore(tmp_path, "key")
    store.put("blob", [b"kept"], max_bytes=CAP)
    store.put_block("blob", "small", [b"s" * 500], max_bytes=CAP)
    store.put_block("blob", "other", [b"o" * 500], max_bytes=CAP)
    with pytest.raises(OutOfSpace):
        if write == "put":
            store.put("blob", [b"x" * 600, b"x" * 600], max_bytes=CAP)
        elif write == "put_block":
            store.put_block("blob", "big", [b"x" * 600, b"x" * 600], max_bytes=CAP)
        else:  # the kernel copies the blocks: the second copy finds the disk full
            copies = iter([files.copy_range])

            def copy_then_full(*args: Any) -> int:
                return next(copies, _enospc)(*args)

            monkeypatch.setattr(files, "copy_range", copy_then_full)
            store.commit_blocks("blob", ["small", "other"], max_bytes=CAP)
    assert (tmp_path / "blob").read_bytes() == b"kept"
    assert list((tmp_path / ".tmp").iterdir()) == []
    assert store.block_list("blob") == ([], [BlockInfo("small", 500), BlockInfo("other", 500)])


def test_on_a_real_full_disk_writes_fail_cleanly_and_deleting_frees_room(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        store = LocalBlobStore(disk / "blobs", "key")
        store.put("old", [b"o" * (3 * 1024 * 1024)], max_bytes=CAP)
        filler = fill_disk(disk, leave=512 * 1024)
        with pytest.raises(OutOfSpace):
            store.put("new", (b"n" * 65536 for _ in range(32)), max_bytes=CAP)  # 2 MiB into 0.5 MiB
        with pytest.raises(OutOfSpace):
            store.put_block("new", "a", (b"n" * 65536 for _ in range(32)), max_bytes=CAP)
        assert store.properties("new") is None and list((disk / "blobs" / ".tmp").iterdir()) == []
        store.delete("old")
        store.put("new", (b"n" * 65536 for _ in range(32)), max_bytes=CAP)
        assert store.properties("new") is not None
        filler.unlink()


def test_the_free_space_floor_refuses_writes_before_the_disk_is_full(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    store = LocalBlobStore(tmp_path, "key", min_free_bytes=free + 1)
    with pytest.raises(OutOfSpace):
        store.put("floor", [b"x"], max_bytes=CAP)
    with pytest.raises(OutOfSpace):
        store.put_block("floor", "a", [b"x"], max_bytes=CAP)
    assert store.properties("floor") is None and store.block_list("floor") is None
