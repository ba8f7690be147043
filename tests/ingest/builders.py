"""Builders for ingestion tests: raw ZIPs whose every field can be forced, and valid packages and bundles.

`PackageWriter` writes an OPC package the way MakeAppx does: payload files first (each 64 KiB block
deflated on its own, flushed, so the block map can give its compressed size), then the manifest, then
`AppxBlockMap.xml` and `[Content_Types].xml`. Its `records` and content types stay editable until
`finish()`, so a test can break exactly one thing. Files are written as they are added: a 1 GiB package
needs only one file's worth of memory (the benchmark uses this too).
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

BLOCK = 64 * 1024
STORED, DEFLATED = 0, 8
U32 = 0xFFFFFFFF
UTF8_FLAG = 0x0800


# ---- raw ZIP ---------------------------------------------------------------------------------------------


@dataclass
class CentralRecord:
    """What the central directory will say about one entry (tests may edit it before `close`)."""

    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    offset: int


class ZipWriter:
    """Writes ZIP entries as given (already compressed, any method, flags or sizes), then the directory."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.central: list[CentralRecord] = []

    def add(
        self, name: str | bytes, stored: bytes, *, method: int = STORED, crc: int | None = None,
        size: int | None = None, flags: int = 0,
    ) -> int:
        """Write one entry whose data is `stored`; returns the offset of its data."""
        raw = name.encode() if isinstance(name, str) else name
        if isinstance(name, str) and not name.isascii():
            flags |= UTF8_FLAG
        size = len(stored) if size is None else size
        crc = zlib.crc32(stored) if crc is None and method == STORED else (crc or 0)
        record = CentralRecord(raw, flags, method, crc, len(stored), size, self.fh.tell())
        local_size = U32 if size >= U32 else size
        self.fh.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, len(stored),
                                  local_size, len(raw), 0))
        self.fh.write(raw)
        data_offset = self.fh.tell()
        self.fh.write(stored)
        self.central.append(record)
        return data_offset

    def close(self) -> None:
        """Write the central directory and the end record."""
        start = self.fh.tell()
        for record in self.central:
            self.fh.write(_central_bytes(record))
        size = self.fh.tell() - start
        count = len(self.central)
        self.fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))


def _central_bytes(record: CentralRecord) -> bytes:
    extra = b""
    size = record.size
    if size >= U32:
        extra = struct.pack("<2HQ", 1, 8, size)
        size = U32
    header = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, record.flags, record.method, 0, 0x21, record.crc,
        record.compressed_size, size, len(record.raw_name), len(extra), 0, 0, 0, 0, record.offset,
    )
    return header + record.raw_name + extra


def deflate_blocks(data: bytes, level: int = 6) -> tuple[bytes, list[int]]:
    """`data` deflated one 64 KiB block at a time with a full flush (as MakeAppx does), and each block's size."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    pieces: list[bytes] = []
    sizes: list[int] = []
    for start in range(0, len(data), BLOCK):
        piece = compressor.compress(data[start : start + BLOCK]) + compressor.flush(zlib.Z_FULL_FLUSH)
        pieces.append(piece)
        sizes.append(len(piece))
    pieces.append(compressor.flush(zlib.Z_FINISH))
    return b"".join(pieces), sizes


def deflate(data: bytes) -> bytes:
    """`data` as one raw deflate stream."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


# ---- packages --------------------------------------------------------------------------------------------


@dataclass
class FileRecord:
    """One `File` of the block map to be written."""

    name: str
    size: int
    lfh_size: int
    hashes: list[bytes]
    block_sizes: list[int | None]


@dataclass
class ContentTypes:
    """`[Content_Types].xml` to be written: defaults by extension and overrides by part name."""

    defaults: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    prolog: str = ""

    def xml(self) -> bytes:
        """The document."""
        items = [f'<Default Extension="{ext}" ContentType="{kind}"/>' for ext, kind in self.defaults.items()]
        items += [f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in self.overrides.items()]
        body = "".join(items)
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>{self.prolog}'
            f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{body}</Types>'
        ).encode()


def zip_name(part_name: str) -> str:
    """The ZIP item name of an OPC part: percent-encoded UTF-8."""
    return quote(part_name, safe="/")


class PackageWriter:
    """Writes a package or bundle part by part; edit `records` / `content_types` before `finish()`."""

    def __init__(self, fh: BinaryIO, *, level: int = 6) -> None:
        self.zip = ZipWriter(fh)
        self.level = level
        self.records: list[FileRecord] = []
        self.content_types = ContentTypes(overrides={"/AppxBlockMap.xml": "application/vnd.ms-appx.blockmap+xml"})
        self.block_map_xml: bytes | None = None

    def add_file(self, name: str, data: bytes, *, compress: bool = True, listed: bool = True) -> None:
        """Add a payload file (or the manifest) and its block map record."""
        raw_name = zip_name(name).encode()
        if compress:
            stored, block_sizes = deflate_blocks(data, self.level)
            self.zip.add(raw_name, stored, method=DEFLATED, crc=zlib.crc32(data), size=len(data))
            sizes: list[int | None] = list(block_sizes)
        else:
            self.zip.add(raw_name, data)
            sizes = [None] * -(-len(data) // BLOCK)
        self._type(name)
        if listed:
            hashes = [hashlib.sha256(data[i : i + BLOCK]).digest() for i in range(0, len(data), BLOCK)]
            record = FileRecord(name.replace("/", "\\"), len(data), 30 + len(raw_name), hashes, sizes)
            self.records.append(record)

    def add_unlisted(self, name: str, data: bytes, *, compress: bool = False) -> tuple[int, int]:
        """Add a part the block map does not list (a bundle's payload package); returns (data offset, size)."""
        raw_name = zip_name(name).encode()
        self._type(name)
        if compress:
            stored = deflate(data)
            return self.zip.add(raw_name, stored, method=DEFLATED, crc=zlib.crc32(data), size=len(data)), len(data)
        return self.zip.add(raw_name, data), len(data)

    def finish(self) -> None:
        """Write the block map, the content types and the ZIP directory."""
        block_map = self.block_map_xml if self.block_map_xml is not None else block_map_xml(self.records)
        self.zip.add(b"AppxBlockMap.xml", deflate(block_map), method=DEFLATED, crc=zlib.crc32(block_map),
                     size=len(block_map))
        types = self.content_types.xml()
        self.zip.add(b"[Content_Types].xml", deflate(types), method=DEFLATED, crc=zlib.crc32(types), size=len(types))
        self.zip.close()

    def _type(self, name: str) -> None:
        footprint = FOOTPRINT_TYPES.get(name)
        last = name.rpartition("/")[2]
        if footprint:
            self.content_types.overrides["/" + zip_name(name)] = footprint
        elif "." in last:
            self.content_types.defaults.setdefault(last.rpartition(".")[2].lower(), "application/octet-stream")
        else:
            self.content_types.overrides["/" + zip_name(name)] = "application/octet-stream"


FOOTPRINT_TYPES = {
    "AppxManifest.xml": "application/vnd.ms-appx.manifest+xml",
    "AppxMetadata/AppxBundleManifest.xml": "application/vnd.ms-appx.bundlemanifest+xml",
    "AppxSignature.p7x": "application/vnd.ms-appx.signature",
    "AppxMetadata/CodeIntegrity.cat": "application/vnd.ms-pkiseccat",
}


def block_map_xml(records: Sequence[FileRecord]) -> bytes:
    """`AppxBlockMap.xml` for `records`."""
    files = []
    for record in records:
        blocks = "".join(
            f'<Block Hash="{base64.b64encode(digest).decode()}"' + ("" if size is None else f' Size="{size}"') + "/>"
            for digest, size in zip(record.hashes, record.block_sizes, strict=False)
        )
        name = record.name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        files.append(f'<File Name="{name}" Size="{record.size}" LfhSize="{record.lfh_size}">{blocks}</File>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        '<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" '
        f'HashMethod="http://www.w3.org/2001/04/xmlenc#sha256">{"".join(files)}</BlockMap>'
    ).encode()


@dataclass(frozen=True)
class Identity:
    """The identity a built package declares."""

    name: str = "Contoso.HelloApp"
    publisher: str = "CN=Contoso Ltd, O=Contoso Ltd, C=US"
    version: str = "1.2.3.0"
    architecture: str = "x64"


def manifest_xml(
    identity: Identity = Identity(),
    *,
    languages: Sequence[str] = ("en-US", "de-DE"),
    capabilities: Sequence[str] = ("internetClient", "rescap:runFullTrust"),
    families: Sequence[tuple[str, str]] = (("Windows.Desktop", "10.0.17763.0"),),
    prolog: str = "",
) -> bytes:
    """An `AppxManifest.xml`; `prolog` goes before the root element (a DOCTYPE, for hostile tests)."""
    resources = "".join(f'<Resource Language="{language}"/>' for language in languages)
    capability_items = "".join(
        f'<rescap:Capability Name="{c.split(":")[1]}"/>' if ":" in c else f'<Capability Name="{c}"/>'
        for c in capabilities
    )
    family_items = "".join(
        f'<TargetDeviceFamily Name="{name}" MinVersion="{version}" MaxVersionTested="10.0.22621.0"/>'
        for name, version in families
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}'
        '<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10" '
        'xmlns:rescap="http://schemas.microsoft.com/appx/manifest/foundation/windows10/restrictedcapabilities">'
        f'<Identity Name="{identity.name}" Publisher="{identity.publisher}" Version="{identity.version}" '
        f'ProcessorArchitecture="{identity.architecture}"/>'
        "<Properties><DisplayName>Hello</DisplayName><PublisherDisplayName>Contoso</PublisherDisplayName>"
        "<Logo>Assets\\StoreLogo.png</Logo></Properties>"
        f"<Dependencies>{family_items}</Dependencies><Resources>{resources}</Resources>"
        f"<Capabilities>{capability_items}</Capabilities></Package>"
    ).encode()


DEFAULT_FILES = {
    "Assets/StoreLogo.png": b"\x89PNG fake logo " * 40,
    "App.exe": bytes(range(256)) * 700,  # 179,200 bytes: three blocks, the last one short
    "strings/loader[1].js": b"console.log('hi');\n" * 30,
    "महसुस/readme.txt": b"non-ASCII folder name",
    "empty.dat": b"",
}

Tamper = Callable[[PackageWriter], None]


def write_package(
    target: Path | BinaryIO,
    *,
    identity: Identity = Identity(),
    files: dict[str, bytes] | None = None,
    compress: bool = True,
    manifest: bytes | None = None,
    tamper: Tamper | None = None,
) -> None:
    """Write a valid single package (unless `tamper` breaks it before the block map is written)."""
    if isinstance(target, Path):
        with target.open("wb") as fh:
            write_package(fh, identity=identity, files=files, compress=compress, manifest=manifest, tamper=tamper)
        return
    writer = PackageWriter(target)
    for name, data in (DEFAULT_FILES if files is None else files).items():
        writer.add_file(name, data, compress=compress and not name.endswith(".png"))
    writer.add_file("AppxManifest.xml", manifest if manifest is not None else manifest_xml(identity))
    if tamper:
        tamper(writer)
    writer.finish()


def package_bytes(**options: object) -> bytes:
    """A package built by `write_package(**options)`, in memory."""
    buffer = io.BytesIO()
    write_package(buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


@dataclass(frozen=True)
class Payload:
    """A payload package to put in a bundle, and what the bundle manifest should say about it."""

    file_name: str
    data: bytes
    version: str = "1.2.3.0"
    architecture: str = "x64"
    package_type: str = "application"
    size_delta: int = 0
    offset_delta: int = 0


def write_bundle(
    target: Path,
    payloads: Sequence[Payload],
    *,
    identity: Identity = Identity(version="2024.101.5.0"),
    compress_payload: bool = False,
    tamper: Tamper | None = None,
) -> None:
    """Write a bundle holding `payloads` (valid unless a Payload lies or `tamper` breaks it)."""
    with target.open("wb") as fh:
        writer = PackageWriter(fh)
        writer.content_types.defaults["appx"] = "application/vnd.ms-appx"
        placed = [(p, writer.add_unlisted(p.file_name, p.data, compress=compress_payload)) for p in payloads]
        items = "".join(
            f'<Package Type="{p.package_type}" Version="{p.version}" Architecture="{p.architecture}" '
            f'FileName="{p.file_name}" Offset="{offset + p.offset_delta}" Size="{size + p.size_delta}">'
            '<Resources><Resource Language="en-us"/></Resources></Package>'
            for p, (offset, size) in placed
        )
        manifest = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Bundle xmlns="http://schemas.microsoft.com/appx/2013/bundle" SchemaVersion="2.0">'
            f'<Identity Name="{identity.name}" Publisher="{identity.publisher}" Version="{identity.version}"/>'
            f"<Packages>{items}</Packages></Bundle>"
        ).encode()
        writer.add_file("AppxMetadata/AppxBundleManifest.xml", manifest)
        if tamper:
            tamper(writer)
        writer.finish()


def write_upload(target: Path, members: dict[str, bytes], *, compress: bool = True) -> None:
    """Write an upload container (.appxupload) holding `members`, with zipfile as Visual Studio would."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(target, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# ---- nested archives -------------------------------------------------------------------------------------

_EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored block of no bytes: valid deflate padding


def padded_deflate(data: bytes, ratio: float) -> bytes:
    """`data` deflated, then padded with empty stored blocks until it expands only `ratio` times.

    The padding keeps each level under a per-level ratio cap and is itself highly compressible, so the
    next level out can pack it just as tightly: the nested-archive attack a total budget stops.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)
    end = packer.flush()
    padding = max(0, int(len(data) / ratio) - len(body) - len(end)) // len(_EMPTY_STORED_BLOCK)
    return body + _EMPTY_STORED_BLOCK * padding + end


def nested_bomb(inner_size: int, ratio: float = 190.0, name: str = "App.appxupload") -> bytes:
    """A submission ZIP holding `name`, an upload container whose `App.msix` inflates to `inner_size` zeros.

    Each level expands `ratio` times (under the 200 cap), so the whole expands about `ratio` squared times.
    """
    inner = bytes(inner_size)
    container = io.BytesIO()
    writer = ZipWriter(container)
    writer.add("App.msix", padded_deflate(inner, ratio), method=DEFLATED, crc=zlib.crc32(inner), size=len(inner))
    writer.close()
    upload = container.getvalue()
    outer = io.BytesIO()
    writer = ZipWriter(outer)
    writer.add(name, padded_deflate(upload, ratio), method=DEFLATED, crc=zlib.crc32(upload), size=len(upload))
    writer.close()
    return outer.getvalue()
