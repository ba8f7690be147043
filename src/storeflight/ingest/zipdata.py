"""Streaming the data of one ZIP member: stored or deflated, never more than its declared size, in small chunks."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

from storeflight.ingest.zipdir import DEFLATED, STORED, Window, ZipEntry, ZipFormatError

CHUNK = 1 << 20


def iter_raw(window: Window, offset: int, length: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The bytes of `window` from `offset` on, `length` of them, in chunks of at most `chunk` bytes."""
    end = offset + length
    while offset < end:
        step = min(chunk, end - offset)
        yield window.read_at(offset, step)
        offset += step


def iter_data(window: Window, entry: ZipEntry, chunk: int = CHUNK) -> Iterator[bytes]:
    """The uncompressed data of `entry`; ZipFormatError if it is corrupt or not exactly its declared size."""
    if entry.method == STORED:
        yield from iter_raw(window, entry.data_offset, entry.size, chunk)
    elif entry.method == DEFLATED:
        yield from _inflate(window, entry, chunk)
    else:
        raise ZipFormatError(f"'{entry.name}' uses compression method {entry.method}")


def _inflate(window: Window, entry: ZipEntry, chunk: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for raw in iter_raw(window, entry.data_offset, entry.compressed_size, chunk):
            if inflater.eof:
                raise ZipFormatError(f"'{entry.name}': data continues after the end of its deflate stream")
            for out in _drain(inflater, raw, chunk):
                produced += len(out)
                if produced > entry.size:
                    raise ZipFormatError(f"'{entry.name}' inflates to more than its declared {entry.size} bytes")
                yield out
    except zlib.error as error:
        raise ZipFormatError(f"'{entry.name}': corrupt deflate data ({error})") from None
    # A stream that stops at a sync flush without a final block is accepted when the data is all there:
    # packages written by the MSIX SDK's packer end every deflated file that way.
    if inflater.unused_data:
        raise ZipFormatError(f"'{entry.name}': data continues after the end of its deflate stream")
    if produced != entry.size:
        raise ZipFormatError(f"'{entry.name}' inflates to {produced} bytes, not its declared {entry.size}")


def _drain(inflater: zlib._Decompress, data: bytes, chunk: int) -> Iterator[bytes]:
    """Everything `data` inflates to, `chunk` bytes at a time, including output zlib still holds back."""
    while True:
        out = inflater.decompress(data, chunk)
        data = inflater.unconsumed_tail
        if out:
            yield out
        if inflater.eof or (not out and not data):
            return


class ChunkReader(io.RawIOBase):
    """A readable binary stream over an iterator of byte chunks (for parsers that want a file)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._view = memoryview(b"")

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` from the current chunk; 0 at the end."""
        while not self._view:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._view = memoryview(chunk)
        count = min(len(buffer), len(self._view))
        buffer[:count] = self._view[:count]
        self._view = self._view[count:]
        return count
