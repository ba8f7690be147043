"""XML bounds: size before reading, depth and element count before any tree is built."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.errors import Defect
from storeflight.ingest.manifest import MANIFEST_BOUNDS, parse_manifest
from storeflight.ingest.packages import PackageInvalid, validate_package
from storeflight.ingest.xmlsafe import XmlBounds, parse_xml
from tests.ingest.builders import manifest_xml, write_package

BOUNDS = XmlBounds(max_bytes=10_000, max_depth=5, max_elements=20)


def test_a_document_within_its_bounds_parses() -> None:
    assert parse_xml(b"<a><b/><b/></a>", "doc.xml", BOUNDS).tag == "a"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<a>" + b" " * 10_000 + b"</a>", "doc.xml is 10007 bytes, more than the 10000 allowed for it"),
        (b"<a>" * 6 + b"</a>" * 6, "doc.xml nests elements more than 5 deep"),
        (b"<a>" + b"<b/>" * 20 + b"</a>", "doc.xml has more than 20 elements"),
    ],
)
def test_a_document_past_a_bound_is_a_clear_defect(document: bytes, message: str) -> None:
    with pytest.raises(Defect) as caught:
        parse_xml(document, "doc.xml", BOUNDS)
    assert caught.value.message == message


def test_malformed_and_dtd_documents_keep_their_own_messages() -> None:
    with pytest.raises(Defect, match="not well-formed XML"):
        parse_xml(b"<a><b></a>", "doc.xml", BOUNDS)
    with pytest.raises(Defect, match="declares a DTD or entities"):
        parse_xml(b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "doc.xml", BOUNDS)


def test_a_manifest_flooded_with_elements_is_refused_whatever_its_size() -> None:
    flood = b"<x/>" * (MANIFEST_BOUNDS.max_elements + 1)
    manifest = manifest_xml().replace(b"</Package>", b"<Extra>" + flood + b"</Extra></Package>")
    assert len(manifest) < MANIFEST_BOUNDS.max_bytes
    with pytest.raises(Defect, match=f"more than {MANIFEST_BOUNDS.max_elements} elements"):
        parse_manifest(manifest)


def test_a_deeply_nested_manifest_is_refused() -> None:
    deep = b"<x>" * 10_000 + b"</x>" * 10_000
    manifest = manifest_xml().replace(b"</Package>", deep + b"</Package>")
    with pytest.raises(Defect, match="nests elements more than 64 deep"):
        parse_manifest(manifest)


def test_a_manifest_over_its_size_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    padding = random.Random(7).randbytes(3 << 19).hex().encode()  # 3 MiB that do not compress away
    manifest = manifest_xml().replace(b"</Package>", b"<!--" + padding + b"--></Package>")
    path = tmp_path / "App.msix"
    write_package(path, manifest=manifest)
    with pytest.raises(PackageInvalid) as caught:
        validate_package(path, "App.msix", ArchiveLimits())
    assert f"more than the {MANIFEST_BOUNDS.max_bytes} allowed for it" in caught.value.details
