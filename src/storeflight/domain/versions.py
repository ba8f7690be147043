"""The version rule of a line (a flight, or an app's non-flighted submissions): a new package must be higher
than every version the line has ever published for each architecture the package covers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from storeflight.domain.models import Package

Version = tuple[int, ...]
_DIGITS = 10  # a version part is at most 65535; ten digits leave room for anything a manifest may say


def parse(text: str) -> Version:
    """`1.2.3.4` as a tuple that compares the way package versions do."""
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def sort_key(text: str) -> str:
    """The version as text that sorts like the version (for a database's MAX)."""
    return ".".join(str(part).zfill(_DIGITS) for part in parse(text))


def from_sort_key(key: str) -> str:
    """The version `sort_key` was made from, in its usual form."""
    return ".".join(str(int(part)) for part in key.split(".") if part)


def covered(package: Package) -> frozenset[str]:
    """The architectures a package covers (lower case): a bundle's payloads', else its own."""
    names = package.architectures or ([package.architecture] if package.architecture else [])
    return frozenset(name.lower() for name in names)


def highest_published(history: Iterable[Package]) -> dict[str, str]:
    """Per architecture (lower case), the highest version among published packages."""
    result: dict[str, str] = {}
    for package in history:
        if not package.version:
            continue
        for arch in covered(package):
            found = result.get(arch)
            if found is None or parse(package.version) > parse(found):
                result[arch] = package.version
    return result


@dataclass(frozen=True)
class Conflict:
    """A new package that is not higher than what the line published for `architecture`."""

    architecture: str
    published: str


def check_new(version: str, architectures: Iterable[str], highest: Mapping[str, str]) -> Conflict | None:
    """The first architecture for which `version` is not above the line's highest, or None when it is above all."""
    key = parse(version)
    for arch in sorted(name.lower() for name in architectures):
        found = highest.get(arch)
        if found is not None and key <= parse(found):
            return Conflict(arch, found)
    return None
