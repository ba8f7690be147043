"""A bundle (.appxbundle, .msixbundle): its own footprint, then every payload package in place and valid.

The payload packages are not in the bundle's block map; each is stored uncompressed at the offset and with
the size the bundle manifest gives, and is validated as a package of its own, read through that range.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.blockmap import check_unlisted, read_block_map, verify_blocks
from storeflight.ingest.bundlemanifest import (
    BUNDLE_MANIFEST_BOUNDS,
    WHERE,
    BundleManifest,
    PayloadRef,
    parse_bundle_manifest,
)
from storeflight.ingest.contenttypes import check_content_types
from storeflight.ingest.errors import Defect
from storeflight.ingest.hashing import Digests
from storeflight.ingest.info import PackageInfo
from storeflight.ingest.manifest import Identity, Manifest
from storeflight.ingest.names import part_key
from storeflight.ingest.opc import (
    BLOCK_MAP,
    BUNDLE_MANIFEST,
    CONTENT_TYPES,
    MANIFEST,
    SIGNATURE,
    OpcPackage,
    Part,
    open_package,
)
from storeflight.ingest.package import package_info, validate_plain
from storeflight.ingest.zipdir import STORED, Window

UNLISTED = (CONTENT_TYPES, BLOCK_MAP, SIGNATURE)


@dataclass(frozen=True)
class Bundle:
    """A validated bundle: its manifest and its validated payload packages."""

    manifest: BundleManifest
    payload: list[PackageInfo]


def validate_bundle(window: Window, limits: ArchiveLimits, digests: Digests) -> Bundle:
    """The bundle in `window` once it and every payload package are verified; Defect otherwise."""
    package = open_package(window, limits)
    _require_footprint(package)
    check_content_types(package)
    block_map = read_block_map(package)
    if not block_map.lists(BUNDLE_MANIFEST):
        raise Defect(f"{BUNDLE_MANIFEST} is not listed in {BLOCK_MAP}")
    data = package.read_small(package.require(BUNDLE_MANIFEST), BUNDLE_MANIFEST_BOUNDS.max_bytes)
    manifest = parse_bundle_manifest(data)
    located = _locate_payload(package, manifest.payload)
    check_unlisted(package, block_map, [*UNLISTED, *(part.name for _, part in located)])
    verify_blocks(package, block_map)
    checked = [_validate_payload(window, ref, part, manifest.identity, limits, digests) for ref, part in located]
    payload = [
        package_info(inner, size=size, sha256=digest.result(), file_name=ref.file_name, package_type=ref.package_type)
        for ref, inner, size, digest in checked
    ]
    return Bundle(manifest=manifest, payload=payload)


def _require_footprint(package: OpcPackage) -> None:
    if package.find(BUNDLE_MANIFEST) is None and package.find(MANIFEST) is not None:
        raise Defect(f"it is a single package (it holds {MANIFEST}), not a bundle")
    for name in (CONTENT_TYPES, BLOCK_MAP, BUNDLE_MANIFEST):
        package.require(name)


def _locate_payload(package: OpcPackage, payload: list[PayloadRef]) -> list[tuple[PayloadRef, Part]]:
    located: dict[str, tuple[PayloadRef, Part]] = {}
    for ref in payload:
        if part_key(ref.file_name) in located:
            raise Defect(f"{WHERE} lists the payload package '{ref.file_name}' twice")
        located[part_key(ref.file_name)] = (ref, _payload_part(package, ref))
    return list(located.values())


def _payload_part(package: OpcPackage, ref: PayloadRef) -> Part:
    name = ref.file_name
    part = package.find(name)
    if part is None or ref.offset is None or ref.offset == 0:
        raise Defect(f"{WHERE} lists the payload package '{name}', which is not stored inside the bundle")
    entry = part.entry
    if entry.method != STORED:
        raise Defect(f"payload package '{name}' is stored compressed; payload packages must be stored uncompressed")
    if ref.size != entry.size:
        raise Defect(f"{WHERE} gives payload package '{name}' a size of {ref.size} bytes, but it is {entry.size}")
    if ref.offset != entry.data_offset:
        raise Defect(
            f"{WHERE} gives payload package '{name}' the offset {ref.offset}, but it starts at {entry.data_offset}"
        )
    return part


def _validate_payload(
    window: Window, ref: PayloadRef, part: Part, bundle: Identity, limits: ArchiveLimits, digests: Digests
) -> tuple[PayloadRef, Manifest, int, Future[str]]:
    """The payload's manifest, size and (pending) digest, once it is validated in place."""
    inner = window.sub(part.entry.data_offset, part.entry.size)
    digest = digests.submit(inner.base, inner.size)
    try:
        manifest = validate_plain(inner, limits)
        _check_identity(manifest.identity, bundle, ref)
    except Defect as defect:
        raise defect.within(f"payload package '{ref.file_name}'") from None
    return ref, manifest, inner.size, digest


def _check_identity(inner: Identity, bundle: Identity, ref: PayloadRef) -> None:
    pairs = [
        ("Name", inner.name, bundle.name, "the bundle's"),
        ("Publisher", inner.publisher, bundle.publisher, "the bundle's"),
        ("Version", inner.version, ref.version, f"{WHERE}'s"),
        ("ProcessorArchitecture", inner.architecture, ref.architecture, f"{WHERE}'s"),
    ]
    for attribute, found, wanted, source in pairs:
        if found != wanted:
            raise Defect(f"its {MANIFEST} gives {attribute} '{found}', not {source} '{wanted}'")
