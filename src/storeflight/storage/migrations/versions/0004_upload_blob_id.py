"""Submissions record their upload blob in a column of its own, so an upload finds its tenant by index.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("upload_blob_id", sa.String(64), nullable=True, comment="the blob behind fileUploadUrl")
        )
    submissions = sa.table("submissions", sa.column("id", sa.String), sa.column("doc", sa.JSON))
    blob = sa.table("submissions", sa.column("id", sa.String), sa.column("upload_blob_id", sa.String))
    conn = op.get_bind()
    for row in conn.execute(sa.select(submissions.c.id, submissions.c.doc)).all():
        name = (row.doc or {}).get("upload_blob_id")
        if name:
            conn.execute(sa.update(blob).where(blob.c.id == row.id).values(upload_blob_id=name))
    op.create_index("ix_submissions_upload_blob", "submissions", ["upload_blob_id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_upload_blob", "submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("upload_blob_id")
