"""Fair claims: find the tenants with a stage running now (a live lease) without a full scan.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_lease", "submissions", ["lease_until", "tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_lease", table_name="submissions")
