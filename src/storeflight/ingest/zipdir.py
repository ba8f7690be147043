"""The directory of a ZIP file, read strictly and in bounded memory: end record, central directory, local headers.

Nothing here decompresses anything. Every structural fault becomes a `ZipFormatError` whose message says what
is wrong, so callers can report it as an invalid archive or package.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import BinaryIO

STORED = 0
DEFLATED = 8
MAX_NAME_BYTES = 4096

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIG = b"PK\x05\x06"
_Z64_LOCATOR = struct.Struct("<4sLQL")
_Z64_LOCATOR_SIG = b"PK\x06\x07"
_Z64_EOCD = struct.Struct("<4sQ2H2L4Q")
_Z64_EOCD_SIG = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL = struct.Struct("<4s5H3L2H")
_LOCAL_SIG = b"PK\x03\x04"
_MAX_COMMENT = 0xFFFF
_U16 = 0xFFFF
_U32 = 0xFFFFFFFF
_FLAG_ENCRYPTED = 0x0001
_FLAG_DATA_DESCRIPTOR = 0x0008
_FLAG_STRONG_ENCRYPTION = 0x0040
_FLAG_UTF8 = 0x0800
_FLAG_MASKED_HEADERS = 0x2000


class ZipFormatError(Exception):
    """The bytes are not a well-formed ZIP file; the message says where."""


@dataclass(frozen=True)
class ZipEntry:
    """One member as the central directory (checked against its local header) describes it."""

    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    data_offset: int = 0

    @property
    def encrypted(self) -> bool:
        """Whether any of the ZIP encryption flags is set."""
        return bool(self.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION | _FLAG_MASKED_HEADERS))

    @property
    def local_header_size(self) -> int:
        """Bytes from the local header's signature to the first byte of data."""
        return self.data_offset - self.header_offset


class Window:
    """A byte range of an open file, read with absolute-position reads that never run past its end."""

    def __init__(self, fh: BinaryIO, base: int, size: int) -> None:
        self.fh, self.base, self.size = fh, base, size

    def read_at(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes at `offset`, or ZipFormatError if the range leaves the window."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ZipFormatError(f"a record at offset {offset} runs past the end of the file ({self.size} bytes)")
        self.fh.seek(self.base + offset)
        data = self.fh.read(length)
        if len(data) != length:
            raise ZipFormatError(f"the file ended early: {length} bytes wanted at offset {offset}")
        return data

    def sub(self, offset: int, size: int) -> Window:
        """The window over `size` bytes at `offset` of this one."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise ZipFormatError(f"a range of {size} bytes at offset {offset} runs past the end of the file")
        return Window(self.fh, self.base + offset, size)


@dataclass(frozen=True)
class _Directory:
    count: int
    offset: int
    size: int


def read_entries(window: Window, max_entries: int) -> list[ZipEntry]:
    """Every member of the ZIP in `window`, in central-directory order, with local headers checked."""
    directory = _find_directory(window)
    if directory.count > max_entries:
        raise ZipFormatError(f"it has {directory.count} entries, more than the cap of {max_entries}")
    entries = _read_central(window, directory)
    located = [_check_local(window, entry) for entry in entries]
    _check_layout(located, directory.offset)
    return located


def _find_directory(window: Window) -> _Directory:
    if window.size < _EOCD.size:
        raise ZipFormatError(f"it is not a ZIP file ({window.size} bytes, too short for one)")
    tail_start = max(0, window.size - _EOCD.size - _MAX_COMMENT)
    tail = window.read_at(tail_start, window.size - tail_start)
    position = tail.rfind(_EOCD_SIG, 0, len(tail) - _EOCD.size + len(_EOCD_SIG))
    while position >= 0:
        fields = _EOCD.unpack_from(tail, position)
        if position + _EOCD.size + fields[7] == len(tail):
            return _directory_from(window, tail_start + position, fields)
        position = tail.rfind(_EOCD_SIG, 0, position)
    if window.read_at(0, 4) == _LOCAL_SIG:
        raise ZipFormatError("it is a truncated or corrupt ZIP file (no end of central directory record)")
    raise ZipFormatError(f"it is not a ZIP file (no end of central directory record in {window.size} bytes)")


def _directory_from(window: Window, eocd_at: int, fields: tuple[int, ...]) -> _Directory:
    _, disk, cd_disk, disk_count, count, size, offset, _ = fields
    end = eocd_at
    if eocd_at >= _Z64_LOCATOR.size:
        locator = _Z64_LOCATOR.unpack(window.read_at(eocd_at - _Z64_LOCATOR.size, _Z64_LOCATOR.size))
        if locator[0] == _Z64_LOCATOR_SIG:
            end = locator[2]
            record = _Z64_EOCD.unpack(window.read_at(end, _Z64_EOCD.size))
            if record[0] != _Z64_EOCD_SIG:
                raise ZipFormatError("corrupt ZIP64 end of central directory record")
            disk, cd_disk, disk_count, count, size, offset = record[4:10]
    if disk != 0 or cd_disk != 0 or disk_count != count:
        raise ZipFormatError("it is a multi-volume (spanned) ZIP archive, which is not supported")
    if offset + size != end:
        raise ZipFormatError(
            f"corrupt central directory: it should end at offset {end} but spans {offset}..{offset + size}"
        )
    return _Directory(count=count, offset=offset, size=size)


def _read_central(window: Window, directory: _Directory) -> list[ZipEntry]:
    entries: list[ZipEntry] = []
    position = directory.offset
    end = directory.offset + directory.size
    for index in range(directory.count):
        if position + _CENTRAL.size > end:
            raise ZipFormatError(f"corrupt central directory: it ends inside entry {index + 1} of {directory.count}")
        entry, position = _central_entry(window, position, index)
        entries.append(entry)
    if position != end:
        raise ZipFormatError(f"corrupt central directory: {end - position} unexplained bytes after the last entry")
    return entries


def _central_entry(window: Window, position: int, index: int) -> tuple[ZipEntry, int]:
    fields = _CENTRAL.unpack(window.read_at(position, _CENTRAL.size))
    if fields[0] != _CENTRAL_SIG:
        raise ZipFormatError(f"corrupt central directory: bad signature of entry {index + 1} at offset {position}")
    _, _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len, comment_len, disk, _, _, offset = fields
    if name_len > MAX_NAME_BYTES:
        raise ZipFormatError(f"entry {index + 1} has a name of {name_len} bytes, longer than {MAX_NAME_BYTES}")
    variable = window.read_at(position + _CENTRAL.size, name_len + extra_len)
    raw_name, extra = variable[:name_len], variable[name_len:]
    usize, csize, offset, disk = _apply_zip64(extra, usize, csize, offset, disk)
    if disk != 0:
        raise ZipFormatError("it is a multi-volume (spanned) ZIP archive, which is not supported")
    entry = ZipEntry(
        name=_decode_name(raw_name, flags),
        raw_name=raw_name,
        flags=flags,
        method=method,
        crc=crc,
        compressed_size=csize,
        size=usize,
        header_offset=offset,
    )
    return entry, position + _CENTRAL.size + name_len + extra_len + comment_len


def _apply_zip64(extra: bytes, usize: int, csize: int, offset: int, disk: int) -> tuple[int, int, int, int]:
    values = _zip64_field(extra)
    if values is None:
        if _U32 in (usize, csize, offset):
            raise ZipFormatError("corrupt central directory: ZIP64 sizes announced but no ZIP64 extra field")
        return usize, csize, offset, disk
    wanted = [(usize == _U32, 8), (csize == _U32, 8), (offset == _U32, 8), (disk == _U16, 4)]
    result = [usize, csize, offset, disk]
    position = 0
    for slot, (needed, width) in enumerate(wanted):
        if not needed:
            continue
        if position + width > len(values):
            raise ZipFormatError("corrupt central directory: ZIP64 extra field too short")
        result[slot] = int.from_bytes(values[position : position + width], "little")
        position += width
    return result[0], result[1], result[2], result[3]


def _zip64_field(extra: bytes) -> bytes | None:
    position = 0
    while position + 4 <= len(extra):
        header_id, size = struct.unpack_from("<2H", extra, position)
        if position + 4 + size > len(extra):
            raise ZipFormatError("corrupt central directory: an extra field runs past its entry")
        if header_id == 1:
            return extra[position + 4 : position + 4 + size]
        position += 4 + size
    return None


def _decode_name(raw: bytes, flags: int) -> str:
    if not flags & _FLAG_UTF8:
        return raw.decode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ZipFormatError(f"entry name {raw!r} is flagged UTF-8 but is not valid UTF-8") from None


def _check_local(window: Window, entry: ZipEntry) -> ZipEntry:
    fields = _LOCAL.unpack(window.read_at(entry.header_offset, _LOCAL.size))
    signature, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = fields
    if signature != _LOCAL_SIG:
        raise ZipFormatError(f"corrupt ZIP: no local header at offset {entry.header_offset} for '{entry.name}'")
    if method != entry.method or (flags ^ entry.flags) & _FLAG_ENCRYPTED:
        raise ZipFormatError(f"corrupt ZIP: the local header of '{entry.name}' disagrees with the central directory")
    if window.read_at(entry.header_offset + _LOCAL.size, name_len) != entry.raw_name:
        raise ZipFormatError(f"corrupt ZIP: the local header of '{entry.name}' names a different file")
    described = not flags & _FLAG_DATA_DESCRIPTOR and _U32 not in (csize, usize)
    if described and (crc, csize, usize) != (entry.crc, entry.compressed_size, entry.size):
        raise ZipFormatError(f"corrupt ZIP: the local header of '{entry.name}' gives other sizes or CRC")
    if entry.method == STORED and entry.compressed_size != entry.size:
        raise ZipFormatError(f"corrupt ZIP: '{entry.name}' is stored but its two sizes differ")
    data_offset = entry.header_offset + _LOCAL.size + name_len + extra_len
    return replace(entry, data_offset=data_offset)


def _check_layout(entries: list[ZipEntry], directory_offset: int) -> None:
    ordered = sorted(entries, key=lambda e: e.header_offset)
    for current, following in zip(ordered, [*ordered[1:], None], strict=True):
        limit = following.header_offset if following else directory_offset
        if current.data_offset + current.compressed_size > limit:
            other = f"'{following.name}'" if following else "the central directory"
            raise ZipFormatError(f"corrupt ZIP: the data of '{current.name}' overlaps {other}")
