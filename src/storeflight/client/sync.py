"""StoreClient: the blocking client. Every endpoint is one method that sends a `Call` from endpoints.py."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
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
from storeflight.client.upload import BLOCK_SIZE, Progress, build_package_zip, upload_file
from storeflight.client.wait import Until, Watch

R = TypeVar("R")
X = TypeVar("X")
USER_AGENT = "storeflight-client"


class StoreClient:
    """A blocking client for the Store submission API and storeflight's extensions.

    `transport` replaces httpx's network transport; `sleep` and `clock` (monotonic seconds) are what retries,
    waits and token renewal use, so tests can run them without waiting.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._sleep, self._clock = sleep, clock
        self._policy = RetryPolicy(max_retries=config.max_retries)
        self._tokens = TokenCache(config, clock)
        self._token_lock = threading.Lock()
        self._published: set[tuple[str, str | None, str]] = set()
        self._http = httpx.Client(
            base_url=config.api_root,
            timeout=config.timeout,
            verify=config.verify,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
        )

    # plumbing

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    @property
    def token_fetches(self) -> int:
        """How many access tokens this client has obtained so far."""
        return self._tokens.fetches

    def _token(self) -> str:
        with self._token_lock:
            cached = self._tokens.current()
            if cached is not None:
                return cached
            url, form = self._tokens.request()
            response = self._exchange(lambda: self._http.post(url, data=form), idempotent=True, what="token request")
            return self._tokens.accept(response.status_code, response.headers, response.content)

    def _exchange(self, send: Callable[[], httpx.Response], *, idempotent: bool, what: str) -> httpx.Response:
        """Send, retrying 429/503 (and, when idempotent, 5xx and network errors) with backoff."""
        attempt = 0
        while True:
            try:
                response = send()
            except httpx.TransportError as error:
                delay = next_delay(attempt, self._policy, idempotent, now=time.time(), error=error)
                if delay is None:
                    raise network_error(what, error) from error
            else:
                status, headers = response.status_code, response.headers
                delay = next_delay(attempt, self._policy, idempotent, now=time.time(), status=status, headers=headers)
                if delay is None:
                    return response
            self._sleep(delay)
            attempt += 1

    def _send(self, call: ep.Call[R]) -> R:
        """Send one call with a valid token; on a 401 get a new token once and try again.

        Each try takes the token anew: one that expires during a long run of 429/503 waits is renewed.
        """
        for refreshed in (False, True):
            response = self._exchange(
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

    def _request(self, call: ep.Call[R]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token()}"}
        return self._http.request(call.method, call.path, params=call.params, json=call.json, headers=headers)

    def _pages(self, pager: ep.Pager[X], *, empty_on_404: bool = True) -> Iterator[X]:
        call: ep.Call[Page[X]] | None = pager.first()
        while call is not None:
            try:
                page = self._send(call)
            except NotFoundError:
                if empty_on_404 and pager.read == 0:  # "no apps/flights found" on the first page
                    return
                raise
            yield from page.value
            call = pager.next(page)

    # applications

    def list_applications(self, *, skip: int = 0, top: int = 10) -> Page[Application]:
        try:
            return self._send(ep.list_applications(skip, top))
        except NotFoundError:  # the Store's answer when the account has no apps at all
            if skip:
                raise
            return Page[Application](value=[], total_count=0)

    def iter_applications(self, *, page_size: int = ep.DEFAULT_PAGE) -> Iterator[Application]:
        return self._pages(ep.Pager(lambda skip: ep.list_applications(skip, page_size)))

    def get_application(self, app_id: str) -> Application:
        return self._send(ep.get_application(app_id))

    # flights

    def list_submissions(self, app_id: str, flight_id: str | None = None) -> list[SubmissionSummary]:
        """The line's submissions that still exist, newest first (storeflight extension)."""
        pager = ep.Pager(lambda skip: ep.list_submissions(app_id, flight_id, skip))
        return list(self._pages(pager, empty_on_404=False))

    def list_flights(self, app_id: str, *, page_size: int = ep.DEFAULT_PAGE) -> list[Flight]:
        """Every flight of the app, highest rank first; [] when it has none (the Store answers that with 404)."""
        try:
            return list(
                self._pages(ep.Pager(lambda skip: ep.list_flights(app_id, skip, page_size)), empty_on_404=False)
            )
        except NotFoundError:
            self.get_application(app_id)  # raises NotFoundError when the app itself is unknown
            return []

    def get_flight(self, app_id: str, flight_id: str) -> Flight:
        return self._send(ep.get_flight(app_id, flight_id))

    def create_flight(
        self, app_id: str, name: str, group_ids: list[str], rank_higher_than: str | None = None
    ) -> Flight:
        return self._send(ep.create_flight(app_id, name, group_ids, rank_higher_than))

    def update_flight(
        self,
        app_id: str,
        flight_id: str,
        *,
        name: str | None = None,
        group_ids: list[str] | None = None,
        rank_higher_than: str | None = None,
    ) -> Flight:
        return self._send(
            ep.update_flight(app_id, flight_id, name=name, group_ids=group_ids, rank_higher_than=rank_higher_than)
        )

    def delete_flight(self, app_id: str, flight_id: str) -> None:
        self._send(ep.delete_flight(app_id, flight_id))

    # submissions

    def create_submission(self, app_id: str, flight_id: str | None = None) -> Submission:
        return self._send(ep.create_submission(app_id, flight_id))

    def get_submission(self, app_id: str, submission_id: str, flight_id: str | None = None) -> Submission:
        return self._send(ep.get_submission(app_id, submission_id, flight_id))

    def update_submission(self, app_id: str, submission: Submission, flight_id: str | None = None) -> Submission:
        return self._send(ep.update_submission(app_id, submission, flight_id or submission.flight_id))

    def commit_submission(self, app_id: str, submission_id: str, flight_id: str | None = None) -> SubmissionStatus:
        return self._send(ep.commit_submission(app_id, submission_id, flight_id))

    def get_status(self, app_id: str, submission_id: str, flight_id: str | None = None) -> SubmissionStatus:
        return self._send(ep.get_status(app_id, submission_id, flight_id))

    def delete_submission(self, app_id: str, submission_id: str, flight_id: str | None = None) -> None:
        self._send(ep.delete_submission(app_id, submission_id, flight_id))

    def publish_submission(self, app_id: str, submission_id: str, flight_id: str | None = None) -> SubmissionStatus:
        """storeflight extension: publish a submission resting in Release (Manual, or SpecificDate early)."""
        status = self._send(ep.publish_submission(app_id, submission_id, flight_id))
        self._published.add((app_id.upper(), flight_id, submission_id))
        return status

    def wait(
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
        """Poll the status until it is final (see wait.py); `on_change` sees the first status and every change.

        Raises SubmissionFailed on a failed state and WaitTimeout after `timeout` seconds.
        `stop_when_resting=None` stops at a Manual submission's Release unless this client published it.
        """
        submission = self.get_submission(app_id, submission_id, flight_id)
        watch = Watch(
            mode=submission.target_publish_mode,
            until=until,
            deadline=self._clock() + timeout,
            stop_when_resting=self._stops_resting(app_id, submission_id, flight_id, stop_when_resting),
        )
        while True:
            status = self.get_status(app_id, submission_id, flight_id)
            if watch.changed(status) and on_change is not None:
                on_change(status)
            if watch.done(status):
                return status
            self._sleep(watch.next_sleep(self._clock(), poll_interval))

    def _stops_resting(self, app_id: str, submission_id: str, flight_id: str | None, given: bool | None) -> bool:
        if given is not None:
            return given
        return (app_id.upper(), flight_id, submission_id) not in self._published

    # rollout

    def get_rollout(self, app_id: str, submission_id: str, flight_id: str | None = None) -> PackageRollout:
        return self._send(ep.get_rollout(app_id, submission_id, flight_id))

    def set_rollout_percentage(
        self, app_id: str, submission_id: str, percentage: float, flight_id: str | None = None
    ) -> PackageRollout:
        return self._send(ep.set_rollout_percentage(app_id, submission_id, percentage, flight_id))

    def halt_rollout(self, app_id: str, submission_id: str, flight_id: str | None = None) -> PackageRollout:
        return self._send(ep.halt_rollout(app_id, submission_id, flight_id))

    def finalize_rollout(self, app_id: str, submission_id: str, flight_id: str | None = None) -> PackageRollout:
        return self._send(ep.finalize_rollout(app_id, submission_id, flight_id))

    # flight groups (storeflight extension)

    def list_groups(self, *, page_size: int = ep.DEFAULT_PAGE) -> list[FlightGroup]:
        return list(self._pages(ep.Pager(lambda skip: ep.list_groups(skip, page_size))))

    def get_group(self, group_id: str) -> FlightGroup:
        return self._send(ep.get_group(group_id))

    def create_group(self, name: str, members: Iterable[str] = ()) -> FlightGroup:
        return self._send(ep.create_group(name, members))

    def rename_group(self, group_id: str, name: str) -> FlightGroup:
        return self._send(ep.rename_group(group_id, name))

    def delete_group(self, group_id: str) -> None:
        self._send(ep.delete_group(group_id))

    def change_members(self, group_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> MemberChange:
        """Add and remove members in one request; the answer counts what actually changed."""
        return self._send(ep.change_members(group_id, add, remove))

    def add_members(self, group_id: str, members: Iterable[str]) -> FlightGroup:
        self.change_members(group_id, add=list(members))
        return self.get_group(group_id)

    def remove_members(self, group_id: str, members: Iterable[str]) -> FlightGroup:
        self.change_members(group_id, remove=list(members))
        return self.get_group(group_id)

    def list_members(self, group_id: str, *, page_size: int = 1000) -> list[str]:
        pager = ep.Pager(lambda skip: ep.list_members(group_id, skip, page_size))
        return list(self._pages(pager, empty_on_404=False))

    # approvals (storeflight extension)

    def create_approval_rule(self, app_id: str, rule: dict[str, Any]) -> dict[str, Any]:
        """An approval rule for the app (`rule` in the API's JSON shape)."""
        return self._send(ep.create_approval_rule(app_id, rule))

    def list_approval_rules(self, app_id: str) -> dict[str, Any]:
        """The app's approval rules."""
        return self._send(ep.list_approval_rules(app_id))

    def delete_approval_rule(self, app_id: str, rule_id: str) -> dict[str, Any]:
        """Delete an approval rule."""
        return self._send(ep.delete_approval_rule(app_id, rule_id))

    def list_pending_changes(
        self, status: str | None = None, app_id: str | None = None, skip: int = 0, top: int = 100
    ) -> dict[str, Any]:
        """A page of the tenant's pending changes, newest first."""
        return self._send(ep.list_pending_changes(status, app_id, skip, top))

    def pending_change(self, change_id: str) -> dict[str, Any]:
        """One pending change."""
        return self._send(ep.pending_change(change_id))

    def approve_change(self, change_id: str) -> dict[str, Any]:
        """Approve a pending change (applied with the last approval it needs)."""
        return self._send(ep.approve_change(change_id))

    def reject_change(self, change_id: str, reason: str | None = None) -> dict[str, Any]:
        """Reject a pending change."""
        return self._send(ep.reject_change(change_id, reason))

    def revise_change(self, change_id: str, percentage: float) -> dict[str, Any]:
        """Ask for another rollout percentage: the change's approvals are cleared."""
        return self._send(ep.revise_change(change_id, percentage))

    # device credentials (storeflight extension)

    def create_delivery_key(
        self, app_id: str | None, name: str, rate_per_minute: int | None = None, expires_in_days: int | None = None
    ) -> dict[str, Any]:
        """A new delivery key (for one app, or with app_id None every app); its secret is in `key`, shown once."""
        return self._send(ep.create_delivery_key(app_id, name, rate_per_minute, expires_in_days))

    def list_delivery_keys(self, app_id: str | None) -> dict[str, Any]:
        """The delivery keys of an app (or, with app_id None, of the tenant), without secrets."""
        return self._send(ep.list_delivery_keys(app_id))

    def revoke_delivery_key(self, app_id: str | None, key_id: str) -> dict[str, Any]:
        """Revoke a delivery key."""
        return self._send(ep.revoke_delivery_key(app_id, key_id))

    def create_device_url(self, app_id: str, customer_id: str) -> dict[str, Any]:
        """A per-device URL naming the customer (shown once)."""
        return self._send(ep.create_device_url(app_id, customer_id))

    def revoke_device_url(self, app_id: str, url_id: str) -> dict[str, Any]:
        """Revoke a per-device URL."""
        return self._send(ep.revoke_device_url(app_id, url_id))

    def device_settings(self, app_id: str) -> dict[str, Any]:
        """The app's device settings (public delivery, App Installer update settings)."""
        return self._send(ep.device_settings(app_id))

    def change_device_settings(self, app_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change some of the app's device settings (names as in the API)."""
        return self._send(ep.change_device_settings(app_id, changes))

    # delivery (storeflight extension)

    def check_delivery(
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
        """Which packages `customer_id`'s device gets, and (with `explain`) why."""
        return self._send(
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

    def rollout_health(
        self, app_id: str, flight_id: str | None = None, *, submission_id: str | None = None, hours: int = 168
    ) -> RolloutHealth:
        """Device-report health of the line's rollout (storeflight extension): per cohort, version and hour."""
        return self._send(ep.rollout_health(app_id, flight_id, submission_id=submission_id, hours=hours))

    def attach_plan(
        self, app_id: str, submission_id: str, plan: dict[str, Any], flight_id: str | None = None
    ) -> dict[str, Any]:
        """Attach a rollout plan to a published submission whose rollout is in progress (storeflight extension)."""
        return self._send(ep.attach_plan(app_id, submission_id, plan, flight_id))

    def get_plan(self, app_id: str, submission_id: str, flight_id: str | None = None) -> dict[str, Any]:
        """A submission's rollout plan: steps, guard, state and events (storeflight extension)."""
        return self._send(ep.get_plan(app_id, submission_id, flight_id))

    def plan_verb(self, app_id: str, submission_id: str, verb: str, flight_id: str | None = None) -> dict[str, Any]:
        """pause, resume, skip, approve or abort a rollout plan (storeflight extension)."""
        return self._send(ep.plan_verb(app_id, submission_id, verb, flight_id))

    # webhooks (storeflight extension)

    def create_webhook(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A new webhook (`spec`: url, eventTypes, applicationId, enabled); its signing secret is in `secret`,
        shown once."""
        return self._send(ep.create_webhook(spec))

    def list_webhooks(self) -> dict[str, Any]:
        """The tenant's webhooks."""
        return self._send(ep.list_webhooks())

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        """One webhook (never its secret)."""
        return self._send(ep.webhook(webhook_id))

    def enable_webhook(self, webhook_id: str, enabled: bool) -> dict[str, Any]:
        """Switch a webhook on or off (off: its pending deliveries wait)."""
        return self._send(ep.enable_webhook(webhook_id, enabled))

    def delete_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Delete a webhook with its delivery log."""
        return self._send(ep.delete_webhook(webhook_id))

    def test_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Queue a webhook.ping to it: {eventId, deliveryId}."""
        return self._send(ep.test_webhook(webhook_id))

    def webhook_deliveries(self, webhook_id: str, skip: int = 0, top: int = 50) -> dict[str, Any]:
        """A page of the webhook's deliveries, newest first, each with its attempts."""
        return self._send(ep.webhook_deliveries(webhook_id, skip, top))

    def history(
        self, filters: dict[str, str | None] | None = None, *, skip: int = 0, top: int = ep.DEFAULT_PAGE
    ) -> dict[str, Any]:
        """A page of the tenant's audit history (storeflight extension), newest first, filtered by
        resourceType, resourceId, actor, actorKind, action, since and until."""
        return self._send(ep.history(filters or {}, skip, top))

    # upload

    def upload(
        self,
        upload_url: str,
        zip_path: Path,
        *,
        progress: Progress | None = None,
        concurrency: int = 4,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        """Upload a ZIP to a submission's `fileUploadUrl` (a SAS URL: no access token is involved)."""
        upload_file(
            upload_url,
            Path(zip_path),
            progress=progress,
            concurrency=concurrency,
            block_size=block_size,
            verify=self.config.verify,
        )

    def upload_packages(
        self,
        upload_url: str,
        packages: list[Path],
        *,
        progress: Progress | None = None,
        workdir: Path | None = None,
        concurrency: int = 4,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        """ZIP the packages (at the root, by base name) and upload the ZIP."""
        with tempfile.TemporaryDirectory(dir=workdir, prefix="storeflight-upload-") as folder:
            archive = build_package_zip([Path(p) for p in packages], Path(folder) / "packages.zip")
            self.upload(upload_url, archive, progress=progress, concurrency=concurrency, block_size=block_size)
