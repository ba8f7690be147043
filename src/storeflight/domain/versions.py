"""The version rule of a line (a flight, or an app's non-flighted submissions): a new package must be higher
than every version the line has ever published for each architecture the package covers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storeflight.domain.models import Package

Version = tuple[int, ...]


def parse(text: str) -> Version:
    """`1.2.3.4` as a tuple that compares the way package versions do."""
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def covered(package: Package) -> frozenset[str]:
    """The architectures a package covers (lower case): a bundle's payloads', else its own."""
    names = package.architectures or ([package.architecture] if package.architecture else [])
    return frozenset(name.lower() for name in names)


@dataclass(frozen=True)
class Highest:
    """The highest version a line has published for one architecture, as parsed and as written."""

    key: Version
    text: str


def highest_published(history: Iterable[Package]) -> dict[str, Highest]:
    """Per architecture, the highest version among the line's published packages."""
    result: dict[str, Highest] = {}
    for package in history:
        if not package.version:
            continue
        key = parse(package.version)
        for arch in covered(package):
            found = result.get(arch)
            if found is None or key > found.key:
                result[arch] = Highest(key, package.version)
    return result


@dataclass(frozen=True)
class Conflict:
    """A new package that is not higher than what the line published for `architecture`."""

    architecture: str
    published: str


def check_new(version: str, architectures: Iterable[str], highest: dict[str, Highest]) -> Conflict | None:
    """The first architecture for which `version` is not above the line's highest, or None when it is above all."""
    key = parse(version)
    for arch in sorted(name.lower() for name in architectures):
        found = highest.get(arch)
        if found is not None and key <= found.key:
            return Conflict(arch, found.text)
    return None
