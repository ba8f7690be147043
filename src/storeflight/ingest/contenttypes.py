"""`[Content_Types].xml`: every part has a content type, and the footprint files have the right one."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from storeflight.ingest.errors import Defect
from storeflight.ingest.names import decode_part_name, part_key
from storeflight.ingest.opc import (
    BLOCK_MAP,
    BUNDLE_MANIFEST,
    CODE_INTEGRITY,
    CONTENT_TYPES,
    MANIFEST,
    SIGNATURE,
    OpcPackage,
)
from storeflight.ingest.xmlsafe import XmlBounds, local_name, namespace, parse_xml

NAMESPACE = "http://schemas.openxmlformats.org/package/2006/content-types"
FOOTPRINT_TYPES = {
    part_key(MANIFEST): "application/vnd.ms-appx.manifest+xml",
    part_key(BLOCK_MAP): "application/vnd.ms-appx.blockmap+xml",
    part_key(SIGNATURE): "application/vnd.ms-appx.signature",
    part_key(CODE_INTEGRITY): "application/vnd.ms-pkiseccat",
    part_key(BUNDLE_MANIFEST): "application/vnd.ms-appx.bundlemanifest+xml",
}


def content_types_bounds(parts: int) -> XmlBounds:
    """Bounds for the content types of a package of `parts` parts: one Override per part at most, and Defaults."""
    return XmlBounds(max_bytes=(64 << 10) + 8 * 1024 * parts, max_depth=8, max_elements=1024 + parts)


def check_content_types(package: OpcPackage) -> None:
    """Defect unless `[Content_Types].xml` is valid and types every part of `package` correctly."""
    bounds = content_types_bounds(len(package.parts))
    root = parse_xml(package.read_small(package.require(CONTENT_TYPES), bounds.max_bytes), CONTENT_TYPES, bounds)
    if local_name(root) != "Types" or namespace(root) != NAMESPACE:
        raise Defect(f"{CONTENT_TYPES} is not an OPC content types document")
    defaults, overrides = _read_types(root)
    for part in package.parts:
        if part.name == CONTENT_TYPES:
            continue
        key = part_key(part.name)
        content_type = overrides.get(key) or defaults.get(_extension(key))
        if content_type is None:
            raise Defect(f"{CONTENT_TYPES} gives no content type for '{part.name}'")
        wanted = FOOTPRINT_TYPES.get(key)
        if wanted and content_type.lower() != wanted:
            raise Defect(f"{CONTENT_TYPES} gives {part.name} the content type '{content_type}', not '{wanted}'")


def _read_types(root: Element) -> tuple[dict[str, str], dict[str, str]]:
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for element in root:
        kind = local_name(element)
        content_type = element.get("ContentType", "").strip()
        if kind not in ("Default", "Override") or namespace(element) != NAMESPACE or not content_type:
            raise Defect(f"{CONTENT_TYPES} has an invalid element <{kind}>")
        if kind == "Default":
            _add(defaults, part_key(element.get("Extension", "")), content_type, "extension")
        else:
            _add(overrides, _override_key(element.get("PartName", "")), content_type, "part name")
    return defaults, overrides


def _add(table: dict[str, str], key: str, content_type: str, what: str) -> None:
    if not key:
        raise Defect(f"{CONTENT_TYPES} has an entry without its {what}")
    if key in table:
        raise Defect(f"{CONTENT_TYPES} gives the {what} '{key}' a content type twice")
    table[key] = content_type


def _override_key(part_name: str) -> str:
    if not part_name.startswith("/"):
        raise Defect(f"{CONTENT_TYPES} overrides '{part_name}', which is not an absolute part name")
    try:
        return part_key(decode_part_name(part_name[1:]))
    except ValueError as error:
        raise Defect(f"{CONTENT_TYPES} overrides '{part_name}', which is not a valid part name: it {error}") from None


def _extension(key: str) -> str:
    last = key.rpartition("/")[2]
    return last.rpartition(".")[2] if "." in last else ""
