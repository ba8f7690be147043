"""Rollout plans: one per submission (plan and state as JSON, the worker's schedule and lease) and their events.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rollout_plans",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), nullable=False),
        sa.Column("flight_id", sa.String(36), nullable=True),
        sa.Column(
            "submission_id",
            sa.String(24),
            sa.ForeignKey("submissions.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
            comment="one plan per submission",
        ),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("next_run_at", TZ, nullable=True, comment="when the worker looks next; None: nothing due"),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_rollout_plans_next_run", "rollout_plans", ["next_run_at"])
    op.create_index("ix_rollout_plans_tenant_app", "rollout_plans", ["tenant_id", "app_id"])
    op.create_table(
        "rollout_plan_events",
        sa.Column("plan_id", sa.String(24), sa.ForeignKey("rollout_plans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("percentage", sa.Float, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("numbers", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "seq", name="pk_rollout_plan_events"),
    )


def downgrade() -> None:
    op.drop_table("rollout_plan_events")
    op.drop_index("ix_rollout_plans_tenant_app", table_name="rollout_plans")
    op.drop_index("ix_rollout_plans_next_run", table_name="rollout_plans")
    op.drop_table("rollout_plans")
