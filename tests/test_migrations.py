"""Alembic migrations: up, down and up again on a real PostGIS; models match migrations."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from geo_service import db
from geo_service.models import ACCOUNT_TABLES, ALL_TABLES, Base

from .conftest import new_database


def _tables(conninfo: str) -> set[str]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'"
        ).fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade(cluster) -> None:
    name = new_database(cluster, "mig")
    url, ci = cluster.url(name), cluster.conninfo(name)
    db.upgrade(url)
    assert _tables(ci) == set(ALL_TABLES) | {"alembic_version"}
    db.downgrade(url, "base")
    assert _tables(ci) == {"alembic_version"}
    db.upgrade(url)
    assert _tables(ci) == set(ALL_TABLES) | {"alembic_version"}
    assert db.current_revision(sa.create_engine(url)) == db.head_revision()


def test_0002_adds_and_removes_only_the_account_tables(cluster) -> None:
    name = new_database(cluster, "mig")
    url, ci = cluster.url(name), cluster.conninfo(name)
    db.upgrade(url, "0001")
    before = _tables(ci)
    assert not before & set(ACCOUNT_TABLES)
    assert {"account", "api_token"} <= set(ACCOUNT_TABLES)
    db.upgrade(url, "0002")
    assert _tables(ci) == before | {"account", "api_token"}
    db.downgrade(url, "0001")
    assert _tables(ci) == before


def test_models_and_migrations_agree(cluster) -> None:
    name = new_database(cluster, "mig")
    url = cluster.url(name)
    db.upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={"include_object": lambda o, n, t, r, c: not (t == "table" and r and c is None)},
        )
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_schema_has_gist_indexes_checks_and_district_code(cluster, demo_db) -> None:
    with psycopg.connect(cluster.conninfo(demo_db)) as conn:
        geom_tables = {
            r[0]
            for r in conn.execute(
                "SELECT f_table_name FROM geometry_columns WHERE f_table_schema = 'public'"
            )
        }
        srids = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = 'public'"
            )
        }
        gist = {
            r[0]
            for r in conn.execute(
                "SELECT t.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am a ON a.oid = i.relam WHERE a.amname = 'gist'"
            )
        }
        valid_checks = {
            r[0]
            for r in conn.execute(
                "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'c' "
                "AND pg_get_constraintdef(oid) LIKE '%st_isvalid(geom)%'"
            )
        }
        with_district = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'district_code'"
            )
        }
        fks = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'").fetchone()[0]
    assert geom_tables == {
        "district",
        "street",
        "community",
        "compound",
        "building",
        "complaint",
        "petition",
        "elevator_retrofit",
        "grid",
        "compound_boundary",  # issue 3
        "boundary_problem",  # issue 3
    }
    assert srids == {4326}
    assert geom_tables <= gist
    assert geom_tables == valid_checks
    assert set(ALL_TABLES) <= with_district
    assert fks >= 30


def test_check_constraints_reject_bad_rows(demo_conn) -> None:
    bad = [
        "UPDATE compound SET kind = 'villa' WHERE id = 1",
        "UPDATE compound SET property_service = 'unknown' WHERE id = 1",
        "UPDATE building SET geom = ST_GeomFromText('POLYGON((0 0,1 1,1 0,0 1,0 0))', 4326) WHERE id = 1",
        "UPDATE complaint SET channel = 'email' WHERE id = 1",
        "UPDATE elevator_retrofit SET stage = 'completed', completed_date = NULL WHERE id = 1",
        "UPDATE resident SET source = 'tourist' WHERE id = 1",
        "UPDATE resident SET id_number = '12345' WHERE id = 1",
    ]
    for sql in bad:
        with demo_conn.transaction(force_rollback=True):
            try:
                with demo_conn.transaction():
                    demo_conn.execute(sql)
            except psycopg.errors.CheckViolation:
                continue
        raise AssertionError(f"accepted: {sql}")
