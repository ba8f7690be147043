"""File-system steps of the local blob backend: durable writes, kernel-side copies, clean-up of leftovers."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

COPY_CHUNK = 64 * 1024 * 1024
_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


def copy_range(src: int, offset: int, size: int, dst: int) -> int:
    """Append `size` bytes of `src` from `offset` to `dst`, in the kernel where it can; returns the bytes copied."""
    copied = 0
    while copied < size:
        count = min(COPY_CHUNK, size - copied)
        try:
            done = os.copy_file_range(src, dst, count, offset + copied)
        except (AttributeError, OSError) as error:  # not Linux, or a pair of file systems that cannot
            if isinstance(error, OSError) and error.errno not in _NO_COPY_RANGE:
                raise
            done = _copy_through_memory(src, offset + copied, min(count, 4 * 1024 * 1024), dst)
        if done == 0:
            break
        copied += done
    return copied


def _copy_through_memory(src: int, offset: int, count: int, dst: int) -> int:
    data = os.pread(src, count, offset)
    view = memoryview(data)
    while view:
        view = view[os.write(dst, view) :]
    return len(data)


def sync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def identity(stat: os.stat_result) -> list[int]:
    """What tells one version of a file from another: inode, modification time, size."""
    return [stat.st_ino, stat.st_mtime_ns, stat.st_size]


def remove_older_than(folder: Path, seconds: float, *, only_files: bool = False) -> None:
    """Delete the files (and folders, unless `only_files`) in `folder` last changed more than `seconds` ago."""
    now = time.time()
    for path in folder.iterdir():
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age <= seconds:
            continue
        if path.is_dir():
            if not only_files:
                shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
