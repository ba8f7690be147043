"""`storeflight apps list|show` against a live server."""

from __future__ import annotations

from tests.cli.conftest import Account, run, run_json


def test_list_shows_the_tenants_apps(account: Account) -> None:
    second = account.tenant.create_app()
    listed = run_json("apps", "list")
    assert [a["id"] for a in listed] == [account.app_id, second]
    table = run("apps", "list")
    assert table.exit_code == 0 and account.app_id in table.stdout and "last published" in table.stdout


def test_show_includes_the_flights(account: Account) -> None:
    account.tenant.create_flight(account.app_id, "beta")
    shown = run_json("apps", "show", account.app_id)
    assert shown["application"]["id"] == account.app_id
    assert [f["friendlyName"] for f in shown["flights"]] == ["beta"]
    human = run("apps", "show", account.app_id)
    assert human.exit_code == 0 and "beta" in human.stdout


def test_an_app_without_flights_shows_none(account: Account) -> None:
    assert run_json("apps", "show", account.app_id)["flights"] == []
    assert run_json("flights", "list", account.app_id) == []
