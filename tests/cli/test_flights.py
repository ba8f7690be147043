"""`storeflight flights list|show|create|update|delete`: flights named by friendly name or id."""

from __future__ import annotations

from pathlib import Path

import pytest

from storeflight.cli.output import ExitCode
from tests.cli.conftest import Account, fails, package, run, run_json

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_create_list_show_update_delete(account: Account) -> None:
    group = account.tenant.create_group(["a@example.com"])
    other = account.tenant.create_group(["b@example.com"], name="others")
    created = run_json("flights", "create", account.app_id, "--name", "Beta", "--group", group)
    assert created["friendlyName"] == "Beta" and created["groupIds"] == [group]
    assert created["pendingFlightSubmission"]["id"]  # the server makes the first submission with the flight
    run_json("flights", "create", account.app_id, "--name", "Alpha", "--group", group)
    assert [f["friendlyName"] for f in run_json("flights", "list", account.app_id)] == ["Alpha", "Beta"]
    by_id = run_json("flights", "show", account.app_id, created["flightId"])
    assert by_id["friendlyName"] == "Beta" and run_json("flights", "show", account.app_id, "beta") == by_id
    updated = run_json(
        "flights", "update", account.app_id, "beta", "--name", "Gamma", "--group", other, "--rank-higher-than", "Alpha"
    )
    assert (updated["friendlyName"], updated["groupIds"], updated["rankHigherThan"]) == ("Gamma", [other], "Alpha")
    assert run_json("flights", "delete", account.app_id, "gamma") == {"deleted": created["flightId"]}
    assert [f["friendlyName"] for f in run_json("flights", "list", account.app_id)] == ["Alpha"]


def test_a_duplicate_name_is_rejected_by_the_server(account: Account) -> None:
    group = account.tenant.create_group()
    run_json("flights", "create", account.app_id, "--name", "Beta", "--group", group)
    result = fails(ExitCode.VALIDATION, "flights", "create", account.app_id, "--name", "Beta", "--group", group)
    assert "InvalidParameterValue" in result.stderr


def test_an_unknown_flight_is_not_found(account: Account) -> None:
    fails(ExitCode.NOT_FOUND, "flights", "show", account.app_id, "nope")
    fails(ExitCode.NOT_FOUND, "flights", "delete", account.app_id, "nope")
    assert run("flights", "create", account.app_id, "--name", "x").exit_code == ExitCode.USAGE  # no --group


def test_deleting_a_flight_that_has_published_asks_first(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path / "a", "1.0.0.0")), *POLL)
    group = account.tenant.create_group(["a@example.com"])
    run_json("flights", "create", account.app_id, "--name", "Ring", "--group", group)
    run_json("publish", account.app_id, "--flight", "ring", "--replace", str(package(tmp_path / "b", "1.1.0.0")),
             "--force", *POLL)
    refused = run("flights", "delete", account.app_id, "ring", input="n\n")
    assert refused.exit_code == ExitCode.ERROR and "published submissions" in refused.output
    assert run_json("flights", "show", account.app_id, "ring")["friendlyName"] == "Ring"
    deleted = run("flights", "delete", account.app_id, "ring", input="y\n")
    assert deleted.exit_code == 0 and "deleted flight ring" in deleted.stdout


def test_tables_show_group_names_beside_their_ids(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # one line per row
    group = account.tenant.create_group(["a@example.com"], name="Insiders")
    run_json("flights", "create", account.app_id, "--name", "Beta", "--group", group)
    listed = run("flights", "list", account.app_id)
    assert listed.exit_code == 0 and f"Insiders ({group})" in listed.stdout
    shown = run("flights", "show", account.app_id, "beta")
    assert shown.exit_code == 0 and f"Insiders ({group})" in shown.stdout
