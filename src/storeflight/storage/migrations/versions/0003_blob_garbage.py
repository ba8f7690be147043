"""Blob garbage: upload archives of deleted and published submissions, waiting to be deleted.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_garbage",
        sa.Column("name", sa.String(128), primary_key=True, comment="a blob no submission needs any more"),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blob_garbage")
