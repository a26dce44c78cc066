"""Demo district generator invariants, on the tiny scale loaded into PostGIS and on the
planned counts at district and city scale."""

from __future__ import annotations

import datetime as dt

import numpy as np
import psycopg
import pytest

from geo_service import db
from geo_service.demo import names
from geo_service.demo.generate import generate
from geo_service.demo.load import LOAD_ORDER, load_demo
from geo_service.demo.scales import SCALES

from .conftest import AS_OF, SEED, new_database


def _one(conn: psycopg.Connection, sql: str):  # noqa: ANN202
    return conn.execute(sql).fetchone()[0]


def _within_5pct(actual: int, target: int) -> bool:
    return abs(actual - target) <= 0.05 * target


def test_tiny_counts_match_targets(demo_conn) -> None:
    for table, target in SCALES["tiny"].targets().items():
        n = _one(demo_conn, f"SELECT count(*) FROM {table}")
        assert _within_5pct(n, target), f"{table}: {n} rows, target {target}"


@pytest.mark.parametrize("scale", ["district", "city"])
def test_planned_counts_match_targets_at_scale(scale: str) -> None:
    ds = generate(SCALES[scale], SEED, AS_OF)
    for table, target in SCALES[scale].targets().items():
        assert _within_5pct(ds.count(table), target), (
            f"{scale} {table}: {ds.count(table)} vs {target}"
        )
    # about 690 compounds in ~170 communities of 18 real streets
    assert ds.tables["street"]["name"][0] == "米市巷街道"
    assert len(set(ds.tables["compound"]["name"])) == len(ds.tables["compound"]["name"])


def test_all_geometry_valid_and_in_4326(demo_conn) -> None:
    for table in (
        "district",
        "street",
        "community",
        "compound",
        "grid",
        "building",
        "complaint",
        "petition",
        "elevator_retrofit",
    ):
        invalid = _one(
            demo_conn,
            f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326",
        )
        assert invalid == 0, table


def test_every_building_inside_its_compound(demo_conn) -> None:
    outside = _one(
        demo_conn,
        "SELECT count(*) FROM building b JOIN compound c ON c.id = b.compound_id WHERE NOT ST_CoveredBy(b.geom, c.geom)",
    )
    assert outside == 0
    overlapping = _one(
        demo_conn,
        "SELECT count(*) FROM building a JOIN building b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)",
    )
    assert overlapping == 0


@pytest.mark.parametrize(
    ("child", "parent", "key"),
    [
        ("compound", "community", "community_code"),
        ("community", "street", "street_code"),
        ("street", "district", "district_code"),
        ("grid", "community", "community_code"),
    ],
)
def test_children_partition_their_parent(demo_conn, child: str, parent: str, key: str) -> None:
    """No gaps (union equals the parent) and no overlaps (areas add up), to 1e-9."""
    worst_gap, worst_overlap = demo_conn.execute(
        f"""
        SELECT max(ST_Area(ST_SymDifference(p.geom, u.geom)) / ST_Area(p.geom)),
               max(abs(u.sum_area - ST_Area(p.geom)) / ST_Area(p.geom))
        FROM {parent} p
        JOIN (SELECT {key}, ST_Union(geom) AS geom, sum(ST_Area(geom)) AS sum_area
              FROM {child} GROUP BY {key}) u USING ({key})
        """
    ).fetchone()
    assert worst_gap < 1e-9
    assert worst_overlap < 1e-9
    orphans = _one(
        demo_conn,
        f"SELECT count(*) FROM {parent} p WHERE NOT EXISTS (SELECT 1 FROM {child} c WHERE c.{key} = p.{key})",
    )
    assert orphans == 0


def test_denormalised_keys_agree(demo_conn) -> None:
    checks = {
        "building": "SELECT count(*) FROM building b JOIN compound c ON c.id = b.compound_id WHERE b.community_code <> c.community_code OR b.street_code <> c.street_code",
        "household": "SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id WHERE h.building_id <> b.id OR h.compound_id <> b.compound_id",
        "resident": "SELECT count(*) FROM resident r JOIN household h ON h.id = r.household_id WHERE r.compound_id <> h.compound_id OR r.community_code <> h.community_code",
        "party_member": "SELECT count(*) FROM party_member p JOIN building b ON b.id = p.building_id WHERE p.compound_id <> b.compound_id",
        "complaint": "SELECT count(*) FROM complaint q JOIN compound c ON c.id = q.compound_id WHERE NOT ST_Intersects(q.geom, c.geom)",
        "petition": "SELECT count(*) FROM petition q JOIN compound c ON c.id = q.compound_id WHERE NOT ST_Intersects(q.geom, c.geom)",
    }
    for name, sql in checks.items():
        assert _one(demo_conn, sql) == 0, name


def test_housing_is_plausible(demo_conn) -> None:
    # Old compounds are mostly walk-ups without lifts; commodity compounds are high-rise.
    old_lift, old_floors = demo_conn.execute(
        "SELECT avg((b.has_elevator AND r.id IS NULL)::int), avg(b.floors) FROM building b "
        "JOIN compound c ON c.id = b.compound_id LEFT JOIN elevator_retrofit r ON r.building_id = b.id AND r.stage = 'completed' WHERE c.kind = 'old'"
    ).fetchone()
    assert old_lift == 0 and 4 <= old_floors <= 8
    assert (
        _one(
            demo_conn,
            "SELECT min(b.floors) FROM building b JOIN compound c ON c.id = b.compound_id WHERE c.kind = 'commodity'",
        )
        >= 11
    )
    # Rooms follow floors: room 501 is on floor 5.
    assert _one(demo_conn, "SELECT count(*) FROM household WHERE room::int / 100 <> floor") == 0
    # Every household's floor exists in its building.
    assert (
        _one(
            demo_conn,
            "SELECT count(*) FROM household h JOIN building b ON b.id = h.building_id WHERE h.floor > b.floors",
        )
        == 0
    )


def test_people_are_plausible(demo_conn) -> None:
    rows = demo_conn.execute(
        "SELECT name, phone, id_number FROM resident ORDER BY id LIMIT 2000"
    ).fetchall()
    assert all(names.is_valid_id_number(r[2]) for r in rows)
    assert all(r[1] is None or (len(r[1]) == 11 and r[1][0] == "1") for r in rows)
    assert all(2 <= len(r[0]) <= 4 for r in rows)
    shares = dict(
        demo_conn.execute(
            "SELECT source, count(*)::float / sum(count(*)) OVER () FROM resident GROUP BY source"
        ).fetchall()
    )
    assert set(shares) == {"owner", "registered", "floating"}
    assert all(s > 0.1 for s in shares.values())
    # Ownership changes: a previous owner's record ends before the next one starts.
    bad = _one(
        demo_conn,
        "SELECT count(*) FROM resident a JOIN resident b ON a.household_id = b.household_id AND a.source = 'owner' "
        "AND b.source = 'owner' AND a.valid_to IS NOT NULL AND b.valid_to IS NULL AND b.valid_from <= a.valid_to",
    )
    assert bad == 0
    assert (
        _one(
            demo_conn,
            "SELECT count(*) FROM resident WHERE source = 'owner' AND valid_to IS NOT NULL",
        )
        > 0
    )


def test_governance_facts(demo_conn) -> None:
    n = _one(demo_conn, "SELECT count(*) FROM compound")
    # Commissioners: most compounds have one; some commissioners have two compounds.
    covered = _one(demo_conn, "SELECT count(*) FROM compound WHERE commissioner_id IS NOT NULL")
    assert covered >= 0.95 * n
    assert (
        _one(
            demo_conn,
            "SELECT max(c) FROM (SELECT count(*) c FROM compound GROUP BY commissioner_id) s",
        )
        >= 2
    )
    # Only old walk-ups are retrofitted; completed projects have a lift now.
    assert (
        _one(
            demo_conn,
            "SELECT count(*) FROM elevator_retrofit r JOIN building b ON b.id = r.building_id WHERE b.floors < 4 OR (r.stage = 'completed') <> b.has_elevator",
        )
        == 0
    )


def test_property_petitions_fall_about_30_percent_a_year(cluster) -> None:
    ds = generate(SCALES["district"], SEED, AS_OF)
    p = ds.tables["petition"]
    prop = np.asarray(p["category"]) == "property"
    day = np.asarray(p["petition_date"], dtype="datetime64[D]")
    end = np.datetime64(AS_OF)
    last = ((end - day) < 365) & prop
    prev = ((end - day) >= 365) & ((end - day) < 730) & prop
    ratio = last.sum() / prev.sum()
    assert 0.65 <= ratio <= 0.75


def test_complaints_are_timed_plausibly(demo_conn) -> None:
    span_days, late_share, open_old = demo_conn.execute(
        "SELECT extract(epoch FROM max(created_at) - min(created_at)) / 86400, "
        "avg((first_response_at - created_at > interval '18 hours')::int), "
        "count(*) FILTER (WHERE first_response_at IS NULL AND created_at < timestamptz '2026-11-01') FROM complaint"
    ).fetchone()
    assert 3 * 365 - 10 <= span_days <= 3 * 365 + 1
    assert 0.02 < late_share < 0.3
    assert open_old == 0


def _digest(conninfo: str) -> dict[str, str]:
    with psycopg.connect(conninfo) as conn:
        return {
            t: conn.execute(
                f"SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM {t} x"
            ).fetchone()[0]
            for t in LOAD_ORDER
        }


def test_same_seed_same_data_other_seed_other_data(cluster, demo_db) -> None:
    again = new_database(cluster, "seed")
    db.upgrade(cluster.url(again))
    load_demo(cluster.conninfo(again), "tiny", SEED, AS_OF, progress=False)
    assert _digest(cluster.conninfo(again)) == _digest(cluster.conninfo(demo_db))
    load_demo(cluster.conninfo(again), "tiny", SEED + 1, AS_OF, replace=True, progress=False)
    other = _digest(cluster.conninfo(again))
    same = _digest(cluster.conninfo(demo_db))
    assert all(other[t] != same[t] for t in ("compound", "building", "resident", "complaint"))
    cluster.drop_database(again)


def test_load_refuses_to_overwrite_and_failure_leaves_data_intact(cluster, demo_db) -> None:
    with pytest.raises(RuntimeError, match="--replace"):
        load_demo(cluster.conninfo(demo_db), "tiny", SEED, AS_OF, progress=False)
    before = _digest(cluster.conninfo(demo_db))
    with pytest.raises(ValueError, match="scale"):
        load_demo(cluster.conninfo(demo_db), "huge", SEED, AS_OF, replace=True, progress=False)
    assert _digest(cluster.conninfo(demo_db)) == before


def test_failed_load_rolls_back_whole(cluster) -> None:
    """A constraint failure part-way through leaves the previous data in place."""
    name = new_database(cluster, "atomic")
    db.upgrade(cluster.url(name))
    load_demo(cluster.conninfo(name), "tiny", SEED, AS_OF, progress=False)
    before = _digest(cluster.conninfo(name))
    with psycopg.connect(cluster.conninfo(name), autocommit=True) as conn:
        # Make the last table refuse its rows: the whole replacement must roll back.
        conn.execute("ALTER TABLE elevator_retrofit ADD CONSTRAINT no_rows CHECK (false) NOT VALID")
    with pytest.raises(psycopg.errors.CheckViolation):
        load_demo(cluster.conninfo(name), "tiny", SEED + 1, AS_OF, replace=True, progress=False)
    assert _digest(cluster.conninfo(name)) == before
    cluster.drop_database(name)


def test_as_of_moves_history(cluster) -> None:
    a = generate(SCALES["tiny"], SEED, dt.date(2026, 1, 1))
    b = generate(SCALES["tiny"], SEED, dt.date(2026, 6, 1))
    assert np.max(a.tables["petition"]["petition_date"]) < np.max(
        b.tables["petition"]["petition_date"]
    )
