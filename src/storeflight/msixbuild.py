"""A small writer of valid, unsigned MSIX packages: for `storeflight demo` and the publish benchmark.

It writes what the ingestion validator checks (storeflight.ingest): payload files stored uncompressed,
`AppxManifest.xml`, `AppxBlockMap.xml` (SHA-256 of every 64 KiB block and each local header's size) and
`[Content_Types].xml`. Payload files are streamed from a callable, so a 100 MiB package needs one block
of memory. The tests' builders (tests/ingest/builders.py) can also break packages on purpose; this one
only writes good ones.
"""

from __future__ import annotations

import base64
import hashlib
import random
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

BLOCK = 64 * 1024


@dataclass(frozen=True)
class PackageSpec:
    identity_name: str
    publisher: str
    version: str = "1.0.0.0"
    architecture: str = "x64"
    display_name: str = "storeflight demo"
    device_family: str = "Windows.Desktop"
    min_version: str = "10.0.17763.0"


def manifest_xml(spec: PackageSpec) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10">'
        f"<Identity Name={quoteattr(spec.identity_name)} Publisher={quoteattr(spec.publisher)} "
        f'Version="{spec.version}" ProcessorArchitecture="{spec.architecture}"/>'
        f"<Properties><DisplayName>{escape(spec.display_name)}</DisplayName>"
        "<PublisherDisplayName>storeflight</PublisherDisplayName><Logo>Assets\\Logo.png</Logo></Properties>"
        f'<Dependencies><TargetDeviceFamily Name="{spec.device_family}" MinVersion="{spec.min_version}" '
        'MaxVersionTested="10.0.22621.0"/></Dependencies>'
        '<Resources><Resource Language="en-US"/></Resources>'
        '<Capabilities><Capability Name="internetClient"/></Capabilities></Package>'
    ).encode()


Chunks = Callable[[], Iterable[bytes]]


def _payload_entry(archive: zipfile.ZipFile, name: str, chunks: Chunks) -> str:
    """Stream one stored entry; returns its block map `File` element."""
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    blocks: list[str] = []
    size = 0
    pending = b""
    with archive.open(info, "w", force_zip64=False) as fh:
        for chunk in chunks():
            fh.write(chunk)
            size += len(chunk)
            pending += chunk
            while len(pending) >= BLOCK:
                blocks.append(_block(pending[:BLOCK]))
                pending = pending[BLOCK:]
    if pending:
        blocks.append(_block(pending))
    lfh = 30 + len(info.filename.encode()) + len(info.extra)
    windows_name = quoteattr(name.replace("/", "\\"))
    return f'<File Name={windows_name} Size="{size}" LfhSize="{lfh}">{"".join(blocks)}</File>'


def _block(data: bytes) -> str:
    return f'<Block Hash="{base64.b64encode(hashlib.sha256(data).digest()).decode()}"/>'


def write_msix(target: Path, spec: PackageSpec, files: dict[str, Chunks] | None = None) -> Path:
    """Write a valid package declaring `spec` with `files` (name -> chunk source) as its payload."""
    payload = files if files is not None else {"App.exe": lambda: [spec.version.encode() * 4096]}
    payload = {"Assets/Logo.png": lambda: [b"\x89PNG storeflight logo" * 32], **payload}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        records = [_payload_entry(archive, name, chunks) for name, chunks in payload.items()]
        manifest = manifest_xml(spec)
        records.append(_payload_entry(archive, "AppxManifest.xml", lambda: [manifest]))
        block_map = (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
            '<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" '
            f'HashMethod="http://www.w3.org/2001/04/xmlenc#sha256">{"".join(records)}</BlockMap>'
        ).encode()
        archive.writestr(_info("AppxBlockMap.xml"), block_map)
        archive.writestr(_info("[Content_Types].xml"), _content_types(payload))
    return target


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _content_types(payload: dict[str, Chunks]) -> bytes:
    extensions = sorted({n.rpartition(".")[2].lower() for n in payload if "." in n.rpartition("/")[2]})
    defaults = "".join(f'<Default Extension="{e}" ContentType="application/octet-stream"/>' for e in extensions)
    bare = [n for n in payload if "." not in n.rpartition("/")[2]]
    overrides = "".join(f'<Override PartName="/{n}" ContentType="application/octet-stream"/>' for n in bare)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f"{defaults}{overrides}"
        '<Override PartName="/AppxManifest.xml" ContentType="application/vnd.ms-appx.manifest+xml"/>'
        '<Override PartName="/AppxBlockMap.xml" ContentType="application/vnd.ms-appx.blockmap+xml"/></Types>'
    ).encode()


def random_chunks(size: int, seed: int = 0, chunk: int = 1024 * 1024) -> Chunks:
    """`size` bytes of incompressible, reproducible data, `chunk` bytes at a time."""

    def produce() -> Iterable[bytes]:
        generator = random.Random(seed)
        left = size
        while left > 0:
            piece = generator.randbytes(min(left, chunk))
            left -= len(piece)
            yield piece

    return produce
