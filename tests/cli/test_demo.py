"""`storeflight demo` as a real process: it runs, prints every step, exits 0 and leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.packages import validate_package
from storeflight.msixbuild import PackageSpec, random_chunks, write_msix


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "STOREFLIGHT_CONFIG_DIR": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-m", "storeflight", "demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(scratch.iterdir()) == []  # the server's data dir and the built packages are gone
    assert not (tmp_path / "config").exists()  # no profile written
    return done


def test_the_demo_walks_the_rollout_and_cleans_up(tmp_path: Path) -> None:
    done = _demo(tmp_path, "--customers", "2000")
    for title in ("to everyone", "at 10% rollout", "raised to 50%", "halted", "a fixed submission", "finalized"):
        assert title in done.stdout
    assert "in-process decision core" in done.stdout and "removed" in done.stdout
    assert "40 insider devices ran the reference updater" in done.stdout
    assert "rollout health, rollout:" in done.stdout and "rollout health, fallback:" in done.stdout
    assert "without 2,000 HTTP calls per step" in done.stdout and "25 of them are also asked" in done.stdout


def test_a_corpus_that_is_not_there_is_a_usage_error_not_a_silent_fallback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "storeflight", "demo", "--corpus", str(tmp_path / "none")],
        env={**os.environ, "COLUMNS": "300"},  # the message on one line
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2 and "is not the package corpus" in done.stderr


def test_the_demo_counts_in_json(tmp_path: Path) -> None:
    summary = json.loads(_demo(tmp_path, "--customers", "1000", "--json", "--built").stdout)
    assert summary["packages"] == "built" and summary["cleanedUp"] is True
    steps = summary["steps"]
    assert len(steps) == 6
    assert all(s["httpSample"]["agree"] == s["httpSample"]["asked"] > 0 for s in steps)
    assert steps[0]["insiders"] == {"1.0.0.0": 200} and steps[0]["others"] == {"1.0.0.0": 800}
    at_10, at_50 = steps[1]["insiders"]["1.1.0.0"], steps[2]["insiders"]["1.1.0.0"]
    assert 0 < at_10 < at_50 < 200
    assert steps[3]["insiders"] == {"1.0.0.0": 200}  # halted
    assert steps[4]["insiders"]["1.2.0.0"] == at_50  # the fix reaches the same customers first
    assert steps[5]["insiders"] == {"1.2.0.0": 200} and steps[5]["others"] == {"1.0.0.0": 800}


def test_the_builder_writes_packages_the_validator_accepts(tmp_path: Path) -> None:
    spec = PackageSpec("Contoso.Big", "CN=Contoso", "3.2.1.0", "arm64")
    path = write_msix(tmp_path / "big.msix", spec, {"data/blob.bin": random_chunks(3 * 1024 * 1024 + 7)})
    info = validate_package(path, "big.msix", ArchiveLimits())
    assert (info.identity_name, info.version, info.architecture) == ("Contoso.Big", "3.2.1.0", "arm64")
    assert info.size == path.stat().st_size
