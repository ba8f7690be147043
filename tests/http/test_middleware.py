"""Path normalisation and the correlation id."""

from __future__ import annotations

from storeflight.http.middleware import literal_segments, normalise_path
from tests.support import Tenant

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
