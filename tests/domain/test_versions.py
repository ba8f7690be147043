"""The whole-line version rule: highest published per architecture, bundles covering their payloads'."""

from __future__ import annotations

from storeflight.domain.models import FileStatus, Package
from storeflight.domain.versions import Conflict, check_new, covered, from_sort_key, highest_published, parse, sort_key


def _package(version: str, architecture: str, architectures: list[str] | None = None) -> Package:
    return Package(file_name="p", file_status=FileStatus.UPLOADED, version=version, architecture=architecture,
                   architectures=architectures or [])


def test_versions_compare_part_by_part_not_as_text() -> None:
    assert parse("1.10.0.0") > parse("1.9.0.0")
    assert parse("2.0.0.0") > parse("1.65535.65535.65535")


def test_the_sort_key_sorts_like_the_version_and_gives_it_back() -> None:
    texts = ["1.10.0.0", "1.9.0.0", "10.0.0.0", "2.0.0.65535", "2.0.1.0"]
    assert sorted(texts, key=sort_key) == sorted(texts, key=parse)
    assert [from_sort_key(sort_key(t)) for t in texts] == texts


def test_a_bundle_covers_its_payload_architectures_and_a_package_its_own() -> None:
    assert covered(_package("1.0.0.0", "neutral", ["x64", "ARM64"])) == {"x64", "arm64"}
    assert covered(_package("1.0.0.0", "X64")) == {"x64"}
    assert covered(_package("1.0.0.0", "")) == frozenset()


def test_the_highest_version_per_architecture_is_taken_over_the_whole_history() -> None:
    history = [_package("1.0.0.0", "x64"), _package("1.1.0.0", "arm64"), _package("0.9.0.0", "x64"),
               _package("", "x64"), _package("1.2.0.0", "neutral", ["x86", "arm64"])]
    assert highest_published(history) == {"x64": "1.0.0.0", "arm64": "1.2.0.0", "x86": "1.2.0.0"}


def test_a_new_package_must_be_above_every_architecture_it_covers() -> None:
    highest = highest_published([_package("1.0.0.0", "x64"), _package("1.1.0.0", "arm64")])
    assert check_new("1.0.0.0", ["x64"], highest) == Conflict("x64", "1.0.0.0")
    assert check_new("0.5.0.0", ["X64"], highest) == Conflict("x64", "1.0.0.0")
    assert check_new("1.0.0.1", ["x64"], highest) is None
    assert check_new("1.0.5.0", ["x64", "arm64"], highest) == Conflict("arm64", "1.1.0.0")
    assert check_new("0.1.0.0", ["x86"], highest) is None
    assert check_new("1.0.0.0", [], {}) is None
