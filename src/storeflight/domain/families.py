"""Which of a package's device families count for the Store: one rule for what the API shows in
`targetDeviceFamilies`, what certification checks, and what delivery offers.

A family counts when it is a Windows 10 or later family (`Windows.*` with a MinVersion of 10 or more).
Families of other platforms (`Windows7.Desktop`) or with a MinVersion below 10 (`0.0.0.0`, as MSIX packages
for older Windows write) are not Store device families: a package with none of them targets no Store device.
"""

from __future__ import annotations

from collections.abc import Iterable


def _major(version: str) -> int:
    head = version.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def store_families(families: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (family, minimum version) pairs that count for the Store, in order."""
    return [(name, version) for name, version in families if name.startswith("Windows.") and _major(version) >= 10]


def rendered(families: Iterable[tuple[str, str]]) -> list[str]:
    """The Store's form of the families that count: "Windows.Desktop min version 10.0.10240.0"."""
    return [f"{name} min version {version}" for name, version in store_families(families)]
