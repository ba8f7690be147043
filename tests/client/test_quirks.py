"""The client against a server that behaves like the real Microsoft service (tests/client/quirks_server.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from storeflight.client import (
    AuthError,
    ClientConfig,
    ConflictError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    ServerError,
    StoreClient,
    SubmissionStatus,
    ThrottledError,
    WaitTimeout,
)
from tests.client.conftest import SimulatedTime
from tests.client.quirks_server import APP_IDS, FLIGHT_ID, SUBMISSION_ID, QuirksServer, Reply

APP = APP_IDS[0]
SUB = f"/v1.0/my/applications/{APP}/flights/{FLIGHT_ID}/submissions/{SUBMISSION_ID}"
STATUS = f"{SUB}/status"
TENANT = "8d5c5a5b-0000-4000-8000-000000000001"


@pytest.fixture
def quirks(fake_time: SimulatedTime) -> Iterator[QuirksServer]:
    with QuirksServer(fake_time.clock) as server:
        yield server


def make_client(quirks: QuirksServer, fake_time: SimulatedTime, **overrides: object) -> StoreClient:
    values: dict[str, object] = {
        "tenant_id": TENANT,
        "client_id": "client",
        "client_secret": "secret",
        "base_url": quirks.url,
        "authority": quirks.url,
        "max_retries": 3,
    }
    values.update(overrides)
    return StoreClient(ClientConfig(**values), sleep=fake_time.sleep, clock=fake_time.clock)  # type: ignore[arg-type]


@pytest.fixture
def client(quirks: QuirksServer, fake_time: SimulatedTime) -> Iterator[StoreClient]:
    with make_client(quirks, fake_time) as store_client:
        yield store_client


def test_a_real_service_submission_is_read_with_its_quirks(client: StoreClient) -> None:
    sub = client.get_submission(APP, SUBMISSION_ID, FLIGHT_ID)
    assert sub.status_details.errors == []  # statusDetails: null
    assert sub.target_publish_date is None  # ""
    delivery = sub.package_delivery_options
    assert delivery is not None and delivery.mandatory_update_effective_date is None  # 1601 sentinel
    rollout = sub.rollout()
    assert (rollout.is_package_rollout, rollout.package_rollout_percentage) == (True, 25.0)  # "true", "25"
    assert rollout.fallback_submission_id == "0"  # a number where a string is documented
    (package,) = sub.flight_packages
    assert package.languages == [] and package.id == "1152921504606980000"
    assert sub.raw["friendlyNameOfSomethingNew"] == {"kept": True}


def test_an_update_sends_back_every_key_and_only_changes_what_was_changed(
    client: StoreClient, quirks: QuirksServer
) -> None:
    sub = client.get_submission(APP, SUBMISSION_ID, FLIGHT_ID)
    sub.notes_for_certification = "New notes."
    sub.flight_packages[0].file_status = "PendingDelete"
    client.update_submission(APP, sub, FLIGHT_ID)
    (put,) = quirks.calls("PUT", SUB)
    sent = json.loads(put.body)
    original = client.get_submission(APP, SUBMISSION_ID, FLIGHT_ID).raw
    assert sent["notesForCertification"] == "New notes."
    assert sent["flightPackages"][0] == {**original["flightPackages"][0], "fileStatus": "PendingDelete"}
    unchanged = {k: v for k, v in sent.items() if k not in ("notesForCertification", "flightPackages")}
    assert unchanged == {k: v for k, v in original.items() if k not in ("notesForCertification", "flightPackages")}


def test_apps_are_paged_by_skip_when_there_is_no_next_link(client: StoreClient, quirks: QuirksServer) -> None:
    assert [a.id for a in client.iter_applications(page_size=2)] == APP_IDS
    assert [c.query["skip"] for c in quirks.calls("GET", "/v1.0/my/applications")] == ["0", "2", "4"]
    app = client.get_application(APP)
    assert app.first_published_date is None and app.pending_application_submission is None


def test_an_empty_404_is_a_not_found_error_with_the_correlation_id(client: StoreClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_application("9NOTANAPP000")
    error = caught.value
    assert (error.status, error.code, error.body) == (404, None, None)
    assert "404" in error.message and error.correlation_id


@pytest.mark.parametrize(
    ("reply", "error_type", "code", "message"),
    [
        (
            Reply(
                409, {"code": "InvalidState", "message": "This application uses features ...", "target": "application"}
            ),
            ConflictError,
            "InvalidState",
            "This application uses features ...",
        ),
        (
            Reply(400, {"code": "InvalidOperation", "data": [], "details": [], "message": "Ingestion API can only"}),
            InvalidRequestError,
            "InvalidOperation",
            "Ingestion API can only",
        ),
        (
            Reply(
                500,
                {
                    "code": "InternalServerError",
                    "innererror": {"code": "UnknownInternalFailure"},
                    "message": "An internal server error occurred while processing the operation.",
                },
            ),
            ServerError,
            "InternalServerError",
            "An internal server error occurred while processing the operation.",
        ),
    ],
)
def test_error_bodies_in_the_real_shapes(
    client: StoreClient,
    quirks: QuirksServer,
    reply: Reply,
    error_type: type[Exception],
    code: str,
    message: str,
) -> None:
    quirks.queue("POST", f"{SUB}/commit", reply)
    with pytest.raises(error_type) as caught:
        client.commit_submission(APP, SUBMISSION_ID, FLIGHT_ID)
    assert (caught.value.code, caught.value.message) == (code, message)  # type: ignore[attr-defined]
    assert caught.value.correlation_id  # type: ignore[attr-defined]
    assert len(quirks.calls("POST", f"{SUB}/commit")) == 1  # a commit is never repeated after a 5xx


def test_429_waits_for_retry_after_then_succeeds(
    client: StoreClient, quirks: QuirksServer, fake_time: SimulatedTime
) -> None:
    quirks.queue("GET", STATUS, Reply(429, {"statusCode": 429, "message": "Rate limit"}, {"Retry-After": "7"}))
    assert client.get_status(APP, SUBMISSION_ID, FLIGHT_ID).status == "CommitStarted"
    assert len(quirks.calls("GET", STATUS)) == 2
    assert fake_time.sleeps == [7.0]  # the server's Retry-After, not a backoff of our own


def test_503_on_a_commit_is_retried_because_the_service_did_not_act(client: StoreClient, quirks: QuirksServer) -> None:
    busy = {"code": "InvalidOperation", "message": "This operation cannot be completed at this time."}
    quirks.queue("POST", f"{SUB}/commit", Reply(503, busy), Reply(503, busy))
    assert client.commit_submission(APP, SUBMISSION_ID, FLIGHT_ID).status == "CommitStarted"
    assert len(quirks.calls("POST", f"{SUB}/commit")) == 3


def test_throttling_that_never_ends_raises_after_the_retries(client: StoreClient, quirks: QuirksServer) -> None:
    quirks.queue("GET", STATUS, *[Reply(429, None, {"Retry-After": "1"})] * 10)
    with pytest.raises(ThrottledError) as caught:
        client.get_status(APP, SUBMISSION_ID, FLIGHT_ID)
    assert caught.value.status == 429
    assert len(quirks.calls("GET", STATUS)) == 4  # the first try and max_retries=3 more


def test_a_500_on_a_get_is_retried(client: StoreClient, quirks: QuirksServer) -> None:
    quirks.queue("GET", SUB, Reply(500, {"code": "ServiceError", "message": "Retry."}))
    assert client.get_submission(APP, SUBMISSION_ID, FLIGHT_ID).id == SUBMISSION_ID
    assert len(quirks.calls("GET", SUB)) == 2


def test_a_dropped_connection_on_a_get_is_retried(client: StoreClient, quirks: QuirksServer) -> None:
    quirks.queue("GET", STATUS, Reply(200, {"status": "Never"}, drop=True))
    assert client.get_status(APP, SUBMISSION_ID, FLIGHT_ID).status == "CommitStarted"
    assert len(quirks.calls("GET", STATUS)) == 2


def test_a_dropped_connection_on_a_create_is_not_retried(client: StoreClient, quirks: QuirksServer) -> None:
    path = f"/v1.0/my/applications/{APP}/flights/{FLIGHT_ID}/submissions"
    quirks.queue("POST", path, Reply(201, {"id": "1"}, drop=True))
    with pytest.raises(NetworkError) as caught:
        client.create_submission(APP, FLIGHT_ID)
    assert caught.value.status is None
    assert len(quirks.calls("POST", path)) == 1  # it may have created a submission: never sent twice


def test_a_token_is_renewed_before_it_expires_during_a_long_wait(fake_time: SimulatedTime) -> None:
    with QuirksServer(fake_time.clock, token_lifetime=600) as quirks, make_client(quirks, fake_time) as client:
        quirks.statuses.extend(["PreProcessing"] * 12 + ["Certification"] * 12 + ["Release", "Publishing", "Published"])
        seen: list[SubmissionStatus] = []
        final = client.wait(APP, SUBMISSION_ID, FLIGHT_ID, poll_interval=120, on_change=seen.append)
        assert final.status == "Published"
        expected = ["CommitStarted", "PreProcessing", "Certification", "Release", "Publishing", "Published"]
        assert [s.status for s in seen] == expected
        assert fake_time.now - 1000.0 > 600  # the wait outlived the first token...
        assert client.token_fetches >= 2 and len(quirks.token_forms) == client.token_fetches
        assert quirks.unauthorized == 0  # ...and no request ever went out with an expired token


def test_a_token_that_expires_during_throttling_waits_is_renewed_before_the_next_try(
    fake_time: SimulatedTime,
) -> None:
    with (
        QuirksServer(fake_time.clock, token_lifetime=600) as quirks,
        make_client(quirks, fake_time, max_retries=6) as client,
    ):
        quirks.queue("GET", STATUS, *[Reply(429, None, {"Retry-After": "300"})] * 6)
        assert client.get_status(APP, SUBMISSION_ID, FLIGHT_ID).status == "CommitStarted"
        assert fake_time.sleeps == [300.0] * 6  # 30 minutes of throttling: three token lifetimes
        assert quirks.unauthorized == 0  # every try went out with a token that was still valid
        tokens = [c.token for c in quirks.calls("GET", STATUS)]
        assert len(set(tokens)) >= 3 and client.token_fetches == len(set(tokens))


def test_a_401_gets_one_fresh_token_and_the_call_succeeds(client: StoreClient, quirks: QuirksServer) -> None:
    client.get_application(APP)
    quirks.revoke_tokens()  # the service no longer accepts the token the client holds
    assert client.get_application(APP).id == APP
    assert (quirks.unauthorized, client.token_fetches) == (1, 2)
    tokens = [c.token for c in quirks.calls("GET", f"/v1.0/my/applications/{APP}")]
    assert tokens == ["token-1", "token-1", "token-2"]


def test_a_401_with_the_fresh_token_too_is_an_auth_error(client: StoreClient, quirks: QuirksServer) -> None:
    quirks.token_lifetime = 0  # every token is dead on arrival
    with pytest.raises(AuthError) as caught:
        client.get_application(APP)
    assert (caught.value.status, quirks.unauthorized, client.token_fetches) == (401, 2, 2)
    assert caught.value.message.startswith("APIM: Unauthorized")


def test_token_requests_use_the_v1_or_v2_form(quirks: QuirksServer, fake_time: SimulatedTime) -> None:
    for version in ("v1", "v2"):
        with make_client(quirks, fake_time, token_version=version) as client:
            client.get_application(APP)
    v1, v2 = quirks.token_forms
    assert v1["resource"] == "https://manage.devcenter.microsoft.com" and "scope" not in v1
    assert v2["scope"] == "https://manage.devcenter.microsoft.com/.default" and "resource" not in v2
    paths = [s.path for s in quirks.seen if "oauth2" in s.path]
    assert paths == [f"/{TENANT}/oauth2/token", f"/{TENANT}/oauth2/v2.0/token"]
    assert v1["client_secret"] == "secret" and v1["grant_type"] == "client_credentials"


def test_the_token_endpoint_is_retried_on_503_and_its_refusal_is_an_auth_error(
    client: StoreClient, quirks: QuirksServer
) -> None:
    token_path = f"/{TENANT}/oauth2/token"
    quirks.queue("POST", token_path, Reply(503, b"busy"))
    assert client.get_application(APP).id == APP
    assert len(quirks.calls("POST", token_path)) == 2
    quirks.revoke_tokens()
    refusal = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
    quirks.queue("POST", token_path, Reply(401, refusal))
    with pytest.raises(AuthError) as caught:
        client.get_application(APP)
    assert (caught.value.status, caught.value.code) == (401, "invalid_client")
    assert "AADSTS7000215" in caught.value.message


def test_wait_gives_up_after_its_timeout_with_the_last_status(client: StoreClient, fake_time: SimulatedTime) -> None:
    seen: list[SubmissionStatus] = []
    with pytest.raises(WaitTimeout) as caught:
        client.wait(APP, SUBMISSION_ID, FLIGHT_ID, timeout=300, poll_interval=60, on_change=seen.append)
    assert caught.value.last_status is not None and caught.value.last_status.status == "CommitStarted"
    assert [s.status for s in seen] == ["CommitStarted"]  # called once: the status never changed
    assert sum(fake_time.sleeps) == 300
