"""SQLAlchemy/GeoAlchemy2 models: the schema that the Alembic migrations create.

Every table carries ``district_code`` (the distribution key a province-scale Citus
deployment would shard on). Person and event tables also carry the street, community and
compound keys as plain indexed columns, so that area scoping is a simple indexed filter.
Geometry is EPSG:4326, valid (checked) and GiST-indexed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from . import enums

SRID = 4326

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _geom(kind: str) -> Mapped:
    return mapped_column(Geometry(kind, srid=SRID, spatial_index=False), nullable=False)


def _geo_checks(table: str) -> tuple:
    return (
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint("NOT ST_IsEmpty(geom)", name="geom_not_empty"),
        Index(f"ix_{table}_geom", "geom", postgresql_using="gist"),
    )


def _district() -> Mapped[str]:
    return mapped_column(
        String(6), ForeignKey("district.district_code"), nullable=False, index=True
    )


def _street() -> Mapped[str]:
    return mapped_column(String(9), ForeignKey("street.street_code"), nullable=False, index=True)


def _community() -> Mapped[str]:
    return mapped_column(
        String(12), ForeignKey("community.community_code"), nullable=False, index=True
    )


def _compound() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("compound.id"), nullable=False, index=True)


def _pk() -> Mapped[int]:
    return mapped_column(Integer, Identity(), primary_key=True)


class District(Base):
    """区: the top of the hierarchy (adcode, e.g. 330105 拱墅区)."""

    __tablename__ = "district"
    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    geom = _geom("MULTIPOLYGON")
    __table_args__ = (
        *_geo_checks("district"),
        CheckConstraint("district_code ~ '^[0-9]{6}$'", name="code_format"),
    )


class Street(Base):
    """街道: 9-digit code (district adcode + 3)."""

    __tablename__ = "street"
    street_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    district_code: Mapped[str] = _district()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    geom = _geom("MULTIPOLYGON")
    __table_args__ = (
        *_geo_checks("street"),
        CheckConstraint("street_code ~ '^[0-9]{9}$'", name="code_format"),
        UniqueConstraint("district_code", "name"),
    )


class Community(Base):
    """社区: 12-digit code (street code + 3)."""

    __tablename__ = "community"
    community_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    geom = _geom("MULTIPOLYGON")
    __table_args__ = (
        *_geo_checks("community"),
        CheckConstraint("community_code ~ '^[0-9]{12}$'", name="code_format"),
        UniqueConstraint("district_code", "name"),
    )


class Commissioner(Base):
    """小区专员: serves one or a few compounds (compound.commissioner_id)."""

    __tablename__ = "commissioner"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    phone: Mapped[str] = mapped_column(String(11), nullable=False)


class Compound(Base):
    """小区 with its tripartite governance facts (party branch, 业委会, 物业)."""

    __tablename__ = "compound"
    id: Mapped[int] = _pk()
    code: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    year_built: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    geom = _geom("MULTIPOLYGON")
    has_party_branch: Mapped[bool] = mapped_column(Boolean, nullable=False)
    party_branch_name: Mapped[str | None] = mapped_column(Text)
    commissioner_id: Mapped[int | None] = mapped_column(ForeignKey("commissioner.id"), index=True)
    oc_formed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    oc_term_end: Mapped[dt.date | None] = mapped_column(Date)
    oc_members: Mapped[int | None] = mapped_column(SmallInteger)
    oc_party_share: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    property_service: Mapped[str] = mapped_column(String(16), nullable=False)
    property_company: Mapped[str | None] = mapped_column(Text)
    fee_collection_rate: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    star_rating: Mapped[int | None] = mapped_column(SmallInteger)
    income_disclosed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    e_voting: Mapped[bool] = mapped_column(Boolean, nullable=False)
    __table_args__ = (
        *_geo_checks("compound"),
        CheckConstraint(enums.check_in("kind", enums.COMPOUND_KIND), name="kind_known"),
        CheckConstraint(
            enums.check_in("property_service", enums.PROPERTY_SERVICE),
            name="property_service_known",
        ),
        CheckConstraint(
            "oc_formed = (oc_term_end IS NOT NULL AND oc_members IS NOT NULL AND oc_party_share IS NOT NULL)",
            name="oc_facts_iff_formed",
        ),
        CheckConstraint(
            "oc_members IS NULL OR oc_members BETWEEN 3 AND 15", name="oc_members_range"
        ),
        CheckConstraint(
            "oc_party_share IS NULL OR oc_party_share BETWEEN 0 AND 1", name="oc_party_share_range"
        ),
        CheckConstraint(
            "(property_service = 'professional') = (property_company IS NOT NULL)",
            name="company_iff_professional",
        ),
        CheckConstraint(
            "fee_collection_rate IS NULL OR fee_collection_rate BETWEEN 0 AND 1",
            name="fee_rate_range",
        ),
        CheckConstraint(
            "star_rating IS NULL OR star_rating BETWEEN 1 AND 5", name="star_rating_range"
        ),
        CheckConstraint("year_built BETWEEN 1949 AND 2100", name="year_built_range"),
        CheckConstraint(
            "has_party_branch OR party_branch_name IS NULL", name="branch_name_needs_branch"
        ),
    )


class Building(Base):
    """楼栋: footprint polygon inside its compound."""

    __tablename__ = "building"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    floors: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    units: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    year_built: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    has_elevator: Mapped[bool] = mapped_column(Boolean, nullable=False)
    geom = _geom("POLYGON")
    __table_args__ = (
        *_geo_checks("building"),
        UniqueConstraint("compound_id", "number"),
        CheckConstraint("floors BETWEEN 1 AND 80", name="floors_range"),
        CheckConstraint("units BETWEEN 1 AND 12", name="units_range"),
        CheckConstraint("year_built BETWEEN 1949 AND 2100", name="year_built_range"),
    )


class Unit(Base):
    """单元/楼道: a stairway of a building."""

    __tablename__ = "unit"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    __table_args__ = (UniqueConstraint("building_id", "number"),)


class Household(Base):
    """户/房屋: a room (e.g. 501) in a unit."""

    __tablename__ = "household"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    community_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    compound_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    building_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    room: Mapped[str] = mapped_column(String(8), nullable=False)
    floor: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    area_m2: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    __table_args__ = (
        UniqueConstraint("unit_id", "room"),
        CheckConstraint("floor BETWEEN 1 AND 80", name="floor_range"),
        CheckConstraint("area_m2 > 0", name="area_positive"),
    )


class Resident(Base):
    """居民: one record from one department list (产权/户籍/流口), attached to a household."""

    __tablename__ = "resident"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    community_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    compound_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id"), nullable=False, index=True
    )
    source: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(11))
    id_number: Mapped[str] = mapped_column(String(18), nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        CheckConstraint(enums.check_in("source", enums.RESIDENT_SOURCE), name="source_known"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        CheckConstraint("id_number ~ '^[0-9]{17}[0-9X]$'", name="id_number_format"),
    )


class PartyMember(Base):
    """党员, placed at the building where they live."""

    __tablename__ = "party_member"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    phone: Mapped[str] = mapped_column(String(11), nullable=False)
    in_register: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reported: Mapped[bool] = mapped_column(Boolean, nullable=False)
    joined_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)


class BuildingCaptain(Base):
    """楼栋长 (a building) or 楼道长 (a unit)."""

    __tablename__ = "building_captain"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    phone: Mapped[str] = mapped_column(String(11), nullable=False)
    is_party_member: Mapped[bool] = mapped_column(Boolean, nullable=False)
    __table_args__ = (
        CheckConstraint(enums.check_in("role", enums.CAPTAIN_ROLE), name="role_known"),
        CheckConstraint("(role = 'unit') = (unit_id IS NOT NULL)", name="unit_iff_unit_role"),
    )


class Complaint(Base):
    """投诉 from 码上办, 协商铃 or the 12345 hotline."""

    __tablename__ = "complaint"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    geom = _geom("POINT")
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    __table_args__ = (
        *_geo_checks("complaint"),
        CheckConstraint(enums.check_in("channel", enums.COMPLAINT_CHANNEL), name="channel_known"),
        CheckConstraint(
            enums.check_in("category", enums.COMPLAINT_CATEGORY), name="category_known"
        ),
        CheckConstraint(
            "first_response_at IS NULL OR first_response_at >= created_at",
            name="response_after_creation",
        ),
        CheckConstraint(
            "resolved_at IS NULL OR (first_response_at IS NOT NULL AND resolved_at >= first_response_at)",
            name="resolved_after_response",
        ),
        CheckConstraint(
            "satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5 AND resolved_at IS NOT NULL)",
            name="satisfaction_range",
        ),
    )


class Petition(Base):
    """信访."""

    __tablename__ = "petition"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    geom = _geom("POINT")
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    petition_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    __table_args__ = (
        *_geo_checks("petition"),
        CheckConstraint(enums.check_in("category", enums.PETITION_CATEGORY), name="category_known"),
        CheckConstraint(enums.check_in("channel", enums.PETITION_CHANNEL), name="channel_known"),
    )


class ElevatorRetrofit(Base):
    """加装电梯: one project per building, with the date each stage was reached."""

    __tablename__ = "elevator_retrofit"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, unique=True)
    geom = _geom("POINT")
    stage: Mapped[str] = mapped_column(String(16), nullable=False)
    intent_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    consultation_date: Mapped[dt.date | None] = mapped_column(Date)
    approved_date: Mapped[dt.date | None] = mapped_column(Date)
    construction_date: Mapped[dt.date | None] = mapped_column(Date)
    completed_date: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        *_geo_checks("elevator_retrofit"),
        CheckConstraint(enums.check_in("stage", enums.RETROFIT_STAGE), name="stage_known"),
        CheckConstraint(
            "(stage = 'completed') = (completed_date IS NOT NULL)"
            " AND (stage IN ('construction','completed')) = (construction_date IS NOT NULL)"
            " AND (stage IN ('approved','construction','completed')) = (approved_date IS NOT NULL)"
            " AND (stage <> 'intent') = (consultation_date IS NOT NULL)",
            name="dates_match_stage",
        ),
        CheckConstraint(
            "consultation_date IS NULL OR consultation_date >= intent_date", name="dates_ordered"
        ),
    )


class Grid(Base):
    """网格: the traditional grid-management cell, overlaid on compounds."""

    __tablename__ = "grid"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    code: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    geom = _geom("MULTIPOLYGON")
    __table_args__ = _geo_checks("grid")


class Account(Base):
    """A user of the service: a role and the area they may see.

    ``area_kind`` district (all of it), street or community (``area_codes`` holds their
    codes) or compounds (``area_codes`` holds compound ids). ``district_code`` is not a
    foreign key: accounts outlive a reload of the district's data.
    """

    __tablename__ = "account"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(24), nullable=False)
    area_kind: Mapped[str] = mapped_column(String(12), nullable=False)
    area_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), nullable=False, server_default=text("'{}'")
    )
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    __table_args__ = (
        CheckConstraint(enums.check_in("role", enums.ACCOUNT_ROLE), name="role_known"),
        CheckConstraint(enums.check_in("area_kind", enums.AREA_KIND), name="area_kind_known"),
        CheckConstraint(
            "(area_kind = 'district') = (cardinality(area_codes) = 0)",
            name="area_codes_match_kind",
        ),
        CheckConstraint("username ~ '^[A-Za-z0-9_.@-]{2,64}$'", name="username_format"),
    )


class ApiToken(Base):
    """A bearer token for GIS clients: only the SHA-256 of the secret is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="token_hash_format"),
        CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at", name="expiry_after_creation"
        ),
    )


ALL_TABLES = [m.__tablename__ for m in Base.__subclasses__()]
# Accounts are not district data: the demo loader neither fills nor empties them.
ACCOUNT_TABLES = ["account", "api_token"]
DATA_TABLES = [t for t in ALL_TABLES if t not in ACCOUNT_TABLES]
