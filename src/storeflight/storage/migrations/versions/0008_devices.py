"""Device credentials: delivery keys, per-device URLs (both stored hashed) and per-app device settings.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_keys",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), nullable=True, comment="None: every app of the tenant"),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column(
            "secret_hash", sa.String(64), nullable=False, unique=True, comment="sha256 of the key; never the key"
        ),
        sa.Column("rate_per_minute", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_delivery_keys_tenant_app", "delivery_keys", ["tenant_id", "app_id"])
    op.create_table(
        "device_urls",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, comment="sha256 of the URL token"),
        sa.Column("rate_per_minute", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(24), nullable=True, comment="the delivery key it was enrolled with"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_device_urls_app_customer", "device_urls", ["app_id", "customer_id"])
    op.create_table(
        "device_settings",
        sa.Column("app_id", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False, comment="anonymous delivery on the device endpoints"),
        sa.Column("hours_between_update_checks", sa.Integer, nullable=False),
        sa.Column("automatic_background_task", sa.Boolean, nullable=False),
        sa.Column("force_update_from_any_version", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("device_settings")
    op.drop_index("ix_device_urls_app_customer", table_name="device_urls")
    op.drop_table("device_urls")
    op.drop_index("ix_delivery_keys_tenant_app", table_name="delivery_keys")
    op.drop_table("delivery_keys")
