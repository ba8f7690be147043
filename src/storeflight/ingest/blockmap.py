"""`AppxBlockMap.xml`: read as a stream into per-file block hashes, then every listed file verified against it.

Each payload file is listed once with its uncompressed `Size` and one `Block` per 64 KiB of uncompressed
data: the block's hash and, for deflated files, its compressed size. Memory is bounded by the package's
declared sizes (one digest per 64 KiB), never by the size of the XML.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from storeflight.ingest.errors import Defect
from storeflight.ingest.names import part_key
from storeflight.ingest.opc import BLOCK_MAP, CONTENT_TYPES, OpcPackage, Part
from storeflight.ingest.xmlsafe import XmlBounds, iter_xml, local_name, namespace
from storeflight.ingest.zipdata import ChunkReader, iter_data
from storeflight.ingest.zipdir import STORED, ZipFormatError

BLOCK_SIZE = 64 * 1024
HASH_METHODS: dict[str, tuple[str, Callable[..., hashlib._Hash]]] = {
    "http://www.w3.org/2001/04/xmlenc#sha256": ("SHA-256", hashlib.sha256),
    "http://www.w3.org/2001/04/xmldsig-more#sha384": ("SHA-384", hashlib.sha384),
    "http://www.w3.org/2001/04/xmlenc#sha512": ("SHA-512", hashlib.sha512),
}
_APPX_NS = "http://schemas.microsoft.com/appx/"
_NUMBER = re.compile(r"^[0-9]{1,19}$")


@dataclass
class MappedFile:
    """One `File` of the block map, matched to the package part it describes."""

    part: Part
    size: int
    lfh_size: int | None
    hashes: bytearray = field(default_factory=bytearray)
    block_sizes: array[int] = field(default_factory=lambda: array("q"))  # -1: no Size attribute

    @property
    def block_count(self) -> int:
        """How many blocks the block map lists for the file."""
        return len(self.block_sizes)


@dataclass
class BlockMap:
    """The parsed block map: hash algorithm and files by part key."""

    hash_label: str = ""
    hash_new: Callable[..., hashlib._Hash] = hashlib.sha256
    digest_size: int = 32
    files: dict[str, MappedFile] = field(default_factory=dict)

    def lists(self, name: str) -> bool:
        """Whether the block map lists the part `name`."""
        return part_key(name) in self.files


def blocks_needed(size: int) -> int:
    """How many 64 KiB blocks a file of `size` bytes has."""
    return -(-size // BLOCK_SIZE)


def read_block_map(package: OpcPackage) -> BlockMap:
    """The block map of `package`, streamed; Defect for any listing the package contradicts."""
    part = package.require(BLOCK_MAP)
    limit = (1 << 20) + 16 * 1024 * len(package.parts) + 256 * sum(blocks_needed(p.entry.size) for p in package.parts)
    if part.entry.size > limit:
        raise Defect(f"{BLOCK_MAP} is {part.entry.size} bytes, far more than this package needs")
    blocks = sum(blocks_needed(p.entry.size) for p in package.parts)
    bounds = XmlBounds(max_bytes=limit, max_depth=16, max_elements=64 + len(package.parts) + blocks)
    reader = _Reader(package)
    try:
        for event, element in iter_xml(ChunkReader(iter_data(package.window, part.entry)), BLOCK_MAP, bounds):
            reader.feed(event, element)
    except ZipFormatError as error:
        raise Defect(f"corrupt ZIP data: {error}") from None
    if not reader.result.files:
        raise Defect(f"{BLOCK_MAP} lists no file")
    return reader.result


class _Reader:
    """Turns the block map's parse events into a BlockMap, checking each File and Block as it closes."""

    def __init__(self, package: OpcPackage) -> None:
        self.package = package
        self.result = BlockMap()
        self.root: Element | None = None
        self.depth = 0  # 1: BlockMap, 2: File, 3: Block
        self.current: MappedFile | None = None
        self.current_element: Element | None = None

    def feed(self, event: str, element: Element) -> None:
        """Handle one parse event; elements of other namespaces are ignored, misplaced ones are a Defect."""
        self.depth += 1 if event == "start" else -1
        if self.root is None:
            self._start_root(element)
        elif namespace(element) != namespace(self.root):
            return
        elif event == "start":
            self._start(element)
        elif local_name(element) == "Block" and self.current and self.current_element is not None:
            self._add_block(self.current, element)
            self.current_element.remove(element)
        elif local_name(element) == "File":
            self._end_file(element)

    def _start(self, element: Element) -> None:
        name = local_name(element)
        if self.depth == 2 and name == "File":
            self._start_file(element)
        elif not (self.depth == 3 and name == "Block" and self.current):
            raise Defect(f"{BLOCK_MAP} has a misplaced <{name}> element")

    def _start_root(self, element: Element) -> None:
        ns = namespace(element)
        if local_name(element) != "BlockMap" or not (ns.startswith(_APPX_NS) and ns.endswith("/blockmap")):
            raise Defect(f"{BLOCK_MAP} is not a block map (its root is <{local_name(element)}>)")
        method = HASH_METHODS.get(element.get("HashMethod", ""))
        if method is None:
            raise Defect(f"{BLOCK_MAP} uses an unsupported HashMethod '{element.get('HashMethod', '')}'")
        self.result.hash_label, self.result.hash_new = method
        self.result.digest_size = method[1]().digest_size
        self.root = element

    def _start_file(self, element: Element) -> None:
        name = element.get("Name", "")
        if not name or part_key(name) == part_key(CONTENT_TYPES):
            raise Defect(f"{BLOCK_MAP} lists an invalid file name '{name}'")
        part = self.package.find(name)
        if part is None:
            raise Defect(f"{BLOCK_MAP} lists '{name}', which is not in the package")
        if part_key(name) in self.result.files:
            raise Defect(f"{BLOCK_MAP} lists '{name}' twice")
        size = _number(element, "Size", name)
        if size is None:
            raise Defect(f"{BLOCK_MAP} gives no Size for '{name}'")
        if size != part.entry.size:
            raise Defect(f"'{part.name}' is {part.entry.size} bytes, but {BLOCK_MAP} says {size}")
        self.current = MappedFile(part=part, size=size, lfh_size=_number(element, "LfhSize", name))
        self.current_element = element

    def _add_block(self, mapped: MappedFile, element: Element) -> None:
        if mapped.block_count >= blocks_needed(mapped.size):
            raise Defect(f"{BLOCK_MAP} lists more blocks for '{mapped.part.name}' than its {mapped.size} bytes have")
        try:
            digest = base64.b64decode(element.get("Hash", ""), validate=True)
        except binascii.Error:
            digest = b""
        if len(digest) != self.result.digest_size:
            raise Defect(f"{BLOCK_MAP} has an invalid hash for block {mapped.block_count + 1} of '{mapped.part.name}'")
        mapped.hashes += digest
        block_size = _number(element, "Size", mapped.part.name)
        mapped.block_sizes.append(-1 if block_size is None else block_size)

    def _end_file(self, element: Element) -> None:
        mapped = self.current
        if mapped is None or self.root is None:
            return
        self.result.files[part_key(mapped.part.name)] = mapped
        self.current = self.current_element = None
        self.root.remove(element)


def _number(element: Element, attribute: str, file_name: str) -> int | None:
    text = element.get(attribute)
    if text is None:
        return None
    if not _NUMBER.match(text):
        raise Defect(f"{BLOCK_MAP} has an invalid {attribute} '{text}' for '{file_name}'")
    return int(text)


def check_unlisted(package: OpcPackage, block_map: BlockMap, allowed: Iterable[str]) -> None:
    """Defect if a part other than the `allowed` footprint files is missing from the block map."""
    exempt = {part_key(name) for name in allowed}
    for part in package.parts:
        key = part_key(part.name)
        if key not in block_map.files and key not in exempt:
            raise Defect(f"'{part.name}' is in the package but not listed in {BLOCK_MAP}")


def verify_blocks(package: OpcPackage, block_map: BlockMap) -> None:
    """Defect unless every listed file matches its block map entry: every hash, block count and sizes."""
    for mapped in sorted(block_map.files.values(), key=lambda m: m.part.entry.data_offset):
        try:
            _check_hashes(package, block_map, mapped)
        except ZipFormatError as error:
            raise Defect(f"corrupt ZIP data: {error}") from None
        _check_layout(mapped)


def _check_hashes(package: OpcPackage, block_map: BlockMap, mapped: MappedFile) -> None:
    """Hashes first, in order: a block missing from the list shows as the first block whose hash is wrong."""
    width = block_map.digest_size
    hashes = memoryview(mapped.hashes)
    for index, block in enumerate(iter_blocks(iter_data(package.window, mapped.part.entry))):
        if index >= mapped.block_count:
            break
        if block_map.hash_new(block).digest() != hashes[index * width : (index + 1) * width]:
            raise Defect(f"{BLOCK_MAP}: block {index + 1} of '{mapped.part.name}' has the wrong {block_map.hash_label}")


def _check_layout(mapped: MappedFile) -> None:
    entry, name = mapped.part.entry, mapped.part.name
    if mapped.block_count != blocks_needed(mapped.size):
        raise Defect(
            f"{BLOCK_MAP} lists {mapped.block_count} blocks for '{name}', whose {mapped.size} bytes need "
            f"{blocks_needed(mapped.size)}"
        )
    if mapped.lfh_size is not None and mapped.lfh_size != entry.local_header_size:
        raise Defect(
            f"{BLOCK_MAP} says the local header of '{name}' is {mapped.lfh_size} bytes; it is {entry.local_header_size}"
        )
    if entry.method == STORED:
        _check_stored_sizes(mapped)
        return
    if -1 in mapped.block_sizes:
        raise Defect(f"{BLOCK_MAP} gives no compressed size for a block of '{name}', which is compressed")
    packed = sum(mapped.block_sizes)
    if packed not in (entry.compressed_size, entry.compressed_size - 2):
        raise Defect(
            f"{BLOCK_MAP} says the blocks of '{name}' compress to {packed} bytes; its ZIP data is "
            f"{entry.compressed_size} bytes"
        )


def _check_stored_sizes(mapped: MappedFile) -> None:
    name = mapped.part.name
    for index, declared in enumerate(mapped.block_sizes):
        actual = min(BLOCK_SIZE, mapped.size - index * BLOCK_SIZE)
        if declared not in (-1, actual):
            raise Defect(f"{BLOCK_MAP} gives block {index + 1} of '{name}' {declared} bytes; it has {actual}")


def iter_blocks(chunks: Iterable[bytes]) -> Iterator[memoryview]:
    """The data of `chunks` cut into 64 KiB blocks (the last one shorter), copying only across chunk edges."""
    pending = bytearray()
    for chunk in chunks:
        view = memoryview(chunk)
        if pending:
            take = BLOCK_SIZE - len(pending)
            pending += view[:take]
            view = view[take:]
            if len(pending) < BLOCK_SIZE:
                continue
            yield memoryview(bytes(pending))
            pending.clear()
        while len(view) >= BLOCK_SIZE:
            yield view[:BLOCK_SIZE]
            view = view[BLOCK_SIZE:]
        pending += view
    if pending:
        yield memoryview(bytes(pending))
