"""The metadata validation extracts from a package: what the Store fills in on the package entry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PackageInfo:
    """A valid package, bundle or upload container, with its identity and Store metadata.

    `payload` holds a bundle's payload packages, or the package or bundle inside an upload container.
    `file_name` is the file's name as submitted (for payloads: as the bundle manifest names it) and
    `package_type` a payload's type in its bundle (`application` or `resource`; empty elsewhere).
    """

    kind: str
    identity_name: str
    publisher: str
    version: str
    architecture: str
    languages: list[str]
    capabilities: list[str]
    target_device_families: list[str]
    device_families: list[tuple[str, str]]
    payload: list[PackageInfo]
    size: int
    sha256: str
    file_name: str = ""
    package_type: str = field(default="")
    dependencies: list[tuple[str, str, str]] = field(default_factory=list)  # (name, publisher, minimum version)


def covered_architectures(info: PackageInfo) -> list[str]:
    """The architectures a package covers: its own; a bundle's application payloads'; an upload's inner one's."""
    if not info.payload:
        return [info.architecture]
    found = [arch for p in info.payload if p.package_type != "resource" for arch in covered_architectures(p)]
    return list(dict.fromkeys(found)) or [info.architecture]
