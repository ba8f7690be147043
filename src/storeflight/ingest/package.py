"""A single package (.appx, .msix): footprint files, content types, block map, manifest, every block."""

from __future__ import annotations

from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.blockmap import check_unlisted, read_block_map, verify_blocks
from storeflight.ingest.contenttypes import check_content_types
from storeflight.ingest.errors import Defect
from storeflight.ingest.info import PackageInfo
from storeflight.ingest.manifest import MANIFEST_BOUNDS, Manifest, parse_manifest, store_device_families
from storeflight.ingest.opc import (
    BLOCK_MAP,
    BUNDLE_MANIFEST,
    CODE_INTEGRITY,
    CONTENT_TYPES,
    MANIFEST,
    SIGNATURE,
    OpcPackage,
    open_package,
)
from storeflight.ingest.zipdir import Window

# Footprint files a package may hold without listing them in its block map (the signature covers them).
UNLISTED = (CONTENT_TYPES, BLOCK_MAP, SIGNATURE, CODE_INTEGRITY)


def validate_plain(window: Window, limits: ArchiveLimits) -> Manifest:
    """The manifest of the package in `window` once everything in it is verified; Defect otherwise."""
    package = open_package(window, limits)
    _require_footprint(package)
    check_content_types(package)
    block_map = read_block_map(package)
    if not block_map.lists(MANIFEST):
        raise Defect(f"{MANIFEST} is not listed in {BLOCK_MAP}")
    manifest = parse_manifest(package.read_small(package.require(MANIFEST), MANIFEST_BOUNDS.max_bytes))
    check_unlisted(package, block_map, UNLISTED)
    verify_blocks(package, block_map)
    return manifest


def package_info(manifest: Manifest, *, size: int, sha256: str, file_name: str, package_type: str = "") -> PackageInfo:
    """The PackageInfo of a validated single package."""
    identity = manifest.identity
    return PackageInfo(
        kind="package",
        identity_name=identity.name,
        publisher=identity.publisher,
        version=identity.version,
        architecture=identity.architecture,
        languages=list(manifest.languages),
        capabilities=list(manifest.capabilities),
        target_device_families=store_device_families(manifest.device_families),
        device_families=list(manifest.device_families),
        dependencies=list(manifest.dependencies),
        payload=[],
        size=size,
        sha256=sha256,
        file_name=file_name,
        package_type=package_type,
    )


def _require_footprint(package: OpcPackage) -> None:
    if package.find(MANIFEST) is None and package.find(BUNDLE_MANIFEST) is not None:
        raise Defect(f"it is a bundle (it holds {BUNDLE_MANIFEST}), not a single package")
    for name in (CONTENT_TYPES, BLOCK_MAP, MANIFEST):
        package.require(name)
