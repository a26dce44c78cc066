"""resident record import and address matching

issue 3: department resident records (产权 owner, 户籍 registered, 流口 floating) matched
to households, their import batches, ownership changes (业主变动) and compound aliases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_import",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("new_records", sa.Integer(), nullable=False),
        sa.Column("seen_records", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("ambiguous", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("ownership_changes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "file_sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_resident_import_sha256_format")
        ),
        sa.CheckConstraint(
            "source IN ('owner', 'registered', 'floating')",
            name=op.f("ck_resident_import_source_known"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_resident_import_district_code_district"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_import")),
        sa.UniqueConstraint(
            "district_code",
            "source",
            "file_sha256",
            name=op.f("uq_resident_import_district_code_source_file_sha256"),
        ),
    )
    op.create_index(
        op.f("ix_resident_import_district_code"), "resident_import", ["district_code"], unique=False
    )
    op.create_table(
        "compound_alias",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "char_length(alias) BETWEEN 2 AND 40", name=op.f("ck_compound_alias_alias_length")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_compound_alias_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_compound_alias_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_compound_alias_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_compound_alias_street_code_street"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound_alias")),
        sa.UniqueConstraint(
            "compound_id", "alias", name=op.f("uq_compound_alias_compound_id_alias")
        ),
    )
    op.create_index(op.f("ix_compound_alias_alias"), "compound_alias", ["alias"], unique=False)
    op.create_index(
        op.f("ix_compound_alias_community_code"), "compound_alias", ["community_code"], unique=False
    )
    op.create_index(
        op.f("ix_compound_alias_compound_id"), "compound_alias", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_compound_alias_district_code"), "compound_alias", ["district_code"], unique=False
    )
    op.create_index(
        op.f("ix_compound_alias_street_code"), "compound_alias", ["street_code"], unique=False
    )
    op.create_table(
        "ownership_change",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("previous_record_ids", sa.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("new_record_ids", sa.ARRAY(sa.BigInteger()), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.community_code"],
            name=op.f("fk_ownership_change_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_ownership_change_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.district_code"],
            name=op.f("fk_ownership_change_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_ownership_change_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["resident_import.id"],
            name=op.f("fk_ownership_change_import_id_resident_import"),
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["street.street_code"],
            name=op.f("fk_ownership_change_street_code_street"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_change")),
        sa.UniqueConstraint(
            "household_id", "import_id", name=op.f("uq_ownership_change_household_id_import_id")
        ),
    )
    op.create_index(
        op.f("ix_ownership_change_changed_on"), "ownership_change", ["changed_on"], unique=False
    )
    op.create_index(
        op.f("ix_ownership_change_community_code"),
        "ownership_change",
        ["community_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ownership_change_compound_id"), "ownership_change", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_ownership_change_district_code"),
        "ownership_change",
        ["district_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ownership_change_household_id"), "ownership_change", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_ownership_change_street_code"), "ownership_change", ["street_code"], unique=False
    )
    op.create_table(
        "resident_record",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("first_import_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.BigInteger(), nullable=False),
        sa.Column("raw_address", sa.Text(), nullable=False),
        sa.Column("canonical_address", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("candidates", sa.ARRAY(sa.Integer()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True, comment="personal"),
        sa.Column("id_number", sa.String(length=18), nullable=False, comment="personal"),
        sa.Column("phone", sa.String(length=20), nullable=True, comment="personal"),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(status = 'matched') = (household_id IS NOT NULL) AND (status = 'ambiguous') = (candidates IS NOT NULL) AND (status = 'matched') = (reason IS NULL)",
            name=op.f("ck_resident_record_outcome_facts"),
        ),
        sa.CheckConstraint(
            "id_number ~ '^[0-9]{17}[0-9X]$'", name=op.f("ck_resident_record_id_number_format")
        ),
        sa.CheckConstraint(
            "source IN ('owner', 'registered', 'floating')",
            name=op.f("ck_resident_record_source_known"),
        ),
        sa.CheckConstraint(
            "status IN ('matched', 'ambiguous', 'unmatched')",
            name=op.f("ck_resident_record_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_record")),
        sa.UniqueConstraint(
            "district_code",
            "source",
            "record_key",
            name=op.f("uq_resident_record_district_code_source_record_key"),
        ),
    )
    op.create_index(
        op.f("ix_resident_record_community_code"),
        "resident_record",
        ["community_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resident_record_compound_id"), "resident_record", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_resident_record_household_id"), "resident_record", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_resident_record_street_code"), "resident_record", ["street_code"], unique=False
    )

    op.create_table(
        "resident_sighting",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_sighting")),
    )
    op.create_index(
        op.f("ix_resident_sighting_import_id"), "resident_sighting", ["import_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_resident_sighting_import_id"), table_name="resident_sighting")
    op.drop_table("resident_sighting")
    op.drop_index(op.f("ix_resident_record_street_code"), table_name="resident_record")
    op.drop_index(op.f("ix_resident_record_household_id"), table_name="resident_record")
    op.drop_index(op.f("ix_resident_record_compound_id"), table_name="resident_record")
    op.drop_index(op.f("ix_resident_record_community_code"), table_name="resident_record")
    op.drop_table("resident_record")
    op.drop_index(op.f("ix_ownership_change_street_code"), table_name="ownership_change")
    op.drop_index(op.f("ix_ownership_change_household_id"), table_name="ownership_change")
    op.drop_index(op.f("ix_ownership_change_district_code"), table_name="ownership_change")
    op.drop_index(op.f("ix_ownership_change_compound_id"), table_name="ownership_change")
    op.drop_index(op.f("ix_ownership_change_community_code"), table_name="ownership_change")
    op.drop_index(op.f("ix_ownership_change_changed_on"), table_name="ownership_change")
    op.drop_table("ownership_change")
    op.drop_index(op.f("ix_compound_alias_street_code"), table_name="compound_alias")
    op.drop_index(op.f("ix_compound_alias_district_code"), table_name="compound_alias")
    op.drop_index(op.f("ix_compound_alias_compound_id"), table_name="compound_alias")
    op.drop_index(op.f("ix_compound_alias_community_code"), table_name="compound_alias")
    op.drop_index(op.f("ix_compound_alias_alias"), table_name="compound_alias")
    op.drop_table("compound_alias")
    op.drop_index(op.f("ix_resident_import_district_code"), table_name="resident_import")
    op.drop_table("resident_import")
