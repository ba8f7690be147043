"""Framework packages an app's App Installer files list as `Dependencies`: declared per app, chosen per device.

storeflight does not host framework packages (Microsoft.VCLibs and the like): the app's device settings say
where each one lives. A file lists, for each framework the main package's manifest depends on, the declared
entries of that name and publisher whose version is at least the manifest's minimum and whose architecture
fits: the main package's own architecture, or for a bundle or a neutral package the device's; neutral
entries fit always. A dependency nobody declared is left out (Windows may already have it installed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from storeflight.delivery.model import PackageView
from storeflight.delivery.versions import parse_version
from storeflight.devices.model import Framework
from storeflight.domain.errors import InvalidParameterValue

MAX_FRAMEWORKS = 64
ARCHITECTURES = ("x86", "x64", "arm", "arm64", "neutral")
_NAME = re.compile(r"^[-.A-Za-z0-9]{3,50}$")
_VERSION = re.compile(r"^(0|[1-9][0-9]{0,4})(\.(0|[1-9][0-9]{0,4})){3}$")
_URI = re.compile(r"^https?://[^\s<>\"]{1,2040}$")
_FIELDS = ("name", "publisher", "version", "architecture", "uri")
TARGET = "frameworks"


def parse(value: Any) -> tuple[Framework, ...]:
    """The `frameworks` setting as clients send it (a list of objects); InvalidParameterValue naming the entry."""
    if not isinstance(value, list) or len(value) > MAX_FRAMEWORKS:
        raise InvalidParameterValue(f"frameworks must be a list of at most {MAX_FRAMEWORKS} objects.", target=TARGET)
    return tuple(_entry(item, n) for n, item in enumerate(value))


def _entry(item: Any, n: int) -> Framework:
    where = f"frameworks[{n}]"
    if not isinstance(item, dict) or set(item) != set(_FIELDS) or not all(isinstance(item[f], str) for f in _FIELDS):
        raise InvalidParameterValue(f"{where} must be an object with the strings {', '.join(_FIELDS)}.", target=TARGET)
    checks = (
        ("name", bool(_NAME.match(item["name"])), "a package name (3 to 50 letters, digits, '.' or '-')"),
        ("publisher", "=" in item["publisher"] and len(item["publisher"]) <= 8192, "a distinguished name"),
        ("version", _version_ok(item["version"]), "a version a.b.c.d (each 0 to 65535)"),
        ("architecture", item["architecture"] in ARCHITECTURES, f"one of {', '.join(ARCHITECTURES)}"),
        ("uri", bool(_URI.match(item["uri"])), "an absolute http or https URL"),
    )
    for field, good, what in checks:
        if not good:
            raise InvalidParameterValue(f"{where}.{field} must be {what}.", target=TARGET)
    return Framework(**{f: item[f] for f in _FIELDS})


def _version_ok(text: str) -> bool:
    return bool(_VERSION.match(text)) and all(int(part) <= 0xFFFF for part in text.split("."))


def render(frameworks: Sequence[Framework]) -> list[dict[str, str]]:
    return [{f: getattr(entry, f) for f in _FIELDS} for entry in frameworks]


def needed(package: PackageView, device_architecture: str, frameworks: Sequence[Framework]) -> list[Framework]:
    """The declared frameworks the device's file lists for `package` (see the module's docstring)."""
    own = package.architecture.lower()
    fits = {"neutral", device_architecture if own == "neutral" or package.architectures else own}
    chosen: list[Framework] = []
    for name, publisher, minimum in package.dependencies:
        floor = parse_version(minimum)
        for entry in frameworks:
            same = entry.name.lower() == name.lower() and entry.publisher == publisher
            if same and entry.architecture in fits and parse_version(entry.version) >= floor:
                chosen.append(entry)
    return list(dict.fromkeys(chosen))
