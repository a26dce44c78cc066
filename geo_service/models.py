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
from sqlalchemy.dialects.postgresql import JSONB
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
        # a tile's last N days in one GiST scan (btree_gist, migration 0009)
        Index("ix_complaint_geom_created", "geom", "created_at", postgresql_using="gist"),
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


# -- issue 8: 三方强基指数 (compound index) inputs and quarterly scores ---------------------
# Event-like inputs are dated rows, so any quarter can be computed; none holds personal
# fields (volunteers are counted, not named).


class Volunteer(Base):
    """志愿者 registered with a compound; active from ``registered_on`` until ``left_on``."""

    __tablename__ = "volunteer"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    registered_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    is_party_member: Mapped[bool] = mapped_column(Boolean, nullable=False)
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= registered_on", name="left_after_joined"),
    )


class GovernanceMeeting(Base):
    """居民议事会 (deliberation) or 三方联席会议 (tripartite joint meeting) held in a compound."""

    __tablename__ = "governance_meeting"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    held_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    attendees: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    resolutions: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    __table_args__ = (
        CheckConstraint(enums.check_in("kind", enums.MEETING_KIND), name="kind_known"),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        CheckConstraint("resolutions >= 0", name="resolutions_not_negative"),
    )


class Dispute(Base):
    """矛盾纠纷 brought to mediation, with its outcome (pending while not closed)."""

    __tablename__ = "dispute"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    reported_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)
    __table_args__ = (
        CheckConstraint(enums.check_in("category", enums.DISPUTE_CATEGORY), name="category_known"),
        CheckConstraint(enums.check_in("outcome", enums.DISPUTE_OUTCOME), name="outcome_known"),
        CheckConstraint("(outcome = 'pending') = (closed_on IS NULL)", name="closed_iff_decided"),
        CheckConstraint("closed_on IS NULL OR closed_on >= reported_on", name="closed_after_report"),
    )


class SatisfactionSurvey(Base):
    """满意度测评: one survey per compound and quarter, score 0-100."""

    __tablename__ = "satisfaction_survey"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    quarter: Mapped[str] = mapped_column(String(6), nullable=False)
    surveyed_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    respondents: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    __table_args__ = (
        UniqueConstraint("compound_id", "quarter"),
        CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name="quarter_format"),
        CheckConstraint("respondents > 0", name="respondents_positive"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )


class CompoundIndex(Base):
    """三方强基指数 of a compound for a quarter: five dimensions and the total (0-100),
    with each indicator's value and score (``indicators``: key -> {value, score})."""

    __tablename__ = "compound_index"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    quarter: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    leadership: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    cohesion: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    coordination: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    property: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    satisfaction: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    total: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    indicators: Mapped[dict] = mapped_column(JSONB, nullable=False)
    config_sha: Mapped[str] = mapped_column(String(12), nullable=False)
    __table_args__ = (
        UniqueConstraint("compound_id", "quarter"),
        CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name="quarter_format"),
        CheckConstraint(
            " AND ".join(
                f"{c} BETWEEN 0 AND 100"
                for c in ("leadership", "cohesion", "coordination", "property", "satisfaction", "total")
            ),
            name="scores_range",
        ),
    )


# -- issue 3: compound boundary history and the latest boundary check --------------------
# A compound's current boundary stays in compound.geom (what the rest of the service
# reads); every boundary it has had is a dated version here, closed (valid_to) by the next
# one, never overwritten. boundary_problem holds the latest topology check's spots.
BOUNDARY_TABLES = ["compound_boundary", "boundary_problem"]


class CompoundBoundary(Base):
    """A version of a compound's boundary: drawn from housing, imported, or the initial one."""

    __tablename__ = "compound_boundary"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    version: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    geom = _geom("MULTIPOLYGON")
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    __table_args__ = (
        *_geo_checks("compound_boundary"),
        UniqueConstraint("compound_id", "version"),
        Index(
            "ix_compound_boundary_current",
            "compound_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
        CheckConstraint(enums.check_in("source", enums.BOUNDARY_SOURCE), name="source_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class BoundaryProblem(Base):
    """A spot the latest boundary check found (overlap, building outside, gap, ...)."""

    __tablename__ = "boundary_problem"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str | None] = mapped_column(
        String(9), ForeignKey("street.street_code"), index=True
    )
    community_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("community.community_code"), index=True
    )
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    other_compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    detail: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    geom = _geom("GEOMETRY")
    __table_args__ = (
        *_geo_checks("boundary_problem"),
        CheckConstraint(enums.check_in("kind", enums.BOUNDARY_PROBLEM), name="kind_known"),
    )


# -- issue 3: department resident records matched to households ------------------------
# Every import of a department list (产权 owner, 户籍 registered, 流口 floating) is a
# resident_import batch; each record of it a resident_record: matched to one household,
# ambiguous (with its candidate households) or unmatched (with the reason). Owner lists
# compared household by household give ownership_change (业主变动提醒). compound_alias
# holds the other names clerks use for a compound. Personal columns are marked with
# info={"personal": True} and the comment "personal".
RESIDENT_IMPORT_TABLES = [
    "resident_import", "resident_record", "resident_sighting", "ownership_change",
]  # fmt: skip


def _personal(type_: object, nullable: bool = True) -> Mapped:
    return mapped_column(type_, nullable=nullable, info={"personal": True}, comment="personal")


class CompoundAlias(Base):
    """Another name of a compound (信义坊小区 for 信义坊, a former or colloquial name)."""

    __tablename__ = "compound_alias"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    alias: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    __table_args__ = (
        UniqueConstraint("compound_id", "alias"),
        CheckConstraint("char_length(alias) BETWEEN 2 AND 40", name="alias_length"),
    )


class ResidentImport(Base):
    """One import of a department list: the file, its date and the counts of outcomes."""

    __tablename__ = "resident_import"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    source: Mapped[str] = mapped_column(String(12), nullable=False)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    list_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False)
    new_records: Mapped[int] = mapped_column(Integer, nullable=False)
    seen_records: Mapped[int] = mapped_column(Integer, nullable=False)
    matched: Mapped[int] = mapped_column(Integer, nullable=False)
    ambiguous: Mapped[int] = mapped_column(Integer, nullable=False)
    unmatched: Mapped[int] = mapped_column(Integer, nullable=False)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False)
    duplicates: Mapped[int] = mapped_column(Integer, nullable=False)
    ownership_changes: Mapped[int] = mapped_column(Integer, nullable=False)
    __table_args__ = (
        UniqueConstraint("district_code", "source", "file_sha256"),
        CheckConstraint(enums.check_in("source", enums.RESIDENT_SOURCE), name="source_known"),
        CheckConstraint("file_sha256 ~ '^[0-9a-f]{64}$'", name="sha256_format"),
    )


class ResidentRecord(Base):
    """A department record and where it landed. ``record_key`` (a hash of source, ID
    number and the canonical address) makes re-imports idempotent. The area columns are
    those of the matched household (NULL when not matched; compound_id also for an
    address whose compound was recognised). No foreign keys: their per-row checks made
    the COPY of 2 million records three times slower; household and import ids are
    written by the import from the index it read in the same transaction."""

    __tablename__ = "resident_record"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)  # as resident: fast COPY
    street_code: Mapped[str | None] = mapped_column(String(9), index=True)
    community_code: Mapped[str | None] = mapped_column(String(12), index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer, index=True)
    household_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(12), nullable=False)
    first_import_id: Mapped[int] = mapped_column(Integer, nullable=False)
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)  # in the first import
    record_key: Mapped[int] = mapped_column(BigInteger, nullable=False)
    raw_address: Mapped[str] = mapped_column(Text, nullable=False)
    canonical_address: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    candidates: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    reason: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = _personal(Text)
    id_number: Mapped[str] = _personal(String(18), nullable=False)
    phone: Mapped[str | None] = _personal(String(20))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        UniqueConstraint("district_code", "source", "record_key"),
        CheckConstraint(enums.check_in("source", enums.RESIDENT_SOURCE), name="source_known"),
        CheckConstraint(
            "status IN ('matched', 'ambiguous', 'unmatched')", name="status_known"
        ),
        CheckConstraint(
            "(status = 'matched') = (household_id IS NOT NULL)"
            " AND (status = 'ambiguous') = (candidates IS NOT NULL)"
            " AND (status = 'matched') = (reason IS NULL)",
            name="outcome_facts",
        ),
        CheckConstraint("id_number ~ '^[0-9]{17}[0-9X]$'", name="id_number_format"),
    )


class ResidentSighting(Base):
    """A record seen in an import (the first and every later list that holds it): a
    narrow append-only row, so a re-import of a list never rewrites millions of records.
    No personal fields; scoped through the district (and its record)."""

    __tablename__ = "resident_sighting"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    import_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    record_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)


class OwnershipChange(Base):
    """业主变动: a household whose owners in a newer owner list differ from before."""

    __tablename__ = "ownership_change"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id"), nullable=False, index=True
    )
    changed_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("resident_import.id"), nullable=False)
    previous_record_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)
    new_record_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)
    __table_args__ = (UniqueConstraint("household_id", "import_id"),)


# -- issue 6: the commissioner's patch (/patch) ----------------------------------------------
# complaint_action records who marked a complaint's first response or resolution, and when
# (the complaint's own first_response_at/resolved_at are set in the same transaction);
# patch_visit remembers when each account last opened /patch (业主变动提醒 "since then").
# Both are emptied by a demo reload (complaint ids are renumbered).
PATCH_TABLES = ["complaint_action", "patch_visit"]


class ComplaintAction(Base):
    """A first response (首次响应) or resolution (办结) marked on a complaint by a user."""

    __tablename__ = "complaint_action"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = _district()
    street_code: Mapped[str] = _street()
    community_code: Mapped[str] = _community()
    compound_id: Mapped[int] = _compound()
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False, index=True
    )
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    __table_args__ = (
        CheckConstraint("action IN ('first_response', 'resolved')", name="action_known"),
    )


class PatchVisit(Base):
    """When an account opened /patch: the current visit and the one before it."""

    __tablename__ = "patch_visit"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    district_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    previous_opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


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


class LoginSession(Base):
    """A browser session after a successful login: the cookie holds a random id, the
    database only its SHA-256. Logout, expiry or a disabled account end it."""

    __tablename__ = "login_session"
    id: Mapped[int] = _pk()
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    session_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    __table_args__ = (
        CheckConstraint("session_hash ~ '^[0-9a-f]{64}$'", name="session_hash_format"),
    )


class LoginAttempt(Base):
    """Every login attempt (for throttling): username as typed, client address, outcome."""

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    client_ip: Mapped[str | None] = mapped_column(String(45))
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    __table_args__ = (Index(None, "username", "at"), Index(None, "client_ip", "at"))


class AuditLog(Base):
    """Append-only record of unmasked personal-data reads, exports and security events.
    The application role may insert and read; a trigger refuses UPDATE and DELETE for
    everyone."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    target: Mapped[str] = mapped_column(Text, nullable=False)
    rows: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    client_ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("outcome IN ('ok', 'denied', 'failed', 'locked')", name="outcome_known"),
    )


ALL_TABLES = [m.__tablename__ for m in Base.__subclasses__()]
# Accounts are not district data: the demo loader neither fills nor empties them.
ACCOUNT_TABLES = ["account", "api_token", "login_session", "login_attempt", "audit_log"]
DATA_TABLES = [t for t in ALL_TABLES if t not in ACCOUNT_TABLES]
