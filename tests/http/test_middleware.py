"""Path normalisation and the correlation id."""

from __future__ import annotations

from pathlib import Path

from storeflight.http.middleware import literal_segments, normalise_path
from tests.support import LiveServer, Tenant, make_settings, new_tenant, open_store

WORDS = literal_segments(["/v1.0/my/applications/{application_id}/flights/{flight_id}/submissions/{s}/commit"])


def test_literal_words_match_case_insensitively_and_ids_keep_their_case() -> None:
    assert normalise_path("/V1.0/MY/Applications/9NBLGGH4R315/Flights/AbC/Submissions/1/Commit", WORDS) == (
        "/v1.0/my/applications/9NBLGGH4R315/flights/AbC/submissions/1/commit"
    )


def test_a_trailing_slash_is_dropped() -> None:
    assert normalise_path("/v1.0/my/applications/", WORDS) == "/v1.0/my/applications"
    assert normalise_path("/", WORDS) == "/"


def test_every_response_has_a_fresh_correlation_id(tenant: Tenant, app_id: str) -> None:
    first = tenant.http.get(f"applications/{app_id}")
    second = tenant.http.get("does/not/exist")
    ids = {first.headers["ms-correlationid"], second.headers["ms-correlationid"]}
    assert len(ids) == 2
    assert first.headers["content-length"] == str(len(first.content))


def test_lower_case_app_id_in_the_path_finds_the_app(tenant: Tenant, app_id: str) -> None:
    response = tenant.http.get(f"APPLICATIONS/{app_id.lower()}/")
    assert response.status_code == 200
    assert response.json()["id"] == app_id


def test_an_internal_failure_is_a_500_store_error_with_a_correlation_id(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'broken.db'}")
    with LiveServer(store, make_settings(tmp_path)) as server:
        tenant = new_tenant(server)
        app_id = tenant.create_app()
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE submission_events")
        response = tenant.http.post(f"applications/{app_id}/submissions")
    store.close()
    assert response.status_code == 500
    assert response.headers["ms-correlationid"]
    body = response.json()
    assert body["code"] == "ServiceError"
    assert "Traceback" not in response.text and "submission_events" not in response.text
