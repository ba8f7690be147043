"""Exit codes and messages: the one table from client exceptions to codes, and the real failures behind them."""

from __future__ import annotations

import json

import pytest

from storeflight.cli.output import ExitCode, classify
from storeflight.client import (
    AuthError,
    ConflictError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    ServerError,
    StoreError,
    SubmissionFailed,
    SubmissionStatus,
    ThrottledError,
    WaitTimeout,
)
from tests.cli.conftest import Account, fails, login, run, run_json
from tests.support import LiveServer, free_port, new_tenant


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidRequestError("bad", status=400, code="InvalidParameterValue"), ExitCode.VALIDATION),
        (SubmissionFailed("failed", SubmissionStatus(status="CertificationFailed")), ExitCode.VALIDATION),
        (AuthError("no", status=401), ExitCode.AUTH),
        (AuthError("forbidden", status=403), ExitCode.AUTH),
        (NotFoundError("gone", status=404), ExitCode.NOT_FOUND),
        (ConflictError("busy", status=409, code="InvalidState"), ExitCode.CONFLICT),
        (NetworkError("refused"), ExitCode.NETWORK),
        (WaitTimeout("slow", None), ExitCode.TIMEOUT),
        (ThrottledError("429", status=429), ExitCode.UNAVAILABLE),
        (ServerError("boom", status=503), ExitCode.UNAVAILABLE),
        (StoreError("teapot", status=418), ExitCode.ERROR),
    ],
)
def test_every_client_error_has_its_exit_code_and_a_message(error: StoreError, code: ExitCode) -> None:
    found, message, _hint = classify(error, "http://127.0.0.1:1")
    assert found == code
    assert error.message in message


def test_the_exit_codes_are_distinct() -> None:
    assert len({int(c) for c in ExitCode}) == len(ExitCode)


def test_an_unknown_app_is_not_found_with_a_next_step(account: Account) -> None:
    result = fails(ExitCode.NOT_FOUND, "apps", "show", "9NOSUCHAPP00")
    assert "not found" in result.stderr and "storeflight apps list" in result.stderr


def test_an_unknown_flight_name_is_not_found_and_lists_the_flights(account: Account) -> None:
    result = fails(ExitCode.NOT_FOUND, "submission", "show", account.app_id, "--flight", "nope")
    assert "no flight named 'nope'" in result.stderr and "flights list" in result.stderr


def test_errors_are_json_with_json(account: Account) -> None:
    result = run("apps", "show", "9NOSUCHAPP00", "--json")
    assert result.exit_code == ExitCode.NOT_FOUND
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["exitCode"], error["status"]) == ("not_found", 5, 404)


def test_a_server_that_is_down_is_the_network_code(live: LiveServer) -> None:
    tenant = new_tenant(live)
    assert login(tenant, "--no-check").exit_code == 0
    down = f"http://127.0.0.1:{free_port()}"
    result = run(
        "login",
        "--base-url",
        down,
        "--authority",
        down,
        "--tenant-id",
        tenant.tenant_id,
        "--client-id",
        tenant.client_id,
        "--max-retries",
        "0",
        input=tenant.secret + "\n",
    )
    assert result.exit_code == ExitCode.NETWORK, result.output
    assert f"cannot reach {down}" in result.stderr and "is the server running" in result.stderr
    assert login(tenant, "--no-check", "--base-url", down, "--authority", down).exit_code == 0
    result = fails(ExitCode.NETWORK, "apps", "list")
    assert "cannot reach" in result.stderr


def test_bad_credentials_on_a_command_are_the_auth_code(live: LiveServer) -> None:
    tenant = new_tenant(live)
    tenant.secret = "sfs_wrong"
    assert login(tenant, "--no-check").exit_code == 0
    result = fails(ExitCode.AUTH, "apps", "list")
    assert "authentication failed" in result.stderr and "storeflight login" in result.stderr


def test_the_error_names_the_host_that_failed_and_a_refusal_is_not_retried(live: LiveServer) -> None:
    tenant = new_tenant(live)
    api, authority = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
    common = ["--tenant-id", tenant.tenant_id, "--client-id", tenant.client_id]
    result = run("login", "--base-url", api, "--authority", authority, *common, input=tenant.secret + "\n")
    assert result.exit_code == ExitCode.NETWORK, result.output
    assert f"cannot reach {authority}" in result.stderr  # the token host failed, not the API's
    assert "connection refused" in result.stderr


def test_login_to_a_storeflight_server_gets_its_tokens_there_without_authority(live: LiveServer) -> None:
    tenant = new_tenant(live)
    url = live.url.rstrip("/")
    result = run("login", "--base-url", url, "--tenant-id", tenant.tenant_id, "--client-id", tenant.client_id,
                 input=tenant.secret + "\n")
    assert result.exit_code == 0, result.output
    assert f"tokens from {url}" in result.stdout
    assert run_json("profiles")[0]["authority"] == url
