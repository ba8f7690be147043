"""`storeflight admin`: JSON out, same database as the server, secrets stored only hashed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storeflight.blobs.local import LocalBlobStore
from storeflight.cli.common import open_store
from storeflight.cli.main import app
from storeflight.domain import ids
from storeflight.domain.models import Submission
from storeflight.msixbuild import PackageSpec, write_msix

runner = CliRunner()


def _run(data_dir: Path, *args: str) -> Any:
    result = runner.invoke(app, ["admin", *args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


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
    assert json.loads(result.stdout)["error"]["code"] == "ResourceNotFound"


def test_create_app_computes_the_package_family_name(tmp_path: Path) -> None:
    publisher = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
    created = _run(
        tmp_path,
        "create-app",
        "--tenant-id",
        "t",
        "--new-tenant",
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
        "--new-tenant",
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
        "--new-tenant",
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
            "--new-tenant",
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
    assert json.loads(result.stdout)["error"]["code"] == "InvalidParameterValue"


def test_inject_failure_records_a_failure_for_an_existing_app(tmp_path: Path) -> None:
    created = _run(
        tmp_path, "create-app", "--tenant-id", "t", "--new-tenant", "--name", "A", "--identity-name", "Contoso.A",
        "--publisher", "CN=A"
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


def _create_app(data_dir: Path, tenant: str, identity: str, *extra: str) -> Any:
    args = ["admin", "create-app", "--data-dir", str(data_dir), "--tenant-id", tenant, "--name", "Notes",
            "--identity-name", identity, "--publisher", "CN=Contoso", *extra]
    return runner.invoke(app, args)


def test_apps_and_groups_go_only_to_tenants_a_client_has_unless_new_on_purpose(tmp_path: Path) -> None:
    tenant = _run(tmp_path, "create-client")["tenantId"]
    typo = _create_app(tmp_path, tenant[:-1] + "x", "Contoso.Notes")
    assert typo.exit_code == 2 and json.loads(typo.stdout)["error"]["code"] == "InvalidParameterValue"
    assert "--new-tenant" in json.loads(typo.stdout)["error"]["message"]
    group = runner.invoke(app, ["admin", "create-group", "--data-dir", str(tmp_path), "--tenant-id", "contoso",
                                "--name", "g"])
    assert group.exit_code == 2 and "No API client belongs" in group.stdout
    assert _run(tmp_path, "list-apps") == [] and _run(tmp_path, "list-groups") == []
    assert _create_app(tmp_path, tenant, "Contoso.Notes").exit_code == 0
    assert _create_app(tmp_path, "contoso", "Contoso.Other", "--new-tenant").exit_code == 0


def test_an_identity_is_reserved_once_per_tenant(tmp_path: Path) -> None:
    tenant = _run(tmp_path, "create-client")["tenantId"]
    first = _create_app(tmp_path, tenant, "Contoso.Notes")
    assert first.exit_code == 0, first.output
    again = _create_app(tmp_path, tenant, "contoso.notes")
    assert again.exit_code == 2
    error = json.loads(again.stdout)["error"]
    assert json.loads(first.stdout)["id"] in error["message"] and "already has the identity" in error["message"]
    assert len(_run(tmp_path, "list-apps")) == 1


def test_list_commands_never_create_a_database_and_every_command_names_its_database(tmp_path: Path) -> None:
    empty = tmp_path / "elsewhere"
    for command in ("list-apps", "list-clients", "list-groups"):
        result = runner.invoke(app, ["admin", command, "--data-dir", str(empty)])
        assert result.exit_code == 2 and json.loads(result.stdout)["error"]["code"] == "NoDatabase"
        assert "database: SQLite" in result.stderr
    assert not empty.exists()
    made = runner.invoke(app, ["admin", "create-client", "--data-dir", str(tmp_path)])
    assert f"database: SQLite {(tmp_path / 'storeflight.db').resolve()}" in made.stderr
APP_ARGS = ("create-app", "--tenant-id", "t", "--new-tenant", "--name", "Base", "--identity-name", "Contoso.Base",
            "--publisher", "CN=Contoso")


def _stored_blob(data_dir: Path, package_id: str) -> int:
    info = LocalBlobStore(data_dir / "blobs", "unused").properties(ids.package_blob(package_id))
    assert info is not None, package_id
    return info.size


def _baseline_of(data_dir: Path, app_id: str) -> Submission:
    store = open_store(data_dir, None)
    with store.transaction(write=False) as tx:
        baseline = tx.last_published(f"app:{app_id}")
    store.close()
    assert baseline is not None
    return baseline


def test_create_app_gives_the_baseline_a_generated_package_stored_as_a_blob(tmp_path: Path) -> None:
    created = _run(tmp_path, *APP_ARGS)
    (package,) = created["baselinePackages"]
    assert (package["fileName"], package["version"], package["architecture"], package["fileStatus"]) == (
        "Contoso.Base_1.0.0.0_x64.msix", "1.0.0.0", "x64", "Uploaded",
    )
    assert package["targetDeviceFamilies"] and package["languages"]
    (stored,) = _baseline_of(tmp_path, created["id"]).packages
    assert stored.id == package["id"] and stored.sha256 and stored.size == _stored_blob(tmp_path, stored.id)


def test_create_app_baseline_version_and_architecture_are_options(tmp_path: Path) -> None:
    created = _run(tmp_path, *APP_ARGS, "--baseline-version", "0.0.1.0", "--baseline-architecture", "arm64")
    assert [(p["version"], p["architecture"]) for p in created["baselinePackages"]] == [("0.0.1.0", "arm64")]


def test_create_app_baseline_from_the_users_files(tmp_path: Path) -> None:
    files = []
    for version, arch in (("3.1.0.0", "x64"), ("3.1.0.0", "arm64")):
        path = tmp_path / f"Base_{arch}.msix"
        write_msix(path, PackageSpec("Contoso.Base", "CN=Contoso", version=version, architecture=arch))
        files += ["--baseline-package", str(path)]
    created = _run(tmp_path / "data", *APP_ARGS, *files)
    assert [(p["fileName"], p["version"], p["architecture"]) for p in created["baselinePackages"]] == [
        ("Base_x64.msix", "3.1.0.0", "x64"), ("Base_arm64.msix", "3.1.0.0", "arm64"),
    ]
    for package in _baseline_of(tmp_path / "data", created["id"]).packages:
        assert _stored_blob(tmp_path / "data", package.id) == (tmp_path / package.file_name).stat().st_size


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--baseline-version", "1.0"), "Version"),
        (("--baseline-architecture", "sparc"), "sparc"),
        (("--baseline-package", "{other}"), "does not match the app"),
        (("--baseline-package", "{text}"), "not a valid ZIP"),
        (("--baseline-package", "{missing}"), "no such file"),
    ],
)
def test_a_bad_baseline_is_refused_and_no_app_is_created(tmp_path: Path, extra: tuple[str, str], message: str) -> None:
    other = write_msix(tmp_path / "other.msix", PackageSpec("Fabrikam.Other", "CN=Fabrikam"))
    text = tmp_path / "notes.msix"
    text.write_text("not a zip")
    option, value = extra
    value = value.format(other=other, text=text, missing=tmp_path / "missing.msix")
    result = runner.invoke(app, ["admin", *APP_ARGS, option, value, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "InvalidParameterValue" and message.lower() in error["message"].lower(), error
    assert _run(tmp_path / "data", "list-apps") == []


def test_baseline_packages_need_a_baseline(tmp_path: Path) -> None:
    path = write_msix(tmp_path / "a.msix", PackageSpec("Contoso.Base", "CN=Contoso"))
    result = runner.invoke(app, ["admin", *APP_ARGS, "--no-baseline", "--baseline-package", str(path),
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--no-baseline" in result.output


def test_apps_are_renamed_and_deleted_with_their_blobs_and_clients_deleted(tmp_path: Path) -> None:
    tenant = _run(tmp_path, "create-client")["tenantId"]
    created = json.loads(_create_app(tmp_path, tenant, "Contoso.Gone").stdout)
    app_id = created["id"]
    renamed = _run(tmp_path, "rename-app", "--tenant-id", tenant, "--app-id", app_id, "--name", "Contoso Notes 2")
    assert renamed["primaryName"] == "Contoso Notes 2" and renamed["packageIdentityName"] == "Contoso.Gone"
    unconfirmed = runner.invoke(app, ["admin", "delete-app", "--data-dir", str(tmp_path), "--tenant-id", tenant,
                                      "--app-id", app_id])
    assert unconfirmed.exit_code == 2 and len(_run(tmp_path, "list-apps")) == 1
    deleted = _run(tmp_path, "delete-app", "--tenant-id", tenant, "--app-id", app_id, "--yes")
    assert deleted == {"appId": app_id, "deleted": True, "submissions": 1}
    assert _run(tmp_path, "list-apps") == []
    package_id = created["baselinePackages"][0]["id"]
    with sqlite3.connect(tmp_path / "storeflight.db") as db:
        garbage = {row[0] for row in db.execute("SELECT name FROM blob_garbage")}
    assert ids.package_blob(package_id) in garbage  # the baseline package is deleted in the background
    again = runner.invoke(app, ["admin", "delete-app", "--data-dir", str(tmp_path), "--tenant-id", tenant,
                                "--app-id", app_id, "--yes"])
    assert again.exit_code == 2 and json.loads(again.stdout)["error"]["code"] == "ResourceNotFound"
    client_id = _run(tmp_path, "list-clients")[0]["clientId"]
    assert _run(tmp_path, "delete-client", client_id) == {"clientId": client_id, "deleted": True}
    assert _run(tmp_path, "list-clients") == []
