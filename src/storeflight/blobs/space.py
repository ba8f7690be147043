"""Free disk space: the floor kept free for deletes and clean-up, and telling a full disk from other faults."""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path

from storeflight.blobs.protocol import OutOfSpace
from storeflight.domain.errors import StorageFull

DEFAULT_MIN_FREE = 64 * 1024 * 1024
_FULL = {errno.ENOSPC, errno.EDQUOT}


@dataclass(frozen=True)
class SpaceFloor:
    """Writes into `path` keep at least `min_free` bytes free on its file system (0: no floor)."""

    path: Path
    min_free: int = DEFAULT_MIN_FREE

    def free(self) -> int:
        path = self.path
        while not path.exists() and path != path.parent:  # not made yet: its file system is its parent's
            path = path.parent
        return shutil.disk_usage(path).free

    def has_room(self, incoming: int = 0) -> bool:
        return self.free() - incoming >= self.min_free

    def check(self, incoming: int = 0) -> None:
        """OutOfSpace unless `incoming` more bytes leave the floor free."""
        if not self.has_room(incoming):
            raise OutOfSpace(f"less than {self.min_free} bytes would stay free in {self.path.name}")


def is_out_of_space(error: BaseException | None) -> bool:
    """True for ENOSPC/EDQUOT, OutOfSpace or StorageFull (a full database), anywhere in the cause chain."""
    seen = 0
    while error is not None and seen < 16:
        if isinstance(error, OutOfSpace | StorageFull):
            return True
        if isinstance(error, OSError) and error.errno in _FULL:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False
