"""Baseline packages for a new app: a generated package of its identity, or the operator's own files,
validated like uploads and stored as package blobs (what the app's first, published submission carries)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storeflight.blobs.protocol import BlobStore, BlobTooLarge
from storeflight.domain import ids
from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.models import FileStatus, Package
from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.packages import PackageInvalid, validate_package
from storeflight.msixbuild import PackageSpec, write_msix
from storeflight.pipeline.stages import file_chunks, ingested

DEFAULT_VERSION = "1.0.0.0"
DEFAULT_ARCHITECTURE = "x64"


@dataclass(frozen=True)
class BaselineRequest:
    """What the baseline should hold: `files` if given, else one generated package of `version`/`architecture`."""

    identity_name: str
    publisher: str
    version: str = DEFAULT_VERSION
    architecture: str = DEFAULT_ARCHITECTURE
    files: Sequence[Path] = field(default_factory=tuple)


def baseline_packages(
    request: BaselineRequest, blobs: BlobStore, limits: ArchiveLimits | None = None
) -> list[Package]:
    """Validate (or generate) the baseline's packages and store each as a blob. Raises InvalidParameterValue."""
    limits = limits or ArchiveLimits()
    if request.files:
        names = [path.name for path in request.files]
        if len(set(names)) != len(names):
            raise InvalidParameterValue("Two baseline packages have the same file name.", target="baselinePackage")
        return [_stored(path, path.name, request, blobs, limits) for path in request.files]
    name = f"{request.identity_name}_{request.version}_{request.architecture}.msix"
    with tempfile.TemporaryDirectory(prefix="storeflight-baseline-") as folder:
        spec = PackageSpec(
            request.identity_name, request.publisher, version=request.version, architecture=request.architecture
        )
        path = write_msix(Path(folder) / "package.msix", spec)  # a bad version or architecture fails validation
        return [_stored(path, name, request, blobs, limits)]


def _stored(path: Path, file_name: str, request: BaselineRequest, blobs: BlobStore, limits: ArchiveLimits) -> Package:
    if not path.is_file():
        raise InvalidParameterValue(f"{path.name}: no such file.", target="baselinePackage")
    try:
        info = validate_package(path, file_name, limits)
    except PackageInvalid as error:
        raise InvalidParameterValue(error.details, target="baselinePackage") from None
    if (info.identity_name, info.publisher) != (request.identity_name, request.publisher):
        raise InvalidParameterValue(
            f"{file_name}: the package identity ({info.identity_name}, {info.publisher}) does not match the app "
            f"({request.identity_name}, {request.publisher}).",
            target="baselinePackage",
        )
    package_id = ids.new_decimal_id()
    try:
        blobs.put(ids.package_blob(package_id), file_chunks(path), max_bytes=limits.max_total_bytes)
    except BlobTooLarge:
        raise InvalidParameterValue(f"{file_name}: larger than the size cap.", target="baselinePackage") from None
    return ingested(Package(file_name=file_name, file_status=FileStatus.UPLOADED), info, package_id)
