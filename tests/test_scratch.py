"""Temporary folders: a dead process's are swept, a live process's never are."""

from __future__ import annotations

import os
import time
from pathlib import Path

from storeflight.scratch import GRACE_SECONDS, LOCK_NAME, LockedFolder, sweep, temporary_folder


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def abandoned(root: Path, name: str = "storeflight-pkg-dead") -> Path:
    """What a process killed mid-stage leaves: a folder with an unlocked lock file and a partial file."""
    folder = root / name
    folder.mkdir()
    (folder / "package").write_bytes(b"half of a package")
    (folder / LOCK_NAME).write_bytes(b"")
    age(folder / LOCK_NAME, 60)
    return folder


def test_a_folder_whose_process_died_is_swept_and_a_live_one_is_kept(tmp_path: Path) -> None:
    dead = abandoned(tmp_path)
    live = LockedFolder(tmp_path, "storeflight-pkg-")
    (live.path / "package").write_bytes(b"in use")
    age(live.path / LOCK_NAME, 60)
    assert sweep(tmp_path, ("storeflight-pkg-",)) == 1
    assert not dead.exists()
    assert (live.path / "package").read_bytes() == b"in use"
    live.close()
    assert not live.path.exists()


def test_only_folders_with_the_given_prefixes_are_looked_at(tmp_path: Path) -> None:
    other = abandoned(tmp_path, "storeflight-upload-client")  # a client's folder: not ours to remove
    age(other, 2 * GRACE_SECONDS)
    assert sweep(tmp_path, ("storeflight-pkg-",)) == 0
    assert other.exists()


def test_a_folder_without_a_lock_file_goes_only_after_the_grace_period(tmp_path: Path) -> None:
    folder = tmp_path / "storeflight-pkg-old"
    folder.mkdir()
    assert sweep(tmp_path, ("storeflight-pkg-",)) == 0
    age(folder, GRACE_SECONDS + 1)
    assert sweep(tmp_path, ("storeflight-pkg-",)) == 1
    assert not folder.exists()


def test_a_lock_file_made_this_instant_is_left_alone(tmp_path: Path) -> None:
    folder = abandoned(tmp_path)
    age(folder / LOCK_NAME, 0)  # its process may be about to lock it
    assert sweep(tmp_path, ("storeflight-pkg-",)) == 0
    assert folder.exists()


def test_a_temporary_folder_is_removed_when_its_block_ends_even_on_error(tmp_path: Path) -> None:
    seen: list[Path] = []
    try:
        with temporary_folder("storeflight-pkg-") as folder:
            seen.append(folder)
            (folder / "x").write_bytes(b"x")
            raise RuntimeError("the stage failed")
    except RuntimeError:
        pass
    assert not seen[0].exists()
