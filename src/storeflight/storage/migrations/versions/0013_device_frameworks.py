"""Device settings: where the framework packages an app depends on live, for App Installer files.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_settings") as batch:
        comment = "JSON: framework packages' URLs"
        batch.add_column(sa.Column("frameworks", sa.Text, nullable=False, server_default="[]", comment=comment))


def downgrade() -> None:
    with op.batch_alter_table("device_settings") as batch:
        batch.drop_column("frameworks")
