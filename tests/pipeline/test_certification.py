"""Automated certification checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storeflight.domain.models import FileStatus, Origin, Package, Submission
from storeflight.domain.submissions import Identity, fresh
from storeflight.pipeline.certification import report, run_checks

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _submission(packages: list[Package], notes: str = "") -> Submission:
    identity = Identity(
        id="1",
        tenant_id="t",
        app_id="A",
        flight_id=None,
        origin=Origin.API,
        upload_blob_id="b",
        upload_expires_at=NOW + timedelta(days=1),
        now=NOW,
    )
    return fresh(identity).model_copy(update={"packages": packages, "notes_for_certification": notes})


def _package(families: list[tuple[str, str]], capabilities: list[str] | None = None) -> Package:
    return Package(
        file_name="a.msix",
        file_status=FileStatus.PENDING_UPLOAD,
        device_families=families,
        capabilities=capabilities or [],
    )


def test_a_desktop_package_without_restricted_capabilities_passes() -> None:
    sub = _submission([_package([("Windows.Desktop", "10.0.17763.0")], ["internetClient"])])
    body = report(sub, run_checks(sub), NOW)
    assert body["result"] == "Passed"


def test_run_full_trust_without_notes_is_a_warning_and_with_notes_passes() -> None:
    package = _package([("Windows.Desktop", "10.0.17763.0")], ["runFullTrust"])
    warned = report(_submission([package]), run_checks(_submission([package])), NOW)
    assert warned["result"] == "PassedWithNotes"
    assert any("runFullTrust" in c["details"] and c["result"] == "Warning" for c in warned["checks"])
    explained = _submission([package], notes="Needs full trust for the shell extension.")
    assert report(explained, run_checks(explained), NOW)["result"] == "Passed"


def test_no_supported_device_family_fails() -> None:
    sub = _submission([_package([("Windows.Toaster", "1.0.0.0")])])
    body = report(sub, run_checks(sub), NOW)
    assert body["result"] == "Failed"
    assert any("adds no supported device family" in c["details"] for c in body["checks"])


def test_no_packages_at_all_fails() -> None:
    sub = _submission([])
    assert report(sub, run_checks(sub), NOW)["result"] == "Failed"


def test_a_universal_family_below_windows_10_counts_nowhere() -> None:
    """Shown as no targetDeviceFamilies: certification says so (a warning) and delivery offers it to nobody."""
    package = _package([("Windows.Universal", "0.0.0.0"), ("Windows7.Desktop", "0.0.0.0")])
    body = report(_submission([package]), run_checks(_submission([package])), NOW)
    assert body["result"] == "PassedWithNotes"
    assert any(c["result"] == "Warning" and "no device will be offered it" in c["details"] for c in body["checks"])
