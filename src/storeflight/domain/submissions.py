"""Pure submission operations: a fresh submission, the clone rule, and what a PUT may change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import (
    DeliveryOptions,
    DirectXVersion,
    FileStatus,
    Origin,
    Package,
    PackageRollout,
    PublishMode,
    RolloutStatus,
    StatusDetails,
    Submission,
    SystemRam,
)


class PackageChange(BaseModel):
    """One element of `flightPackages` / `applicationPackages` in a PUT."""

    model_config = ConfigDict(extra="forbid")
    file_name: str
    file_status: FileStatus
    id: str | None = None
    minimum_directx_version: DirectXVersion = DirectXVersion.NONE
    minimum_system_ram: SystemRam = SystemRam.NONE


class SubmissionUpdate(BaseModel):
    """The writable part of a submission. A field left unset (not in `model_fields_set`) is kept."""

    model_config = ConfigDict(extra="forbid")
    packages: list[PackageChange] | None = None
    is_package_rollout: bool | None = None
    package_rollout_percentage: float | None = None
    is_mandatory_update: bool | None = None
    mandatory_update_effective_date: datetime | None = None
    target_publish_mode: PublishMode | None = None
    target_publish_date: datetime | None = None
    notes_for_certification: str | None = None
    extra: dict[str, Any] | None = None


class Identity(BaseModel):
    """What a new submission needs that the domain cannot invent itself."""

    model_config = ConfigDict(extra="forbid")
    id: str
    tenant_id: str
    app_id: str
    flight_id: str | None
    origin: Origin
    upload_blob_id: str
    upload_expires_at: datetime
    now: datetime


def fresh(identity: Identity) -> Submission:
    """A new, empty PendingCommit submission."""
    return Submission(
        id=identity.id,
        tenant_id=identity.tenant_id,
        app_id=identity.app_id,
        flight_id=identity.flight_id,
        status=Status.PENDING_COMMIT,
        origin=identity.origin,
        upload_blob_id=identity.upload_blob_id,
        upload_expires_at=identity.upload_expires_at,
        created_at=identity.now,
    )


def clone(source: Submission, identity: Identity) -> Submission:
    """A new PendingCommit submission copied from the last published (or halted) one.

    Packages, delivery options, publish mode/date, notes and app fields are copied; status, status details,
    the upload URL and the rollout are reset (store-api.md C3).
    """
    base = fresh(identity)
    packages = [
        p.model_copy(update={"file_status": FileStatus.UPLOADED})
        for p in source.packages
        if p.file_status != FileStatus.PENDING_DELETE
    ]
    delivery = DeliveryOptions(
        rollout=PackageRollout(),
        is_mandatory_update=source.delivery.is_mandatory_update,
        mandatory_update_effective_date=source.delivery.mandatory_update_effective_date,
    )
    return base.model_copy(
        update={
            "packages": packages,
            "delivery": delivery,
            "target_publish_mode": source.target_publish_mode,
            "target_publish_date": source.target_publish_date,
            "notes_for_certification": source.notes_for_certification,
            "extra": dict(source.extra),
            "status_details": StatusDetails(),
            "rollout_seed": source.rollout_seed if source.delivery.rollout.status == RolloutStatus.STOPPED else "",
        }
    )


def apply_update(submission: Submission, update: SubmissionUpdate) -> Submission:
    """The submission after a PUT. Raises InvalidParameterValue for values the Store would refuse."""
    given = update.model_fields_set
    changes: dict[str, Any] = {}
    if "packages" in given and update.packages is not None:
        changes["packages"] = merge_packages(submission.packages, update.packages)
    changes["delivery"] = _delivery(submission.delivery, update, given)
    if "target_publish_mode" in given and update.target_publish_mode is not None:
        changes["target_publish_mode"] = update.target_publish_mode
    if "target_publish_date" in given:
        changes["target_publish_date"] = update.target_publish_date
    if "notes_for_certification" in given:
        changes["notes_for_certification"] = update.notes_for_certification or ""
    if update.extra is not None:
        changes["extra"] = update.extra
    result = submission.model_copy(update=changes)
    if result.target_publish_mode == PublishMode.SPECIFIC_DATE and result.target_publish_date is None:
        raise InvalidParameterValue(
            "targetPublishMode SpecificDate needs a targetPublishDate.", target="targetPublishDate"
        )
    return result


def _delivery(current: DeliveryOptions, update: SubmissionUpdate, given: set[str]) -> DeliveryOptions:
    rollout = current.rollout
    if "is_package_rollout" in given and update.is_package_rollout is not None:
        rollout = rollout.model_copy(update={"is_package_rollout": update.is_package_rollout})
    if "package_rollout_percentage" in given and update.package_rollout_percentage is not None:
        rollout = rollout.model_copy(update={"percentage": check_percentage(update.package_rollout_percentage)})
    result = current.model_copy(update={"rollout": rollout})
    if "is_mandatory_update" in given and update.is_mandatory_update is not None:
        result = result.model_copy(update={"is_mandatory_update": update.is_mandatory_update})
    if "mandatory_update_effective_date" in given:
        result = result.model_copy(update={"mandatory_update_effective_date": update.mandatory_update_effective_date})
    return result


def check_percentage(value: float) -> float:
    """A rollout percentage must be a finite number from 0 to 100."""
    if not 0.0 <= value <= 100.0:  # also rejects NaN
        raise InvalidParameterValue(
            f"The package rollout percentage must be between 0 and 100, not {value}.",
            target="packageRolloutPercentage",
        )
    return float(value)


def merge_packages(current: list[Package], changes: list[PackageChange]) -> list[Package]:
    """The package list after a PUT: the sent list replaces the old one, entry by entry.

    `Uploaded`/`None` entries must name a package the submission has (by id, else by file name) and keep its
    extracted metadata; `PendingDelete` likewise must name one; `PendingUpload` adds a new package whose
    file name is a path inside the ZIP. A package left out of the list is dropped from the submission.
    A file name may appear twice only as the old package leaving (`PendingDelete`) and a new one arriving
    under the same name (`PendingUpload`), as release scripts that always upload `installer.msix` send.
    """
    by_id = {p.id: p for p in current if p.id}
    by_name = {p.file_name: p for p in current if p.file_status != FileStatus.PENDING_UPLOAD}
    result: list[Package] = []
    seen: dict[str, FileStatus | None] = {}
    for change in changes:
        check_package_path(change.file_name)
        _check_repeat(seen, change)
        if change.file_status == FileStatus.PENDING_UPLOAD:
            result.append(_new_package(change))
            continue
        existing = (by_id.get(change.id) if change.id else None) or by_name.get(change.file_name)
        if existing is None or existing.file_status == FileStatus.PENDING_UPLOAD:
            raise InvalidParameterValue(
                f"The package '{change.file_name}' is marked {change.file_status.value} but is not an "
                "uploaded package of this submission.",
                target="packages",
            )
        status = FileStatus.PENDING_DELETE if change.file_status == FileStatus.PENDING_DELETE else existing.file_status
        result.append(existing.model_copy(update={"file_status": status}))
    return result


_REPLACING = {FileStatus.PENDING_DELETE, FileStatus.PENDING_UPLOAD}


def _check_repeat(seen: dict[str, FileStatus | None], change: PackageChange) -> None:
    """Record the entry's name; a second entry of a name must make the pair PendingDelete + PendingUpload.

    `seen` maps a name to the status it was first listed with, or to None once the pair is complete.
    """
    if change.file_name not in seen:
        seen[change.file_name] = change.file_status
        return
    earlier = seen[change.file_name]
    if earlier is None or {earlier, change.file_status} != _REPLACING:
        raise InvalidParameterValue(f"The package '{change.file_name}' is listed twice.", target="packages")
    seen[change.file_name] = None


def _new_package(change: PackageChange) -> Package:
    return Package(
        file_name=change.file_name,
        file_status=FileStatus.PENDING_UPLOAD,
        minimum_directx_version=change.minimum_directx_version,
        minimum_system_ram=change.minimum_system_ram,
    )


def check_package_path(name: str) -> None:
    """A package file name is a relative path inside the uploaded ZIP: no drive, no root, no `..`."""
    parts = name.replace("\\", "/").split("/")
    bad = (
        not name.strip()
        or len(name) > 1024
        or name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(ch) < 32 for ch in name)
    )
    if bad:
        raise InvalidParameterValue(
            f"'{name}' is not a valid package file name: it must be a relative path inside the ZIP.",
            target="packages",
        )
