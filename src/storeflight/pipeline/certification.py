"""Automated certification: the checks a store makes before release, and the report they produce."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from storeflight.domain.families import store_families
from storeflight.domain.models import FileStatus, Package, Submission

# Capabilities that need a justification in the notes for certification.
RESTRICTED = frozenset(
    {
        "runFullTrust",
        "broadFileSystemAccess",
        "allowElevation",
        "packageManagement",
        "unvirtualizedResources",
        "enterpriseAuthentication",
        "sharedUserCertificates",
        "documentsLibrary",
        "appLicensing",
    }
)
SUPPORTED_FAMILIES = frozenset(
    {
        "Windows.Universal",
        "Windows.Desktop",
        "Windows.Mobile",
        "Windows.Xbox",
        "Windows.Team",
        "Windows.Holographic",
        "Windows.IoT",
    }
)


@dataclass(frozen=True)
class Check:
    name: str
    result: str  # Passed | Warning | Failed
    details: str


def run_checks(submission: Submission) -> list[Check]:
    """Every check for the packages this submission will publish."""
    packages = [p for p in submission.packages if p.file_status != FileStatus.PENDING_DELETE]
    checks = [_has_packages(packages)]
    checks += [_device_families(p) for p in packages]
    checks += [_restricted(p, submission.notes_for_certification) for p in packages]
    return checks


def _has_packages(packages: list[Package]) -> Check:
    if packages:
        return Check("Packages present", "Passed", f"{len(packages)} package(s).")
    return Check("Packages present", "Failed", "The submission has no packages to publish.")


def _device_families(package: Package) -> Check:
    """Passed when a family that counts for the Store (domain.families, the one rule behind
    targetDeviceFamilies and delivery) is supported. A supported family only below Windows 10 (an MSIX for
    older Windows) is a warning: the package publishes, lists no family and is offered to no device."""
    name = f"Device families of {package.file_name}"
    from_entry = {family.split(" ", 1)[0] for family in package.target_device_families}
    counted = {n for n, _ in store_families(package.device_families)} or from_entry
    supported = sorted(counted & SUPPORTED_FAMILIES)
    if supported:
        return Check(name, "Passed", ", ".join(supported))
    declared = ", ".join(f"{n} {v}" for n, v in package.device_families) or ", ".join(sorted(from_entry)) or "none"
    if {n for n, _ in package.device_families} & SUPPORTED_FAMILIES:
        return Check(
            name,
            "Warning",
            f"{package.file_name} declares {declared}: no Windows 10 (MinVersion 10 or more) family, so it lists "
            "no target device family and no device will be offered it.",
        )
    return Check(name, "Failed", f"{package.file_name} adds no supported device family (declares: {declared}).")


def _restricted(package: Package, notes: str) -> Check:
    used = sorted(set(package.capabilities) & RESTRICTED)
    name = f"Restricted capabilities of {package.file_name}"
    if not used:
        return Check(name, "Passed", "None declared.")
    if notes.strip():
        return Check(name, "Passed", f"{', '.join(used)}, explained in the notes for certification.")
    return Check(
        name,
        "Warning",
        f"{package.file_name} declares {', '.join(used)} without notes for certification explaining why.",
    )


def report(submission: Submission, checks: list[Check], now: datetime) -> dict[str, Any]:
    """The certification report, as served at its reportUrl."""
    failed = any(c.result == "Failed" for c in checks)
    warned = any(c.result == "Warning" for c in checks)
    return {
        "submissionId": submission.id,
        "applicationId": submission.app_id,
        "flightId": submission.flight_id,
        "date": now.isoformat(),
        "result": "Failed" if failed else ("PassedWithNotes" if warned else "Passed"),
        "checks": [asdict(c) for c in checks],
    }
