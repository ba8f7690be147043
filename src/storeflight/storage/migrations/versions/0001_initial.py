"""Initial schema: settings, clients, applications, flight groups, flights, submissions, events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column(
            "secret_hash", sa.String(128), nullable=False, comment="sha256 of the secret; the secret is never stored"
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_index("ix_clients_tenant_id", "clients", ["tenant_id"])
    op.create_table(
        "applications",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_applications_tenant_created", "applications", ["tenant_id", "created_at", "id"])
    op.create_table(
        "flight_groups",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_flight_groups_tenant_id", "flight_groups", ["tenant_id"])
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(24), sa.ForeignKey("flight_groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member", sa.String(320), primary_key=True),
    )
    _flights()
    _submissions()


def _flights() -> None:
    op.create_table(
        "flights",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("friendly_name", sa.String(256), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("app_id", "friendly_name", name="uq_flights_app_name"),
    )
    op.create_index("ix_flights_app", "flights", ["app_id"])
    op.create_table(
        "flight_group_links",
        sa.Column("flight_id", sa.String(36), sa.ForeignKey("flights.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("group_id", sa.String(24), sa.ForeignKey("flight_groups.id"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_flight_group_links_group", "flight_group_links", ["group_id"])


def _submissions() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("flight_id", sa.String(36), sa.ForeignKey("flights.id", ondelete="CASCADE"), nullable=True),
        sa.Column("parent_key", sa.String(64), nullable=False, comment="flight:<id> or app:<id>"),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("is_pending", sa.Boolean, nullable=False),
        sa.Column("published_at", TZ, nullable=True),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    pending = sa.text("is_pending = true")
    op.create_index(
        "uq_submissions_one_pending",
        "submissions",
        ["parent_key"],
        unique=True,
        sqlite_where=pending,
        postgresql_where=pending,
    )
    op.create_index("ix_submissions_parent_published", "submissions", ["parent_key", "published_at"])
    op.create_index("ix_submissions_status", "submissions", ["status"])
    op.create_table(
        "submission_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
    )
    op.create_index("ix_submission_events_submission_id", "submission_events", ["submission_id"])


def downgrade() -> None:
    for table in (
        "submission_events",
        "submissions",
        "flight_group_links",
        "flights",
        "group_members",
        "flight_groups",
        "applications",
        "clients",
        "settings",
    ):
        op.drop_table(table)
