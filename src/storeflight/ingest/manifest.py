"""`AppxManifest.xml`: the package identity and the metadata the Store shows (languages, capabilities, families)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from storeflight.domain.families import rendered
from storeflight.ingest.errors import Defect
from storeflight.ingest.opc import MANIFEST
from storeflight.ingest.xmlsafe import XmlBounds, local_name, namespace, parse_xml

FOUNDATION = (
    "http://schemas.microsoft.com/appx/manifest/foundation/windows10",
    "http://schemas.microsoft.com/appx/2010/manifest",
)
ARCHITECTURES = ("x86", "x64", "arm", "arm64", "neutral", "x86a64")
CAPABILITY_ELEMENTS = ("Capability", "DeviceCapability", "CustomCapability")
_NAME = re.compile(r"^[-.A-Za-z0-9]{3,50}$")
_VERSION = re.compile(r"^(0|[1-9][0-9]{0,4})(\.(0|[1-9][0-9]{0,4})){3}$")
_MAX_PUBLISHER = 8192


@dataclass(frozen=True)
class Identity:
    """A package or bundle identity."""

    name: str
    publisher: str
    version: str
    architecture: str


@dataclass(frozen=True)
class Manifest:
    """What validation takes from a package manifest."""

    identity: Identity
    languages: list[str]
    capabilities: list[str]
    device_families: list[tuple[str, str]]
    dependencies: list[tuple[str, str, str]] = field(default_factory=list)  # (name, publisher, minimum version)


# Real manifests are tens of kilobytes; these leave room for the largest while bounding a hostile one.
MANIFEST_BOUNDS = XmlBounds(max_bytes=2 << 20, max_depth=64, max_elements=50_000)


def parse_manifest(data: bytes) -> Manifest:
    """The manifest in `data`; Defect if it is unsafe, malformed, too large, or its identity is invalid."""
    root = parse_xml(data, MANIFEST, MANIFEST_BOUNDS)
    ns = namespace(root)
    if local_name(root) != "Package" or ns not in FOUNDATION:
        raise Defect(f"{MANIFEST} is not a package manifest (its root is <{local_name(root)}> in '{ns}')")
    identity_element = root.find(f"{{{ns}}}Identity")
    if identity_element is None:
        raise Defect(f"{MANIFEST} has no Identity")
    return Manifest(
        identity=read_identity(identity_element, MANIFEST, architecture="ProcessorArchitecture"),
        languages=_unique(r.get("Language", "").lower() for r in root.iterfind(f"{{{ns}}}Resources/{{{ns}}}Resource")),
        capabilities=_capabilities(root, ns),
        device_families=_device_families(root, ns),
        dependencies=_dependencies(root, ns),
    )


def read_identity(element: Element, where: str, *, architecture: str | None) -> Identity:
    """The identity described by the attributes of `element` (an Identity or bundle Package element)."""
    name = check_identity_name(element.get("Name", ""), where)
    publisher = element.get("Publisher", "")
    if not publisher or "=" not in publisher or len(publisher) > _MAX_PUBLISHER:
        raise Defect(f"{where}: the identity Publisher '{publisher}' is not a distinguished name")
    return Identity(
        name=name,
        publisher=publisher,
        version=check_version(element.get("Version", ""), f"{where}: the identity Version"),
        architecture=check_architecture(element.get(architecture) if architecture else None, where),
    )


def check_identity_name(name: str, where: str) -> str:
    """`name` if it can be a package identity name; Defect naming `where` otherwise."""
    if not _NAME.match(name):
        raise Defect(f"{where}: the identity Name '{name}' is invalid (3 to 50 letters, digits, '.' or '-')")
    return name


def check_version(text: str, what: str) -> str:
    """`text` if it is a four-part version (each part 0..65535); Defect naming `what` otherwise."""
    if not _VERSION.match(text) or any(int(part) > 0xFFFF for part in text.split(".")):
        raise Defect(f"{what} '{text}' is not a version of the form a.b.c.d (each 0 to 65535)")
    return text


def check_architecture(text: str | None, where: str) -> str:
    """The architecture `text` names, lower-cased, `neutral` if absent; Defect if it is unknown."""
    if text is None:
        return "neutral"
    if text.lower() not in ARCHITECTURES:
        raise Defect(f"{where}: unknown processor architecture '{text}'")
    return text.lower()


def store_device_families(families: Iterable[tuple[str, str]]) -> list[str]:
    """The families in the Store's form ("Windows.Desktop min version 10.0.10240.0"): see domain.families."""
    return rendered(families)


def _capabilities(root: Element, ns: str) -> list[str]:
    capabilities = root.find(f"{{{ns}}}Capabilities")
    if capabilities is None:
        return []
    return _unique(c.get("Name", "") for c in capabilities if local_name(c) in CAPABILITY_ELEMENTS)


def _device_families(root: Element, ns: str) -> list[tuple[str, str]]:
    families: list[tuple[str, str]] = []
    for element in root.iterfind(f"{{{ns}}}Dependencies/{{{ns}}}TargetDeviceFamily"):
        name = element.get("Name", "")
        if not name:
            raise Defect(f"{MANIFEST}: a TargetDeviceFamily has no Name")
        version = check_version(element.get("MinVersion", ""), f"{MANIFEST}: the MinVersion of {name}")
        families.append((name, version))
    return families


def _dependencies(root: Element, ns: str) -> list[tuple[str, str, str]]:
    """The framework packages the package needs (`PackageDependency`): name, publisher, minimum version. Only
    App Installer files use them, so an entry that is not well-formed is left out rather than refused."""
    found: list[tuple[str, str, str]] = []
    for element in root.iterfind(f"{{{ns}}}Dependencies/{{{ns}}}PackageDependency"):
        name, publisher = element.get("Name", ""), element.get("Publisher", "")
        minimum = element.get("MinVersion", "0.0.0.0")
        try:
            check_identity_name(name, MANIFEST)
            check_version(minimum, MANIFEST)
        except Defect:
            continue
        if 0 < len(publisher) <= _MAX_PUBLISHER:
            found.append((name, publisher, minimum))
    return list(dict.fromkeys(found))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))
