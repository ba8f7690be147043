"""AsyncStoreClient against a real storeflight server: the core flow, paging, errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storeflight.client import AsyncStoreClient, ConflictError, NotFoundError, Package, SubmissionStatus
from tests.client.conftest import SimulatedTime, config_for, package_file
from tests.client.test_sync_live import PIPELINE
from tests.support import Tenant


def _client(tenant: Tenant, time_: SimulatedTime) -> AsyncStoreClient:
    return AsyncStoreClient(config_for(tenant), sleep=time_.async_sleep, clock=time_.clock)


def test_the_async_client_takes_a_flight_submission_to_published(
    tenant: Tenant, time_: SimulatedTime, app_id: str, tmp_path: Path
) -> None:
    package = package_file(tmp_path, noise=200_000)
    seen: list[SubmissionStatus] = []
    progress: list[tuple[int, int]] = []

    async def flow() -> None:
        async with _client(tenant, time_) as client:
            group = await client.create_group("ring", ["a@example.com"])
            flight = await client.create_flight(app_id, "beta", [group.id])
            assert [f.flight_id for f in await client.list_flights(app_id)] == [flight.flight_id]
            assert flight.pending_flight_submission is not None
            sub = await client.get_submission(app_id, flight.pending_flight_submission.id, flight.flight_id)
            sub.application_packages.append(Package(file_name=package.name))
            sub = await client.update_submission(app_id, sub, flight.flight_id)
            assert sub.file_upload_url is not None
            await client.upload_packages(
                sub.file_upload_url, [package], block_size=64 * 1024, progress=lambda d, t: progress.append((d, t))
            )
            assert (await client.commit_submission(app_id, sub.id, flight.flight_id)).status == "CommitStarted"
            final = await client.wait(app_id, sub.id, flight.flight_id, on_change=seen.append)
            assert final.status == "Published"
            answer = await client.check_delivery(app_id, "a@example.com", explain=True)
            assert answer.submission_id == sub.id and answer.packages[0].version == "1.2.3.0"

    asyncio.run(flow())
    assert [s.status for s in seen] == PIPELINE
    assert len(progress) >= 3 and progress[-1][0] == progress[-1][1]


def test_the_async_client_pages_and_raises_typed_errors(tenant: Tenant, time_: SimulatedTime) -> None:
    ids = [tenant.create_app() for _ in range(3)]

    async def flow() -> None:
        async with _client(tenant, time_) as client:
            assert [a.id async for a in client.iter_applications(page_size=2)] == ids
            assert (await client.list_applications(skip=1, top=1)).value[0].id == ids[1]
            with pytest.raises(NotFoundError) as missing:
                await client.get_application("9ZZZZZZZZZZZ")
            assert missing.value.correlation_id
            group = await client.create_group("g")
            flight = await client.create_flight(ids[0], "beta", [group.id])
            with pytest.raises(ConflictError):
                await client.create_submission(ids[0], flight.flight_id)
            with pytest.raises(ConflictError):
                await client.delete_group(group.id)  # a flight still names it
            await client.delete_flight(ids[0], flight.flight_id)
            await client.delete_group(group.id)
            assert await client.list_groups() == []
            assert client.token_fetches == 1

    asyncio.run(flow())
