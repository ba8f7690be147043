"""`storeflight package new|check`, and publish refusing a file the pipeline would refuse before creating anything."""

from __future__ import annotations

import json
from pathlib import Path

from storeflight.cli.output import ExitCode
from tests.cli.conftest import IDENTITY, Account, fails, run, run_json

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_new_writes_a_valid_package_of_the_identity_and_check_reads_it_back(tmp_path: Path) -> None:
    target = tmp_path / "notes.msix"
    made = run_json("package", "new", "--identity", "Contoso.Notes", "--publisher", "CN=Contoso",
                    "--version", "1.2.3.0", "--architecture", "arm64", "--output", str(target))
    assert (made["identityName"], made["publisher"], made["version"]) == ("Contoso.Notes", "CN=Contoso", "1.2.3.0")
    assert made["architectures"] == ["arm64"] and target.stat().st_size == made["size"]
    checked = run_json("package", "check", str(target))
    assert checked[0]["sha256"] == made["sha256"] and checked[0]["kind"] == "package"


def test_new_names_the_file_after_identity_version_and_architecture(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = run("package", "new", "--identity", "Contoso.Notes", "--publisher", "CN=Contoso")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "Contoso.Notes_1.0.0.0_x64.msix").is_file()


def test_new_refuses_a_bad_version_or_architecture(tmp_path: Path) -> None:
    common = ["package", "new", "--identity", "Contoso.Notes", "--publisher", "CN=Contoso", "-o", str(tmp_path / "x")]
    assert run(*common, "--version", "1.0").exit_code == ExitCode.USAGE
    assert run(*common, "--architecture", "mips").exit_code == ExitCode.USAGE
    assert not (tmp_path / "x").exists()


def test_check_names_the_defect_of_a_file_that_is_no_package(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("release notes")
    result = fails(ExitCode.VALIDATION, "package", "check", str(notes))
    assert "notes.txt: not a package file name" in result.stderr
    broken = tmp_path / "broken.msix"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert "broken.msix" in fails(ExitCode.VALIDATION, "package", "check", str(broken)).stderr


def test_publish_checks_files_before_creating_anything(account: Account, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("release notes")
    result = run("publish", account.app_id, "--add", str(notes), "--json", *POLL)
    assert result.exit_code == ExitCode.VALIDATION
    assert "not a package file name" in json.loads(result.stdout)["error"]["message"]
    app = run_json("apps", "show", account.app_id)["application"]
    assert app.get("pendingApplicationSubmission") is None  # nothing was created, nothing blocks the next publish


def test_a_package_of_your_own_identity_publishes_end_to_end(account: Account, tmp_path: Path) -> None:
    target = tmp_path / "own.msix"
    run_json("package", "new", "--identity", IDENTITY[0], "--publisher", IDENTITY[1], "--version", "1.0.0.0",
             "-o", str(target))
    published = run_json("publish", account.app_id, "--add", str(target), *POLL)
    assert published["status"] == "Published" and published["packages"] == ["own.msix"]


def test_new_refuses_an_identity_no_package_could_have_and_an_unwritable_file(tmp_path: Path) -> None:
    bad = run("package", "new", "--identity", "Bad<Name", "--publisher", "CN=Contoso", "-o", str(tmp_path / "b.msix"))
    assert bad.exit_code == ExitCode.USAGE and "identity Name" in bad.output
    unwritable = run("package", "new", "--identity", "Contoso.Notes", "--publisher", "CN=Contoso",
                     "-o", str(tmp_path / "missing" / "x.msix"))
    assert unwritable.exit_code == ExitCode.ERROR and "cannot write" in unwritable.stderr
    assert unwritable.exception is None or isinstance(unwritable.exception, SystemExit)
