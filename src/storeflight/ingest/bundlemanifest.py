"""`AppxMetadata/AppxBundleManifest.xml`: the bundle identity and the payload packages it lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from storeflight.ingest.errors import Defect
from storeflight.ingest.manifest import Identity, check_architecture, check_version, read_identity
from storeflight.ingest.opc import BUNDLE_MANIFEST
from storeflight.ingest.xmlsafe import XmlBounds, local_name, namespace, parse_xml

WHERE = "AppxBundleManifest.xml"
PACKAGE_TYPES = ("application", "resource")
_APPX_NS = "http://schemas.microsoft.com/appx/"
_NUMBER = re.compile(r"^[0-9]{1,19}$")


@dataclass(frozen=True)
class PayloadRef:
    """One payload package as the bundle manifest describes it."""

    file_name: str
    package_type: str
    version: str
    architecture: str
    offset: int | None
    size: int


@dataclass(frozen=True)
class BundleManifest:
    """The bundle identity and its payload packages, in manifest order."""

    identity: Identity
    payload: list[PayloadRef]


BUNDLE_MANIFEST_BOUNDS = XmlBounds(max_bytes=4 << 20, max_depth=32, max_elements=100_000)


def parse_bundle_manifest(data: bytes) -> BundleManifest:
    """The bundle manifest in `data`; Defect if it is unsafe, malformed, too large, or lists no payload package."""
    root = parse_xml(data, BUNDLE_MANIFEST, BUNDLE_MANIFEST_BOUNDS)
    ns = namespace(root)
    if local_name(root) != "Bundle" or not (ns.startswith(_APPX_NS) and ns.endswith("/bundle")):
        raise Defect(f"{BUNDLE_MANIFEST} is not a bundle manifest (its root is <{local_name(root)}> in '{ns}')")
    identity_element = root.find(f"{{{ns}}}Identity")
    if identity_element is None:
        raise Defect(f"{WHERE} has no Identity")
    identity = read_identity(identity_element, WHERE, architecture=None)
    payload = [_payload(element) for element in root.iterfind(f"{{{ns}}}Packages/{{{ns}}}Package")]
    if not payload:
        raise Defect(f"{WHERE} lists no payload package (a bundle must contain at least one)")
    return BundleManifest(identity=identity, payload=payload)


def _payload(element: Element) -> PayloadRef:
    file_name = element.get("FileName", "")
    if not file_name:
        raise Defect(f"{WHERE} lists a payload package without a FileName")
    where = f"{WHERE}: payload package '{file_name}'"
    package_type = element.get("Type", "application").lower()
    if package_type not in PACKAGE_TYPES:
        raise Defect(f"{where} has the unknown Type '{package_type}'")
    size = _number(element, "Size", where)
    if size is None:
        raise Defect(f"{where} has no Size")
    return PayloadRef(
        file_name=file_name,
        package_type=package_type,
        version=check_version(element.get("Version", ""), f"{where}: Version"),
        architecture=check_architecture(element.get("Architecture"), where),
        offset=_number(element, "Offset", where),
        size=size,
    )


def _number(element: Element, attribute: str, where: str) -> int | None:
    text = element.get(attribute)
    if text is None:
        return None
    if not _NUMBER.match(text):
        raise Defect(f"{where} has an invalid {attribute} '{text}'")
    return int(text)
