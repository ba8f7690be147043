"""Which declared framework packages an App Installer file lists: by name, publisher, version and architecture."""

from __future__ import annotations

import pytest

from storeflight.delivery.model import PackageView
from storeflight.devices import frameworks
from storeflight.devices.model import Framework
from storeflight.domain.errors import InvalidParameterValue

PUBLISHER = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
NEEDS = (("Microsoft.VCLibs.140.00", PUBLISHER, "14.0.24123.0"),)


def _package(architecture: str, architectures: tuple[str, ...] = ()) -> PackageView:
    name = "app.msixbundle" if architectures else "app.msix"
    return PackageView("p", name, "1.0.0.0", architecture, (), 1, "0" * 64, architectures, NEEDS)


def _entry(architecture: str, version: str = "14.0.30704.0", publisher: str = PUBLISHER) -> Framework:
    return Framework("microsoft.vclibs.140.00", publisher, version, architecture, f"https://f.example/{architecture}")


DECLARED = (_entry("x86"), _entry("x64"), _entry("arm64"), _entry("neutral"), _entry("x64", "14.0.1.0"))


def test_a_package_gets_its_own_architecture_and_neutral_whatever_the_device() -> None:
    chosen = frameworks.needed(_package("x86"), "x64", DECLARED)  # an x86 app on an x64 device needs x86 frameworks
    assert [f.architecture for f in chosen] == ["x86", "neutral"]


def test_a_bundle_gets_the_devices_architecture() -> None:
    chosen = frameworks.needed(_package("neutral", ("x64", "arm64")), "arm64", DECLARED)
    assert [f.architecture for f in chosen] == ["arm64", "neutral"]


def test_too_old_or_from_another_publisher_is_not_listed() -> None:
    declared = (_entry("x64", "14.0.24122.9"), _entry("x64", publisher="CN=Someone Else"))
    assert frameworks.needed(_package("x64"), "x64", declared) == []
    assert frameworks.needed(_package("x64"), "x64", (*declared, _entry("x64", "14.0.24123.0")))[0].version == (
        "14.0.24123.0"
    )


def test_a_package_without_dependencies_lists_nothing() -> None:
    package = PackageView("p", "app.msix", "1.0.0.0", "x64", (), 1, "0" * 64)
    assert frameworks.needed(package, "x64", DECLARED) == []


def test_parse_round_trips_and_refuses_extra_fields() -> None:
    entry = {"name": "A.B.C", "publisher": "CN=x", "version": "1.0.0.0", "architecture": "x64", "uri": "http://h/p"}
    assert frameworks.render(frameworks.parse([entry])) == [entry]
    with pytest.raises(InvalidParameterValue, match=r"frameworks\[0\] must be an object"):
        frameworks.parse([{**entry, "extra": "x"}])
    with pytest.raises(InvalidParameterValue, match="at most 64"):
        frameworks.parse([entry] * 65)
