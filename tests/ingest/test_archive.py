"""Archive checks on the submission ZIP: hostile archives are rejected from their directory alone."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storeflight.ingest.archive import ArchiveError, ArchiveLimits, check_archive, extract_member
from tests.ingest.builders import DEFLATED, ZipWriter, deflate

LIMITS = ArchiveLimits()


def _zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _raw(path: Path, *entries: tuple[str | bytes, bytes]) -> Path:
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        for name, data in entries:
            writer.add(name, data)
        writer.close()
    return path


def _rejected(path: Path, limits: ArchiveLimits = LIMITS, required: tuple[str, ...] = ()) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        check_archive(path, list(required), limits)
    assert caught.value.code == "InvalidArchive"
    return caught.value


# ---- accepted archives and required files ----------------------------------------------------------------


def test_required_files_are_found_and_returned_as_named_in_the_zip(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"App_x64.msix": b"1", "packages/App_arm64.msix": b"2", "notes.txt": b"3"})
    found = check_archive(archive, ["packages\\APP_ARM64.msix", "App_x64.msix"], LIMITS)
    assert found == ["packages/App_arm64.msix", "App_x64.msix"]


def test_an_exact_name_wins_over_a_case_insensitive_match(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"dir/App.appx": b"1"})
    assert check_archive(archive, ["dir/App.appx"], LIMITS) == ["dir/App.appx"]


def test_missing_files_are_all_named(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"App_x64.msix": b"1"})
    with pytest.raises(ArchiveError) as caught:
        check_archive(archive, ["App_x64.msix", "App_x86.msix", "sub\\App_arm.msix"], LIMITS)
    assert caught.value.code == "MissingFiles"
    assert caught.value.details.endswith("App_x86.msix, sub\\App_arm.msix")


def test_a_zip64_archive_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive, archive.open("big/App.msix", "w", force_zip64=True) as member:
        member.write(b"payload")
    assert check_archive(path, ["big/App.msix"], LIMITS) == ["big/App.msix"]


def test_an_empty_required_list_still_vets_the_archive(tmp_path: Path) -> None:
    assert check_archive(_zip(tmp_path / "a.zip", {"x": b""}), [], LIMITS) == []
    _rejected(_raw(tmp_path / "b.zip", ("../x", b"")))


# ---- not a ZIP, corrupt --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"1234", b"just some text, " * 100, b"PK\x03\x04" + b"\0" * 100])
def test_something_that_is_not_a_zip_is_an_invalid_archive(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(content)
    assert "ZIP" in _rejected(path).details


@pytest.mark.parametrize("cut", [1, 5, 21, 30, 200])
def test_a_truncated_zip_is_an_invalid_archive(tmp_path: Path, cut: int) -> None:
    data = _zip(tmp_path / "a.zip", {"App.msix": b"x" * 1000}).read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) - cut])
    _rejected(tmp_path / "cut.zip")


def test_a_corrupt_central_directory_is_an_invalid_archive(tmp_path: Path) -> None:
    data = bytearray(_zip(tmp_path / "a.zip", {"App.msix": b"x" * 1000, "b": b"y"}).read_bytes())
    data[data.rindex(b"PK\x01\x02")] = ord("X")
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    assert "central directory" in _rejected(tmp_path / "bad.zip").details


def test_a_local_header_that_names_another_file_is_an_invalid_archive(tmp_path: Path) -> None:
    data = bytearray(_raw(tmp_path / "a.zip", ("aaaa.msix", b"x")).read_bytes())
    data[30:34] = b"bbbb"
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    assert "local header" in _rejected(tmp_path / "bad.zip").details


def test_entries_whose_data_overlap_are_an_invalid_archive(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        writer.add("first.bin", deflate(b"a" * 100), method=DEFLATED, crc=zlib.crc32(b"a" * 100), size=100, flags=8)
        writer.add("second.bin", b"b" * 10)
        writer.central[0].compressed_size += 20  # runs into the next local header
        writer.close()
    assert "overlaps" in _rejected(path).details


def test_a_directory_that_announces_a_million_entries_is_rejected_before_reading_them(tmp_path: Path) -> None:
    data = bytearray(_zip(tmp_path / "a.zip", {"a": b"1"}).read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 1_000_000 & 0xFFFF, 1_000_000 & 0xFFFF)
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    _rejected(tmp_path / "bad.zip", ArchiveLimits(max_entries=100))


# ---- hostile content -----------------------------------------------------------------------------------


def test_an_encrypted_entry_is_an_invalid_archive(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        writer.add("secret.msix", b"\x00" * 12 + b"ciphertext", flags=0x1)
        writer.close()
    assert "encrypted" in _rejected(path).details


@pytest.mark.parametrize("method", [1, 9, 12, 14, 93, 99])
def test_compression_methods_other_than_stored_and_deflate_are_rejected(tmp_path: Path, method: int) -> None:
    path = tmp_path / "a.zip"
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        writer.add("App.msix", b"compressed somehow", method=method, crc=0, size=100)
        writer.close()
    assert f"compression method {method}" in _rejected(path).details


def test_a_zip_bomb_by_ratio_is_rejected(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {"App.msix": bytes(8 << 20)})
    assert "expands" in _rejected(archive).details


def test_many_small_entries_that_expand_too_much_together_are_rejected(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {f"part{i}.bin": bytes(512 << 10) for i in range(40)})
    assert "overall" in _rejected(archive).details


def test_highly_compressible_small_files_are_fine(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"zeros.bin": bytes(512 << 10), "App.msix": b"x"})
    assert check_archive(archive, ["App.msix"], LIMITS) == ["App.msix"]


def test_a_huge_declared_size_is_rejected_without_reading_the_data(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        writer.add("App.msix", deflate(b"tiny"), method=DEFLATED, crc=zlib.crc32(b"tiny"), size=1 << 40)
        writer.close()
    assert "declares 1099511627776 bytes" in _rejected(path).details


def test_the_total_size_cap_counts_every_entry(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"a": b"x" * 600, "b": b"y" * 600}, compression=zipfile.ZIP_STORED)
    assert "1200 bytes" in _rejected(archive, ArchiveLimits(max_total_bytes=1000)).details


def test_the_entry_count_cap_is_enforced(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {f"f{i}": b"" for i in range(4)})
    assert "more than the cap of 3" in _rejected(archive, ArchiveLimits(max_entries=3)).details


@pytest.mark.parametrize(
    "name",
    ["../evil.msix", "a/../../evil.msix", "/abs.msix", "\\abs.msix", "C:\\x.msix", "c:x.msix", "a\\..\\..\\evil.msix",
     "\\\\server\\share\\x.msix", "a/./b.msix", "a//b.msix", "nul\x00byte.msix", ""],
)
def test_unsafe_entry_names_are_rejected(tmp_path: Path, name: str) -> None:
    archive = _raw(tmp_path / "a.zip", ("fine.msix", b"1"), (name, b"2"))
    assert "entry name" in _rejected(archive).details


@pytest.mark.parametrize(
    ("first", "second"),
    [("App.msix", "App.msix"), ("App.msix", "app.MSIX"), ("dir/App.msix", "dir\\App.msix"), ("Dir/", "dir")],
)
def test_duplicate_names_are_rejected_even_after_ignoring_case_and_slashes(
    tmp_path: Path, first: str, second: str
) -> None:
    archive = _raw(tmp_path / "a.zip", (first, b""), (second, b""))
    details = _rejected(archive).details
    assert "twice" in details or "collide" in details


def test_hostile_archives_are_rejected_before_missing_files_are_reported(tmp_path: Path) -> None:
    archive = _raw(tmp_path / "a.zip", ("../evil", b""))
    _rejected(archive, required=("App.msix",))


# ---- extraction ------------------------------------------------------------------------------------------


def test_extract_member_copies_exactly_the_member(tmp_path: Path) -> None:
    content = random.Random(3).randbytes(1_300_000)
    archive = _zip(tmp_path / "a.zip", {"App.msix": content, "other": b"x"})
    extract_member(archive, "App.msix", tmp_path / "out", LIMITS)
    assert (tmp_path / "out").read_bytes() == content


def test_extract_member_rejects_a_member_that_fails_its_crc(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        writer.add("App.msix", b"content", crc=12345)
        writer.close()
    with pytest.raises(ArchiveError, match="CRC-32"):
        extract_member(path, "App.msix", tmp_path / "out", LIMITS)


def test_extract_member_stops_a_member_that_inflates_past_its_declared_size(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    data = bytes(100_000)
    with path.open("wb") as fh:
        writer = ZipWriter(fh)
        writer.add("App.msix", deflate(data), method=DEFLATED, crc=zlib.crc32(data), size=1000)
        writer.close()
    with pytest.raises(ArchiveError, match="more than its declared 1000 bytes"):
        extract_member(path, "App.msix", tmp_path / "out", LIMITS)
    assert (tmp_path / "out").stat().st_size <= 1 << 20


# ---- any input -----------------------------------------------------------------------------------------


def _sample_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("App.msix", b"package bytes " * 50)
        archive.writestr("sub/notes.txt", b"notes")
    return buffer.getvalue()


SAMPLE = _sample_zip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=6))
def test_any_corruption_of_an_archive_gives_an_archive_error_or_a_clean_answer(
    tmp_path: Path, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(SAMPLE)
    for position, value in edits:
        data[position] = value
    path = tmp_path / "fuzz.zip"
    path.write_bytes(bytes(data))
    try:
        found = check_archive(path, ["App.msix"], LIMITS)
        extract_member(path, found[0], tmp_path / "out", LIMITS)
    except ArchiveError as error:
        assert error.code in ("InvalidArchive", "MissingFiles")
        assert error.details
