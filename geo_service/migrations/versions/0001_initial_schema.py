"""initial schema: districts to households, people, events and grids (PostGIS, EPSG:4326)

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:50:21.320177
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "district",
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("district_code ~ '^[0-9]{6}$'", name=op.f("ck_district_code_format")),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_district_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_district_geom_valid")),
        sa.PrimaryKeyConstraint("district_code", name=op.f("pk_district")),
    )
    op.create_index("ix_district_geom", "district", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "street",
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("street_code ~ '^[0-9]{9}$'", name=op.f("ck_street_code_format")),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_street_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_street_geom_valid")),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_street_district_code_district"),
        ),
        sa.PrimaryKeyConstraint("street_code", name=op.f("pk_street")),
        sa.UniqueConstraint("district_code", "name", name=op.f("uq_street_district_code_name")),
    )
    op.create_index(op.f("ix_street_district_code"), "street", ["district_code"], unique=False)
    op.create_index("ix_street_geom", "street", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "commissioner",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_commissioner_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_commissioner_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commissioner")),
    )
    op.create_index(
        op.f("ix_commissioner_district_code"), "commissioner", ["district_code"], unique=False
    )
    op.create_index(
        op.f("ix_commissioner_street_code"), "commissioner", ["street_code"], unique=False
    )
    op.create_table(
        "community",
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("community_code ~ '^[0-9]{12}$'", name=op.f("ck_community_code_format")),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_community_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_community_geom_valid")),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_community_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_community_street_code_street")
        ),
        sa.PrimaryKeyConstraint("community_code", name=op.f("pk_community")),
        sa.UniqueConstraint("district_code", "name", name=op.f("uq_community_district_code_name")),
    )
    op.create_index(
        op.f("ix_community_district_code"), "community", ["district_code"], unique=False
    )
    op.create_index(
        "ix_community_geom", "community", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index(op.f("ix_community_street_code"), "community", ["street_code"], unique=False)
    op.create_table(
        "compound",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year_built", sa.SmallInteger(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("has_party_branch", sa.Boolean(), nullable=False),
        sa.Column("party_branch_name", sa.Text(), nullable=True),
        sa.Column("commissioner_id", sa.Integer(), nullable=True),
        sa.Column("oc_formed", sa.Boolean(), nullable=False),
        sa.Column("oc_term_end", sa.Date(), nullable=True),
        sa.Column("oc_members", sa.SmallInteger(), nullable=True),
        sa.Column("oc_party_share", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column("property_service", sa.String(length=16), nullable=False),
        sa.Column("property_company", sa.Text(), nullable=True),
        sa.Column("fee_collection_rate", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column("star_rating", sa.SmallInteger(), nullable=True),
        sa.Column("income_disclosed", sa.Boolean(), nullable=False),
        sa.Column("e_voting", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(property_service = 'professional') = (property_company IS NOT NULL)",
            name=op.f("ck_compound_company_iff_professional"),
        ),
        sa.CheckConstraint(
            "kind IN ('commodity', 'old', 'resettlement')", name=op.f("ck_compound_kind_known")
        ),
        sa.CheckConstraint(
            "property_service IN ('professional', 'self_managed', 'none')",
            name=op.f("ck_compound_property_service_known"),
        ),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_compound_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_compound_geom_valid")),
        sa.CheckConstraint(
            "fee_collection_rate IS NULL OR fee_collection_rate BETWEEN 0 AND 1",
            name=op.f("ck_compound_fee_rate_range"),
        ),
        sa.CheckConstraint(
            "has_party_branch OR party_branch_name IS NULL",
            name=op.f("ck_compound_branch_name_needs_branch"),
        ),
        sa.CheckConstraint(
            "oc_formed = (oc_term_end IS NOT NULL AND oc_members IS NOT NULL AND oc_party_share IS NOT NULL)",
            name=op.f("ck_compound_oc_facts_iff_formed"),
        ),
        sa.CheckConstraint(
            "oc_members IS NULL OR oc_members BETWEEN 3 AND 15",
            name=op.f("ck_compound_oc_members_range"),
        ),
        sa.CheckConstraint(
            "oc_party_share IS NULL OR oc_party_share BETWEEN 0 AND 1",
            name=op.f("ck_compound_oc_party_share_range"),
        ),
        sa.CheckConstraint(
            "star_rating IS NULL OR star_rating BETWEEN 1 AND 5",
            name=op.f("ck_compound_star_rating_range"),
        ),
        sa.CheckConstraint(
            "year_built BETWEEN 1949 AND 2100", name=op.f("ck_compound_year_built_range")
        ),
        sa.ForeignKeyConstraint(
            ["commissioner_id"],
            ["commissioner.id"],
            name=op.f("fk_compound_commissioner_id_commissioner"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_compound_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_compound_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_compound_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound")),
        sa.UniqueConstraint("code", name=op.f("uq_compound_code")),
    )
    op.create_index(
        op.f("ix_compound_commissioner_id"), "compound", ["commissioner_id"], unique=False
    )
    op.create_index(
        op.f("ix_compound_community_code"), "compound", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_compound_district_code"), "compound", ["district_code"], unique=False)
    op.create_index("ix_compound_geom", "compound", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_compound_street_code"), "compound", ["street_code"], unique=False)
    op.create_table(
        "grid",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_grid_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_grid_geom_valid")),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_grid_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_grid_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_grid_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid")),
        sa.UniqueConstraint("code", name=op.f("uq_grid_code")),
    )
    op.create_index(op.f("ix_grid_community_code"), "grid", ["community_code"], unique=False)
    op.create_index(op.f("ix_grid_district_code"), "grid", ["district_code"], unique=False)
    op.create_index("ix_grid_geom", "grid", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_grid_street_code"), "grid", ["street_code"], unique=False)
    op.create_table(
        "building",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("floors", sa.SmallInteger(), nullable=False),
        sa.Column("units", sa.SmallInteger(), nullable=False),
        sa.Column("year_built", sa.SmallInteger(), nullable=False),
        sa.Column("has_elevator", sa.Boolean(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_building_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_building_geom_valid")),
        sa.CheckConstraint("floors BETWEEN 1 AND 80", name=op.f("ck_building_floors_range")),
        sa.CheckConstraint("units BETWEEN 1 AND 12", name=op.f("ck_building_units_range")),
        sa.CheckConstraint(
            "year_built BETWEEN 1949 AND 2100", name=op.f("ck_building_year_built_range")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_building_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_building_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_building_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_building_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        sa.UniqueConstraint("compound_id", "number", name=op.f("uq_building_compound_id_number")),
    )
    op.create_index(
        op.f("ix_building_community_code"), "building", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_building_compound_id"), "building", ["compound_id"], unique=False)
    op.create_index(op.f("ix_building_district_code"), "building", ["district_code"], unique=False)
    op.create_index("ix_building_geom", "building", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_building_street_code"), "building", ["street_code"], unique=False)
    op.create_table(
        "petition",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("petition_date", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "category IN ('property', 'housing', 'demolition', 'environment', 'neighbour', 'other')",
            name=op.f("ck_petition_category_known"),
        ),
        sa.CheckConstraint(
            "channel IN ('visit', 'letter', 'online', 'phone')",
            name=op.f("ck_petition_channel_known"),
        ),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_petition_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_petition_geom_valid")),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_petition_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_petition_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_petition_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_petition_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition")),
    )
    op.create_index(
        op.f("ix_petition_community_code"), "petition", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_petition_compound_id"), "petition", ["compound_id"], unique=False)
    op.create_index(op.f("ix_petition_district_code"), "petition", ["district_code"], unique=False)
    op.create_index("ix_petition_geom", "petition", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_petition_petition_date"), "petition", ["petition_date"], unique=False)
    op.create_index(op.f("ix_petition_street_code"), "petition", ["street_code"], unique=False)
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint(
            "category IN ('property_service', 'parking', 'sanitation', 'noise', 'facilities', 'greenery', 'security', 'neighbour', 'illegal_building', 'other')",
            name=op.f("ck_complaint_category_known"),
        ),
        sa.CheckConstraint(
            "channel IN ('mashangban', 'xieshangling', 'hotline_12345')",
            name=op.f("ck_complaint_channel_known"),
        ),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f("ck_complaint_geom_not_empty")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_complaint_geom_valid")),
        sa.CheckConstraint(
            "first_response_at IS NULL OR first_response_at >= created_at",
            name=op.f("ck_complaint_response_after_creation"),
        ),
        sa.CheckConstraint(
            "resolved_at IS NULL OR (first_response_at IS NOT NULL AND resolved_at >= first_response_at)",
            name=op.f("ck_complaint_resolved_after_response"),
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5 AND resolved_at IS NOT NULL)",
            name=op.f("ck_complaint_satisfaction_range"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_complaint_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_complaint_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_complaint_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_complaint_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_complaint_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    op.create_index(op.f("ix_complaint_building_id"), "complaint", ["building_id"], unique=False)
    op.create_index(
        op.f("ix_complaint_community_code"), "complaint", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_complaint_compound_id"), "complaint", ["compound_id"], unique=False)
    op.create_index(op.f("ix_complaint_created_at"), "complaint", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_complaint_district_code"), "complaint", ["district_code"], unique=False
    )
    op.create_index(
        "ix_complaint_geom", "complaint", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index(op.f("ix_complaint_street_code"), "complaint", ["street_code"], unique=False)
    op.create_table(
        "elevator_retrofit",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("intent_date", sa.Date(), nullable=False),
        sa.Column("consultation_date", sa.Date(), nullable=True),
        sa.Column("approved_date", sa.Date(), nullable=True),
        sa.Column("construction_date", sa.Date(), nullable=True),
        sa.Column("completed_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(stage = 'completed') = (completed_date IS NOT NULL) AND (stage IN ('construction','completed')) = (construction_date IS NOT NULL) AND (stage IN ('approved','construction','completed')) = (approved_date IS NOT NULL) AND (stage <> 'intent') = (consultation_date IS NOT NULL)",
            name=op.f("ck_elevator_retrofit_dates_match_stage"),
        ),
        sa.CheckConstraint(
            "stage IN ('intent', 'consultation', 'approved', 'construction', 'completed')",
            name=op.f("ck_elevator_retrofit_stage_known"),
        ),
        sa.CheckConstraint(
            "NOT ST_IsEmpty(geom)", name=op.f("ck_elevator_retrofit_geom_not_empty")
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_elevator_retrofit_geom_valid")),
        sa.CheckConstraint(
            "consultation_date IS NULL OR consultation_date >= intent_date",
            name=op.f("ck_elevator_retrofit_dates_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_elevator_retrofit_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_elevator_retrofit_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_elevator_retrofit_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_elevator_retrofit_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_elevator_retrofit_street_code_street"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elevator_retrofit")),
        sa.UniqueConstraint("building_id", name=op.f("uq_elevator_retrofit_building_id")),
    )
    op.create_index(
        op.f("ix_elevator_retrofit_community_code"),
        "elevator_retrofit",
        ["community_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_elevator_retrofit_compound_id"), "elevator_retrofit", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_elevator_retrofit_district_code"),
        "elevator_retrofit",
        ["district_code"],
        unique=False,
    )
    op.create_index(
        "ix_elevator_retrofit_geom",
        "elevator_retrofit",
        ["geom"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(
        op.f("ix_elevator_retrofit_street_code"), "elevator_retrofit", ["street_code"], unique=False
    )
    op.create_table(
        "party_member",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("in_register", sa.Boolean(), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("joined_year", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_party_member_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_party_member_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_party_member_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_party_member_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.street_code"], name=op.f("fk_party_member_street_code_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_member")),
    )
    op.create_index(
        op.f("ix_party_member_building_id"), "party_member", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_community_code"), "party_member", ["community_code"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_compound_id"), "party_member", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_district_code"), "party_member", ["district_code"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_street_code"), "party_member", ["street_code"], unique=False
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_unit_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_unit_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_unit_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_unit_district_code_district"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("building_id", "number", name=op.f("uq_unit_building_id_number")),
    )
    op.create_index(op.f("ix_unit_building_id"), "unit", ["building_id"], unique=False)
    op.create_index(op.f("ix_unit_community_code"), "unit", ["community_code"], unique=False)
    op.create_index(op.f("ix_unit_compound_id"), "unit", ["compound_id"], unique=False)
    op.create_index(op.f("ix_unit_district_code"), "unit", ["district_code"], unique=False)
    op.create_table(
        "building_captain",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("is_party_member", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(role = 'unit') = (unit_id IS NOT NULL)",
            name=op.f("ck_building_captain_unit_iff_unit_role"),
        ),
        sa.CheckConstraint(
            "role IN ('building', 'unit')", name=op.f("ck_building_captain_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_building_captain_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_building_captain_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_building_captain_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_building_captain_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_building_captain_street_code_street"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_building_captain_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building_captain")),
    )
    op.create_index(
        op.f("ix_building_captain_building_id"), "building_captain", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_building_captain_community_code"),
        "building_captain",
        ["community_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_building_captain_compound_id"), "building_captain", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_building_captain_district_code"),
        "building_captain",
        ["district_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_building_captain_street_code"), "building_captain", ["street_code"], unique=False
    )
    op.create_index(
        op.f("ix_building_captain_unit_id"), "building_captain", ["unit_id"], unique=False
    )
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=8), nullable=False),
        sa.Column("floor", sa.SmallInteger(), nullable=False),
        sa.Column("area_m2", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.CheckConstraint("area_m2 > 0", name=op.f("ck_household_area_positive")),
        sa.CheckConstraint("floor BETWEEN 1 AND 80", name=op.f("ck_household_floor_range")),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_household_district_code_district"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_household_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("unit_id", "room", name=op.f("uq_household_unit_id_room")),
    )
    op.create_index(op.f("ix_household_building_id"), "household", ["building_id"], unique=False)
    op.create_index(
        op.f("ix_household_community_code"), "household", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_household_compound_id"), "household", ["compound_id"], unique=False)
    op.create_index(
        op.f("ix_household_district_code"), "household", ["district_code"], unique=False
    )
    op.create_table(
        "resident",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "id_number ~ '^[0-9]{17}[0-9X]$'", name=op.f("ck_resident_id_number_format")
        ),
        sa.CheckConstraint(
            "source IN ('owner', 'registered', 'floating')", name=op.f("ck_resident_source_known")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_resident_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_resident_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident")),
    )
    op.create_index(
        op.f("ix_resident_community_code"), "resident", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_resident_compound_id"), "resident", ["compound_id"], unique=False)
    op.create_index(op.f("ix_resident_household_id"), "resident", ["household_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_resident_household_id"), table_name="resident")
    op.drop_index(op.f("ix_resident_compound_id"), table_name="resident")
    op.drop_index(op.f("ix_resident_community_code"), table_name="resident")
    op.drop_table("resident")
    op.drop_index(op.f("ix_household_district_code"), table_name="household")
    op.drop_index(op.f("ix_household_compound_id"), table_name="household")
    op.drop_index(op.f("ix_household_community_code"), table_name="household")
    op.drop_index(op.f("ix_household_building_id"), table_name="household")
    op.drop_table("household")
    op.drop_index(op.f("ix_building_captain_unit_id"), table_name="building_captain")
    op.drop_index(op.f("ix_building_captain_street_code"), table_name="building_captain")
    op.drop_index(op.f("ix_building_captain_district_code"), table_name="building_captain")
    op.drop_index(op.f("ix_building_captain_compound_id"), table_name="building_captain")
    op.drop_index(op.f("ix_building_captain_community_code"), table_name="building_captain")
    op.drop_index(op.f("ix_building_captain_building_id"), table_name="building_captain")
    op.drop_table("building_captain")
    op.drop_index(op.f("ix_unit_district_code"), table_name="unit")
    op.drop_index(op.f("ix_unit_compound_id"), table_name="unit")
    op.drop_index(op.f("ix_unit_community_code"), table_name="unit")
    op.drop_index(op.f("ix_unit_building_id"), table_name="unit")
    op.drop_table("unit")
    op.drop_index(op.f("ix_party_member_street_code"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_district_code"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_compound_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_community_code"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_building_id"), table_name="party_member")
    op.drop_table("party_member")
    op.drop_index(op.f("ix_elevator_retrofit_street_code"), table_name="elevator_retrofit")
    op.drop_index(
        "ix_elevator_retrofit_geom", table_name="elevator_retrofit", postgresql_using="gist"
    )
    op.drop_index(op.f("ix_elevator_retrofit_district_code"), table_name="elevator_retrofit")
    op.drop_index(op.f("ix_elevator_retrofit_compound_id"), table_name="elevator_retrofit")
    op.drop_index(op.f("ix_elevator_retrofit_community_code"), table_name="elevator_retrofit")
    op.drop_table("elevator_retrofit")
    op.drop_index(op.f("ix_complaint_street_code"), table_name="complaint")
    op.drop_index("ix_complaint_geom", table_name="complaint", postgresql_using="gist")
    op.drop_index(op.f("ix_complaint_district_code"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_created_at"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_compound_id"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_community_code"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_building_id"), table_name="complaint")
    op.drop_table("complaint")
    op.drop_index(op.f("ix_petition_street_code"), table_name="petition")
    op.drop_index(op.f("ix_petition_petition_date"), table_name="petition")
    op.drop_index("ix_petition_geom", table_name="petition", postgresql_using="gist")
    op.drop_index(op.f("ix_petition_district_code"), table_name="petition")
    op.drop_index(op.f("ix_petition_compound_id"), table_name="petition")
    op.drop_index(op.f("ix_petition_community_code"), table_name="petition")
    op.drop_table("petition")
    op.drop_index(op.f("ix_building_street_code"), table_name="building")
    op.drop_index("ix_building_geom", table_name="building", postgresql_using="gist")
    op.drop_index(op.f("ix_building_district_code"), table_name="building")
    op.drop_index(op.f("ix_building_compound_id"), table_name="building")
    op.drop_index(op.f("ix_building_community_code"), table_name="building")
    op.drop_table("building")
    op.drop_index(op.f("ix_grid_street_code"), table_name="grid")
    op.drop_index("ix_grid_geom", table_name="grid", postgresql_using="gist")
    op.drop_index(op.f("ix_grid_district_code"), table_name="grid")
    op.drop_index(op.f("ix_grid_community_code"), table_name="grid")
    op.drop_table("grid")
    op.drop_index(op.f("ix_compound_street_code"), table_name="compound")
    op.drop_index("ix_compound_geom", table_name="compound", postgresql_using="gist")
    op.drop_index(op.f("ix_compound_district_code"), table_name="compound")
    op.drop_index(op.f("ix_compound_community_code"), table_name="compound")
    op.drop_index(op.f("ix_compound_commissioner_id"), table_name="compound")
    op.drop_table("compound")
    op.drop_index(op.f("ix_community_street_code"), table_name="community")
    op.drop_index("ix_community_geom", table_name="community", postgresql_using="gist")
    op.drop_index(op.f("ix_community_district_code"), table_name="community")
    op.drop_table("community")
    op.drop_index(op.f("ix_commissioner_street_code"), table_name="commissioner")
    op.drop_index(op.f("ix_commissioner_district_code"), table_name="commissioner")
    op.drop_table("commissioner")
    op.drop_index("ix_street_geom", table_name="street", postgresql_using="gist")
    op.drop_index(op.f("ix_street_district_code"), table_name="street")
    op.drop_table("street")
    op.drop_index("ix_district_geom", table_name="district", postgresql_using="gist")
    op.drop_table("district")
