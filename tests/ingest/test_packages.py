"""Package validation: the real corpus, built packages and bundles, and every way to break them."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.packages import PackageInfo, PackageInvalid, validate_package
from tests.corpus import EXPECTED, MISSING, corpus_dir
from tests.ingest.builders import (
    FileRecord,
    Identity,
    PackageWriter,
    Payload,
    block_map_xml,
    manifest_xml,
    package_bytes,
    write_bundle,
    write_package,
    write_upload,
)

LIMITS = ArchiveLimits()

def _invalid(path: Path, file_name: str, limits: ArchiveLimits = LIMITS) -> str:
    with pytest.raises(PackageInvalid) as caught:
        validate_package(path, file_name, limits)
    assert caught.value.details.startswith(f"{file_name}: ")
    return caught.value.details


def _package(tmp_path: Path, name: str = "App.appx", **options: Any) -> Path:
    path = tmp_path / name
    write_package(path, **options)
    return path


# ---- the corpus (real packages from microsoft/msix-packaging) ------------------------------------------


def _corpus() -> Path:
    return corpus_dir()



DEFECTS = {
    "ContainsNoPayload.appxbundle": "AppxBundleManifest.xml lists no payload package",
    "Duplicate_file_in_blockmap.appx": "AppxBlockMap.xml lists 'index.html' twice",
    "Empty.appx": "not a ZIP file (4 bytes",
    "Invalid_Bad_Block.msix": "AppxBlockMap.xml: block 11 of 'App1.dll' has the wrong SHA-256",
    "ManifestPackageHasIncorrectSize.appxbundle": "'AppPackage_Neutral.appx' a size of 3205 bytes, but it is 3206",
    "Missing_Manifest_in_blockmap.appx": "AppxManifest.xml is not listed in AppxBlockMap.xml",
    "No_blockmap.appx": "AppxBlockMap.xml is missing",
    "OPC_E_ZIP_CORRUPTED_ARCHIVE.appx": "corrupt central directory",
    "PayloadPackageIsCompressed.appxbundle": "'AppPackage_Neutral.appx' is stored compressed",
}


def _store_view(info: PackageInfo) -> dict[str, Any]:
    return {
        "kind": info.kind,
        "identityName": info.identity_name,
        "publisher": info.publisher,
        "version": info.version,
        "architecture": info.architecture,
        "languages": info.languages,
        "capabilities": info.capabilities,
        "targetDeviceFamilies": info.target_device_families,
        "sha256": info.sha256,
        "size": info.size,
        "payload": [
            {"fileName": p.file_name, "type": p.package_type, "architecture": p.architecture, "version": p.version}
            for p in info.payload
        ],
    }


@pytest.mark.parametrize("name", sorted(EXPECTED["valid"]) or [MISSING])
def test_every_valid_corpus_package_yields_exactly_the_expected_metadata(name: str) -> None:
    corpus = _corpus()
    expected = EXPECTED["valid"][name]
    view = _store_view(validate_package(corpus / "valid" / name, name, LIMITS))
    assert {key: view[key] for key in expected} == expected


@pytest.mark.parametrize("name", sorted(EXPECTED["invalid"]) or [MISSING])
def test_every_invalid_corpus_package_is_rejected_naming_the_package_and_its_defect(name: str) -> None:
    corpus = _corpus()
    assert name in DEFECTS, f"add the defect wording expected for the new corpus file {name}"
    assert DEFECTS[name] in _invalid(corpus / "invalid" / name, name)


def test_the_expectations_cover_every_corpus_file() -> None:
    corpus = _corpus()
    for group in ("valid", "invalid"):
        assert sorted(p.name for p in (corpus / group).iterdir()) == sorted(EXPECTED[group])


def test_a_corpus_package_submitted_under_a_folder_name_is_named_as_submitted() -> None:
    corpus = _corpus()
    info = validate_package(corpus / "valid" / "TestWindows.msix", "x64\\TestWindows.msix", LIMITS)
    assert info.file_name == "x64\\TestWindows.msix"
    assert info.device_families == [("Windows8.Desktop", "0.0.0.0"), ("Windows7.Desktop", "0.0.0.0"),
                                    ("Windows.Universal", "0.0.0.0")]


# ---- built packages: what validation extracts ----------------------------------------------------------


def test_a_valid_package_yields_its_identity_and_store_metadata(tmp_path: Path) -> None:
    path = _package(tmp_path)
    info = validate_package(path, "App.appx", LIMITS)
    assert (info.kind, info.identity_name, info.publisher, info.version, info.architecture) == (
        "package", "Contoso.HelloApp", "CN=Contoso Ltd, O=Contoso Ltd, C=US", "1.2.3.0", "x64"
    )
    assert info.languages == ["en-us", "de-de"]
    assert info.capabilities == ["internetClient", "runFullTrust"]
    assert info.target_device_families == ["Windows.Desktop min version 10.0.17763.0"]
    assert info.device_families == [("Windows.Desktop", "10.0.17763.0")]
    assert info.payload == []
    assert info.size == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("file_name", ["App.appx", "App.msix", "APP.MSIX"])
def test_stored_and_deflated_packages_are_accepted_under_either_extension(
    tmp_path: Path, compress: bool, file_name: str
) -> None:
    path = _package(tmp_path, file_name, compress=compress)
    assert validate_package(path, file_name, LIMITS).kind == "package"


def test_large_files_are_verified_block_by_block(tmp_path: Path) -> None:
    content = random.Random(7).randbytes(5 * 64 * 1024 + 17)
    path = _package(tmp_path, files={"data/big.bin": content, "data/zeros.bin": bytes(300_000)})
    assert validate_package(path, "App.appx", LIMITS).size == path.stat().st_size


def test_part_names_are_percent_decoded_to_match_the_block_map(tmp_path: Path) -> None:
    files = {"a b/[1] 100%.txt": b"1", "ünïcode/名前.txt": b"2", "loader%5B1%5D.js": b"3"}
    assert validate_package(_package(tmp_path, files=files), "App.appx", LIMITS).kind == "package"


def test_only_windows_10_device_families_are_store_target_device_families(tmp_path: Path) -> None:
    families = (("Windows7.Desktop", "0.0.0.0"), ("Windows.Universal", "0.0.0.0"), ("Windows.Xbox", "10.0.19041.0"))
    path = _package(tmp_path, manifest=manifest_xml(families=families))
    info = validate_package(path, "App.appx", LIMITS)
    assert info.target_device_families == ["Windows.Xbox min version 10.0.19041.0"]
    assert info.device_families == list(families)


def test_a_manifest_without_capabilities_or_architecture_is_neutral_and_capability_free(tmp_path: Path) -> None:
    manifest = manifest_xml(capabilities=()).replace(b' ProcessorArchitecture="x64"', b"")
    info = validate_package(_package(tmp_path, manifest=manifest), "App.appx", LIMITS)
    assert (info.architecture, info.capabilities) == ("neutral", [])


# ---- built packages: block map defects -----------------------------------------------------------------


def _record(writer: PackageWriter, name: str) -> FileRecord:
    return next(r for r in writer.records if r.name == name)


def test_a_block_hash_mismatch_names_the_block_and_the_file(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        _record(writer, "App.exe").hashes[1] = hashlib.sha256(b"other").digest()

    details = _invalid(_package(tmp_path, tamper=tamper), "App.appx")
    assert details == "App.appx: AppxBlockMap.xml: block 2 of 'App.exe' has the wrong SHA-256"


def test_a_file_listed_in_the_block_map_but_missing_from_the_package_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.records.append(FileRecord("Assets\\ghost.png", 10, 40, [hashlib.sha256(b"0" * 10).digest()], [None]))

    assert "lists 'Assets\\ghost.png', which is not in the package" in _invalid(_package(tmp_path, tamper=tamper),
                                                                               "App.appx")


def test_a_file_missing_from_the_block_map_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.add_file("sneaky.dll", b"MZ unlisted code", listed=False)

    assert "'sneaky.dll' is in the package but not listed in AppxBlockMap.xml" in _invalid(
        _package(tmp_path, tamper=tamper), "App.appx"
    )


def test_a_file_whose_size_differs_from_the_block_map_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        _record(writer, "App.exe").size += 1

    assert "'App.exe' is 179200 bytes, but AppxBlockMap.xml says 179201" in _invalid(
        _package(tmp_path, tamper=tamper), "App.appx"
    )


def test_a_file_listed_twice_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.records.append(_record(writer, "App.exe"))

    assert "lists 'App.exe' twice" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


def test_a_missing_block_is_reported(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        record = _record(writer, "App.exe")
        del record.hashes[-1], record.block_sizes[-1]

    assert "lists 2 blocks for 'App.exe', whose 179200 bytes need 3" in _invalid(
        _package(tmp_path, tamper=tamper), "App.appx"
    )


def test_an_extra_block_is_reported(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        record = _record(writer, "App.exe")
        record.hashes.append(record.hashes[0])
        record.block_sizes.append(record.block_sizes[0])

    assert "more blocks for 'App.exe'" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


def test_compressed_block_sizes_must_add_up_to_the_zip_data(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        sizes = _record(writer, "App.exe").block_sizes
        sizes[0] = (sizes[0] or 0) + 5

    assert "compress to" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


def test_the_local_header_size_must_match_the_block_map(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        _record(writer, "App.exe").lfh_size += 1

    assert "local header of 'App.exe'" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


def test_a_block_map_with_a_dtd_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.block_map_xml = b'<?xml version="1.0"?><!DOCTYPE BlockMap [<!ENTITY x "y">]><BlockMap/>'

    assert "AppxBlockMap.xml declares a DTD" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


def test_a_block_map_that_is_not_xml_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.block_map_xml = (
            b'<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" '
            b'HashMethod="http://www.w3.org/2001/04/xmlenc#sha256"><File Name="App.exe" Size="179200"'
        )

    assert "AppxBlockMap.xml is not well-formed XML" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


def test_a_block_map_with_misplaced_elements_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        xml = block_map_xml(writer.records)
        writer.block_map_xml = xml.replace(b"<File ", b"<Block><File ", 1).replace(b"</File>", b"</File></Block>", 1)

    assert "AppxBlockMap.xml has a misplaced <Block> element" in _invalid(_package(tmp_path, tamper=tamper),
                                                                          "App.appx")


# ---- built packages: manifest and content types ----------------------------------------------------------

BILLION_LAUGHS = (
    '<!DOCTYPE Package [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
EXTERNAL_ENTITY = '<!DOCTYPE Package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, EXTERNAL_ENTITY, '<!DOCTYPE Package SYSTEM "http://x/p.dtd">'])
def test_a_manifest_with_a_dtd_or_entities_is_rejected(tmp_path: Path, prolog: str) -> None:
    manifest = manifest_xml(prolog=prolog).replace(b"<DisplayName>Hello", b"<DisplayName>&lol3;&xxe;")
    assert "AppxManifest.xml declares a DTD or entities" in _invalid(_package(tmp_path, manifest=manifest),
                                                                     "App.appx")


@pytest.mark.parametrize("encoding", ["no-such-codec", "shift_jis"])
def test_a_manifest_declaring_an_unusable_encoding_is_rejected(tmp_path: Path, encoding: str) -> None:
    manifest = manifest_xml().replace(b'encoding="utf-8"', f'encoding="{encoding}"'.encode())
    assert "AppxManifest.xml is not well-formed XML" in _invalid(_package(tmp_path, manifest=manifest), "App.appx")


@pytest.mark.parametrize(
    ("identity", "wording"),
    [
        (Identity(version="1.0"), "is not a version"),
        (Identity(version="1.0.0.65536"), "is not a version"),
        (Identity(name="x"), "the identity Name 'x' is invalid"),
        (Identity(publisher="Contoso"), "is not a distinguished name"),
        (Identity(architecture="mips"), "unknown processor architecture 'mips'"),
    ],
)
def test_an_invalid_identity_is_rejected(tmp_path: Path, identity: Identity, wording: str) -> None:
    assert wording in _invalid(_package(tmp_path, identity=identity), "App.appx")


def test_a_manifest_that_is_not_a_package_manifest_is_rejected(tmp_path: Path) -> None:
    assert "is not a package manifest" in _invalid(_package(tmp_path, manifest=b"<Other/>"), "App.appx")


def test_a_package_without_a_manifest_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "App.appx"
    with path.open("wb") as fh:
        writer = PackageWriter(fh)
        writer.add_file("App.exe", b"MZ")
        writer.finish()
    assert _invalid(path, "App.appx") == "App.appx: AppxManifest.xml is missing"


def test_a_part_without_a_content_type_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        del writer.content_types.defaults["exe"]

    assert "[Content_Types].xml gives no content type for 'App.exe'" in _invalid(
        _package(tmp_path, tamper=tamper), "App.appx"
    )


def test_the_manifest_must_have_the_manifest_content_type(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.content_types.overrides["/AppxManifest.xml"] = "text/xml"

    assert "gives AppxManifest.xml the content type 'text/xml'" in _invalid(_package(tmp_path, tamper=tamper),
                                                                             "App.appx")


def test_content_types_with_a_dtd_are_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.content_types.prolog = EXTERNAL_ENTITY.replace("Package", "Types")

    assert "[Content_Types].xml declares a DTD" in _invalid(_package(tmp_path, tamper=tamper), "App.appx")


@pytest.mark.parametrize("name", ["App.zip", "App", "App.appx.txt", "App.eappx"])
def test_a_file_name_without_a_package_extension_is_rejected(tmp_path: Path, name: str) -> None:
    assert "not a package file name" in _invalid(_package(tmp_path), name)


def test_a_package_over_the_entry_cap_is_rejected(tmp_path: Path) -> None:
    assert "more than the cap of 3" in _invalid(_package(tmp_path), "App.appx", ArchiveLimits(max_entries=3))


# ---- bundles -------------------------------------------------------------------------------------------


def _payloads() -> list[Payload]:
    return [
        Payload("App_x64.appx", package_bytes(identity=Identity(architecture="x64"))),
        Payload("App_arm64.msix", package_bytes(identity=Identity(architecture="arm64")), architecture="arm64"),
        Payload(
            "Resources/App.language-fr.appx",
            package_bytes(identity=Identity(architecture="neutral"), files={"fr.pri": b"fr"},
                          manifest=manifest_xml(Identity(architecture="neutral"), languages=("fr-FR",),
                                                capabilities=())),
            architecture="neutral", package_type="resource",
        ),
    ]


def _bundle(tmp_path: Path, payloads: list[Payload] | None = None, **options: Any) -> Path:
    path = tmp_path / "App.appxbundle"
    write_bundle(path, _payloads() if payloads is None else payloads, **options)
    return path


def test_a_valid_bundle_yields_its_identity_and_its_validated_payload(tmp_path: Path) -> None:
    path = _bundle(tmp_path)
    info = validate_package(path, "App.appxbundle", LIMITS)
    assert (info.kind, info.identity_name, info.version, info.architecture) == (
        "bundle", "Contoso.HelloApp", "2024.101.5.0", "neutral"
    )
    assert [(p.kind, p.file_name, p.package_type, p.architecture, p.version) for p in info.payload] == [
        ("package", "App_x64.appx", "application", "x64", "1.2.3.0"),
        ("package", "App_arm64.msix", "application", "arm64", "1.2.3.0"),
        ("package", "Resources/App.language-fr.appx", "resource", "neutral", "1.2.3.0"),
    ]
    assert info.languages == ["en-us", "de-de", "fr-fr"]
    assert info.target_device_families == ["Windows.Desktop min version 10.0.17763.0"]
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    for payload, built in zip(info.payload, _payloads(), strict=True):
        assert (payload.size, payload.sha256) == (len(built.data), hashlib.sha256(built.data).hexdigest())


def test_a_compressed_payload_package_is_rejected(tmp_path: Path) -> None:
    details = _invalid(_bundle(tmp_path, compress_payload=True), "App.appxbundle")
    assert "payload package 'App_x64.appx' is stored compressed" in details


def test_a_payload_package_of_the_wrong_declared_size_is_rejected(tmp_path: Path) -> None:
    payloads = _payloads()
    payloads[1] = Payload("App_arm64.msix", payloads[1].data, architecture="arm64", size_delta=-1)
    assert "gives payload package 'App_arm64.msix' a size of" in _invalid(_bundle(tmp_path, payloads),
                                                                          "App.appxbundle")


def test_a_payload_package_at_the_wrong_declared_offset_is_rejected(tmp_path: Path) -> None:
    payloads = [Payload("App_x64.appx", package_bytes(), offset_delta=2)]
    assert "the offset" in _invalid(_bundle(tmp_path, payloads), "App.appxbundle")


@pytest.mark.parametrize(
    ("payload", "wording"),
    [
        (Payload("App.appx", package_bytes(), version="1.2.3.1"), "gives Version '1.2.3.0'"),
        (Payload("App.appx", package_bytes(), architecture="x86"), "gives ProcessorArchitecture 'x64'"),
        (Payload("App.appx", package_bytes(identity=Identity(name="Other.App"))), "gives Name 'Other.App'"),
        (Payload("App.appx", package_bytes(identity=Identity(publisher="CN=Other"))), "gives Publisher 'CN=Other'"),
    ],
)
def test_a_payload_whose_identity_differs_from_the_bundle_manifest_is_rejected(
    tmp_path: Path, payload: Payload, wording: str
) -> None:
    details = _invalid(_bundle(tmp_path, [payload]), "App.appxbundle")
    assert details.startswith("App.appxbundle: payload package 'App.appx': its AppxManifest.xml ")
    assert wording in details


def test_a_broken_payload_package_is_reported_inside_its_bundle(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        _record(writer, "App.exe").hashes[0] = bytes(32)

    payloads = [Payload("App_x64.appx", package_bytes(tamper=tamper))]
    assert _invalid(_bundle(tmp_path, payloads), "App.appxbundle") == (
        "App.appxbundle: payload package 'App_x64.appx': AppxBlockMap.xml: block 1 of 'App.exe' has the wrong SHA-256"
    )


def test_a_payload_listed_but_absent_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.zip.central = [r for r in writer.zip.central if r.raw_name != b"App_x64.appx"]

    details = _invalid(_bundle(tmp_path, [Payload("App_x64.appx", package_bytes())], tamper=tamper), "App.appxbundle")
    assert "lists the payload package 'App_x64.appx', which is not stored inside the bundle" in details


def test_a_bundle_listing_no_payload_is_rejected(tmp_path: Path) -> None:
    assert "lists no payload package" in _invalid(_bundle(tmp_path, []), "App.appxbundle")


def test_a_file_in_a_bundle_that_is_neither_payload_nor_listed_is_rejected(tmp_path: Path) -> None:
    def tamper(writer: PackageWriter) -> None:
        writer.add_unlisted("stray.txt", b"?")

    assert "'stray.txt' is in the package but not listed" in _invalid(_bundle(tmp_path, tamper=tamper),
                                                                      "App.appxbundle")


def test_a_bundle_submitted_as_a_package_and_a_package_submitted_as_a_bundle_are_rejected(tmp_path: Path) -> None:
    assert "it is a bundle" in _invalid(_bundle(tmp_path), "App.appx")
    assert "it is a single package" in _invalid(_package(tmp_path), "App.msixbundle")


# ---- upload containers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_an_upload_container_yields_the_bundle_inside_it(tmp_path: Path, compress: bool) -> None:
    bundle = _bundle(tmp_path).read_bytes()
    path = tmp_path / "App.appxupload"
    write_upload(path, {"App_2024.101.5.0_x64_arm64.appxbundle": bundle, "App.appxsym": b"symbols"}, compress=compress)
    info = validate_package(path, "App.appxupload", LIMITS)
    assert (info.kind, info.identity_name, info.version, info.file_name) == (
        "upload", "Contoso.HelloApp", "2024.101.5.0", "App.appxupload"
    )
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    [inner] = info.payload
    assert (inner.kind, inner.file_name, inner.sha256) == (
        "bundle", "App_2024.101.5.0_x64_arm64.appxbundle", hashlib.sha256(bundle).hexdigest()
    )
    assert len(inner.payload) == 3


def test_an_upload_container_may_hold_a_single_package(tmp_path: Path) -> None:
    path = tmp_path / "App.msixupload"
    write_upload(path, {"App.msix": package_bytes()})
    assert validate_package(path, "App.msixupload", LIMITS).payload[0].kind == "package"


@pytest.mark.parametrize(
    ("members", "wording"),
    [
        ({"a.appx": b"", "b.appx": b""}, "exactly one package or bundle; this one holds a.appx, b.appx"),
        ({"App.appxsym": b""}, "this one holds none"),
        ({"App.appx": b"", "readme.txt": b""}, "'readme.txt', which is neither a package"),
        ({"../App.appx": b""}, "the entry name '../App.appx' contains"),
    ],
)
def test_an_upload_container_with_other_content_is_rejected(
    tmp_path: Path, members: dict[str, bytes], wording: str
) -> None:
    path = tmp_path / "App.appxupload"
    write_upload(path, members)
    assert wording in _invalid(path, "App.appxupload")


def test_a_broken_package_inside_an_upload_container_is_named_on_the_way_down(tmp_path: Path) -> None:
    path = tmp_path / "App.appxupload"
    write_upload(path, {"App.appx": package_bytes(manifest=manifest_xml(Identity(version="1")))})
    assert _invalid(path, "App.appxupload").startswith("App.appxupload: App.appx: AppxManifest.xml: the identity")


# ---- any input -----------------------------------------------------------------------------------------

SAMPLE = package_bytes(files={"a.txt": b"alpha " * 50, "b.bin": bytes(range(256))})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_any_corruption_of_a_package_gives_package_invalid_or_a_clean_answer(
    tmp_path: Path, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(SAMPLE)
    for position, value in edits:
        data[position] = value
    path = tmp_path / "fuzz.appx"
    path.write_bytes(bytes(data))
    try:
        info = validate_package(path, "fuzz.appx", LIMITS)
    except PackageInvalid as error:
        assert error.details.startswith("fuzz.appx: ")
    else:
        assert info.sha256 == hashlib.sha256(data).hexdigest()
