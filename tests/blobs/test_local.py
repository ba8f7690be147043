"""What only the local backend promises: its files, crash safety, and the clean-up of what crashes leave."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import InvalidBlockList
from storeflight.scratch import LOCK_NAME

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
    folders = list((tmp_path / ".tmp").iterdir())  # one per process: this one's, and the dead one's
    (dead,) = [folder for folder in folders if any(f.name != LOCK_NAME for f in folder.iterdir())]
    old = time.time() - 60
    for folder in folders:
        os.utime(folder / LOCK_NAME, (old, old))  # not made this very moment
    LocalBlobStore(tmp_path, "key")  # a restart sweeps the half-written file of the dead process at once...
    assert not dead.exists()
    assert all(folder.exists() for folder in folders if folder != dead)  # ...but not a live process's folder
    store.put("after", [b"still works"], max_bytes=CAP)
    assert (tmp_path / "after").read_bytes() == b"still works"


def test_temp_files_of_an_older_version_go_after_a_day(tmp_path: Path) -> None:
    LocalBlobStore(tmp_path, "key")
    loose = tmp_path / ".tmp" / "tmpabc123"
    loose.write_bytes(b"half")
    LocalBlobStore(tmp_path, "key")
    assert loose.exists()
    old = time.time() - 2 * 86400
    os.utime(loose, (old, old))
    LocalBlobStore(tmp_path, "key")
    assert not loose.exists()


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
