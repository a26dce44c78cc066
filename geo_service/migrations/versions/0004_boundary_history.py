"""compound boundary history and boundary-check problems

issue 3: boundary versions (history, never overwritten) and the latest topology report.
Compounds already in the database get version 1 (source ``initial``) from compound.geom,
dated from the day of the upgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _geo_checks(table: str) -> list:
    return [
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f(f"ck_{table}_geom_valid")),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=op.f(f"ck_{table}_geom_not_empty")),
    ]


def upgrade() -> None:
    op.create_table(
        "compound_boundary",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "geom",
            Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        *_geo_checks("compound_boundary"),
        sa.CheckConstraint(
            "source IN ('initial', 'draw', 'import')",
            name=op.f("ck_compound_boundary_source_known"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_compound_boundary_version_positive")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_compound_boundary_valid_period"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_compound_boundary_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_compound_boundary_street_code_street"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_compound_boundary_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_compound_boundary_compound_id_compound")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound_boundary")),
        sa.UniqueConstraint(
            "compound_id", "version", name=op.f("uq_compound_boundary_compound_id_version")
        ),
    )
    for col in ("district_code", "street_code", "community_code", "compound_id"):
        op.create_index(op.f(f"ix_compound_boundary_{col}"), "compound_boundary", [col])
    op.create_index(
        "ix_compound_boundary_geom", "compound_boundary", ["geom"], postgresql_using="gist"
    )
    op.create_index(
        "ix_compound_boundary_current",
        "compound_boundary",
        ["compound_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )

    op.create_table(
        "boundary_problem",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("other_compound_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("area_m2", sa.Numeric(14, 2), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        *_geo_checks("boundary_problem"),
        sa.CheckConstraint(
            "kind IN ('overlap', 'building_in_none', 'building_in_two', 'building_elsewhere', "
            "'crosses_community', 'crosses_street', 'invalid', 'sliver', 'gap')",
            name=op.f("ck_boundary_problem_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_boundary_problem_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_boundary_problem_street_code_street"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_boundary_problem_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_boundary_problem_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["other_compound_id"],
            ["compound.id"],
            name=op.f("fk_boundary_problem_other_compound_id_compound"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_boundary_problem_building_id_building")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boundary_problem")),
    )
    for col in (
        "district_code",
        "street_code",
        "community_code",
        "compound_id",
        "other_compound_id",
        "building_id",
        "kind",
    ):
        op.create_index(op.f(f"ix_boundary_problem_{col}"), "boundary_problem", [col])
    op.create_index(
        "ix_boundary_problem_geom", "boundary_problem", ["geom"], postgresql_using="gist"
    )

    # History starts with the boundaries compounds already have.
    op.execute(
        "INSERT INTO compound_boundary (district_code, street_code, community_code, compound_id,"
        " version, valid_from, geom, source, note)"
        " SELECT district_code, street_code, community_code, id, 1, current_date, geom,"
        " 'initial', '迁移时已有的边界' FROM compound"
    )


def downgrade() -> None:
    op.drop_table("boundary_problem")
    op.drop_table("compound_boundary")
