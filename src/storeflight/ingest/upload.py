"""Upload containers (.appxupload, .msixupload): a plain ZIP holding one package or bundle and its symbols."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storeflight.ingest.archive import ArchiveLimits, limit_violation
from storeflight.ingest.budget import ExtractionBudget
from storeflight.ingest.errors import Defect
from storeflight.ingest.hashing import Digests
from storeflight.ingest.names import kind_of, unsafe_reason
from storeflight.ingest.zipdata import iter_data
from storeflight.ingest.zipdir import STORED, Window, ZipEntry, ZipFormatError, read_entries
from storeflight.scratch import temporary_folder

SYMBOL_SUFFIXES = (".appxsym", ".msixsym")


def find_inner(window: Window, limits: ArchiveLimits) -> ZipEntry:
    """The one package or bundle in the upload container in `window`; Defect for anything else in it."""
    try:
        entries = read_entries(window, limits.max_entries)
    except ZipFormatError as error:
        raise Defect(f"not a valid ZIP file: {error}") from None
    problem = limit_violation(entries, limits)
    if problem:
        raise Defect(f"the upload container is rejected: {problem}")
    packages = [entry for entry in entries if _is_package(entry)]
    if len(packages) != 1:
        names = ", ".join(entry.name for entry in packages) or "none"
        raise Defect(f"an upload container holds exactly one package or bundle; this one holds {names}")
    return packages[0]


def _is_package(entry: ZipEntry) -> bool:
    reason = unsafe_reason(entry.name)
    if reason:
        raise Defect(f"the entry name '{entry.name}' {reason}")
    if kind_of(entry.name) in ("package", "bundle"):
        return True
    if entry.name.endswith("/") or entry.name.lower().endswith(SYMBOL_SUFFIXES):
        return False
    raise Defect(f"it holds '{entry.name}', which is neither a package, a bundle nor a symbol file (.appxsym)")


@contextmanager
def opened(
    window: Window, entry: ZipEntry, digests: Digests, budget: ExtractionBudget
) -> Iterator[tuple[Window, Digests]]:
    """A window on the contained package, with the Digests that can hash it: in place if stored, else a copy
    (its size reserved from `budget` first)."""
    if entry.method == STORED:
        yield window.sub(entry.data_offset, entry.size), digests
        return
    budget.reserve(entry.size, f"'{entry.name}'")
    with temporary_folder("storeflight-pkg-inner-") as folder:
        target = folder / "package"
        _inflate_to(window, entry, target)
        with target.open("rb") as fh, Digests(target) as inner_digests:
            yield Window(fh, 0, entry.size), inner_digests


def _inflate_to(window: Window, entry: ZipEntry, target: Path) -> None:
    crc = 0
    with target.open("wb") as sink:
        try:
            for chunk in iter_data(window, entry):
                crc = zlib.crc32(chunk, crc)
                sink.write(chunk)
        except ZipFormatError as error:
            raise Defect(f"corrupt ZIP data: {error}") from None
    if crc != entry.crc:
        raise Defect(f"'{entry.name}' fails its CRC-32 check")
