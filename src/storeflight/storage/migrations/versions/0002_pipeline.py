"""Pipeline: scheduling and leases on submissions, fault injections, certification reports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("next_run_at", TZ, nullable=True, comment="when the pipeline looks at it next"))
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True, comment="the worker processing it now"))
        batch.add_column(sa.Column("lease_until", TZ, nullable=True))
        batch.create_index("ix_submissions_next_run", ["next_run_at"])
    op.create_table(
        "fault_injections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False, comment="the status at which the next submission fails"),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_fault_injections_app", "fault_injections", ["app_id"])
    op.create_table(
        "certification_reports",
        sa.Column("token", sa.String(64), primary_key=True, comment="unguessable; the report URL carries it"),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_certification_reports_submission_id", "certification_reports", ["submission_id"])


def downgrade() -> None:
    op.drop_table("certification_reports")
    op.drop_table("fault_injections")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_next_run")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("next_run_at")
