"""The served OpenAPI document, and schemathesis fuzzing every operation it lists against a live server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.openapi import from_url

from tests.support import LiveServer, Tenant, make_settings, new_tenant, open_store

BLOB_PATHS = "/storeflight/"  # the blob endpoint behind fileUploadUrl (local blob store)


def test_openapi_document_lists_every_store_operation(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    base = "/v1.0/my/applications/{application_id}"
    expected = {
        "/v1.0/my/applications": {"get"},
        base: {"get"},
        f"{base}/listflights": {"get"},
        f"{base}/flights": {"post"},
        f"{base}/flights/{{flight_id}}": {"get", "delete"},
        f"{base}/flights/{{flight_id}}/submissions": {"post"},
        f"{base}/flights/{{flight_id}}/submissions/{{submission_id}}": {"get", "put", "delete"},
        f"{base}/flights/{{flight_id}}/submissions/{{submission_id}}/status": {"get"},
        f"{base}/flights/{{flight_id}}/submissions/{{submission_id}}/commit": {"post"},
        f"{base}/submissions/{{submission_id}}/commit": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path


def test_no_generated_request_gets_a_server_error(tenant: Tenant, app_id: str) -> None:
    api = from_url(f"{tenant.server.url}/openapi.json")
    strategies = [op.ok().as_strategy() for op in api.get_all_operations()]
    assert len(strategies) >= 15

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(strategies).flatmap(lambda s: s))
        if "application_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters = {**(case.path_parameters or {}), "application_id": app_id}
        response = case.call(headers={"Authorization": f"Bearer {tenant.token}"})
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400 and case.operation.path.startswith(BLOB_PATHS):  # Azure's XML errors
            assert response.headers.get("x-ms-error-code"), (case.formatted_path, response.text)
        elif response.status_code >= 400:
            body = response.json()
            assert body.get("code") or body.get("error"), body

    run()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, spec) for path, methods in document["paths"].items() for method, spec in methods.items()]


def test_every_operation_declares_the_errors_it_answers_and_no_422(server: LiveServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    operations = _operations(document)
    assert len(operations) >= 40
    for path, method, spec in operations:
        if path.startswith(BLOB_PATHS):  # Azure's Blob REST answers: tests/http/test_answers.py
            continue
        codes = set(spec["responses"])
        where = f"{method.upper()} {path}"
        assert "422" not in codes, where
        if path.startswith("/v1.0/my/"):
            assert {"400", "401"} <= codes, where
            assert spec["security"] == [{"bearer": []}], where
            collections = ("/v1.0/my/flightgroups", "/v1.0/my/deliverykeys", "/v1.0/my/webhooks")
            assert "404" in codes or path in collections, where
        if path.startswith("/v1.0/my/applications/{application_id}"):
            assert "409" in codes, where  # apps with unsupported features answer 409 everywhere
        if "requestBody" in spec and "/oauth2/" not in path:
            assert "413" in codes, where
        if path.startswith("/v1.0/") and method != "get":  # the free-space floor and a full database disk
            assert "Retry-After" in spec["responses"]["503"]["headers"], where
        for code in codes - {"200", "201", "202", "204"}:
            schema = spec["responses"][code]["content"]["application/json"]["schema"]
            refs = [s["$ref"] for s in schema.get("anyOf", [schema])]
            expected = "AadError" if "/oauth2/" in path and code != "400" else None
            bodies = ("StoreError", "AadError", *(("Readiness",) if path == "/readyz" else ()))  # unready: its checks
            assert all(r.rsplit("/", 1)[1] in bodies for r in refs), where
            if expected:
                assert refs == [f"#/components/schemas/{expected}"], where
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_required_fields_are_marked_required(server: LiveServer) -> None:
    schemas = httpx.get(f"{server.url}/openapi.json").json()["components"]["schemas"]
    assert set(schemas["FlightCreate"]["required"]) == {"friendlyName", "groupIds"}
    assert set(schemas["GroupCreate"]["required"]) == {"name"}
    assert set(schemas["PackageIn"]["required"]) == {"fileName", "fileStatus"}
    assert [alt["required"] for alt in schemas["GroupMembers"]["anyOf"]] == [["add"], ["remove"]]
    update = "/v1.0/my/applications/{application_id}/submissions/{submission_id}/updatepackagerolloutpercentage"
    parameters = httpx.get(f"{server.url}/openapi.json").json()["paths"][update]["post"]["parameters"]
    assert any(p["name"] == "percentage" and p["required"] for p in parameters)


def test_a_bounded_schemathesis_sweep_with_all_checks_passes(tmp_path: Path) -> None:
    """Every phase (examples, coverage, fuzzing, stateful) and every check, with a fixed seed and few examples:
    undeclared status codes, schema-valid requests refused, undeclared methods without 405, ignored auth...

    The document does not depend on the database, so this runs once, on its own SQLite server.

    The blob endpoint (Put Blob, Put Block, Put Block List, Get Block List, Get Blob) stays in the sweep, under
    the same bound: schemathesis cannot forge a shared access signature, so its requests exercise what a
    bad URL, header or method gets (403, 400, 405 with Allow, NUL refused in Azure's shape) and whether those
    answers carry the declared XML and headers. Its successful answers are checked in tests/http/test_answers.py.
    """
    store = open_store(f"sqlite:///{tmp_path / 'sweep.db'}")
    with LiveServer(store, make_settings(tmp_path / "data")) as server:
        _sweep(server, tmp_path)
    store.close()


def _sweep(server: LiveServer, cwd: Path) -> None:
    tenant = new_tenant(server)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {tenant.token}",
        "--max-examples",
        "8",
        "--seed",
        "20261202",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    assert " passed" in done.stdout and "generated" in done.stdout, done.stdout[-5_000:]


def test_the_document_speaks_plain_english(server: LiveServer) -> None:
    text = httpx.get(f"{server.url}/openapi.json").text
    assert " a app" not in text and "an app submission" in text and "a flight submission" in text
