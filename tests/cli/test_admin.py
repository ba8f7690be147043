"""`storeflight admin`: JSON out, same database as the server, secrets stored only hashed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from storeflight.cli.main import app

runner = CliRunner()


def _run(data_dir: Path, *args: str) -> Any:
    result = runner.invoke(app, ["admin", *args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_create_client_prints_the_secret_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    created = _run(tmp_path, "create-client", "--tenant-id", "Contoso-Tenant", "--name", "ci")
    assert set(created) == {"tenantId", "clientId", "clientSecret"}
    assert created["tenantId"] == "contoso-tenant"
    with sqlite3.connect(tmp_path / "storeflight.db") as db:
        dump = "\n".join(db.iterdump())
    assert created["clientSecret"] not in dump
    listed = _run(tmp_path, "list-clients")
    assert [c["clientId"] for c in listed] == [created["clientId"]]
    assert "clientSecret" not in listed[0] and listed[0]["revoked"] is False


def test_revoke_client_marks_it_revoked(tmp_path: Path) -> None:
    created = _run(tmp_path, "create-client")
    assert _run(tmp_path, "revoke-client", created["clientId"]) == {"clientId": created["clientId"], "revoked": True}
    assert _run(tmp_path, "list-clients")[0]["revoked"] is True


def test_revoking_an_unknown_client_fails_with_a_json_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["admin", "revoke-client", "nope", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "ResourceNotFound"


def test_create_app_computes_the_package_family_name(tmp_path: Path) -> None:
    publisher = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
    created = _run(
        tmp_path,
        "create-app",
        "--tenant-id",
        "t",
        "--name",
        "Hello",
        "--identity-name",
        "20477fca-282d-49fb-b03e-371dca074f0f",
        "--publisher",
        publisher,
    )
    assert created["packageFamilyName"] == "20477fca-282d-49fb-b03e-371dca074f0f_8wekyb3d8bbwe"
    assert len(created["id"]) == 12 and created["id"].isalnum() and created["id"].upper() == created["id"]
    assert "lastPublishedApplicationSubmission" in created
    listed = _run(tmp_path, "list-apps", "--tenant-id", "t")
    assert [a["id"] for a in listed] == [created["id"]]
    assert _run(tmp_path, "list-apps", "--tenant-id", "other") == []


def test_create_app_without_baseline_has_no_published_submission(tmp_path: Path) -> None:
    created = _run(
        tmp_path,
        "create-app",
        "--tenant-id",
        "t",
        "--name",
        "A",
        "--identity-name",
        "A",
        "--publisher",
        "CN=A",
        "--no-baseline",
    )
    assert "lastPublishedApplicationSubmission" not in created


def test_create_group_with_members(tmp_path: Path) -> None:
    group = _run(
        tmp_path,
        "create-group",
        "--tenant-id",
        "t",
        "--name",
        "insiders",
        "--member",
        "a@example.com",
        "--member",
        "b@example.com",
        "--member",
        "a@example.com",
    )
    assert group["id"].isdigit() and group["memberCount"] == 2
    assert _run(tmp_path, "list-groups") == [{"id": group["id"], "tenantId": "t", "name": "insiders", "memberCount": 2}]


def test_empty_app_name_is_rejected(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "admin",
            "create-app",
            "--tenant-id",
            "t",
            "--name",
            " ",
            "--identity-name",
            "A",
            "--publisher",
            "CN=A",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "InvalidParameterValue"


def test_inject_failure_records_a_failure_for_an_existing_app(tmp_path: Path) -> None:
    created = _run(
        tmp_path, "create-app", "--tenant-id", "t", "--name", "A", "--identity-name", "A", "--publisher", "CN=A"
    )
    fault = _run(
        tmp_path,
        "inject-failure",
        "--tenant-id",
        "t",
        "--app-id",
        created["id"],
        "--stage",
        "Certification",
        "--code",
        "PackageValidationFailed",
        "--details",
        "No.",
    )
    assert fault["appId"] == created["id"] and fault["stage"] == "Certification"
    for bad in (["--stage", "Published"], ["--app-id", "9NOPE"]):
        args = [
            "admin",
            "inject-failure",
            "--tenant-id",
            "t",
            "--app-id",
            created["id"],
            "--stage",
            "PreProcessing",
            "--code",
            "X",
            "--data-dir",
            str(tmp_path),
            *bad,
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
