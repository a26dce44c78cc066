"""Early warning (issue 8): complaint spikes against each compound's own baseline, and
petition hot spots with Getis-Ord Gi* (esda)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import pytest
import sqlalchemy as sa

from geo_service.index import warning

from .index_world import KEYS, make_world

TZ = ZoneInfo("Asia/Shanghai")
# Later than every complaint of the hand-made world, so only the planted rows count.
AT = dt.datetime(2027, 6, 1, 21, 0, tzinfo=TZ)


# -- the spike model ----------------------------------------------------------------------------


def test_spike_p_value_by_hand() -> None:
    share = 7 / 91
    # No baseline at all: P(all 5 recent fall in the last week) = (7/91)^5.
    assert warning.spike_p_value(5, 0, 7, 84) == pytest.approx(share**5)
    # 2 recent, 10 baseline: P(X >= 2) for X ~ B(12, 1/13), by hand.
    p = 1 - (12 / 13) ** 12 - 12 * (1 / 13) * (12 / 13) ** 11
    assert warning.spike_p_value(2, 10, 7, 84) == pytest.approx(p)
    assert warning.spike_p_value(0, 30, 7, 84) == 1.0
    # Exactly at the baseline rate is not surprising.
    assert warning.spike_p_value(1, 12, 7, 84) > 0.5


def test_benjamini_hochberg_by_hand() -> None:
    q = warning.benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    # sorted 0.01 0.03 0.04 0.5 -> p n / rank = 0.04 0.06 0.0533 0.5 -> running min from the top
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


def _complaints(conn: psycopg.Connection, compound: int, times: list[dt.datetime]) -> None:
    for t in times:
        conn.execute(
            f"INSERT INTO complaint (district_code, street_code, community_code, compound_id, geom, channel, "
            f"category, created_at) VALUES ({KEYS}, %s, ST_SetSRID(ST_MakePoint(120.02, 30.015), 4326), "
            "'mashangban', 'facilities', %s)",
            (compound, t),
        )


@pytest.fixture(scope="module")
def spike_world(cluster) -> sa.Engine:  # noqa: ANN001
    """Both compounds complain about once a week for twelve weeks; then compound 1 gets a
    burst of 8 in the last week and compound 2 stays at its usual single complaint."""
    name = make_world(cluster, "warn")
    start = AT - dt.timedelta(days=91)
    weekly = [start + dt.timedelta(days=7 * k + 1, hours=3) for k in range(12)]
    with psycopg.connect(cluster.conninfo(name)) as conn:
        _complaints(conn, 1, weekly)
        _complaints(conn, 2, weekly)
        _complaints(conn, 1, [AT - dt.timedelta(days=6, hours=-k * 12) for k in range(8)])
        _complaints(conn, 2, [AT - dt.timedelta(days=3)])
    engine = sa.create_engine(cluster.url(name))
    yield engine
    engine.dispose()
    cluster.drop_database(name)


def test_planted_spike_is_flagged_and_quiet_compound_is_not(spike_world: sa.Engine) -> None:
    with spike_world.connect() as conn:
        rows = {r["compound_id"]: r for r in warning.complaint_spikes(conn, AT)}
    burst, quiet = rows[1], rows[2]
    assert (burst["recent"], burst["baseline"]) == (8, 12)
    assert burst["p_value"] == pytest.approx(warning.spike_p_value(8, 12, 7, 84), rel=1e-3)
    assert burst["p_value"] < 0.001 and burst["level"] == 3 and burst["flagged"]
    assert burst["level_label"] == "严重" and burst["expected"] == pytest.approx(1.0)
    assert (quiet["recent"], quiet["baseline"]) == (1, 12)
    assert not quiet["flagged"] and quiet["level"] == 0 and quiet["p_value"] > 0.5
    # A week later the burst is part of the baseline and no longer a spike of the last 7 days.
    with spike_world.connect() as conn:
        later = {
            r["compound_id"]: r for r in warning.complaint_spikes(conn, AT + dt.timedelta(days=8))
        }
    assert later[1]["recent"] == 0 and not later[1]["flagged"]


def test_min_count_guards_tiny_numbers(spike_world: sa.Engine) -> None:
    model = warning.SpikeModel(min_count=9)
    with spike_world.connect() as conn:
        rows = {r["compound_id"]: r for r in warning.complaint_spikes(conn, AT, model)}
    assert not rows[1]["flagged"]  # 8 < 9 complaints, however unlikely


# -- Gi* hot spots -------------------------------------------------------------------------------


def _grid(n: int = 20) -> np.ndarray:
    return np.array([(i * 300.0, j * 300.0) for i in range(n) for j in range(n)])


def test_planted_cluster_is_a_significant_hot_spot() -> None:
    xy = _grid()
    rng = np.random.default_rng(11)
    y = rng.poisson(5, len(xy)).astype(float)
    centre = np.array([1500.0, 3600.0])
    cluster = ((xy - centre) ** 2).sum(1) <= 600.0**2
    y[cluster] += 12
    res = warning.gi_star(xy, y)
    classes = np.array([r["class"] for r in res])
    assert cluster.sum() == 13
    assert np.all(np.isin(classes[cluster], ["hot_99", "hot_95"]))
    assert (classes[cluster] == "hot_99").mean() > 0.8
    assert not np.any(np.char.startswith(classes[cluster].astype(str), "cold"))
    # Far from the cluster nothing is hot at 99%.
    far = ((xy - centre) ** 2).sum(1) > 1500.0**2
    assert (classes[far] == "hot_99").mean() < 0.02
    # Reproducible: the permutations use a fixed seed.
    assert [r["p_sim"] for r in warning.gi_star(xy, y)] == [r["p_sim"] for r in res]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_pattern_is_mostly_not_significant(seed: int) -> None:
    xy = _grid()
    y = np.random.default_rng(seed).poisson(5, len(xy)).astype(float)
    classes = np.array([r["class"] for r in warning.gi_star(xy, y)])
    at_95 = np.isin(classes, ["hot_99", "hot_95", "cold_99", "cold_95"]).mean()
    assert at_95 <= 0.10  # 5% expected by chance at 95% confidence
    assert (classes == "not_significant").mean() >= 0.8


# -- the API on the demo district -----------------------------------------------------------------


def test_api_spikes_flag_the_demo_bursts(client, demo_conn) -> None:  # noqa: ANN001
    fc = client.get("/api/warnings/spikes").json
    assert fc["type"] == "FeatureCollection" and fc["model"]["days"] == 7
    assert fc["flagged"] == len(fc["features"]) >= 1
    top = fc["features"][0]
    p = top["properties"]
    assert p["flagged"] and p["level"] == 3 and p["recent"] >= 9
    # The counts are the database's: complaints in the 7 days before the service's clock.
    n = demo_conn.execute(
        "SELECT count(*) FROM complaint WHERE compound_id = %s AND created_at >= timestamptz '2026-11-15 21:00+08' "
        "AND created_at < timestamptz '2026-11-22 21:00+08'",
        (p["compound_id"],),
    ).fetchone()[0]
    assert p["recent"] == n
    assert len(top["geometry"]["coordinates"]) == 2
    everyone = client.get("/api/warnings/spikes?all=true").json["features"]
    assert len(everyone) == demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    assert client.get("/api/warnings/spikes?all=maybe").json["parameter"] == "all"


def test_api_hot_spots(client, demo_conn) -> None:  # noqa: ANN001
    fc = client.get("/api/warnings/hotspots").json
    n = demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    assert sum(c["count"] for c in fc["classes"]) == n
    assert fc["permutations"] == 999 and "Gi*" in fc["statistic"]
    feats = fc["features"]
    assert all(f["properties"]["class"] != "not_significant" for f in feats)
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in feats)
    # Gi* compares each compound's neighbourhood (itself included) with the district: hot
    # spots have positive z-scores, cold spots negative ones.
    for f in feats:
        p = f["properties"]
        assert (p["z"] > 0) == p["class"].startswith("hot"), p
        assert p["confidence"] >= 0.9
    everyone = client.get("/api/warnings/hotspots?all=true").json["features"]
    assert len(everyone) == n
    assert {f["properties"]["class"] for f in everyone} <= set(warning.HOT_SPOT_CLASSES)
    assert client.get("/api/warnings/hotspots?window=7").json["parameter"] == "window"
