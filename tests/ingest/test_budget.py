"""The extraction budget: one limit for every archive level of a submission, reserved before writing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from storeflight.ingest.archive import ArchiveError, ArchiveLimits, extract_entry, vet_archive
from storeflight.ingest.budget import BUDGET_FLOOR, BudgetExceeded, ExtractionBudget
from storeflight.ingest.packages import PackageInvalid, validate_package
from tests.ingest.builders import nested_bomb, package_bytes, write_upload


def test_a_reservation_past_the_limit_is_refused_and_not_counted() -> None:
    budget = ExtractionBudget(1000)
    budget.reserve(600, "a")
    with pytest.raises(BudgetExceeded, match="budget of 1000 bytes"):
        budget.reserve(401, "b")
    assert budget.used == 600
    budget.reserve(400, "c")
    assert budget.used == 1000


def test_the_budget_of_an_archive_is_its_ratio_share_between_the_floor_and_the_cap() -> None:
    assert ExtractionBudget.for_archive(1000, 32 << 30, 200).limit == BUDGET_FLOOR
    assert ExtractionBudget.for_archive(10 << 20, 32 << 30, 200).limit == 2000 << 20
    assert ExtractionBudget.for_archive(10 << 30, 32 << 30, 200).limit == 32 << 30
    assert ArchiveLimits(max_extracted_bytes=5000).budget(10 << 20).limit == 5000


def test_extracting_a_member_beyond_the_budget_writes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("App.msix", b"x" * 5000)
    entry = vet_archive(archive, ["App.msix"], ArchiveLimits())[0]
    with pytest.raises(ArchiveError) as caught:
        extract_entry(archive, entry, tmp_path / "out", ExtractionBudget(4999))
    assert caught.value.code == "InvalidArchive"
    assert "more than its budget of 4999 bytes" in caught.value.details
    assert not (tmp_path / "out").exists()


def test_every_level_draws_on_the_same_budget(tmp_path: Path) -> None:
    inner = package_bytes()
    upload = tmp_path / "App.appxupload"
    write_upload(upload, {"App.msix": inner})  # the package inside is deflated: it is extracted to a file
    budget = ExtractionBudget(upload.stat().st_size + len(inner) - 1)
    budget.reserve(upload.stat().st_size, "the upload container, extracted from the submission archive")
    with pytest.raises(PackageInvalid) as caught:
        validate_package(upload, "App.appxupload", ArchiveLimits(), budget)
    assert caught.value.details.startswith("App.appxupload: App.msix: extracting 'App.msix'")
    assert validate_package(upload, "App.appxupload", ArchiveLimits()).kind == "upload"  # its own budget: fine


def test_a_nested_archive_bomb_is_stopped_before_its_inner_level_is_written(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(nested_bomb(BUDGET_FLOOR + (1 << 20)))  # each level passes the per-level caps
    limits = ArchiveLimits()
    budget = limits.budget(archive.stat().st_size)
    entry = vet_archive(archive, ["App.appxupload"], limits)[0]
    extract_entry(archive, entry, tmp_path / "upload", budget)
    with pytest.raises(PackageInvalid, match="more than its budget of"):
        validate_package(tmp_path / "upload", "App.appxupload", limits, budget)
    assert budget.used == entry.size  # the inner package was never written
