"""`storeflight delivery check`: what a device gets, explained."""

from __future__ import annotations

from pathlib import Path

from storeflight.cli.output import ExitCode
from tests.cli.conftest import Account, fails, package, run, run_json

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_check_explains_the_decision(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    answer = run_json("delivery", "check", account.app_id, "--customer", "alice@example.com", "--explain")
    assert (answer["source"], answer["packages"][0]["version"]) == ("non-flighted", "1.0.0.0")
    assert answer["explanation"]["flights"] == []
    human = run("delivery", "check", account.app_id, "--customer", "alice@example.com", "--explain")
    assert human.exit_code == 0 and "non-flighted" in human.stdout and "App_1.0.0.0_x64.msix" in human.stdout


def test_a_device_nothing_applies_to_gets_a_reason(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    answer = run_json("delivery", "check", account.app_id, "--customer", "bob", "--architecture", "arm")
    assert answer["packages"] == [] and "applies" in answer["reason"]
    older = run_json("delivery", "check", account.app_id, "--customer", "bob", "--installed-version", "2.0.0.0")
    assert older["packages"] == [] and "downgrade" in older["reason"]


def test_an_unknown_app_is_not_found(account: Account) -> None:
    fails(ExitCode.NOT_FOUND, "delivery", "check", "9NOSUCHAPP00", "--customer", "x")


def test_check_names_the_flight_and_its_groups(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    group = account.tenant.create_group(["alice@example.com"], name="Insiders")
    flight = account.tenant.create_flight(account.app_id, "beta", groups=[group])["flightId"]
    run_json(
        "publish", account.app_id, "--flight", "beta", "--force", "--add", str(package(tmp_path, "1.1.0.0")), *POLL
    )
    answer = run_json("delivery", "check", account.app_id, "--customer", "alice@example.com", "--explain")
    assert (answer["flightId"], answer["explanation"]["flights"]) == (flight, [flight])  # JSON: the server's ids
    human = run("delivery", "check", account.app_id, "--customer", "alice@example.com", "--explain")
    assert human.exit_code == 0 and f"beta ({flight})" in human.stdout and "Insiders" in human.stdout
    lines = [line for line in human.stdout.splitlines() if "flight" in line]
    assert any("customer's flights" in line and "beta" in line for line in lines), lines
