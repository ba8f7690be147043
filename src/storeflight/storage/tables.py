"""The relational schema. Documents (submissions) are JSON; everything queried on is a column."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData()

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("secret_hash", String(128), nullable=False, comment="sha256 of the secret; the secret is never stored"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("doc", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_applications_tenant_created", "tenant_id", "created_at", "id"),
)

flight_groups = Table(
    "flight_groups",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(24), ForeignKey("flight_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("member", String(320), primary_key=True),
)

flights = Table(
    "flights",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("friendly_name", String(256), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("app_id", "friendly_name", name="uq_flights_app_name"),
    Index("ix_flights_app", "app_id"),
)

flight_group_links = Table(
    "flight_group_links",
    metadata,
    Column("flight_id", String(36), ForeignKey("flights.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", String(24), ForeignKey("flight_groups.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_flight_group_links_group", "group_id"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("flight_id", String(36), ForeignKey("flights.id", ondelete="CASCADE"), nullable=True),
    Column("parent_key", String(64), nullable=False, comment="flight:<id> or app:<id>"),
    Column("status", String(32), nullable=False),
    Column("is_pending", Boolean, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("doc", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("next_run_at", DateTime(timezone=True), nullable=True, comment="when the pipeline looks at it next"),
    Column("lease_owner", String(64), nullable=True, comment="the worker processing it now"),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("upload_blob_id", String(64), nullable=True, comment="the blob behind fileUploadUrl"),
    Index("ix_submissions_next_run", "next_run_at"),
    Index("ix_submissions_upload_blob", "upload_blob_id"),
    Index("ix_submissions_lease", "lease_until", "tenant_id"),
    Index(
        "uq_submissions_one_pending",
        "parent_key",
        unique=True,
        sqlite_where=Column("is_pending") == true(),
        postgresql_where=Column("is_pending") == true(),
    ),
    Index("ix_submissions_parent_published", "parent_key", "published_at"),
    Index("ix_submissions_status", "status"),
)

published_versions = Table(
    "published_versions",
    metadata,
    Column("parent_key", String(64), nullable=False, comment="the line: flight:<id> or app:<id>"),
    Column("submission_id", String(24), nullable=False),
    Column("architecture", String(32), nullable=False, comment="lower case; a bundle has a row per payload's"),
    Column("version_key", String(64), nullable=False, comment="zero-padded parts: sorts like the version"),
    PrimaryKeyConstraint("submission_id", "architecture", "version_key", name="pk_published_versions"),
    Index("ix_published_versions_line", "parent_key", "architecture", "version_key"),
)

submission_events = Table(
    "submission_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", String(24), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
)

fault_injections = Table(
    "fault_injections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("stage", String(32), nullable=False, comment="the status at which the next submission fails"),
    Column("code", String(64), nullable=False),
    Column("details", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_fault_injections_app", "app_id"),
)

certification_reports = Table(
    "certification_reports",
    metadata,
    Column("token", String(64), primary_key=True, comment="unguessable; the report URL carries it"),
    Column("submission_id", String(24), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", JSON, nullable=False),
)

blob_garbage = Table(
    "blob_garbage",
    metadata,
    Column("name", String(128), primary_key=True, comment="a blob no submission needs any more"),
    Column("discarded_at", DateTime(timezone=True), nullable=False),
)

delivery_versions = Table(
    "delivery_versions",
    metadata,
    Column("app_id", String(16), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("state", Integer, nullable=False, comment="bumped when published state, rollouts or flights change"),
    Column("members", Integer, nullable=False, comment="bumped when who is in the app's flight groups changes"),
)

stored_blobs = Table(
    "stored_blobs",
    metadata,
    Column("name", String(128), primary_key=True, comment="an upload archive or a validated package"),
    Column("tenant_id", String(64), nullable=False),
    Column("is_package", Boolean, nullable=False),
    Column("size", BigInteger, nullable=False, comment="bytes, as of the last committed upload"),
    Index("ix_stored_blobs_tenant", "tenant_id", "is_package"),
)

tenant_usage = Table(
    "tenant_usage",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("members", BigInteger, nullable=False, comment="memberships across the tenant's flight groups"),
)

delivery_keys = Table(
    "delivery_keys",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=True, comment="None: every app of the tenant"),
    Column("name", String(256), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True, comment="sha256 of the key; never the key"),
    Column("rate_per_minute", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_delivery_keys_tenant_app", "tenant_id", "app_id"),
)

device_urls = Table(
    "device_urls",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=False),
    Column("customer_id", String(320), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True, comment="sha256 of the URL token"),
    Column("rate_per_minute", Integer, nullable=False),
    Column("key_id", String(24), nullable=True, comment="the delivery key it was enrolled with"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_device_urls_app_customer", "app_id", "customer_id"),
)

device_settings = Table(
    "device_settings",
    metadata,
    Column("app_id", String(16), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("public", Boolean, nullable=False, comment="anonymous delivery on the device endpoints"),
    Column("hours_between_update_checks", Integer, nullable=False),
    Column("automatic_background_task", Boolean, nullable=False),
    Column("force_update_from_any_version", Boolean, nullable=False),
    Column("frameworks", Text, nullable=False, server_default="[]", comment="JSON: framework packages' URLs"),
)

# Device reports (telemetry/): event ids for idempotency, one state row per device, counters per hour and row.
device_report_ids = Table(
    "device_report_ids",
    metadata,
    Column("key", LargeBinary(16), primary_key=True, comment="BLAKE2b of app, device and event id"),
    Column("hour", Integer, nullable=False, comment="hours since the epoch when it was received"),
    Index("ix_device_report_ids_hour", "hour"),
)

device_states = Table(
    "device_states",
    metadata,
    Column("app_id", String(16), primary_key=True),
    Column("device", LargeBinary(16), primary_key=True, comment="BLAKE2b of the customer id: the id is not kept"),
    Column("tenant_id", String(64), nullable=False),
    Column("line", String(36), nullable=False, comment="the flight id, or '' for the non-flighted line"),
    Column("rollout_submission_id", String(24), nullable=False),
    Column("cohort", String(8), nullable=False),
    Column("submission_id", String(24), nullable=False, comment="of the version last reported ('' unknown)"),
    Column("version", String(64), nullable=False),
    Column("hour", Integer, nullable=False, comment="when it last reported"),
    Column("counted", Text, nullable=False, comment="the rows its device was counted in during that hour"),
    Index("ix_device_states_line", "app_id", "line", "rollout_submission_id", "cohort", "version"),
)

device_report_hours = Table(
    "device_report_hours",
    metadata,
    Column("app_id", String(16), nullable=False),
    Column("line", String(36), nullable=False),
    Column("rollout_submission_id", String(24), nullable=False),
    Column("cohort", String(8), nullable=False),
    Column("submission_id", String(24), nullable=False),
    Column("version", String(64), nullable=False),
    Column("hour", Integer, nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("devices", BigInteger, nullable=False),
    Column("installs", BigInteger, nullable=False),
    Column("update_failures", BigInteger, nullable=False),
    Column("launches", BigInteger, nullable=False),
    Column("crashes", BigInteger, nullable=False),
    Column("heartbeats", BigInteger, nullable=False),
    PrimaryKeyConstraint(
        "app_id",
        "line",
        "rollout_submission_id",
        "cohort",
        "submission_id",
        "version",
        "hour",
        name="pk_device_report_hours",
    ),
)

# The audit history (audit/): one hash chain per tenant. Rows are only ever inserted; the head row names each
# chain's last record and is locked by appenders.
audit_records = Table(
    "audit_records",
    metadata,
    Column("tenant_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False, comment="1, 2, 3... per tenant, in the order of the chain"),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("actor_display", String(256), nullable=True),
    Column("action", String(64), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(128), nullable=False),
    Column("before", Text, nullable=True, comment="canonical JSON"),
    Column("after", Text, nullable=True, comment="canonical JSON"),
    Column("correlation_id", String(64), nullable=True),
    Column("reason", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("tenant_id", "seq", name="pk_audit_records"),
    Index("ix_audit_records_resource", "tenant_id", "resource_type", "resource_id", "seq"),
    Index("ix_audit_records_at", "tenant_id", "at"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Approvals (approvals/): roles of API clients, rules, and the changes waiting for approvals.
client_roles = Table(
    "client_roles",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("role", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
)

approval_rules = Table(
    "approval_rules",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=False),
    Column("flight_id", String(36), nullable=True, comment="None: every line of the app"),
    Column("action", String(16), nullable=False),
    Column("approvals", Integer, nullable=False),
    Column("role", String(64), nullable=False, comment="'' for any client of the tenant"),
    Column("above_percentage", Float, nullable=True),
    Column("allow_self_approval", Boolean, nullable=False),
    Column("expires_after_seconds", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_approval_rules_app", "tenant_id", "app_id"),
)

pending_changes = Table(
    "pending_changes",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=False),
    Column("submission_id", String(24), nullable=False),
    Column("action", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("doc", JSON, nullable=False, comment="the whole change: parameters, requirement, approvals"),
    Index("ix_pending_changes_tenant", "tenant_id", "status", "requested_at"),
    Index("ix_pending_changes_submission", "submission_id", "action", "status"),
)

rollout_plans = Table(
    "rollout_plans",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=False),
    Column("flight_id", String(36), nullable=True),
    Column(
        "submission_id",
        String(24),
        ForeignKey("submissions.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
        comment="one plan per submission",
    ),
    Column("plan", JSON, nullable=False),
    Column("state", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Column(
        "next_run_at", DateTime(timezone=True), nullable=True, comment="when the worker looks next; None: nothing due"
    ),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_rollout_plans_next_run", "next_run_at"),
    Index("ix_rollout_plans_tenant_app", "tenant_id", "app_id"),
)

rollout_plan_events = Table(
    "rollout_plan_events",
    metadata,
    Column("plan_id", String(24), ForeignKey("rollout_plans.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("step", Integer, nullable=False),
    Column("percentage", Float, nullable=True),
    Column("reason", Text, nullable=False),
    Column("numbers", JSON, nullable=False),
    PrimaryKeyConstraint("plan_id", "seq", name="pk_rollout_plan_events"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=True, comment="None: every app of the tenant"),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False, comment="[]: every event type"),
    Column("secret", Text, nullable=False, comment="AES-GCM sealed under the settings' webhook_secret_key"),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Index("ix_webhook_subscriptions_tenant", "tenant_id"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("app_id", String(16), nullable=True),
    Column("type", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("data", Text, nullable=False, comment="canonical JSON"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True, comment="the order deliveries were made in"),
    Column("id", String(36), nullable=False, unique=True),
    Column("event_id", String(36), ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False),
    Column("subscription_id", String(24), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True, comment="None: delivered or dead"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Index("ix_webhook_deliveries_due", "next_attempt_at"),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "seq"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("delivery_id", String(36), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    PrimaryKeyConstraint("delivery_id", "attempt", name="pk_webhook_attempts"),
)
