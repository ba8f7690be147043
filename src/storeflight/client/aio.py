"""AsyncStoreClient: the asyncio client, method for method the same as StoreClient (sync.py).

Requests, retries and waits are async; the upload runs the Azure SDK's blocking client in a worker thread
(its async flavour would need aiohttp).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from storeflight.client import endpoints as ep
from storeflight.client.auth import TokenCache
from storeflight.client.config import ClientConfig
from storeflight.client.errors import NotFoundError, decode_body, from_response, network_error
from storeflight.client.models import (
    Application,
    DeliveryAnswer,
    Flight,
    FlightGroup,
    MemberChange,
    PackageRollout,
    Page,
    RolloutHealth,
    Submission,
    SubmissionStatus,
    SubmissionSummary,
)
from storeflight.client.retry import RetryPolicy, next_delay
from storeflight.client.sync import USER_AGENT
from storeflight.client.upload import BLOCK_SIZE, Progress, build_package_zip, upload_file
from storeflight.client.wait import Until, Watch

R = TypeVar("R")
X = TypeVar("X")


class AsyncStoreClient:
    """The asyncio client. `sleep` is awaited between retries and polls; `clock` gives monotonic seconds."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._sleep, self._clock = sleep, clock
        self._policy = RetryPolicy(max_retries=config.max_retries)
        self._tokens = TokenCache(config, clock)
        self._token_lock = asyncio.Lock()
        self._published: set[tuple[str, str | None, str]] = set()
        self._http = httpx.AsyncClient(
            base_url=config.api_root,
            timeout=config.timeout,
            verify=config.verify,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
        )

    # plumbing

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()

    @property
    def token_fetches(self) -> int:
        return self._tokens.fetches

    async def _token(self) -> str:
        async with self._token_lock:
            cached = self._tokens.current()
            if cached is not None:
                return cached
            url, form = self._tokens.request()
            response = await self._exchange(lambda: self._http.post(url, data=form), idempotent=True, what="token")
            return self._tokens.accept(response.status_code, response.headers, response.content)

    async def _exchange(
        self, send: Callable[[], Awaitable[httpx.Response]], *, idempotent: bool, what: str
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await send()
            except httpx.TransportError as error:
                delay = next_delay(attempt, self._policy, idempotent, now=time.time(), error=error)
                if delay is None:
                    raise network_error(what, error) from error
            else:
                status, headers = response.status_code, response.headers
                delay = next_delay(attempt, self._policy, idempotent, now=time.time(), status=status, headers=headers)
                if delay is None:
                    return response
            await self._sleep(delay)
            attempt += 1

    async def _send(self, call: ep.Call[R]) -> R:
        for refreshed in (False, True):  # each try takes the token anew, as in the sync client
            response = await self._exchange(
                partial(self._request, call),
                idempotent=call.idempotent,
                what=call.what,
            )
            if response.status_code == 401 and not refreshed:
                self._tokens.invalidate()
                continue
            if response.is_success:
                return call.parse(decode_body(response.content))
            break
        raise from_response(response.status_code, response.headers, response.content, what=call.what)

    async def _request(self, call: ep.Call[R]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self._token()}"}
        return await self._http.request(call.method, call.path, params=call.params, json=call.json, headers=headers)

    async def _pages(self, pager: ep.Pager[X], *, empty_on_404: bool = True) -> AsyncIterator[X]:
        call: ep.Call[Page[X]] | None = pager.first()
        while call is not None:
            try:
                page = await self._send(call)
            except NotFoundError:
                if empty_on_404 and pager.read == 0:
                    return
                raise
            for item in page.value:
                yield item
            call = pager.next(page)

    # applications

    async def list_applications(self, *, skip: int = 0, top: int = 10) -> Page[Application]:
        try:
            return await self._send(ep.list_applications(skip, top))
        except NotFoundError:
            if skip:
                raise
            return Page[Application](value=[], total_count=0)

    def iter_applications(self, *, page_size: int = ep.DEFAULT_PAGE) -> AsyncIterator[Application]:
        return self._pages(ep.Pager(lambda skip: ep.list_applications(skip, page_size)))

    async def get_application(self, app_id: str) -> Application:
        return await self._send(ep.get_application(app_id))

    # flights

    async def list_submissions(self, app_id: str, flight_id: str | None = None) -> list[SubmissionSummary]:
        """The line's submissions that still exist, newest first (storeflight extension)."""
        pager = ep.Pager(lambda skip: ep.list_submissions(app_id, flight_id, skip))
        return [item async for item in self._pages(pager, empty_on_404=False)]

    async def list_flights(self, app_id: str, *, page_size: int = ep.DEFAULT_PAGE) -> list[Flight]:
        pager = ep.Pager(lambda skip: ep.list_flights(app_id, skip, page_size))
        try:
            return [flight async for flight in self._pages(pager, empty_on_404=False)]
        except NotFoundError:
            await self.get_application(app_id)
            return []

    async def get_flight(self, app_id: str, flight_id: str) -> Flight:
        return await self._send(ep.get_flight(app_id, flight_id))

    async def create_flight(
        self, app_id: str, name: str, group_ids: list[str], rank_higher_than: str | None = None
    ) -> Flight:
        return await self._send(ep.create_flight(app_id, name, group_ids, rank_higher_than))

    async def update_flight(
        self,
        app_id: str,
        flight_id: str,
        *,
        name: str | None = None,
        group_ids: list[str] | None = None,
        rank_higher_than: str | None = None,
    ) -> Flight:
        return await self._send(
            ep.update_flight(app_id, flight_id, name=name, group_ids=group_ids, rank_higher_than=rank_higher_than)
        )

    async def delete_flight(self, app_id: str, flight_id: str) -> None:
        await self._send(ep.delete_flight(app_id, flight_id))

    # submissions

    async def create_submission(self, app_id: str, flight_id: str | None = None) -> Submission:
        return await self._send(ep.create_submission(app_id, flight_id))

    async def get_submission(self, app_id: str, submission_id: str, flight_id: str | None = None) -> Submission:
        return await self._send(ep.get_submission(app_id, submission_id, flight_id))

    async def update_submission(self, app_id: str, submission: Submission, flight_id: str | None = None) -> Submission:
        return await self._send(ep.update_submission(app_id, submission, flight_id or submission.flight_id))

    async def commit_submission(
        self, app_id: str, submission_id: str, flight_id: str | None = None
    ) -> SubmissionStatus:
        return await self._send(ep.commit_submission(app_id, submission_id, flight_id))

    async def get_status(self, app_id: str, submission_id: str, flight_id: str | None = None) -> SubmissionStatus:
        return await self._send(ep.get_status(app_id, submission_id, flight_id))

    async def delete_submission(self, app_id: str, submission_id: str, flight_id: str | None = None) -> None:
        await self._send(ep.delete_submission(app_id, submission_id, flight_id))

    async def publish_submission(
        self, app_id: str, submission_id: str, flight_id: str | None = None
    ) -> SubmissionStatus:
        status = await self._send(ep.publish_submission(app_id, submission_id, flight_id))
        self._published.add((app_id.upper(), flight_id, submission_id))
        return status

    async def wait(
        self,
        app_id: str,
        submission_id: str,
        flight_id: str | None = None,
        *,
        timeout: float = 3600,
        poll_interval: float = 5.0,
        on_change: Callable[[SubmissionStatus], None] | None = None,
        until: Until = "published",
        stop_when_resting: bool | None = None,
    ) -> SubmissionStatus:
        """As StoreClient.wait."""
        submission = await self.get_submission(app_id, submission_id, flight_id)
        if stop_when_resting is None:
            stop_when_resting = (app_id.upper(), flight_id, submission_id) not in self._published
        watch = Watch(submission.target_publish_mode, until, self._clock() + timeout, stop_when_resting)
        while True:
            status = await self.get_status(app_id, submission_id, flight_id)
            if watch.changed(status) and on_change is not None:
                on_change(status)
            if watch.done(status):
                return status
            await self._sleep(watch.next_sleep(self._clock(), poll_interval))

    # rollout

    async def get_rollout(self, app_id: str, submission_id: str, flight_id: str | None = None) -> PackageRollout:
        return await self._send(ep.get_rollout(app_id, submission_id, flight_id))

    async def set_rollout_percentage(
        self, app_id: str, submission_id: str, percentage: float, flight_id: str | None = None
    ) -> PackageRollout:
        return await self._send(ep.set_rollout_percentage(app_id, submission_id, percentage, flight_id))

    async def halt_rollout(self, app_id: str, submission_id: str, flight_id: str | None = None) -> PackageRollout:
        return await self._send(ep.halt_rollout(app_id, submission_id, flight_id))

    async def finalize_rollout(self, app_id: str, submission_id: str, flight_id: str | None = None) -> PackageRollout:
        return await self._send(ep.finalize_rollout(app_id, submission_id, flight_id))

    # flight groups (storeflight extension)

    async def list_groups(self, *, page_size: int = ep.DEFAULT_PAGE) -> list[FlightGroup]:
        return [g async for g in self._pages(ep.Pager(lambda skip: ep.list_groups(skip, page_size)))]

    async def get_group(self, group_id: str) -> FlightGroup:
        return await self._send(ep.get_group(group_id))

    async def create_group(self, name: str, members: Iterable[str] = ()) -> FlightGroup:
        return await self._send(ep.create_group(name, members))

    async def rename_group(self, group_id: str, name: str) -> FlightGroup:
        return await self._send(ep.rename_group(group_id, name))

    async def delete_group(self, group_id: str) -> None:
        await self._send(ep.delete_group(group_id))

    async def change_members(self, group_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> MemberChange:
        return await self._send(ep.change_members(group_id, add, remove))

    async def add_members(self, group_id: str, members: Iterable[str]) -> FlightGroup:
        await self.change_members(group_id, add=list(members))
        return await self.get_group(group_id)

    async def remove_members(self, group_id: str, members: Iterable[str]) -> FlightGroup:
        await self.change_members(group_id, remove=list(members))
        return await self.get_group(group_id)

    async def list_members(self, group_id: str, *, page_size: int = 1000) -> list[str]:
        pager = ep.Pager(lambda skip: ep.list_members(group_id, skip, page_size))
        return [m async for m in self._pages(pager, empty_on_404=False)]

    # approvals (storeflight extension)

    async def create_approval_rule(self, app_id: str, rule: dict[str, Any]) -> dict[str, Any]:
        """An approval rule for the app (`rule` in the API's JSON shape)."""
        return await self._send(ep.create_approval_rule(app_id, rule))

    async def list_approval_rules(self, app_id: str) -> dict[str, Any]:
        """The app's approval rules."""
        return await self._send(ep.list_approval_rules(app_id))

    async def delete_approval_rule(self, app_id: str, rule_id: str) -> dict[str, Any]:
        """Delete an approval rule."""
        return await self._send(ep.delete_approval_rule(app_id, rule_id))

    async def list_pending_changes(
        self, status: str | None = None, app_id: str | None = None, skip: int = 0, top: int = 100
    ) -> dict[str, Any]:
        """A page of the tenant's pending changes, newest first."""
        return await self._send(ep.list_pending_changes(status, app_id, skip, top))

    async def pending_change(self, change_id: str) -> dict[str, Any]:
        """One pending change."""
        return await self._send(ep.pending_change(change_id))

    async def approve_change(self, change_id: str) -> dict[str, Any]:
        """Approve a pending change (applied with the last approval it needs)."""
        return await self._send(ep.approve_change(change_id))

    async def reject_change(self, change_id: str, reason: str | None = None) -> dict[str, Any]:
        """Reject a pending change."""
        return await self._send(ep.reject_change(change_id, reason))

    async def revise_change(self, change_id: str, percentage: float) -> dict[str, Any]:
        """Ask for another rollout percentage: the change's approvals are cleared."""
        return await self._send(ep.revise_change(change_id, percentage))

    # device credentials (storeflight extension)

    async def create_delivery_key(
        self, app_id: str | None, name: str, rate_per_minute: int | None = None, expires_in_days: int | None = None
    ) -> dict[str, Any]:
        """A new delivery key (for one app, or with app_id None every app); its secret is in `key`, shown once."""
        return await self._send(ep.create_delivery_key(app_id, name, rate_per_minute, expires_in_days))

    async def list_delivery_keys(self, app_id: str | None) -> dict[str, Any]:
        """The delivery keys of an app (or, with app_id None, of the tenant), without secrets."""
        return await self._send(ep.list_delivery_keys(app_id))

    async def revoke_delivery_key(self, app_id: str | None, key_id: str) -> dict[str, Any]:
        """Revoke a delivery key."""
        return await self._send(ep.revoke_delivery_key(app_id, key_id))

    async def create_device_url(self, app_id: str, customer_id: str) -> dict[str, Any]:
        """A per-device URL naming the customer (shown once)."""
        return await self._send(ep.create_device_url(app_id, customer_id))

    async def revoke_device_url(self, app_id: str, url_id: str) -> dict[str, Any]:
        """Revoke a per-device URL."""
        return await self._send(ep.revoke_device_url(app_id, url_id))

    async def device_settings(self, app_id: str) -> dict[str, Any]:
        """The app's device settings (public delivery, App Installer update settings)."""
        return await self._send(ep.device_settings(app_id))

    async def change_device_settings(self, app_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change some of the app's device settings (names as in the API)."""
        return await self._send(ep.change_device_settings(app_id, changes))

    # delivery (storeflight extension)

    async def check_delivery(
        self,
        app_id: str,
        customer_id: str,
        *,
        device_family: str = "Windows.Desktop",
        os_version: str = "10.0.22621.0",
        architecture: str = "x64",
        installed_version: str | None = None,
        manual_check: bool = False,
        explain: bool = False,
    ) -> DeliveryAnswer:
        return await self._send(
            ep.check_delivery(
                app_id,
                customer_id,
                device_family=device_family,
                os_version=os_version,
                architecture=architecture,
                installed_version=installed_version,
                manual_check=manual_check,
                explain=explain,
            )
        )

    async def rollout_health(
        self, app_id: str, flight_id: str | None = None, *, submission_id: str | None = None, hours: int = 168
    ) -> RolloutHealth:
        """Device-report health of the line's rollout (storeflight extension): per cohort, version and hour."""
        return await self._send(ep.rollout_health(app_id, flight_id, submission_id=submission_id, hours=hours))

    # webhooks (storeflight extension)

    async def create_webhook(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A new webhook (`spec`: url, eventTypes, applicationId, enabled); its signing secret is in `secret`,
        shown once."""
        return await self._send(ep.create_webhook(spec))

    async def list_webhooks(self) -> dict[str, Any]:
        """The tenant's webhooks."""
        return await self._send(ep.list_webhooks())

    async def webhook(self, webhook_id: str) -> dict[str, Any]:
        """One webhook (never its secret)."""
        return await self._send(ep.webhook(webhook_id))

    async def enable_webhook(self, webhook_id: str, enabled: bool) -> dict[str, Any]:
        """Switch a webhook on or off (off: its pending deliveries wait)."""
        return await self._send(ep.enable_webhook(webhook_id, enabled))

    async def delete_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Delete a webhook with its delivery log."""
        return await self._send(ep.delete_webhook(webhook_id))

    async def test_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Queue a webhook.ping to it: {eventId, deliveryId}."""
        return await self._send(ep.test_webhook(webhook_id))

    async def webhook_deliveries(self, webhook_id: str, skip: int = 0, top: int = 50) -> dict[str, Any]:
        """A page of the webhook's deliveries, newest first, each with its attempts."""
        return await self._send(ep.webhook_deliveries(webhook_id, skip, top))

    async def history(
        self, filters: dict[str, str | None] | None = None, *, skip: int = 0, top: int = ep.DEFAULT_PAGE
    ) -> dict[str, Any]:
        """A page of the tenant's audit history (storeflight extension), newest first, filtered by
        resourceType, resourceId, actor, actorKind, action, since and until."""
        return await self._send(ep.history(filters or {}, skip, top))

    # upload

    async def upload(
        self,
        upload_url: str,
        zip_path: Path,
        *,
        progress: Progress | None = None,
        concurrency: int = 4,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        """As StoreClient.upload, in a worker thread; `progress` is called from the SDK's threads."""
        await asyncio.to_thread(
            upload_file,
            upload_url,
            Path(zip_path),
            progress=progress,
            concurrency=concurrency,
            block_size=block_size,
            verify=self.config.verify,
        )

    async def upload_packages(
        self,
        upload_url: str,
        packages: list[Path],
        *,
        progress: Progress | None = None,
        workdir: Path | None = None,
        concurrency: int = 4,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        with tempfile.TemporaryDirectory(dir=workdir, prefix="storeflight-upload-") as folder:
            target = Path(folder) / "packages.zip"
            archive = await asyncio.to_thread(build_package_zip, [Path(p) for p in packages], target)
            await self.upload(upload_url, archive, progress=progress, concurrency=concurrency, block_size=block_size)
