"""Package validation (issue 3, stage `PreProcessing`): `validate_package` and what it returns or raises.

validate_package
├── .appx / .msix              package.validate_plain: content types, block map (every block), manifest
├── .appxbundle / .msixbundle  bundle.validate_bundle: the same for the bundle, then each payload package
└── .appxupload / .msixupload  upload.find_inner: the one package or bundle inside, validated as above

Every defect surfaces as `PackageInvalid` whose `details` start with the submitted file name, then the
path to the defect inside it ("App.appxbundle: payload package 'x.appx': AppxBlockMap.xml: block 3 ...").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.budget import ExtractionBudget
from storeflight.ingest.bundle import Bundle, validate_bundle
from storeflight.ingest.errors import Defect, PackageInvalid
from storeflight.ingest.hashing import Digests
from storeflight.ingest.info import PackageInfo
from storeflight.ingest.manifest import store_device_families
from storeflight.ingest.names import KINDS, kind_of
from storeflight.ingest.package import package_info, validate_plain
from storeflight.ingest.upload import find_inner, opened
from storeflight.ingest.zipdir import Window

__all__ = ["PackageInfo", "PackageInvalid", "validate_package"]

T = TypeVar("T")


def validate_package(
    path: Path, file_name: str, limits: ArchiveLimits, budget: ExtractionBudget | None = None
) -> PackageInfo:
    """The metadata of the package file at `path`, submitted as `file_name`, once it is fully verified.

    What it extracts to temporary files (the package inside an upload container) is reserved from `budget`,
    the stage's budget shared with the other archive levels; by default, a budget of this file's own.
    """
    kind = kind_of(file_name)
    if kind is None:
        expected = ", ".join(KINDS)
        raise PackageInvalid(f"{file_name}: not a package file name (expected one of {expected})")
    size = path.stat().st_size
    budget = budget or limits.budget(size)
    try:
        with path.open("rb") as fh, Digests(path) as digests:
            whole = digests.submit(0, size)
            info = _inspect(Window(fh, 0, size), kind, _Context(limits, budget, digests))
            return replace(info, size=size, sha256=whole.result(), file_name=file_name)
    except Defect as defect:
        raise PackageInvalid(f"{file_name}: {defect.message}") from None


@dataclass(frozen=True)
class _Context:
    limits: ArchiveLimits
    budget: ExtractionBudget
    digests: Digests


def _inspect(window: Window, kind: str, context: _Context) -> PackageInfo:
    """The PackageInfo of the `kind` file in `window`, without its size, digest and file name."""
    if kind == "package":
        return package_info(validate_plain(window, context.limits), size=0, sha256="", file_name="")
    if kind == "bundle":
        return _bundle_info(validate_bundle(window, context.limits, context.digests))
    return _upload_info(window, context)


def _bundle_info(bundle: Bundle) -> PackageInfo:
    identity = bundle.manifest.identity
    families = _union(package.device_families for package in bundle.payload)
    return PackageInfo(
        kind="bundle",
        identity_name=identity.name,
        publisher=identity.publisher,
        version=identity.version,
        architecture="neutral",
        languages=_union(package.languages for package in bundle.payload),
        capabilities=_union(package.capabilities for package in bundle.payload),
        target_device_families=store_device_families(families),
        device_families=families,
        dependencies=_union(p.dependencies for p in bundle.payload if p.package_type != "resource"),
        payload=bundle.payload,
        size=0,
        sha256="",
    )


def _upload_info(window: Window, context: _Context) -> PackageInfo:
    entry = find_inner(window, context.limits)
    try:
        with opened(window, entry, context.digests, context.budget) as (inner_window, inner_digests):
            whole = inner_digests.submit(inner_window.base, inner_window.size)
            inner_context = replace(context, digests=inner_digests)
            inner = _inspect(inner_window, kind_of(entry.name) or "package", inner_context)
            inner = replace(inner, size=entry.size, sha256=whole.result(), file_name=entry.name)
    except Defect as defect:
        raise defect.within(entry.name) from None
    return replace(inner, kind="upload", payload=[inner], size=0, sha256="", file_name="")


def _union(groups: Iterable[Iterable[T]]) -> list[T]:
    """The distinct items of all `groups`, in first-seen order."""
    return list(dict.fromkeys(item for group in groups for item in group))
