"""The upload ZIP: packages at the root by base name, duplicates and missing files refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from storeflight.client import build_package_zip


def test_packages_land_at_the_zip_root_under_their_base_names(tmp_path: Path) -> None:
    (tmp_path / "x64").mkdir()
    (tmp_path / "arm64").mkdir()
    first = tmp_path / "x64" / "App_x64.msix"
    second = tmp_path / "arm64" / "App_arm64.msix"
    first.write_bytes(b"x64 package")
    second.write_bytes(b"arm64 package" * 100)
    archive = build_package_zip([first, second], tmp_path / "out" / "upload.zip")
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == ["App_x64.msix", "App_arm64.msix"]
        assert zf.read("App_arm64.msix") == second.read_bytes()
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())


def test_two_packages_with_one_name_are_refused(tmp_path: Path) -> None:
    for folder, name in (("a", "App.msix"), ("b", "APP.msix")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes(b"x")
    with pytest.raises(ValueError, match="two packages are named"):  # Windows names ignore case
        build_package_zip([tmp_path / "a" / "App.msix", tmp_path / "b" / "APP.msix"], tmp_path / "u.zip")
    assert not (tmp_path / "u.zip").exists()


def test_missing_and_absent_packages_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        build_package_zip([tmp_path / "nope.msix"], tmp_path / "u.zip")
    with pytest.raises(ValueError, match="no packages"):
        build_package_zip([], tmp_path / "u.zip")
