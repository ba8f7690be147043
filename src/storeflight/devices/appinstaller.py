"""The App Installer file (`.appinstaller`) of one device: pure, from a decision's package and the app's settings.

The root is in the 2018 namespace, which Windows 10 accepts from version 1809 on (a root in the 2021
namespace is refused by Windows 10); every element used here is defined in it. `ShowPrompt` and
`UpdateBlocksActivation` (honoured from Windows 10 1903 on, ignored before) are set only for a mandatory update
past its effective date.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from storeflight.delivery.model import PackageView
from storeflight.devices.model import DeviceSettings, Framework

NAMESPACE = "http://schemas.microsoft.com/appx/appinstaller/2018"
MEDIA_TYPE = "application/appinstaller"
BUNDLE_SUFFIXES = (".msixbundle", ".appxbundle")
ARCHITECTURES = frozenset({"x86", "x64", "arm", "arm64", "neutral"})


@dataclass(frozen=True)
class Installer:
    """What one device's file says: the app's identity, its package (with its URL) and the update policy."""

    file_uri: str
    identity_name: str
    publisher: str
    package: PackageView
    package_uri: str
    settings: DeviceSettings
    mandatory_now: bool  # a mandatory update whose effective date has passed
    dependencies: tuple[Framework, ...] = ()  # the framework packages to list (devices/frameworks.py chose them)


def is_bundle(file_name: str) -> bool:
    return file_name.lower().endswith(BUNDLE_SUFFIXES)


def main_package(packages: tuple[PackageView, ...], architecture: str) -> PackageView:
    """The package App Installer installs: a bundle if there is one, else the device's own architecture's
    package, else the first (the decision lists only applicable packages of one version)."""
    for package in packages:
        if is_bundle(package.file_name):
            return package
    return next((p for p in packages if p.architecture.lower() == architecture), packages[0])


def render(installer: Installer) -> bytes:
    """The file, UTF-8 with an XML declaration (written as text: every value goes through `quoteattr`)."""
    package = installer.package
    identity = (
        f"Name={quoteattr(installer.identity_name)} Publisher={quoteattr(installer.publisher)} "
        f"Version={quoteattr(package.version)}"
    )
    if is_bundle(package.file_name):
        main = f"<MainBundle {identity} Uri={quoteattr(installer.package_uri)} />"
    else:
        architecture = package.architecture.lower()
        processor = f" ProcessorArchitecture={quoteattr(architecture)}" if architecture in ARCHITECTURES else ""
        main = f"<MainPackage {identity} Uri={quoteattr(installer.package_uri)}{processor} />"
    text = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<AppInstaller xmlns="{NAMESPACE}" '
        f"Uri={quoteattr(installer.file_uri)} Version={quoteattr(package.version)}>"
        f"{main}{_dependencies(installer)}{_update_settings(installer)}</AppInstaller>"
    )
    return text.encode("utf-8")


def _dependencies(installer: Installer) -> str:
    if not installer.dependencies:
        return ""
    listed = "".join(
        f"<Package Name={quoteattr(d.name)} Publisher={quoteattr(d.publisher)} Version={quoteattr(d.version)} "
        f"ProcessorArchitecture={quoteattr(d.architecture)} Uri={quoteattr(d.uri)} />"
        for d in installer.dependencies
    )
    return f"<Dependencies>{listed}</Dependencies>"


def _update_settings(installer: Installer) -> str:
    settings = installer.settings
    prompt = ' ShowPrompt="true" UpdateBlocksActivation="true"' if installer.mandatory_now else ""
    parts = [f'<OnLaunch HoursBetweenUpdateChecks="{int(settings.hours_between_update_checks)}"{prompt} />']
    if settings.automatic_background_task:
        parts.append("<AutomaticBackgroundTask />")
    if settings.force_update_from_any_version:
        parts.append("<ForceUpdateFromAnyVersion>true</ForceUpdateFromAnyVersion>")
    return f"<UpdateSettings>{''.join(parts)}</UpdateSettings>"


