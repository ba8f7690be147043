"""Published versions: per line and architecture, every package version a published submission carried,
for the rule that a new package must be higher than all of them. Filled from the submissions published so far.

Revision ID: 0005
Revises: 0004
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from storeflight.domain import versions
from storeflight.domain.models import Package

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "published_versions",
        sa.Column("parent_key", sa.String(64), nullable=False, comment="the line: flight:<id> or app:<id>"),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column(
            "architecture", sa.String(32), nullable=False, comment="lower case; a bundle has a row per payload's"
        ),
        sa.Column("version_key", sa.String(64), nullable=False, comment="zero-padded parts: sorts like the version"),
        sa.PrimaryKeyConstraint("submission_id", "architecture", "version_key", name="pk_published_versions"),
    )
    op.create_index("ix_published_versions_line", "published_versions", ["parent_key", "architecture", "version_key"])
    submissions = sa.table(
        "submissions", sa.column("id"), sa.column("parent_key"), sa.column("published_at"), sa.column("doc", sa.JSON)
    )
    found = op.get_bind().execute(
        sa.select(submissions.c.id, submissions.c.parent_key, submissions.c.doc).where(
            submissions.c.published_at.is_not(None)
        )
    )
    rows = [row for sid, key, doc in found for row in _rows(sid, key, doc)]
    if rows:
        op.bulk_insert(table, rows)


def _rows(submission_id: str, parent_key: str, doc: dict[str, Any]) -> list[dict[str, str]]:
    packages = [Package.model_validate(p) for p in doc.get("packages") or []]
    keys = {(arch, versions.sort_key(p.version)) for p in packages if p.version for arch in versions.covered(p)}
    return [
        {"parent_key": parent_key, "submission_id": submission_id, "architecture": a, "version_key": k}
        for a, k in sorted(keys)
    ]


def downgrade() -> None:
    op.drop_index("ix_published_versions_line", table_name="published_versions")
    op.drop_table("published_versions")
