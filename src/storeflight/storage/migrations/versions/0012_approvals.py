"""Approvals: roles of API clients, approval rules and pending changes.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_roles",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "approval_rules",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), nullable=False),
        sa.Column("flight_id", sa.String(36), nullable=True, comment="None: every line of the app"),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("approvals", sa.Integer, nullable=False),
        sa.Column("role", sa.String(64), nullable=False, comment="'' for any client of the tenant"),
        sa.Column("above_percentage", sa.Float, nullable=True),
        sa.Column("allow_self_approval", sa.Boolean, nullable=False),
        sa.Column("expires_after_seconds", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_approval_rules_app", "approval_rules", ["tenant_id", "app_id"])
    op.create_table(
        "pending_changes",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.JSON, nullable=False, comment="the whole change: parameters, requirement, approvals"),
    )
    op.create_index("ix_pending_changes_tenant", "pending_changes", ["tenant_id", "status", "requested_at"])
    op.create_index("ix_pending_changes_submission", "pending_changes", ["submission_id", "action", "status"])


def downgrade() -> None:
    op.drop_table("pending_changes")
    op.drop_table("approval_rules")
    op.drop_table("client_roles")
