"""Archive checks on the uploaded submission ZIP, made without extracting it (issue 3, stage `CommitStarted`).

`check_archive` reads only the ZIP's directory: the end record, the central directory (at most
`max_entries` entries, names of at most 4 KiB) and each local header. Memory and time are bounded by the
entry cap whatever the file holds; nothing is decompressed. `extract_entry` then copies one member out,
stopping at its declared size, so a member that lies about its size cannot fill the disk either; the
declared size is first reserved from the stage's `ExtractionBudget`, which all archive levels share.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storeflight.ingest.budget import BudgetExceeded, ExtractionBudget
from storeflight.ingest.names import loose_key, unsafe_reason
from storeflight.ingest.zipdata import iter_data
from storeflight.ingest.zipdir import DEFLATED, STORED, Window, ZipEntry, ZipFormatError, read_entries

RATIO_FLOOR = 1 << 20  # below this many uncompressed bytes the ratio is not checked: tiny files compress well


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps against hostile archives; `validate_package` applies the same caps to the ZIP of every package."""

    max_total_bytes: int = 32 * 2**30  # uncompressed, per entry and for all entries together
    max_ratio: float = 200.0  # uncompressed / compressed, per entry and overall, above RATIO_FLOOR bytes
    max_entries: int = 10_000
    max_extracted_bytes: int = 32 * 2**30  # written out by one stage run, all archive levels together

    def budget(self, archive_bytes: int) -> ExtractionBudget:
        """The extraction budget of a stage run on an uploaded archive of `archive_bytes` bytes."""
        return ExtractionBudget.for_archive(archive_bytes, self.max_extracted_bytes, self.max_ratio)


class ArchiveError(Exception):
    """The submission archive is unusable: `code` is `InvalidArchive` or `MissingFiles`."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


def check_archive(path: Path, required: Sequence[str], limits: ArchiveLimits) -> list[str]:
    """The member names of the ZIP at `path` that match `required`, in order, once the archive is vetted."""
    return [entry.name for entry in vet_archive(path, required, limits)]


def vet_archive(path: Path, required: Sequence[str], limits: ArchiveLimits) -> list[ZipEntry]:
    """The entries of the ZIP at `path` that match `required`, in order, once the archive is vetted."""
    entries = _vetted_entries(path, limits)
    by_name = {entry.name: entry for entry in entries}
    by_key = {loose_key(entry.name): entry for entry in entries}
    found = [by_name.get(name) or by_key.get(loose_key(name)) for name in required]
    missing = [name for name, member in zip(required, found, strict=True) if member is None]
    if missing:
        listed = ", ".join(missing)
        raise ArchiveError("MissingFiles", f"The archive does not contain files the submission lists: {listed}")
    return [member for member in found if member is not None]


def extract_member(path: Path, member: str, target: Path, limits: ArchiveLimits) -> None:
    """Copy member `member` of the ZIP at `path` to `target` (vetting the archive first), within a fresh budget."""
    entries = {entry.name: entry for entry in _vetted_entries(path, limits)}
    entry = entries.get(member)
    if entry is None:
        raise ArchiveError("MissingFiles", f"The archive does not contain {member}")
    extract_entry(path, entry, target, limits.budget(path.stat().st_size))


def extract_entry(path: Path, entry: ZipEntry, target: Path, budget: ExtractionBudget) -> None:
    """Copy the vetted `entry` of the ZIP at `path` to `target`, checking its size and CRC-32 on the way."""
    try:
        budget.reserve(entry.size, f"'{entry.name}'")
    except BudgetExceeded as error:
        raise ArchiveError("InvalidArchive", f"The uploaded archive is rejected: {error.message}") from None
    crc = 0
    with path.open("rb") as source, target.open("wb") as sink:
        try:
            for chunk in iter_data(Window(source, 0, path.stat().st_size), entry):
                crc = zlib.crc32(chunk, crc)
                sink.write(chunk)
        except ZipFormatError as error:
            raise ArchiveError("InvalidArchive", f"The archive is corrupt: {error}") from None
    if crc != entry.crc:
        raise ArchiveError("InvalidArchive", f"The archive is corrupt: '{entry.name}' fails its CRC-32 check")


def limit_violation(entries: Sequence[ZipEntry], limits: ArchiveLimits) -> str | None:
    """What in `entries` breaks a cap (encryption, method, size, ratio, count); None when nothing does."""
    if len(entries) > limits.max_entries:
        return f"it has {len(entries)} entries, more than the cap of {limits.max_entries}"
    for entry in entries:
        problem = _entry_violation(entry, limits)
        if problem:
            return problem
    total = sum(entry.size for entry in entries)
    packed = sum(entry.compressed_size for entry in entries)
    if total > limits.max_total_bytes:
        return f"its entries declare {total} bytes uncompressed, more than the cap of {limits.max_total_bytes}"
    if total > RATIO_FLOOR and total > limits.max_ratio * max(packed, 1):
        return f"it expands {total / max(packed, 1):.0f} times overall, more than the cap of {limits.max_ratio:g}"
    return None


def _entry_violation(entry: ZipEntry, limits: ArchiveLimits) -> str | None:
    if entry.encrypted:
        return f"'{entry.name}' is encrypted"
    if entry.method not in (STORED, DEFLATED):
        return f"'{entry.name}' uses compression method {entry.method} (only stored and deflate are accepted)"
    if entry.size > limits.max_total_bytes:
        return f"'{entry.name}' declares {entry.size} bytes uncompressed, more than the cap of {limits.max_total_bytes}"
    if entry.size > RATIO_FLOOR and entry.size > limits.max_ratio * max(entry.compressed_size, 1):
        ratio = entry.size / max(entry.compressed_size, 1)
        return f"'{entry.name}' expands {ratio:.0f} times, more than the cap of {limits.max_ratio:g} (a zip bomb?)"
    return None


def _vetted_entries(path: Path, limits: ArchiveLimits) -> list[ZipEntry]:
    try:
        with path.open("rb") as fh:
            entries = read_entries(Window(fh, 0, path.stat().st_size), limits.max_entries)
    except ZipFormatError as error:
        raise ArchiveError("InvalidArchive", f"The uploaded archive is unusable: {error}") from None
    problem = limit_violation(entries, limits) or _name_problem(entries)
    if problem:
        raise ArchiveError("InvalidArchive", f"The uploaded archive is rejected: {problem}")
    return entries


def _name_problem(entries: Sequence[ZipEntry]) -> str | None:
    seen: dict[str, str] = {}
    for entry in entries:
        reason = unsafe_reason(entry.name)
        if reason:
            return f"the entry name '{entry.name}' {reason}"
        key = loose_key(entry.name).rstrip("/")
        if key in seen:
            first = seen[key]
            if first == entry.name:
                return f"the entry name '{entry.name}' occurs twice"
            return f"the entry names '{first}' and '{entry.name}' collide when case and slashes are ignored"
        seen[key] = entry.name
    return None
