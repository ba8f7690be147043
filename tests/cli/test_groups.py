"""`storeflight groups ...`: members from arguments or a file, 100,000 at a time."""

from __future__ import annotations

from pathlib import Path

from storeflight.cli.output import ExitCode
from tests.cli.conftest import Account, fails, run, run_json


def test_create_add_remove_show_delete(account: Account, tmp_path: Path) -> None:
    created = run_json("groups", "create", "--name", "Insiders", "A@Example.com", "bob@example.com")
    group_id = created["group"]["id"]
    assert created["group"]["memberCount"] == 2
    listed = run_json("groups", "show", group_id, "--members")
    assert listed["members"] == ["a@example.com", "bob@example.com"]  # e-mail addresses are lower-cased
    added = run_json("groups", "add", group_id, "carol@example.com", "bob@example.com")
    assert (added["group"]["memberCount"], added["requested"]) == (3, 2)
    removed = run_json("groups", "remove", group_id, "a@example.com")
    assert removed["group"]["memberCount"] == 2
    assert [g["id"] for g in run_json("groups", "list")] == [group_id]
    human = run("groups", "show", group_id, "--members")
    assert human.exit_code == 0 and "carol@example.com" in human.stdout
    refused = run("groups", "delete", group_id, input="n\n")  # it has members: asked, and no
    assert refused.exit_code == ExitCode.ERROR and "2 member(s)" in refused.output and "--yes" in refused.output
    assert run_json("groups", "show", group_id)["group"]["memberCount"] == 2
    assert run("groups", "delete", group_id, "--json").exit_code == ExitCode.ERROR  # --json never asks
    assert run_json("groups", "delete", group_id, "--yes") == {"deleted": group_id}
    fails(ExitCode.NOT_FOUND, "groups", "show", group_id)


def test_a_hundred_thousand_members_from_a_file(account: Account, tmp_path: Path) -> None:
    members = tmp_path / "members.txt"
    members.write_text("# exported from the CRM\n" + "\n".join(f"device-{n:06d}" for n in range(100_000)) + "\n\n")
    created = run_json("groups", "create", "--name", "Everyone", "--file", str(members))
    assert created["group"]["memberCount"] == 100_000
    half = tmp_path / "half.txt"
    half.write_text("\n".join(f"device-{n:06d}" for n in range(0, 100_000, 2)))
    removed = run_json("groups", "remove", created["group"]["id"], "--file", str(half))
    assert removed["group"]["memberCount"] == 50_000


def test_a_bad_member_is_a_validation_error_and_a_group_in_use_a_conflict(account: Account) -> None:
    group_id = run_json("groups", "create", "--name", "g", "ok@example.com")["group"]["id"]
    result = fails(ExitCode.VALIDATION, "groups", "add", group_id, "x" * 400)
    assert "InvalidParameterValue" in result.stderr
    run_json("flights", "create", account.app_id, "--name", "uses-it", "--group", group_id)
    fails(ExitCode.CONFLICT, "groups", "delete", group_id, "--yes")
    assert run("groups", "add", group_id).exit_code == ExitCode.USAGE  # nothing to add
