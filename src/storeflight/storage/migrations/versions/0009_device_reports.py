"""Device reports: event ids (idempotency), one state row per device, and counters per hour and cohort.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_report_ids",
        sa.Column("key", sa.LargeBinary(16), primary_key=True, comment="BLAKE2b of app, device and event id"),
        sa.Column("hour", sa.Integer, nullable=False, comment="hours since the epoch when it was received"),
    )
    op.create_table(
        "device_states",
        sa.Column("app_id", sa.String(16), primary_key=True),
        sa.Column(
            "device", sa.LargeBinary(16), primary_key=True, comment="BLAKE2b of the customer id: the id is not kept"
        ),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("line", sa.String(36), nullable=False, comment="the flight id, or '' for the non-flighted line"),
        sa.Column("rollout_submission_id", sa.String(24), nullable=False),
        sa.Column("cohort", sa.String(8), nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=False, comment="of the version last reported ('' unknown)"),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("hour", sa.Integer, nullable=False, comment="when it last reported"),
        sa.Column("counted", sa.Text, nullable=False, comment="the rows its device was counted in during that hour"),
    )
    op.create_index(
        "ix_device_states_line", "device_states", ["app_id", "line", "rollout_submission_id", "cohort", "version"]
    )
    op.create_table(
        "device_report_hours",
        sa.Column("app_id", sa.String(16), nullable=False),
        sa.Column("line", sa.String(36), nullable=False),
        sa.Column("rollout_submission_id", sa.String(24), nullable=False),
        sa.Column("cohort", sa.String(8), nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        *(
            sa.Column(name, sa.BigInteger, nullable=False)
            for name in ("devices", "installs", "update_failures", "launches", "crashes", "heartbeats")
        ),
        sa.PrimaryKeyConstraint(
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


def downgrade() -> None:
    op.drop_table("device_report_hours")
    op.drop_index("ix_device_states_line", table_name="device_states")
    op.drop_table("device_states")
    op.drop_table("device_report_ids")
