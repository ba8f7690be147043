"""Package validation throughput on a ~1 GiB valid .msix versus `sha256sum` of the same file (issue 3).

Run: .venv/bin/python bench/validate_bench.py [--size-mib 1024] [--runs 3] [--layouts stored,deflated]

For each layout the script builds a valid .msix in a temp dir (hundreds of files of incompressible data,
256 KiB to 4 MiB each, with a correct block map; `stored`: every file stored, `deflated`: every file
deflated block by block at level 1, as MakeAppx does), warms the page cache, then alternates
`sha256sum FILE` and `validate_package(FILE)` `--runs` times and keeps each one's best time. Validation
runs in a fresh child process; its peak RSS growth is the kernel's peak RSS (VmHWM, reset just before the
call through /proc/self/clear_refs) minus the RSS at the call.
`openssl dgst -sha256` is timed too, for context: coreutils' sha256sum may not use the CPU's SHA extensions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20


def build(path: Path, size_mib: int, deflated: bool) -> int:
    """Write a valid package of about `size_mib` MiB at `path`; returns the number of files in it."""
    sys.path.insert(0, str(ROOT))
    from tests.ingest.builders import Identity, PackageWriter, manifest_xml  # noqa: PLC0415 (repo-local helper)

    pool = os.urandom(32 * MIB)
    chooser = random.Random(1)
    written = count = 0
    with path.open("wb") as fh:
        writer = PackageWriter(fh, level=1)
        while written < size_mib * MIB:
            size = chooser.randrange(256 * 1024, 4 * MIB)
            start = chooser.randrange(0, len(pool) - size)
            writer.add_file(
                f"data/{count // 100:02d}/file{count:05d}.bin", pool[start : start + size], compress=deflated
            )
            written += size
            count += 1
        writer.add_file("AppxManifest.xml", manifest_xml(Identity(name="Bench.Package")))
        writer.finish()
    return count


def child(path: Path) -> None:
    """Validate `path` once and print the elapsed time and peak RSS growth as JSON."""
    from storeflight.ingest.archive import ArchiveLimits  # noqa: PLC0415 (imported before the baseline)
    from storeflight.ingest.packages import validate_package  # noqa: PLC0415

    before = _reset_peak_rss()
    started = time.perf_counter()
    info = validate_package(path, path.name, ArchiveLimits())
    elapsed = time.perf_counter() - started
    growth = _peak_rss() - before
    print(json.dumps({"seconds": elapsed, "rss_growth_kib": growth, "rss_before_kib": before, "sha256": info.sha256}))


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> int:
    """Current RSS in KiB, after resetting the kernel's peak RSS counter to it (Linux); else the peak so far."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss() -> int:
    """Peak RSS in KiB since the last reset."""
    try:
        return _status("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def time_command(command: list[str]) -> float:
    """Wall time of one run of `command`, output discarded."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_validation(path: Path) -> dict[str, float]:
    """One validation in a fresh interpreter: its seconds and peak RSS growth."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    ).stdout
    return dict(json.loads(output))


def measure(path: Path, runs: int) -> dict[str, float]:
    """Best times of sha256sum, openssl and validation over `runs` alternating rounds."""
    time_command(["cat", str(path)])  # warm the page cache
    sha, openssl, validation, growth, before = [], [], [], [], []
    for _ in range(runs):
        sha.append(time_command(["sha256sum", str(path)]))
        if shutil.which("openssl"):
            openssl.append(time_command(["openssl", "dgst", "-sha256", str(path)]))
        result = time_validation(path)
        validation.append(result["seconds"])
        growth.append(result["rss_growth_kib"])
        before.append(result["rss_before_kib"])
    return {
        "sha256sum": min(sha),
        "openssl": min(openssl) if openssl else 0.0,
        "validate": min(validation),
        "rss_growth_mib": max(growth) / 1024,
        "rss_before_mib": max(before) / 1024,
    }


def report(layout: str, files: int, size: int, figures: dict[str, float]) -> None:
    """Print one layout's figures."""
    mb = size / 1e6
    sha_speed, validate_speed = mb / figures["sha256sum"], mb / figures["validate"]
    print(f"{layout}: {size / MIB:.0f} MiB, {files + 1} files")
    print(f"  sha256sum        {figures['sha256sum']:6.2f} s  {sha_speed:7.0f} MB/s")
    if figures["openssl"]:
        print(f"  openssl sha256   {figures['openssl']:6.2f} s  {mb / figures['openssl']:7.0f} MB/s")
    print(f"  validate_package {figures['validate']:6.2f} s  {validate_speed:7.0f} MB/s")
    print(f"  ratio validate/sha256sum: {validate_speed / sha_speed:.2f} (target >= 0.5)")
    print(
        f"  peak RSS growth during validation: {figures['rss_growth_mib']:.1f} MiB "
        f"(RSS {figures['rss_before_mib']:.0f} MiB before the call)"
    )


def main() -> None:
    """Build each layout's package and report its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--layouts", default="stored,deflated")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for layout in args.layouts.split(","):
        with tempfile.TemporaryDirectory(prefix="storeflight-bench-") as folder:
            path = Path(folder) / f"Bench_{layout}.msix"
            started = time.perf_counter()
            files = build(path, args.size_mib, deflated=layout == "deflated")
            print(f"built {path.name} in {time.perf_counter() - started:.1f} s")
            report(layout, files, path.stat().st_size, measure(path, args.runs))


if __name__ == "__main__":
    main()
