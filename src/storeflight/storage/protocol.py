"""The storage contract. Services see only these Protocols; every backend passes one conformance suite."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from storeflight.approvals.model import PendingChange
from storeflight.approvals.rules import Rule
from storeflight.audit.model import AuditFilter, AuditRecord
from storeflight.devices.model import DeliveryKey, DeviceSettings, DeviceUrl
from storeflight.domain.models import ApiClient, Application, Fault, Flight, FlightGroup, Submission
from storeflight.plans.stored import PlanEvent, StoredPlan
from storeflight.telemetry.cohort import Cohort
from storeflight.telemetry.tally import Counts, DeviceState, RowKey
from storeflight.webhooks.model import Attempt, Claimed, Delivery, DeliveryStatus, Event, Subscription


class StorageConflict(Exception):
    """A uniqueness rule of the store was violated (a second pending submission, a duplicate name)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


class PipelineTx(Protocol):
    """What the ingestion pipeline needs from a transaction, beyond `Tx`."""

    def claim_next(self, *, now: datetime, owner: str, lease_until: datetime) -> Submission | None:
        """Lease the submission that is due soonest and not leased by a live worker, or None.

        Fair between tenants: a tenant with a stage running now (a live lease) gets another only when no
        other tenant has one due.
        """

    def finish(self, submission: Submission, *, owner: str) -> bool:
        """Save the submission and release its lease, if `owner` still holds it; False (nothing saved) if not."""

    def renew_lease(self, submission_id: str, *, owner: str, lease_until: datetime) -> bool:
        """Extend a lease `owner` holds; False if it was lost."""

    def line_highest(self, parent_key: str) -> dict[str, str]:
        """Per architecture (lower case), the highest package version the line (`flight:<id>` or `app:<id>`)
        has ever published, bundles counting for their payloads' architectures."""

    def add_fault(self, fault: Fault, tenant_id: str, now: datetime) -> int:
        """Record an injected failure; returns its id."""

    def take_fault(self, app_id: str, stage: str) -> Fault | None:
        """Remove and return the oldest injected failure for this app and stage, if any."""

    def add_report(self, token: str, submission_id: str, now: datetime, body: dict[str, Any]) -> None:
        """Store a certification report."""

    def get_report(self, token: str) -> dict[str, Any] | None:
        """A stored certification report, or None."""


class DeliveryTx(Protocol):
    """What the delivery snapshot reads, and the per-app versions that make every process rebuild it."""

    def published_submissions(self, app_id: str) -> list[Submission]:
        """Every published submission of the app (flights and non-flighted)."""

    def published_apps(self) -> list[tuple[str, str]]:
        """(tenant id, app id) of every app with a published submission: what delivery may be asked about."""

    def group_members(self, group_ids: Sequence[str]) -> Iterable[tuple[str, str]]:
        """(group id, member) for every member of these groups, streamed: consume it inside the transaction."""

    def delivery_versions(self, app_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Each app's (published state, group membership) versions; (0, 0) for an app never bumped."""

    def bump_delivery_version(self, tenant_id: str, app_id: str, *, members: bool = False) -> None:
        """Record that the app's published state, rollouts or flights changed (`members`: also who is in which
        of its flights' groups). Only this app's snapshots rebuild."""

    def bump_group_delivery(self, tenant_id: str, group_id: str) -> list[str]:
        """Record that the group's members changed, for every app of the tenant whose flights name it; those
        apps' ids (sorted)."""


class GarbageTx(Protocol):
    """Blobs no submission needs any more: recorded with the change, deleted later by a worker."""

    def discard_blob(self, name: str, now: datetime) -> None:
        """Record that the blob may be deleted once this transaction commits (recording it twice is fine)."""

    def blob_garbage(self, limit: int, discarded_before: datetime | None = None) -> list[str]:
        """Up to `limit` recorded blobs, oldest first."""

    def forget_blobs(self, names: Sequence[str]) -> None:
        """Drop these records (their blobs are deleted)."""


class UsageTx(Protocol):
    """What a tenant keeps, for its quotas, and the ledger of the blobs it stores."""

    def count_groups(self, tenant_id: str) -> int:
        """The tenant's flight groups."""

    def count_tenant_members(self, tenant_id: str) -> int:
        """Memberships across all the tenant's groups (a customer in two groups counts twice), as counted by
        `add_tenant_members`."""

    def add_tenant_members(self, tenant_id: str, delta: int) -> None:
        """Move the tenant's membership count by `delta` (the group use cases call it with what they changed)."""

    def count_flights(self, tenant_id: str) -> int:
        """The tenant's flights, across its apps."""

    def stored_usage(self, tenant_id: str) -> tuple[int, int]:
        """(bytes, validated packages) the tenant stores, by the ledger."""

    def blob_owner(self, name: str) -> tuple[str, int] | None:
        """(tenant id, recorded size) of a blob in the ledger, or None (unknown or discarded)."""

    def record_blob(self, name: str, tenant_id: str, size: int, *, package: bool) -> None:
        """Record (or resize) a stored blob of the tenant; every new submission's upload archive is recorded
        with size 0 by `add_submission`, and `discard_blob` drops the record."""


class DevicesTx(Protocol):
    """Device credentials (delivery keys, per-device URLs), found by the hash of their secret, and settings."""

    def add_delivery_key(self, key: DeliveryKey) -> None:
        """Insert a new delivery key."""

    def delivery_key_by_hash(self, secret_hash: str) -> DeliveryKey | None:
        """The key whose secret hashes to this, or None (revoked and expired ones included)."""

    def get_delivery_key(self, tenant_id: str, key_id: str) -> DeliveryKey | None:
        """The tenant's key, or None."""

    def list_delivery_keys(self, tenant_id: str, app_id: str | None) -> list[DeliveryKey]:
        """The tenant's keys (of one app, if given; tenant-wide ones have app id None), oldest first."""

    def revoke_delivery_key(self, key_id: str, at: datetime) -> None:
        """Mark the key revoked (a revoked key stays revoked)."""

    def add_device_url(self, url: DeviceUrl) -> None:
        """Insert a new per-device URL."""

    def device_url_by_hash(self, token_hash: str) -> DeviceUrl | None:
        """The device URL whose token hashes to this, or None."""

    def get_device_url(self, tenant_id: str, url_id: str) -> DeviceUrl | None:
        """The tenant's device URL, or None."""

    def list_device_urls(self, tenant_id: str, app_id: str, customer_id: str | None) -> list[DeviceUrl]:
        """The app's device URLs (of one customer, if given), oldest first."""

    def revoke_device_url(self, url_id: str, at: datetime) -> None:
        """Mark the device URL revoked."""

    def get_device_settings(self, app_id: str) -> DeviceSettings | None:
        """The app's device settings, or None (the defaults apply)."""

    def put_device_settings(self, settings: DeviceSettings) -> None:
        """Store the app's device settings, whatever they were."""

    def app_tenant(self, app_id: str) -> str | None:
        """The tenant of the app with this id, or None: what a device endpoint checks its credential against."""

    def forget_app_devices(self, app_id: str) -> None:
        """Remove the app's keys, device URLs and settings (the app is being deleted)."""


class ReportsTx(Protocol):
    """Device reports: event ids seen, one state per (app, device), and counters per hour and row."""

    def add_report_ids(self, keys: Sequence[bytes], hour: int) -> set[bytes]:
        """Record event keys; those not recorded before (by any transaction)."""

    def lock_device(self, tenant_id: str, app_id: str, device: bytes) -> DeviceState | None:
        """The device's state, locked until the transaction ends (None: it never reported)."""

    def save_device(self, app_id: str, device: bytes, state: DeviceState) -> None:
        """Store the state of a device `lock_device` locked in this transaction."""

    def add_report_counts(self, tenant_id: str, app_id: str, hour: int, rows: Mapping[RowKey, Counts]) -> None:
        """Add these increments to the hour's counters of each row."""

    def report_hours(self, app_id: str, line: str, since_hour: int) -> list[tuple[RowKey, int, Counts]]:
        """The counters of the app's line (a flight id, or '' non-flighted) from `since_hour` on, oldest first."""

    def device_counts(self, app_id: str, line: str) -> list[tuple[str, Cohort, str, str, int]]:
        """(rollout submission, cohort, submission, version, devices) for the devices whose state is on the line."""

    def delete_app_reports(self, app_id: str) -> None:
        """Remove the app's device states and counters."""

    def prune_report_ids(self, before_hour: int, limit: int) -> int:
        """Forget up to `limit` event keys received before `before_hour`; how many were forgotten."""


class AuditTx(Protocol):
    """The audit history: per-tenant hash chains, appended to and read, never changed (`storeflight.audit`)."""

    audit_enabled: bool  # False only when the operator switched auditing off (a benchmark/ops knob)

    def lock_audit_head(self, tenant_id: str) -> tuple[int, str]:
        """The tenant's last (sequence, hash), (0, GENESIS) for an empty chain, locked until the transaction
        ends: concurrent appenders of one tenant wait here."""

    def add_audit(self, record: AuditRecord) -> None:
        """Insert the record that follows the locked head, and make it the head."""

    def list_audit(self, tenant_id: str, where: AuditFilter, *, skip: int, top: int) -> Page[AuditRecord]:
        """A page of the tenant's matching records, newest first, with how many match."""

    def audit_after(self, tenant_id: str, after_seq: int, limit: int) -> list[AuditRecord]:
        """Up to `limit` of the tenant's records after `after_seq`, in chain order (verify, export, outboxes)."""

    def audit_heads(self) -> list[tuple[str, int, str]]:
        """(tenant, last sequence, last hash) of every chain, by tenant."""

    def has_audit(self, tenant_id: str, resource_type: str | None, resource_id: str) -> bool:
        """Whether the tenant's history names this resource (of this type, if given)."""


class RecordingTx(AuditTx, Protocol):
    """What recording a change needs: the audit chain, and the webhook outbox its events go to."""

    def webhook_subscriptions(self, tenant_id: str) -> list[Subscription]: ...

    def webhook_subject(self, tenant_id: str, resource_type: str, resource_id: str) -> dict[str, Any]: ...

    def add_webhook_event(self, event: Event, subscription_ids: Sequence[str]) -> list[str]: ...


class ApprovalsTx(Protocol):
    """Roles of API clients, approval rules and the changes waiting for approvals, each of one tenant."""

    def client_roles(self, client_id: str) -> list[str]:
        """The client's roles, sorted (none: an empty list)."""

    def set_client_roles(self, client_id: str, tenant_id: str, roles: Sequence[str]) -> None:
        """Replace the client's roles with these."""

    def add_approval_rule(self, rule: Rule) -> None:
        """Insert a new rule."""

    def save_approval_rule(self, rule: Rule) -> None:
        """Update an existing rule."""

    def get_approval_rule(self, tenant_id: str, rule_id: str) -> Rule | None:
        """The tenant's rule, or None."""

    def list_approval_rules(self, tenant_id: str, app_id: str) -> list[Rule]:
        """The app's rules (app-wide and per flight), oldest first."""

    def delete_approval_rule(self, rule_id: str) -> None:
        """Remove a rule (pending changes keep the requirement they were made with)."""

    def add_pending_change(self, change: PendingChange) -> None:
        """Insert a new pending change."""

    def save_pending_change(self, change: PendingChange) -> None:
        """Update an existing pending change."""

    def get_pending_change(self, tenant_id: str, change_id: str, *, lock: bool = False) -> PendingChange | None:
        """The tenant's pending change (in any status), or None; `lock` holds off other writers of it."""

    def open_pending_change(self, tenant_id: str, submission_id: str, action: str) -> PendingChange | None:
        """The newest change of this action on this submission still stored as pending, or None."""

    def list_pending_changes(
        self, tenant_id: str, *, status: str | None, app_id: str | None, now: datetime, skip: int, top: int
    ) -> Page[PendingChange]:
        """A page of the tenant's changes (of one app, if given) in this status as of `now` (a pending change
        past its expiry counts as expired), all of them for None, newest first."""

    def forget_app_approvals(self, app_id: str) -> None:
        """Remove the app's rules and pending changes (the app is being deleted)."""


class PlansTx(Protocol):
    """Rollout plans (`storeflight.plans`): one per submission, their events, and the worker's leases."""

    def add_plan(self, plan: StoredPlan) -> None:
        """Store a new plan (StorageConflict if the submission already has one)."""

    def get_plan(self, tenant_id: str, submission_id: str, *, lock: bool = False) -> StoredPlan | None:
        """The tenant's plan of this submission, or None."""

    def save_plan(self, plan: StoredPlan, *, owner: str | None = None) -> bool:
        """Save at `plan.revision` if the stored one is the revision before it (with `owner`: and the lease is
        still that worker's, which it then releases); False (nothing saved) otherwise."""

    def claim_plan(self, *, now: datetime, owner: str, lease_until: datetime) -> StoredPlan | None:
        """Lease the plan due soonest that no live worker holds, or None."""

    def add_plan_event(self, event: PlanEvent) -> PlanEvent:
        """Append an event with the plan's next sequence number; the stored event."""

    def plan_events(self, plan_id: str, *, limit: int = 500) -> list[PlanEvent]:
        """The plan's latest `limit` events, oldest first."""


class OpsTx(Protocol):
    """What the readiness probe and the metrics read."""

    def schema_revision(self) -> str | None:
        """The database's migration revision (raises when the database cannot be reached)."""

    def pipeline_queue(self, now: datetime) -> list[tuple[str, int, datetime | None]]:
        """Per status, the submissions the pipeline still has to work on and the earliest time one of them became
        due without a worker holding it yet (None: none such)."""


class WebhooksTx(Protocol):
    """Webhook subscriptions of one tenant, the outbox of events and their leased deliveries."""

    def add_webhook(self, subscription: Subscription, sealed_secret: str) -> None:
        """Store a new subscription with its sealed signing secret."""

    def get_webhook(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        """The tenant's subscription, or None."""

    def set_webhook_enabled(self, subscription_id: str, enabled: bool) -> None:
        """Switch a subscription on or off (off: its deliveries wait, except a test ping)."""

    def webhook_subscriptions(self, tenant_id: str) -> list[Subscription]:
        """Every subscription of the tenant, oldest first."""

    def delete_webhook(self, subscription_id: str) -> None:
        """Forget a subscription with its deliveries and their attempts."""

    def webhook_subject(self, tenant_id: str, resource_type: str, resource_id: str) -> dict[str, Any]:
        """What an event names of an audited resource: applicationId, flightId, submissionId (and the plan or
        pending change id); {} when the resource is unknown."""

    def add_webhook_event(self, event: Event, subscription_ids: Sequence[str]) -> list[str]:
        """Store an event and a pending delivery of it to each subscription, due at once; the delivery ids."""

    def claim_webhook_deliveries(
        self, *, now: datetime, owner: str, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        """Lease up to `limit` due deliveries that no live worker holds, at most one per subscription and none
        of a subscription another delivery of which is leased (best-effort order per subscription); a disabled
        subscription's deliveries wait, except its test pings."""

    def finish_webhook_attempt(
        self, delivery_id: str, *, owner: str, attempt: Attempt, status: DeliveryStatus, next_at: datetime | None
    ) -> bool:
        """Log an attempt and set the delivery's status, its next attempt and release the lease, if `owner`
        still holds it; False (nothing written) otherwise."""

    def webhook_deliveries(self, subscription_id: str, *, skip: int, top: int) -> Page[Delivery]:
        """A page of the subscription's deliveries, newest first, each with its attempts."""

    def prune_webhook_deliveries(self, before: datetime, limit: int) -> int:
        """Forget up to `limit` delivered or dead deliveries made before `before` (with their attempts, and
        their events once no delivery names them); how many deliveries were forgotten."""

    def forget_app_webhooks(self, app_id: str) -> None:
        """Forget the subscriptions limited to this app (it is being deleted)."""


class Tx(
    PipelineTx,
    DeliveryTx,
    GarbageTx,
    UsageTx,
    DevicesTx,
    ReportsTx,
    AuditTx,
    ApprovalsTx,
    PlansTx,
    OpsTx,
    WebhooksTx,
    Protocol,
):
    """One transaction. Nothing is visible to others until the owning `Store.transaction` block ends."""

    def get_setting(self, key: str) -> str | None:
        """The stored value, or None."""

    def set_setting(self, key: str, value: str | None) -> None:
        """Store (or, with None, remove) a setting, whatever it was."""

    def put_setting_if_absent(self, key: str, value: str) -> str:
        """Store `value` unless a value exists; return whichever value is stored."""

    def add_client(self, client: ApiClient) -> None:
        """Insert a new API client."""

    def get_client(self, client_id: str) -> ApiClient | None:
        """The client with this id, or None."""

    def list_clients(self, tenant_id: str | None) -> list[ApiClient]:
        """All clients, or those of one tenant, oldest first."""

    def save_client(self, client: ApiClient) -> None:
        """Update an existing client."""

    def delete_client(self, client_id: str) -> bool:
        """Remove a client for good; False when there was none."""

    def add_app(self, app: Application) -> None:
        """Insert a new application."""

    def save_app(self, app: Application) -> None:
        """Update an existing app (its name)."""

    def delete_app(self, app_id: str) -> None:
        """Remove an app with its flights, submissions, their events, reports and version history."""

    def get_app(self, tenant_id: str, app_id: str, *, lock: bool = False) -> Application | None:
        """The tenant's app, or None. `lock` serialises writers on this app until the transaction ends."""

    def list_apps(self, tenant_id: str | None, *, skip: int, top: int) -> Page[Application]:
        """A page of apps, oldest first."""

    def add_group(self, group: FlightGroup, members: Sequence[str]) -> None:
        """Insert a flight group and its members."""

    def get_groups(self, tenant_id: str, group_ids: Sequence[str]) -> list[FlightGroup]:
        """The tenant's groups among `group_ids` (unknown ids are left out)."""

    def list_groups(self, tenant_id: str | None) -> list[tuple[FlightGroup, int]]:
        """Groups with their member counts, oldest first."""

    def get_group(self, tenant_id: str, group_id: str, *, lock: bool = False) -> FlightGroup | None:
        """The tenant's group, or None. `lock` holds off other writers of it until the transaction ends."""

    def list_groups_page(self, tenant_id: str, *, skip: int, top: int) -> Page[tuple[FlightGroup, int]]:
        """A page of the tenant's groups with their member counts, oldest first."""

    def rename_group(self, group_id: str, name: str) -> None:
        """Store a new name for a group."""

    def group_in_use(self, group_id: str) -> bool:
        """Whether any flight names the group."""

    def delete_group(self, group_id: str) -> None:
        """Remove a group and its members (the caller checks `group_in_use` first)."""

    def add_members(self, group_id: str, members: Sequence[str]) -> None:
        """Insert members in bulk; members already in the group are ignored."""

    def remove_members(self, group_id: str, members: Sequence[str]) -> None:
        """Delete members in bulk; members not in the group are ignored."""

    def count_members(self, group_id: str) -> int:
        """How many members the group has."""

    def list_members(self, group_id: str, *, skip: int, top: int) -> list[str]:
        """A page of the group's members, in their sort order."""

    def update_flight(self, flight: Flight) -> None:
        """Store a flight's name, rank and group links. Raises StorageConflict for a duplicate name."""

    def add_flight(self, flight: Flight) -> None:
        """Insert a flight (and its group links). Raises StorageConflict for a duplicate name."""

    def get_flight(self, tenant_id: str, app_id: str, flight_id: str) -> Flight | None:
        """The app's flight, or None."""

    def list_flights(self, tenant_id: str, app_id: str) -> list[Flight]:
        """Every flight of the app, in no particular order."""

    def set_flight_ranks(self, ranks: dict[str, int]) -> None:
        """Store new ranks for the given flights."""

    def delete_flight(self, flight_id: str) -> None:
        """Remove a flight with its submissions and group links."""

    def add_submission(self, submission: Submission) -> None:
        """Insert. Raises StorageConflict when its parent already has a pending submission."""

    def get_submission(self, tenant_id: str, submission_id: str, *, lock: bool = False) -> Submission | None:
        """The tenant's submission, or None. `lock` holds off other writers of it until the transaction ends."""

    def get_submission_and_app(self, tenant_id: str, submission_id: str) -> tuple[Submission, Application] | None:
        """The tenant's submission with its app, in one round trip (the hot read path), or None."""

    def save_submission(self, submission: Submission) -> None:
        """Update an existing submission."""

    def upload_tenant(self, blob_name: str) -> str | None:
        """The tenant of the submission whose upload blob this is, or None."""

    def delete_submission(self, submission_id: str) -> None:
        """Remove a submission."""

    def pending_submission(self, parent_key: str) -> Submission | None:
        """The pending submission of a flight (`flight:<id>`) or app (`app:<id>`), or None."""

    def last_published(self, parent_key: str) -> Submission | None:
        """The most recently published submission of a flight or app, or None."""

    def add_event(self, submission_id: str, at: datetime, from_status: str | None, to: str, actor: str) -> None:
        """Append an audit row for a status change."""


class Store(Protocol):
    """A database. `transaction(write=True)` serialises against other writers where the backend needs it."""

    def transaction(self, *, write: bool) -> AbstractContextManager[Tx]:
        """A transaction that commits when the block ends normally and rolls back on an exception."""

    def read_submission_and_app(self, tenant_id: str, submission_id: str) -> tuple[Submission, Application] | None:
        """What `Tx.get_submission_and_app` reads, as one statement outside any transaction (the hot GETs)."""

    def close(self) -> None:
        """Release connections."""
