"""Automated certification: the checks a store makes before release, and the report they produce."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

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
    names = {name for name, _ in package.device_families} or {
        family.split(" ", 1)[0] for family in package.target_device_families
    }
    supported = sorted(names & SUPPORTED_FAMILIES)
    if supported:
        return Check(f"Device families of {package.file_name}", "Passed", ", ".join(supported))
    found = ", ".join(sorted(names)) or "none"
    return Check(
        f"Device families of {package.file_name}",
        "Failed",
        f"{package.file_name} adds no supported device family (declares: {found}).",
    )


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
