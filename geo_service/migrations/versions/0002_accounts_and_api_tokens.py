"""accounts and API tokens: the minimum the OGC API and file exports need

An account has a role and an area (district, streets, communities or a set of compounds);
an API token is stored only as the SHA-256 of its secret. Issue 7 extends these tables
(sessions, row-level security, audit) rather than replacing them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:18:49
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("area_kind", sa.String(length=12), nullable=False),
        sa.Column(
            "area_codes",
            sa.ARRAY(sa.String(length=16)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(area_kind = 'district') = (cardinality(area_codes) = 0)",
            name=op.f("ck_account_area_codes_match_kind"),
        ),
        sa.CheckConstraint(
            "area_kind IN ('district', 'street', 'community', 'compounds')",
            name=op.f("ck_account_area_kind_known"),
        ),
        sa.CheckConstraint(
            "role IN ('district_leader', 'street_official', 'community_official', 'commissioner', 'planner', 'admin')",
            name=op.f("ck_account_role_known"),
        ),
        sa.CheckConstraint(
            "username ~ '^[A-Za-z0-9_.@-]{2,64}$'", name=op.f("ck_account_username_format")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("username", name=op.f("uq_account_username")),
    )
    op.create_index(op.f("ix_account_district_code"), "account", ["district_code"], unique=False)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "token_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_api_token_token_hash_format")
        ),
        sa.CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at",
            name=op.f("ck_api_token_expiry_after_creation"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_api_token_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_account_id"), "api_token", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_api_token_district_code"), "api_token", ["district_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_api_token_district_code"), table_name="api_token")
    op.drop_index(op.f("ix_api_token_account_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_index(op.f("ix_account_district_code"), table_name="account")
    op.drop_table("account")
