"""`storeflight submission ...`: the release one step at a time, for the app and for a flight."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from storeflight.cli.output import ExitCode
from tests.cli.conftest import IDENTITY, Account, fails, package, run, run_json
from tests.ingest.builders import Identity, Payload, package_bytes, write_bundle

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_step_by_step_for_the_app(account: Account, tmp_path: Path) -> None:
    app_id, first = account.app_id, package(tmp_path, "1.0.0.0")
    created = run_json("submission", "new", app_id)
    assert created["status"] == "PendingCommit"
    updated = run_json(
        "submission",
        "update",
        app_id,
        "--add",
        str(first),
        "--rollout",
        "30",
        "--mandatory",
        "--notes",
        "Hello certification",
    )
    assert [(p["fileName"], p["fileStatus"]) for p in updated["applicationPackages"]] == [(first.name, "PendingUpload")]
    options = updated["packageDeliveryOptions"]
    assert options["packageRollout"]["packageRolloutPercentage"] == 30 and options["isMandatoryUpdate"] is True
    assert updated["notesForCertification"] == "Hello certification"
    assert run_json("submission", "upload", app_id, str(first)) == {"id": created["id"], "uploaded": [first.name]}
    assert run_json("submission", "commit", app_id)["status"] == "CommitStarted"
    assert run_json("submission", "wait", app_id, *POLL)["status"] == "Published"
    shown = run_json("submission", "show", app_id)  # nothing pending any more: the last published one
    assert shown["id"] == created["id"] and shown["applicationPackages"][0]["version"] == "1.0.0.0"
    human = run("submission", "status", app_id)
    assert human.exit_code == 0 and "Published" in human.stdout


def test_replace_marks_the_old_packages_pending_delete(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    run_json("submission", "new", account.app_id)
    newer = package(tmp_path, "1.1.0.0")
    updated = run_json("submission", "update", account.app_id, "--replace", str(newer))
    assert [(p["fileName"], p["fileStatus"]) for p in updated["applicationPackages"]] == [
        ("App_1.0.0.0_x64.msix", "PendingDelete"),
        (newer.name, "PendingUpload"),
    ]
    result = fails(ExitCode.VALIDATION, "submission", "update", account.app_id, "--add", str(newer))
    assert "already has" in result.stderr and "--replace" in result.stderr


def test_a_flight_submission_by_flight_name(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    flight = account.tenant.create_flight(account.app_id, "beta")
    pending = flight["pendingFlightSubmission"]["id"]
    shown = run_json("submission", "show", account.app_id, "--flight", "beta")
    assert (shown["id"], shown["flightId"]) == (pending, flight["flightId"])
    assert run_json("submission", "delete", account.app_id, "--flight", "beta") == {"deleted": pending}
    fails(ExitCode.NOT_FOUND, "submission", "commit", account.app_id, "--flight", "beta")
    again = run_json("submission", "new", account.app_id, "--flight", "BETA")
    assert again["flightId"] == flight["flightId"]


def test_a_second_new_submission_is_a_conflict_and_commit_twice_too(account: Account, tmp_path: Path) -> None:
    run_json("submission", "new", account.app_id)
    result = fails(ExitCode.CONFLICT, "submission", "new", account.app_id)
    assert "--force" in result.stderr
    fails(ExitCode.NOT_FOUND, "submission", "show", account.app_id, "--submission", "1234567890123456789")


def test_wait_on_a_failed_submission_is_the_validation_code(account: Account, tmp_path: Path) -> None:
    run_json("submission", "new", account.app_id)
    run_json("submission", "update", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")))
    run_json("submission", "commit", account.app_id)  # nothing uploaded: CommitFailed, InvalidArchive
    result = fails(ExitCode.VALIDATION, "submission", "wait", account.app_id, *POLL)
    assert "CommitFailed" in result.stderr
    status = run_json("submission", "status", account.app_id)
    assert status["statusDetails"]["errors"][0]["code"] == "InvalidArchive"


def test_a_manual_submission_rests_in_release_until_released(account: Account, tmp_path: Path) -> None:
    app_id = account.app_id
    resting = run_json("publish", app_id, "--add", str(package(tmp_path, "1.0.0.0")), "--publish-mode", "Manual", *POLL)
    assert resting["status"] == "Release"  # the wait knows Manual submissions stop here
    released = run_json("submission", "release", app_id, *POLL)
    assert released["status"] == "Published"
    again = fails(ExitCode.CONFLICT, "submission", "release", app_id, "--submission", resting["submissionId"], *POLL)
    assert "Release" in again.stderr


def test_a_copied_manual_mode_is_said_with_what_to_run_and_publish_can_override_it(
    account: Account, tmp_path: Path
) -> None:
    app_id = account.app_id
    first = run_json(
        "publish", app_id, "--add", str(package(tmp_path / "a", "1.0.0.0")), "--publish-mode", "Manual", *POLL
    )
    assert first["status"] == "Release" and "submission release" in first["next"]
    run_json("submission", "release", app_id, *POLL)
    copied = run("publish", app_id, "--replace", str(package(tmp_path / "b", "1.0.1.0")), *POLL)
    assert copied.exit_code == 0, copied.output
    assert "waiting in Release" in copied.stdout and "Manual" in copied.stdout
    shown = run("rollout", "show", app_id)  # acts on the last published one, and says a newer one waits
    assert shown.exit_code == 0 and "waits in Release" in shown.stderr
    run_json("submission", "release", app_id, *POLL)
    chosen = run_json(
        "publish", app_id, "--replace", str(package(tmp_path / "c", "1.0.2.0")), "--publish-mode", "Immediate", *POLL
    )
    assert (chosen["status"], chosen["publishMode"], chosen["next"]) == ("Published", "Immediate", None)


def test_a_failed_submission_says_it_cannot_be_committed_again_and_what_to_do(account: Account, tmp_path: Path) -> None:
    run_json("submission", "new", account.app_id)
    run_json("submission", "update", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")))
    run_json("submission", "commit", account.app_id)  # nothing uploaded: CommitFailed
    fails(ExitCode.VALIDATION, "submission", "wait", account.app_id, *POLL)
    again = fails(ExitCode.CONFLICT, "submission", "commit", account.app_id)
    assert "cannot be changed or committed again" in again.stderr
    assert "submission delete" in again.stderr and "publish --force` deletes" not in again.stderr


def test_submission_list_shows_the_pending_one_then_the_published_newest_first(
    account: Account, tmp_path: Path
) -> None:
    app_id = account.app_id
    first = run_json("publish", app_id, "--add", str(package(tmp_path / "a", "1.0.1.0")), *POLL)
    second = run_json("publish", app_id, "--replace", str(package(tmp_path / "b", "1.0.2.0")), *POLL)
    pending = run_json("submission", "new", app_id)["id"]
    listed = run_json("submission", "list", app_id)
    ids = [item["id"] for item in listed]
    assert ids[:3] == [pending, second["submissionId"], first["submissionId"]]
    assert listed[0]["status"] == "PendingCommit" and listed[1]["status"] == "Published"
    assert [p["version"] for p in listed[1]["packages"]] == ["1.0.2.0"]
    human = run("submission", "list", app_id)
    assert human.exit_code == 0 and second["submissionId"] in human.stdout
    fails(ExitCode.NOT_FOUND, "submission", "list", "9NOSUCHAPP00")


def test_show_gives_a_bundles_payload_architectures(account: Account, tmp_path: Path) -> None:
    identity = Identity(name=IDENTITY[0], publisher=IDENTITY[1], version="2.0.0.0")
    payloads = [
        Payload(f"App_{arch}.msix", package_bytes(identity=replace(identity, architecture=arch)), "2.0.0.0", arch)
        for arch in ("x86", "arm64")
    ]
    bundle = tmp_path / "App_2.0.0.0.msixbundle"
    write_bundle(bundle, payloads, identity=identity)
    run_json("publish", account.app_id, "--add", str(bundle), *POLL)
    (shown,) = run_json("submission", "show", account.app_id)["applicationPackages"]
    assert (shown["fileName"], shown["architectures"]) == (bundle.name, ["x86", "arm64"])
    human = run("submission", "show", account.app_id)
    assert human.exit_code == 0 and "(payloads x86, arm64)" in human.stdout
