"""Member names: unsafe ZIP names, name keys that ignore case and slashes, and OPC part-name decoding."""

from __future__ import annotations

import re
from urllib.parse import unquote

_DRIVE = re.compile(r"^[A-Za-z]:")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ENCODED_SLASH = re.compile(r"%(2[Ff]|5[Cc])")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def unsafe_reason(name: str) -> str | None:
    """Why extracting a member called `name` could escape or confuse the target folder; None if it is safe."""
    reason = _unsafe_start(name)
    if reason:
        return reason
    segments = name.replace("\\", "/").split("/")
    if any(segment in (".", "..") for segment in segments):
        return "contains a '.' or '..' path segment"
    if any(not segment for segment in segments[:-1]):
        return "contains an empty path segment"
    return None


def _unsafe_start(name: str) -> str | None:
    if not name:
        return "is empty"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return "contains control characters"
    if name[0] in "/\\":
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    return None


def loose_key(name: str) -> str:
    """`name` compared the way a Windows file system would: any case, either slash."""
    return name.replace("\\", "/").casefold()


def part_key(name: str) -> str:
    """An OPC part name (decoded, either slash) compared as OPC does: ASCII case-insensitively."""
    return name.replace("\\", "/").translate(_ASCII_LOWER)


def decode_part_name(zip_name: str) -> str:
    """The part name a ZIP item name stands for (percent-decoded UTF-8); ValueError says why it is invalid."""
    if _BAD_ESCAPE.search(zip_name):
        raise ValueError("has a '%' that does not start a percent-escape")
    if _ENCODED_SLASH.search(zip_name):
        raise ValueError("percent-encodes a slash or backslash")
    try:
        decoded = unquote(zip_name, errors="strict")
    except UnicodeDecodeError:
        raise ValueError("percent-encodes bytes that are not UTF-8") from None
    if zip_name.endswith("/") or "\\" in zip_name:
        raise ValueError("is a folder or uses backslashes")
    reason = unsafe_reason(decoded)
    if reason:
        raise ValueError(reason)
    if any(segment.endswith(".") for segment in decoded.split("/")):
        raise ValueError("has a path segment that ends with '.'")
    return decoded


KINDS = {
    ".appx": "package",
    ".msix": "package",
    ".appxbundle": "bundle",
    ".msixbundle": "bundle",
    ".appxupload": "upload",
    ".msixupload": "upload",
}


def kind_of(file_name: str) -> str | None:
    """`package`, `bundle` or `upload` as the extension of `file_name` says; None for anything else."""
    last = file_name.replace("\\", "/").rpartition("/")[2]
    if "." not in last:
        return None
    return KINDS.get("." + last.rpartition(".")[2].lower())
