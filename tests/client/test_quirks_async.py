"""AsyncStoreClient against the quirks server: its own retry, token and wait loops behave like the sync ones."""

from __future__ import annotations

import asyncio

import pytest

from storeflight.client import AsyncStoreClient, ClientConfig, NetworkError, NotFoundError, SubmissionStatus
from tests.client.conftest import SimulatedTime
from tests.client.quirks_server import FLIGHT_ID, SUBMISSION_ID, QuirksServer, Reply
from tests.client.test_quirks import APP, STATUS, TENANT


def make_client(quirks: QuirksServer, fake_time: SimulatedTime) -> AsyncStoreClient:
    config = ClientConfig(TENANT, "client", "secret", base_url=quirks.url, authority=quirks.url, max_retries=3)
    return AsyncStoreClient(config, sleep=fake_time.async_sleep, clock=fake_time.clock)


def test_async_retries_refreshes_and_refuses_to_repeat_a_create(fake_time: SimulatedTime) -> None:
    async def flow(quirks: QuirksServer) -> None:
        async with make_client(quirks, fake_time) as client:
            quirks.queue("GET", STATUS, Reply(429, None, {"Retry-After": "3"}), Reply(200, b"", drop=True))
            assert (await client.get_status(APP, SUBMISSION_ID, FLIGHT_ID)).status == "CommitStarted"
            assert len(quirks.calls("GET", STATUS)) == 3 and fake_time.sleeps[0] == 3.0
            quirks.revoke_tokens()
            assert (await client.get_application(APP)).id == APP
            assert (quirks.unauthorized, client.token_fetches) == (1, 2)
            with pytest.raises(NotFoundError) as missing:
                await client.get_application("9NOTANAPP000")
            assert missing.value.code is None and missing.value.correlation_id
            create = f"/v1.0/my/applications/{APP}/flights/{FLIGHT_ID}/submissions"
            quirks.queue("POST", create, Reply(201, {"id": "1"}, drop=True))
            with pytest.raises(NetworkError):
                await client.create_submission(APP, FLIGHT_ID)
            assert len(quirks.calls("POST", create)) == 1

    with QuirksServer(fake_time.clock) as quirks:
        asyncio.run(flow(quirks))


def test_async_wait_renews_its_token_and_reports_changes(fake_time: SimulatedTime) -> None:
    seen: list[SubmissionStatus] = []

    async def flow(quirks: QuirksServer) -> SubmissionStatus:
        async with make_client(quirks, fake_time) as client:
            return await client.wait(APP, SUBMISSION_ID, FLIGHT_ID, poll_interval=100, on_change=seen.append)

    with QuirksServer(fake_time.clock, token_lifetime=400) as quirks:
        quirks.statuses.extend(["PreProcessing"] * 14 + ["Certification"] * 14 + ["Published"])
        assert asyncio.run(flow(quirks)).status == "Published"
        assert len(quirks.token_forms) >= 3 and quirks.unauthorized == 0
    assert [s.status for s in seen] == ["CommitStarted", "PreProcessing", "Certification", "Published"]


def test_async_renews_a_token_that_expires_during_throttling_waits(fake_time: SimulatedTime) -> None:
    async def flow(quirks: QuirksServer) -> str:
        async with make_client(quirks, fake_time) as client:
            return (await client.get_status(APP, SUBMISSION_ID, FLIGHT_ID)).status

    with QuirksServer(fake_time.clock, token_lifetime=400) as quirks:
        quirks.queue("GET", STATUS, *[Reply(429, None, {"Retry-After": "300"})] * 3)
        assert asyncio.run(flow(quirks)) == "CommitStarted"
        assert fake_time.sleeps == [300.0] * 3  # 15 minutes of throttling: more than two token lifetimes
        assert quirks.unauthorized == 0 and len(quirks.token_forms) >= 3
