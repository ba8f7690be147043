"""Device report event ids by hour: the worker forgets ids older than the idempotency window.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_device_report_ids_hour", "device_report_ids", ["hour"])


def downgrade() -> None:
    op.drop_index("ix_device_report_ids_hour", table_name="device_report_ids")
