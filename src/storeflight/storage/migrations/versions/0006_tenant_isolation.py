"""Per-app delivery versions (a change rebuilds only the snapshots it touches), the per-tenant blob ledger
that stored-bytes and package quotas count, and each tenant's membership count for the members quota.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "delivery_versions",
        sa.Column("app_id", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column(
            "state", sa.Integer, nullable=False, comment="bumped when published state, rollouts or flights change"
        ),
        sa.Column(
            "members", sa.Integer, nullable=False, comment="bumped when who is in the app's flight groups changes"
        ),
    )
    blobs = op.create_table(
        "stored_blobs",
        sa.Column("name", sa.String(128), primary_key=True, comment="an upload archive or a validated package"),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("is_package", sa.Boolean, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False, comment="bytes, as of the last committed upload"),
    )
    op.create_index("ix_stored_blobs_tenant", "stored_blobs", ["tenant_id", "is_package"])
    op.create_table(
        "tenant_usage",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("members", sa.BigInteger, nullable=False, comment="memberships across the tenant's flight groups"),
    )
    op.execute(
        sa.text(
            "INSERT INTO tenant_usage (tenant_id, members) SELECT g.tenant_id, COUNT(*) FROM group_members m "
            "JOIN flight_groups g ON g.id = m.group_id GROUP BY g.tenant_id"
        )
    )
    _backfill(versions, blobs)
    op.execute(sa.text("DELETE FROM settings WHERE key IN ('delivery_version', 'delivery_members_version')"))


def _backfill(versions: sa.Table, blobs: sa.Table) -> None:
    """Every app gets its versions; every submission's upload archive and kept packages their ledger rows
    (sizes of archives are unknown here and count from their next upload)."""
    conn = op.get_bind()
    apps = [
        {"app_id": a, "tenant_id": t, "state": 1, "members": 1}
        for a, t in conn.execute(sa.text("SELECT id, tenant_id FROM applications"))
    ]
    if apps:
        op.bulk_insert(versions, apps)
    rows: dict[str, dict[str, object]] = {}
    submissions = sa.table("submissions", sa.column("tenant_id"), sa.column("doc", sa.JSON))
    for tenant, doc in conn.execute(sa.select(submissions.c.tenant_id, submissions.c.doc)):
        upload = doc.get("upload_blob_id")
        if upload:
            rows.setdefault(upload, {"name": upload, "tenant_id": tenant, "is_package": False, "size": 0})
        for package in doc.get("packages", []):
            if package.get("id") and package.get("size"):
                name = f"pkg-{package['id']}"
                rows[name] = {"name": name, "tenant_id": tenant, "is_package": True, "size": package["size"]}
    if rows:
        op.bulk_insert(blobs, list(rows.values()))


def downgrade() -> None:
    op.drop_table("tenant_usage")
    op.drop_index("ix_stored_blobs_tenant", table_name="stored_blobs")
    op.drop_table("stored_blobs")
    op.drop_table("delivery_versions")
