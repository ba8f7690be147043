"""`storeflight publish` end to end against a live server: a whole release, then each way it can go wrong."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from storeflight.cli.output import ExitCode
from tests.cli.conftest import Account, fails, package, run, run_json

POLL = ("--poll-interval", "0.05", "--timeout", "60")
DEVICE = {"deviceFamily": "Windows.Desktop", "osVersion": "10.0.22621.0", "architecture": "x64"}


def _customers(account: Account, count: int = 200) -> list[str]:
    return [f"user{n:03d}@{account.tenant.tenant_id[:8]}.example" for n in range(count)]


def _delivery(account: Account, customer: str) -> dict[str, Any]:
    answer: dict[str, Any] = run_json("delivery", "check", account.app_id, "--customer", customer, "--explain")
    return answer


def _versions(account: Account, customers: list[str]) -> dict[str, str]:
    """The version each customer gets, straight from the delivery API (the CLI is checked per customer below)."""
    found = {}
    for customer in customers:
        answer = account.tenant.http.get(
            f"applications/{account.app_id}/delivery", params={**DEVICE, "customerId": customer}
        )
        packages = answer.json()["packages"]
        found[customer] = packages[0]["version"] if packages else "nothing"
    return found


def _flight_with_members(account: Account, tmp_path: Path, customers: list[str]) -> None:
    members = tmp_path / "members.txt"
    members.write_text("\n".join(customers) + "\n")
    group = run_json("groups", "create", "--name", "ring", "--file", str(members))
    assert group["group"]["memberCount"] == len(customers)
    run_json("flights", "create", account.app_id, "--name", "Ring", "--group", group["group"]["id"])


def _settle(account: Account, customers: list[str], expect: set[str]) -> dict[str, str]:
    """Delivery snapshots follow within 0.2 s: ask until two sweeps in a row agree and give the expected set
    (one sweep of 200 requests can straddle a snapshot change)."""
    deadline = time.monotonic() + 5
    previous: dict[str, str] | None = None
    while True:
        time.sleep(0.25)
        found = _versions(account, customers)
        if (found == previous and set(found.values()) == expect) or time.monotonic() > deadline:
            return found
        previous = found


def test_a_whole_release_with_a_gradual_rollout(account: Account, tmp_path: Path) -> None:
    app_id, files, customers = account.app_id, tmp_path / "pkgs", _customers(account)
    base = run_json("publish", app_id, "--add", str(package(files, "1.0.0.0")), *POLL)
    assert (base["status"], base["flightId"], base["packages"]) == ("Published", None, ["App_1.0.0.0_x64.msix"])
    assert set(base["timings"]) == {"create", "update", "zip", "upload", "commit", "wait"}
    _flight_with_members(account, tmp_path, customers)

    # The flight's first submission came with the flight: --force deletes it.
    first = run_json(
        "publish",
        app_id,
        "--flight",
        "ring",
        "--replace",
        str(package(files, "1.1.0.0")),
        "--rollout",
        "25",
        "--force",
        *POLL,
    )
    assert first["status"] == "Published" and first["flightName"] == "Ring"
    assert first["rollout"]["packageRolloutStatus"] == "PackageRolloutInProgress"
    assert first["rollout"]["fallbackSubmissionId"] == base["submissionId"]
    assert first["rollout"]["isPackageRollout"] is True and first["rollout"]["packageRolloutPercentage"] == 25
    shown = run_json("rollout", "show", app_id, "--flight", "Ring")
    assert (shown["submissionId"], shown["packageRolloutStatus"]) == (first["submissionId"], "PackageRolloutInProgress")
    at_25 = _settle(account, customers, {"1.0.0.0", "1.1.0.0"})
    inside = {c for c, v in at_25.items() if v == "1.1.0.0"}
    assert 20 <= len(inside) <= 80  # about a quarter of 200
    member = sorted(inside)[0]
    explained = _delivery(account, member)
    assert (explained["source"], explained["packages"][0]["version"]) == ("flight", "1.1.0.0")
    assert explained["explanation"]["inRollout"] is True

    raised = run_json("rollout", "set", app_id, "60", "--flight", "ring")
    assert raised["packageRolloutPercentage"] == 60
    at_60 = _settle(account, customers, {"1.0.0.0", "1.1.0.0"})
    assert inside <= {c for c, v in at_60.items() if v == "1.1.0.0"}  # raising only adds customers

    halted = run_json("rollout", "halt", app_id, "--flight", "ring")
    assert (halted["packageRolloutPercentage"], halted["packageRolloutStatus"]) == (0, "PackageRolloutStopped")
    assert set(_settle(account, customers, {"1.0.0.0"}).values()) == {"1.0.0.0"}
    explained = _delivery(account, customers[0])
    assert explained["source"] == "flight" and "halted" in explained["reason"]

    fix = run_json(
        "publish", app_id, "--flight", "ring", "--replace", str(package(files, "1.2.0.0")), "--rollout", "25", *POLL
    )
    assert fix["status"] == "Published" and fix["submissionId"] != first["submissionId"]
    again = _settle(account, customers, {"1.0.0.0", "1.2.0.0"})
    assert {c for c, v in again.items() if v == "1.2.0.0"} == inside  # the same customers, in the same order

    final = run_json("rollout", "finalize", app_id, "--flight", "ring")
    assert (final["packageRolloutPercentage"], final["packageRolloutStatus"]) == (100, "PackageRolloutComplete")
    assert set(_settle(account, customers, {"1.2.0.0"}).values()) == {"1.2.0.0"}
    outsider = _delivery(account, "not-in-the-ring@example.com")
    assert (outsider["source"], outsider["packages"][0]["version"]) == ("non-flighted", "1.0.0.0")


def test_a_pending_submission_without_force_is_a_conflict(account: Account, tmp_path: Path) -> None:
    pending = run_json("submission", "new", account.app_id)
    result = fails(ExitCode.CONFLICT, "publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    assert f"pending submission {pending['id']} (PendingCommit)" in result.stderr
    assert "--force" in result.stderr
    published = run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), "--force", *POLL)
    assert published["status"] == "Published"


def test_a_failed_certification_exits_with_the_validation_code(account: Account, tmp_path: Path) -> None:
    database = f"sqlite:///{account.tenant.server.settings.data_dir / 'storeflight.db'}"
    injected = run(
        "admin",
        "inject-failure",
        "--database-url",
        database,
        "--tenant-id",
        account.tenant.tenant_id,
        "--app-id",
        account.app_id,
        "--stage",
        "Certification",
        "--code",
        "PolicyViolation",
        "--details",
        "The app crashes on launch.",
    )
    assert injected.exit_code == 0, injected.output
    result = fails(ExitCode.VALIDATION, "publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    assert "CertificationFailed" in result.stderr and "submission status" in result.stderr
    status = run_json("submission", "status", account.app_id)
    assert status["status"] == "CertificationFailed"
    assert status["statusDetails"]["errors"] == [{"code": "PolicyViolation", "details": "The app crashes on launch."}]
    as_json = run("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL, "--json")
    assert as_json.exit_code == ExitCode.CONFLICT  # the failed one is still pending; --force replaces it


def test_a_broken_package_is_refused_with_the_validation_code_before_anything_is_created(
    account: Account, tmp_path: Path
) -> None:
    broken = tmp_path / "Broken_1.0.0.0_x64.msix"
    broken.write_bytes(b"PK\x03\x04 this is not a package")
    result = fails(ExitCode.VALIDATION, "publish", account.app_id, "--add", str(broken), *POLL)
    assert "not a valid package: Broken_1.0.0.0_x64.msix" in result.stderr  # the pipeline's own validator, locally
    assert "created submission" not in result.stderr


def test_no_wait_returns_after_the_commit(account: Account, tmp_path: Path) -> None:
    report = run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), "--no-wait")
    assert report["status"] == "CommitStarted" and "wait" not in report["timings"]
    done = run_json("submission", "wait", account.app_id, "--submission", report["submissionId"], *POLL)
    assert done["status"] == "Published"


def test_waiting_past_the_timeout_exits_with_the_timeout_code(account: Account, tmp_path: Path) -> None:
    result = fails(
        ExitCode.TIMEOUT,
        "publish",
        account.app_id,
        "--add",
        str(package(tmp_path, "1.0.0.0")),
        "--publish-mode",
        "SpecificDate",
        "--publish-date",
        "2099-01-01T00:00:00",
        "--timeout",
        "1",
        "--poll-interval",
        "0.1",
    )
    assert "gave up waiting" in result.stderr and "submission wait" in result.stderr


def test_human_output_names_the_submission_and_the_steps(account: Account, tmp_path: Path) -> None:
    result = run("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), "--rollout", "10", *POLL)
    assert result.exit_code == 0, result.output
    assert "non-flighted submission: Published to 10% of customers" in result.stdout
    assert "committed submission" in result.stderr and "upload" in result.stdout
