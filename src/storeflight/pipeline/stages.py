"""One function per pipeline status. Each takes what the worker read and returns the submission's next state."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storeflight.blobs.protocol import BlobStore, BlobTooLarge
from storeflight.domain import ids, versions
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import Application, CertificationReport, FileStatus, Package, PublishMode, Submission
from storeflight.ingest.archive import ArchiveError, ArchiveLimits, check_archive, extract_entry, vet_archive
from storeflight.ingest.budget import ExtractionBudget
from storeflight.ingest.info import covered_architectures
from storeflight.ingest.packages import PackageInfo, PackageInvalid, validate_package
from storeflight.ingest.zipdir import ZipEntry
from storeflight.pipeline import certification
from storeflight.pipeline.outcome import advance, fail, wait_until, warn
from storeflight.pipeline.publish import published
from storeflight.scratch import temporary_folder

_CHUNK = 1 << 20


@dataclass(frozen=True)
class StageInput:
    """What a stage may look at: the submission, its app, and the submissions it is compared with."""

    submission: Submission
    app: Application
    previous: Submission | None  # last published submission of the same flight (or app)
    app_published: Submission | None  # the app's last published non-flighted submission
    now: datetime
    delay: timedelta
    blobs: BlobStore
    limits: ArchiveLimits
    # PreProcessing: per architecture, the highest version the line ever published
    line_highest: Mapping[str, str] = field(default_factory=dict)


@dataclass
class StageResult:
    submission: Submission
    reports: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def pending_uploads(submission: Submission) -> list[Package]:
    return [p for p in submission.packages if p.file_status == FileStatus.PENDING_UPLOAD]


def commit_checks(inp: StageInput) -> StageResult:
    """CommitStarted: the archive exists, is a sound ZIP, and holds every new package."""
    sub = inp.submission
    new = pending_uploads(sub)
    if not new:
        return StageResult(advance(sub, now=inp.now, delay=inp.delay))
    if inp.blobs.properties(sub.upload_blob_id) is None:
        names = ", ".join(p.file_name for p in new)
        return StageResult(
            fail(sub, "InvalidArchive", f"No archive was uploaded to fileUploadUrl, but {names} are pending upload.")
        )
    try:
        with inp.blobs.local_copy(sub.upload_blob_id) as archive:
            check_archive(archive, [p.file_name for p in new], inp.limits)
    except ArchiveError as error:
        return StageResult(fail(sub, error.code, error.details))
    return StageResult(advance(sub, now=inp.now, delay=inp.delay))


def preprocess(inp: StageInput) -> StageResult:
    """PreProcessing: validate every new package, check identity and version, keep each as its own blob."""
    sub = inp.submission
    new = pending_uploads(sub)
    if not new:
        return StageResult(advance(sub, now=inp.now, delay=inp.delay))
    try:
        with inp.blobs.local_copy(sub.upload_blob_id) as archive:
            entries = vet_archive(archive, [p.file_name for p in new], inp.limits)  # vetted once, not per package
            run = _Run(inp, archive, inp.limits.budget(archive.stat().st_size))
            filled = {p.file_name: _ingest(run, entry, p) for p, entry in zip(new, entries, strict=True)}
    except ArchiveError as error:
        return StageResult(fail(sub, error.code, error.details))
    except PackageInvalid as error:
        return StageResult(fail(sub, "PackageValidationFailed", error.details))
    packages = [filled.get(p.file_name, p) if p.file_status == FileStatus.PENDING_UPLOAD else p for p in sub.packages]
    return StageResult(advance(sub, now=inp.now, delay=inp.delay, packages=packages))


@dataclass(frozen=True)
class _Run:
    """One PreProcessing run: its input, the local archive, and the budget all its packages share."""

    inp: StageInput
    archive: Path
    budget: ExtractionBudget


def _ingest(run: _Run, entry: ZipEntry, package: Package) -> Package:
    inp = run.inp
    with _extracted(run.archive, entry, run.budget) as path:
        info = validate_package(path, package.file_name, inp.limits, run.budget)
        _check_identity(inp, package.file_name, info)
        _check_version(package.file_name, info, inp.line_highest)
        package_id = _package_id(inp.submission.id, package.file_name)
        try:
            inp.blobs.put(ids.package_blob(package_id), file_chunks(path), max_bytes=inp.limits.max_total_bytes)
        except BlobTooLarge as error:
            raise PackageInvalid(f"{package.file_name}: larger than the size cap") from error
    return ingested(package, info, package_id)


def ingested(package: Package, info: PackageInfo, package_id: str) -> Package:
    """The package entry with what validation extracted filled in, stored as blob `package_id`."""
    return package.model_copy(
        update={
            "id": package_id,
            "version": info.version,
            "architecture": info.architecture,
            "languages": list(info.languages),
            "capabilities": list(info.capabilities),
            "target_device_families": list(info.target_device_families),
            "size": info.size,
            "sha256": info.sha256,
            "device_families": list(info.device_families),
            "architectures": covered_architectures(info) if info.payload else [],
            "dependencies": list(info.dependencies),  # a bundle's or an upload's: its payloads'
        }
    )


def _check_identity(inp: StageInput, file_name: str, info: PackageInfo) -> None:
    app = inp.app
    if info.identity_name != app.identity_name or info.publisher != app.publisher:
        raise PackageInvalid(
            f"{file_name}: the package identity ({info.identity_name}, {info.publisher}) does not match the app "
            f"({app.identity_name}, {app.publisher})."
        )


def _check_version(file_name: str, info: PackageInfo, highest: Mapping[str, str]) -> None:
    conflict = versions.check_new(info.version, covered_architectures(info), highest)
    if conflict is not None:
        raise PackageInvalid(
            f"{file_name}: version {info.version} ({conflict.architecture}) must be higher than "
            f"{conflict.published}, the highest version published for that architecture."
        )


def _package_id(submission_id: str, file_name: str) -> str:
    """Deterministic, so a stage that runs again after a crash overwrites rather than duplicates."""
    digest = hashlib.sha256(f"{submission_id}/{file_name}".encode()).digest()
    return str(2**60 + int.from_bytes(digest[:7], "big"))


@contextmanager
def _extracted(archive: Path, entry: ZipEntry, budget: ExtractionBudget) -> Iterator[Path]:
    """A ZIP member copied to a temporary file (size and CRC checked on the way), removed afterwards."""
    with temporary_folder("storeflight-pkg-") as folder:
        target = folder / "package"
        extract_entry(archive, entry, target, budget)
        yield target


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def certify(inp: StageInput) -> StageResult:
    """Certification: automated checks, a report at a reportUrl, failure if any check failed."""
    sub = inp.submission
    checks = certification.run_checks(sub)
    body = certification.report(sub, checks, inp.now)
    token = secrets.token_urlsafe(24)
    reports = [*sub.status_details.certification_reports, CertificationReport(date=inp.now, report_url=token)]
    sub = sub.model_copy(
        update={"status_details": sub.status_details.model_copy(update={"certification_reports": reports})}
    )
    for check in checks:
        if check.result == "Warning":
            sub = warn(sub, "PackageValidationWarning", check.details)
    failed = [c.details for c in checks if c.result == "Failed"]
    if failed:
        return StageResult(fail(sub, "PackageValidationFailed", " ".join(failed)), [(token, body)])
    return StageResult(advance(sub, now=inp.now, delay=inp.delay), [(token, body)])


def release(inp: StageInput) -> StageResult:
    """Release: Immediate goes on; SpecificDate waits for its date; Manual waits to be published."""
    sub = inp.submission
    mode = sub.target_publish_mode
    approved = sub.release_approved_at is not None
    if (
        mode == PublishMode.SPECIFIC_DATE
        and not approved
        and sub.target_publish_date
        and sub.target_publish_date > inp.now
    ):
        return StageResult(wait_until(sub, sub.target_publish_date))
    if mode == PublishMode.MANUAL and not approved:
        return StageResult(wait_until(sub, None))
    return StageResult(advance(sub, now=inp.now, delay=inp.delay))


def pending_publication(inp: StageInput) -> StageResult:
    return StageResult(advance(inp.submission, now=inp.now, delay=inp.delay))


def publishing(inp: StageInput) -> StageResult:
    fallback = inp.previous if inp.submission.flight_id is None or inp.previous else inp.app_published
    return StageResult(published(inp.submission, now=inp.now, fallback=fallback))


STAGES: dict[Status, Callable[[StageInput], StageResult]] = {
    Status.COMMIT_STARTED: commit_checks,
    Status.PRE_PROCESSING: preprocess,
    Status.CERTIFICATION: certify,
    Status.RELEASE: release,
    Status.PENDING_PUBLICATION: pending_publication,
    Status.PUBLISHING: publishing,
}
