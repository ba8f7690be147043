"""An OPC package (the ZIP under every .appx, .msix and bundle): its parts by decoded part name.

ZIP item names are percent-encoded OPC part names (`loader%5B1%5D.js`); the block map and bundle
manifest name the decoded part (`loader[1].js`, with backslashes). Parts are looked up by `part_key`,
which decodes and ignores ASCII case and slash direction, as OPC compares part names.
"""

from __future__ import annotations

from dataclasses import dataclass

from storeflight.ingest.archive import ArchiveLimits, limit_violation
from storeflight.ingest.errors import Defect
from storeflight.ingest.names import decode_part_name, part_key
from storeflight.ingest.zipdata import iter_data
from storeflight.ingest.zipdir import Window, ZipEntry, ZipFormatError, read_entries

CONTENT_TYPES = "[Content_Types].xml"
BLOCK_MAP = "AppxBlockMap.xml"
MANIFEST = "AppxManifest.xml"
BUNDLE_MANIFEST = "AppxMetadata/AppxBundleManifest.xml"
SIGNATURE = "AppxSignature.p7x"
CODE_INTEGRITY = "AppxMetadata/CodeIntegrity.cat"
MAX_XML_BYTES = 16 << 20


@dataclass(frozen=True)
class Part:
    """One part: its decoded name (forward slashes) and the ZIP entry that holds it."""

    name: str
    entry: ZipEntry


class OpcPackage:
    """The parts of one package, read from `window`."""

    def __init__(self, window: Window, parts: list[Part]) -> None:
        self.window = window
        self.parts = parts
        self._by_key = {part_key(part.name): part for part in parts}

    def find(self, name: str) -> Part | None:
        """The part called `name` (decoded; either slash, any ASCII case), or None."""
        return self._by_key.get(part_key(name))

    def require(self, name: str) -> Part:
        """The part called `name`, or the Defect that it is missing."""
        part = self.find(name)
        if part is None:
            raise Defect(f"{name} is missing")
        return part

    def read_small(self, part: Part, limit: int = MAX_XML_BYTES) -> bytes:
        """The whole content of a part that must be small (XML footprint files)."""
        if part.entry.size > limit:
            raise Defect(f"{part.name} is {part.entry.size} bytes, more than the {limit} allowed for it")
        try:
            return b"".join(iter_data(self.window, part.entry))
        except ZipFormatError as error:
            raise Defect(f"corrupt ZIP data: {error}") from None


def open_package(window: Window, limits: ArchiveLimits) -> OpcPackage:
    """The package in `window`, once its ZIP structure, caps and part names are checked."""
    try:
        entries = read_entries(window, limits.max_entries)
    except ZipFormatError as error:
        raise Defect(f"not a valid ZIP/OPC package: {error}") from None
    problem = limit_violation(entries, limits)
    if problem:
        raise Defect(f"the package is rejected: {problem}")
    return OpcPackage(window, _parts(entries))


def _parts(entries: list[ZipEntry]) -> list[Part]:
    parts: list[Part] = []
    seen: dict[str, str] = {}
    for entry in entries:
        try:
            name = entry.name if entry.name == CONTENT_TYPES else decode_part_name(entry.name)
        except ValueError as error:
            raise Defect(f"the ZIP item name '{entry.name}' is not a valid OPC part name: it {error}") from None
        key = part_key(name)
        if key in seen:
            raise Defect(f"the ZIP items '{seen[key]}' and '{entry.name}' are the same OPC part")
        seen[key] = entry.name
        parts.append(Part(name=name, entry=entry))
    return parts
