"""compound index (三方强基指数) and early warning

issue 8: the indicator inputs that the compound table does not hold (volunteers,
deliberation and tripartite meetings, disputes and their mediation, quarterly
satisfaction surveys) and the quarterly index scores. Early-warning results (complaint
spikes, petition hot spots) are computed on request and not stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compound_index",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("leadership", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("cohesion", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("coordination", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("property", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("satisfaction", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("config_sha", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "quarter ~ '^[0-9]{4}Q[1-4]$'", name=op.f("ck_compound_index_quarter_format")
        ),
        sa.CheckConstraint(
            "leadership BETWEEN 0 AND 100 AND cohesion BETWEEN 0 AND 100 AND coordination BETWEEN 0 AND 100 AND property BETWEEN 0 AND 100 AND satisfaction BETWEEN 0 AND 100 AND total BETWEEN 0 AND 100",
            name=op.f("ck_compound_index_scores_range"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_compound_index_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_compound_index_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_compound_index_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_compound_index_street_code_street"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound_index")),
        sa.UniqueConstraint(
            "compound_id", "quarter", name=op.f("uq_compound_index_compound_id_quarter")
        ),
    )
    op.create_index(
        op.f("ix_compound_index_community_code"), "compound_index", ["community_code"], unique=False
    )
    op.create_index(
        op.f("ix_compound_index_compound_id"), "compound_index", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_compound_index_district_code"), "compound_index", ["district_code"], unique=False
    )
    op.create_index(op.f("ix_compound_index_quarter"), "compound_index", ["quarter"], unique=False)
    op.create_index(
        op.f("ix_compound_index_street_code"), "compound_index", ["street_code"], unique=False
    )
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "(outcome = 'pending') = (closed_on IS NULL)",
            name=op.f("ck_dispute_closed_iff_decided"),
        ),
        sa.CheckConstraint(
            "category IN ('property_fee', 'parking', 'renovation', 'noise', 'leak', 'public_space', 'other')",
            name=op.f("ck_dispute_category_known"),
        ),
        sa.CheckConstraint(
            "outcome IN ('mediated', 'failed', 'referred', 'pending')",
            name=op.f("ck_dispute_outcome_known"),
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= reported_on",
            name=op.f("ck_dispute_closed_after_report"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_dispute_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_dispute_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_dispute_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_dispute_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
    )
    op.create_index(op.f("ix_dispute_community_code"), "dispute", ["community_code"], unique=False)
    op.create_index(op.f("ix_dispute_compound_id"), "dispute", ["compound_id"], unique=False)
    op.create_index(op.f("ix_dispute_district_code"), "dispute", ["district_code"], unique=False)
    op.create_index(op.f("ix_dispute_reported_on"), "dispute", ["reported_on"], unique=False)
    op.create_index(op.f("ix_dispute_street_code"), "dispute", ["street_code"], unique=False)
    op.create_table(
        "governance_meeting",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.SmallInteger(), nullable=False),
        sa.Column("resolutions", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('deliberation', 'tripartite')", name=op.f("ck_governance_meeting_kind_known")
        ),
        sa.CheckConstraint("attendees > 0", name=op.f("ck_governance_meeting_attendees_positive")),
        sa.CheckConstraint(
            "resolutions >= 0", name=op.f("ck_governance_meeting_resolutions_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_governance_meeting_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_governance_meeting_compound_id_compound"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_governance_meeting_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_governance_meeting_street_code_street"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_meeting")),
    )
    op.create_index(
        op.f("ix_governance_meeting_community_code"),
        "governance_meeting",
        ["community_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_governance_meeting_compound_id"),
        "governance_meeting",
        ["compound_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_governance_meeting_district_code"),
        "governance_meeting",
        ["district_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_governance_meeting_held_on"), "governance_meeting", ["held_on"], unique=False
    )
    op.create_index(
        op.f("ix_governance_meeting_street_code"),
        "governance_meeting",
        ["street_code"],
        unique=False,
    )
    op.create_table(
        "satisfaction_survey",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("surveyed_on", sa.Date(), nullable=False),
        sa.Column("respondents", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.CheckConstraint(
            "quarter ~ '^[0-9]{4}Q[1-4]$'", name=op.f("ck_satisfaction_survey_quarter_format")
        ),
        sa.CheckConstraint(
            "respondents > 0", name=op.f("ck_satisfaction_survey_respondents_positive")
        ),
        sa.CheckConstraint(
            "score BETWEEN 0 AND 100", name=op.f("ck_satisfaction_survey_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_satisfaction_survey_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_satisfaction_survey_compound_id_compound"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_satisfaction_survey_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_satisfaction_survey_street_code_street"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_survey")),
        sa.UniqueConstraint(
            "compound_id", "quarter", name=op.f("uq_satisfaction_survey_compound_id_quarter")
        ),
    )
    op.create_index(
        op.f("ix_satisfaction_survey_community_code"),
        "satisfaction_survey",
        ["community_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_satisfaction_survey_compound_id"),
        "satisfaction_survey",
        ["compound_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_satisfaction_survey_district_code"),
        "satisfaction_survey",
        ["district_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_satisfaction_survey_street_code"),
        "satisfaction_survey",
        ["street_code"],
        unique=False,
    )
    op.create_table(
        "volunteer",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("is_party_member", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= registered_on",
            name=op.f("ck_volunteer_left_after_joined"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_volunteer_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_volunteer_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_volunteer_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_volunteer_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
    )
    op.create_index(
        op.f("ix_volunteer_community_code"), "volunteer", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_volunteer_compound_id"), "volunteer", ["compound_id"], unique=False)
    op.create_index(
        op.f("ix_volunteer_district_code"), "volunteer", ["district_code"], unique=False
    )
    op.create_index(op.f("ix_volunteer_street_code"), "volunteer", ["street_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_volunteer_street_code"), table_name="volunteer")
    op.drop_index(op.f("ix_volunteer_district_code"), table_name="volunteer")
    op.drop_index(op.f("ix_volunteer_compound_id"), table_name="volunteer")
    op.drop_index(op.f("ix_volunteer_community_code"), table_name="volunteer")
    op.drop_table("volunteer")
    op.drop_index(op.f("ix_satisfaction_survey_street_code"), table_name="satisfaction_survey")
    op.drop_index(op.f("ix_satisfaction_survey_district_code"), table_name="satisfaction_survey")
    op.drop_index(op.f("ix_satisfaction_survey_compound_id"), table_name="satisfaction_survey")
    op.drop_index(op.f("ix_satisfaction_survey_community_code"), table_name="satisfaction_survey")
    op.drop_table("satisfaction_survey")
    op.drop_index(op.f("ix_governance_meeting_street_code"), table_name="governance_meeting")
    op.drop_index(op.f("ix_governance_meeting_held_on"), table_name="governance_meeting")
    op.drop_index(op.f("ix_governance_meeting_district_code"), table_name="governance_meeting")
    op.drop_index(op.f("ix_governance_meeting_compound_id"), table_name="governance_meeting")
    op.drop_index(op.f("ix_governance_meeting_community_code"), table_name="governance_meeting")
    op.drop_table("governance_meeting")
    op.drop_index(op.f("ix_dispute_street_code"), table_name="dispute")
    op.drop_index(op.f("ix_dispute_reported_on"), table_name="dispute")
    op.drop_index(op.f("ix_dispute_district_code"), table_name="dispute")
    op.drop_index(op.f("ix_dispute_compound_id"), table_name="dispute")
    op.drop_index(op.f("ix_dispute_community_code"), table_name="dispute")
    op.drop_table("dispute")
    op.drop_index(op.f("ix_compound_index_street_code"), table_name="compound_index")
    op.drop_index(op.f("ix_compound_index_quarter"), table_name="compound_index")
    op.drop_index(op.f("ix_compound_index_district_code"), table_name="compound_index")
    op.drop_index(op.f("ix_compound_index_compound_id"), table_name="compound_index")
    op.drop_index(op.f("ix_compound_index_community_code"), table_name="compound_index")
    op.drop_table("compound_index")
