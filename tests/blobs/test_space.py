"""The free-space floor and what counts as a full disk."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from storeflight.blobs.protocol import OutOfSpace
from storeflight.blobs.space import SpaceFloor, is_out_of_space
from storeflight.domain.errors import StorageFull


def _chained(error: Exception) -> Exception:
    try:
        try:
            raise error
        except Exception as inner:
            raise RuntimeError("a stage failed") from inner
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        OutOfSpace("full"),
        StorageFull(),
        _chained(OSError(errno.ENOSPC, "No space left on device")),
    ],
)
def test_a_full_disk_is_recognised_anywhere_in_the_chain(error: Exception) -> None:
    assert is_out_of_space(error)


@pytest.mark.parametrize("error", [OSError(errno.EIO, "I/O error"), ValueError("bad zip"), None])
def test_other_failures_are_not_a_full_disk(error: Exception | None) -> None:
    assert not is_out_of_space(error)


def test_the_floor_counts_the_incoming_bytes(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    floor = SpaceFloor(tmp_path, min_free=free // 2)
    floor.check(incoming=free // 4)  # fine, at this moment (other processes write too: a wide margin)
    assert not floor.has_room(incoming=free)
    with pytest.raises(OutOfSpace):
        floor.check(incoming=free)


def test_a_folder_not_made_yet_is_measured_on_its_parent(tmp_path: Path) -> None:
    assert SpaceFloor(tmp_path / "not" / "yet", min_free=0).free() > 0
