"""the commissioner's patch: complaint actions, page visits, marking rights

issue 6: ``complaint_action`` (who marked a complaint's first response or resolution, and
when) and ``patch_visit`` (when each account last opened /patch). The application role
may now set ``first_response_at`` and ``resolved_at`` of complaints (and nothing else of
them), insert complaint actions and keep its own visits; row-level security (``FOR ALL``
with ``WITH CHECK``) limits every such write to the principal's area.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geo_service import rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APP = rls.APP_ROLE
AREA_COLUMNS = ["district_code", "street_code", "community_code", "compound_id"]


def upgrade() -> None:
    op.create_table(
        "complaint_action",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("action IN ('first_response', 'resolved')", name=op.f("ck_complaint_action_action_known")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_complaint_action_account_id_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["community_code"], ["community.community_code"], name=op.f("fk_complaint_action_community_code_community")),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], name=op.f("fk_complaint_action_complaint_id_complaint"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_complaint_action_compound_id_compound")),
        sa.ForeignKeyConstraint(["district_code"], ["district.district_code"], name=op.f("fk_complaint_action_district_code_district")),
        sa.ForeignKeyConstraint(["street_code"], ["street.street_code"], name=op.f("fk_complaint_action_street_code_street")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_action")),
    )  # fmt: skip
    for col in ("account_id", "community_code", "complaint_id", "compound_id", "district_code",
                "street_code"):  # fmt: skip
        op.create_index(op.f(f"ix_complaint_action_{col}"), "complaint_action", [col])
    op.create_table(
        "patch_visit",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_patch_visit_account_id_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_patch_visit")),
    )  # fmt: skip
    op.create_index(op.f("ix_patch_visit_district_code"), "patch_visit", ["district_code"])

    for stmt in rls.enable_statements("complaint_action", AREA_COLUMNS + ["complaint_id"]):
        op.execute(stmt)
    for stmt in rls.enable_statements("patch_visit", ["account_id", "district_code"]):
        op.execute(stmt)
    op.execute(
        f"""GRANT UPDATE (first_response_at, resolved_at) ON complaint TO {APP};
            GRANT INSERT ON complaint_action TO {APP};
            GRANT INSERT, UPDATE ON patch_visit TO {APP};"""
    )


def downgrade() -> None:
    op.execute(f"REVOKE UPDATE (first_response_at, resolved_at) ON complaint FROM {APP}")
    for table in ("patch_visit", "complaint_action"):
        for stmt in rls.disable_statements(table):
            op.execute(stmt)
    op.drop_index(op.f("ix_patch_visit_district_code"), table_name="patch_visit")
    op.drop_table("patch_visit")
    for col in ("account_id", "community_code", "complaint_id", "compound_id", "district_code",
                "street_code"):  # fmt: skip
        op.drop_index(op.f(f"ix_complaint_action_{col}"), table_name="complaint_action")
    op.drop_table("complaint_action")
