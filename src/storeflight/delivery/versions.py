"""Version parsing and device applicability rules for delivery decisions. Pure, cached, never raising."""

from __future__ import annotations

from functools import lru_cache

Version = tuple[int, int, int, int]

UNIVERSAL = "Windows.Universal"
NEUTRAL = "neutral"

# Package architectures a device can run, by device architecture (lower case). Kept deliberately simple:
# x64 devices run x86 packages; arm64 devices run arm, x86 and x64 packages (emulation); every device
# runs architecture-neutral packages. An unknown device architecture runs its own name and neutral only.
_RUNS: dict[str, frozenset[str]] = {
    "x86": frozenset({"x86", NEUTRAL}),
    "x64": frozenset({"x64", "x86", NEUTRAL}),
    "arm": frozenset({"arm", NEUTRAL}),
    "arm64": frozenset({"arm64", "arm", "x86", "x64", NEUTRAL}),
}


def _part(text: str) -> int:
    digits = ""
    for char in text.strip():
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else 0


@lru_cache(maxsize=4096)
def parse_version(text: str) -> Version:
    """A 4-part numeric version ("10.0.17763.0"). Missing parts are 0; a non-numeric part counts as 0."""
    parts = [_part(p) for p in text.split(".")[:4]]
    parts += [0] * (4 - len(parts))
    return (parts[0], parts[1], parts[2], parts[3])


@lru_cache(maxsize=64)
def runnable_architectures(device_architecture: str) -> frozenset[str]:
    """The package architectures a device of `device_architecture` can install."""
    arch = device_architecture.lower()
    return _RUNS.get(arch, frozenset({arch, NEUTRAL}))
