"""The extraction budget of one stage run: the bytes every ZIP level of a submission may write out, together."""

from __future__ import annotations

import threading

from storeflight.ingest.errors import Defect

BUDGET_FLOOR = 64 << 20  # a submission may always expand to this much, however small its archive


class BudgetExceeded(Defect):
    """Extracting one more file would take the submission past its budget."""


class ExtractionBudget:
    """Bytes extracted to temporary space so far, across archive levels and packages, against one limit.

    Every extraction reserves the member's declared size before it writes a byte (a member never inflates
    past its declared size), so a stage's temporary files never exceed the limit, and a refused reservation
    writes nothing. Reservations are never given back: the limit bounds the work of the whole stage run.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    @classmethod
    def for_archive(cls, archive_bytes: int, max_bytes: int, max_ratio: float) -> ExtractionBudget:
        """The budget of an uploaded archive: `max_ratio` times its size (at least the floor), at most `max_bytes`."""
        return cls(min(max_bytes, max(BUDGET_FLOOR, int(archive_bytes * max_ratio))))

    def reserve(self, size: int, what: str) -> None:
        """Count `size` more bytes about to be written for `what`; BudgetExceeded (nothing counted) if too many."""
        with self._lock:
            if self.used + size > self.limit:
                raise BudgetExceeded(
                    f"extracting {what} ({size} bytes) would take the submission to {self.used + size} bytes "
                    f"extracted across all its archive levels, more than its budget of {self.limit} bytes"
                )
            self.used += size
