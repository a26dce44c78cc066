"""三方强基指数 (issue 8): indicator formulas on a hand-made world, normalisation and
weights from the configuration file, the CLI, and the API on the demo district."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from geo_service.index import queries
from geo_service.index.compute import complete_quarters, compute_quarters, score_quarter
from geo_service.index.config import (
    DEFAULT_CONFIG,
    ConfigError,
    Indicator,
    last_complete_quarter,
    load_config,
    parse_quarter,
)

from .index_world import EXPECTED_A, EXPECTED_B, make_world

# A small configuration whose scores are easy to compute by hand.
SMALL = """
[index]
name = "测试指数"
version = "t"

[dimensions.leadership]
name = "组织领导力"
weight = {w_leadership}
[dimensions.cohesion]
name = "小区凝聚力"
weight = 1
[dimensions.coordination]
name = "三方协同力"
weight = 1
[dimensions.property]
name = "物业服务力"
weight = 1
[dimensions.satisfaction]
name = "综合满意度"
weight = {w_satisfaction}

[[indicator]]
key = "branch"
name = "党组织"
dimension = "leadership"
source = "party_branch"
normalise = {{ method = "boolean" }}
weight = 1
[[indicator]]
key = "reported"
name = "报到率"
dimension = "leadership"
source = "party_reported_share"
normalise = {{ method = "minmax", low = 0.5, high = 1.0 }}
weight = 1
[[indicator]]
key = "deliberation"
name = "议事会"
dimension = "cohesion"
source = "deliberation_meetings"
normalise = {{ method = "target", target = 4 }}
weight = 1
[[indicator]]
key = "disputes"
name = "调解成功率"
dimension = "coordination"
source = "disputes_mediated_share"
normalise = {{ method = "minmax", low = 0.5, high = 1.0 }}
weight = 1
missing = "exclude"
[[indicator]]
key = "answered"
name = "18小时响应率"
dimension = "property"
source = "complaints_answered_18h_share"
normalise = {{ method = "minmax", low = 0.5, high = 1.0 }}
weight = 1
missing = "exclude"
[[indicator]]
key = "fee"
name = "收缴率"
dimension = "property"
source = "fee_collection_rate"
normalise = {{ method = "minmax", low = 0.6, high = 1.0 }}
weight = {w_fee}
[[indicator]]
key = "petitions"
name = "每千户信访"
dimension = "satisfaction"
source = "petitions_per_1000hh"
direction = "lower_better"
normalise = {{ method = "target", target = 0, limit = 200 }}
weight = 1
[[indicator]]
key = "survey"
name = "满意度"
dimension = "satisfaction"
source = "satisfaction_score"
normalise = {{ method = "minmax", low = 60, high = 90 }}
weight = 1
missing = "exclude"
"""


def small_config(tmp_path: Path, w_leadership=2, w_satisfaction=1, w_fee=3):  # noqa: ANN001, ANN201
    p = tmp_path / f"small-{w_leadership}-{w_satisfaction}-{w_fee}.toml"
    p.write_text(
        SMALL.format(w_leadership=w_leadership, w_satisfaction=w_satisfaction, w_fee=w_fee),
        encoding="utf-8",
    )
    return load_config(p)


@pytest.fixture(scope="module")
def world(cluster) -> sa.Engine:  # noqa: ANN001
    name = make_world(cluster, "idx")
    engine = sa.create_engine(cluster.url(name))
    yield engine
    engine.dispose()
    cluster.drop_database(name)


# -- configuration and normalisation -------------------------------------------------------


def test_packaged_config_is_valid_and_complete() -> None:
    cfg = load_config()
    assert cfg.path == DEFAULT_CONFIG
    assert len(cfg.indicators) >= 19
    assert set(cfg.dimensions) == set(queries.DIMENSION_COLUMNS)
    assert math.isclose(sum(w for _, w in cfg.dimensions.values()), 1.0)
    assert {i.source for i in cfg.indicators} == set(queries.SOURCES)
    assert all(i.name and i.definition for i in cfg.indicators)  # readable by an official
    assert [n for n, _ in cfg.dimensions.values()] == [
        "组织领导力", "小区凝聚力", "三方协同力", "物业服务力", "综合满意度",
    ]  # fmt: skip


def _ind(
    method: str, direction: str = "higher_better", missing: str = "zero", **params
) -> Indicator:  # noqa: ANN003
    return Indicator(
        "k", "名", "leadership", "party_branch", "", direction, method, params, 1.0, missing
    )


def test_normalisation_methods_by_hand() -> None:
    assert _ind("boolean").score(True) == 100 and _ind("boolean").score(False) == 0
    mm = _ind("minmax", low=0.6, high=0.98)
    assert mm.score(0.79) == pytest.approx(100 * (0.79 - 0.6) / 0.38, abs=1e-3)
    assert mm.score(0.5) == 0 and mm.score(1.0) == 100  # clipped
    low = _ind("minmax", "lower_better", low=0.0, high=0.4)
    assert low.score(0.1) == pytest.approx(75) and low.score(0.5) == 0
    tgt = _ind("target", target=3)
    assert tgt.score(2) == pytest.approx(100 * 2 / 3, abs=1e-3) and tgt.score(5) == 100
    lim = _ind("target", "lower_better", target=1, limit=6)
    assert lim.score(0.5) == 100 and lim.score(3.5) == pytest.approx(50) and lim.score(9) == 0
    assert _ind("boolean").score(None) == 0
    assert _ind("boolean", missing="exclude").score(None) is None


def test_config_errors_name_the_place(tmp_path: Path) -> None:
    for bad, words in [
        (('source = "party_branch"', 'source = "no_such_thing"'), "unknown source"),
        (('method = "boolean"', 'method = "log"'), "normalise.method"),
        (("low = 0.5, high = 1.0 }}\nweight = 1\n[[indicator]]\nkey = \"deliberation\"",
          "low = 0.5 }}\nweight = 1\n[[indicator]]\nkey = \"deliberation\""), "normalise.high"),
        (('[dimensions.cohesion]\nname = "小区凝聚力"\nweight = 1\n', ""), "dimensions"),
    ]:  # fmt: skip
        text = SMALL.replace(*bad).format(w_leadership=1, w_satisfaction=1, w_fee=1)
        p = tmp_path / "bad.toml"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=words):
            load_config(p)


def test_quarters() -> None:
    assert parse_quarter("2026Q3") == (dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    assert parse_quarter("2026Q4") == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert last_complete_quarter(dt.date(2026, 11, 22)) == "2026Q3"
    assert last_complete_quarter(dt.date(2026, 1, 1)) == "2025Q4"
    with pytest.raises(ValueError):
        parse_quarter("2026Q5")


# -- indicator formulas on the hand-made world ------------------------------------------------


def test_indicator_values_match_hand_computation(world: sa.Engine) -> None:
    with world.connect() as conn:
        rows = queries.indicator_values(conn, "2026Q3", dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    assert [r["compound_id"] for r in rows] == [1, 2]
    for row, expected in zip(rows, (EXPECTED_A, EXPECTED_B), strict=True):
        assert set(expected) == set(queries.SOURCES)
        for key, want in expected.items():
            got = row[key]
            if want is None:
                assert got is None, key
            else:
                assert float(got) == pytest.approx(float(want), abs=1e-9), key


def test_scores_and_weight_change_by_hand(world: sa.Engine, tmp_path: Path) -> None:
    cfg = small_config(tmp_path)
    with world.connect() as conn:
        a, b = score_quarter(conn, "2026Q3", cfg)
    # A: leadership (100 + 50) / 2; cohesion 2/4; coordination (0.75-0.5)/0.5;
    # property (1 x 20 + 3 x 75) / 4; satisfaction (50 + 66.67) / 2.
    dims_a = {"leadership": 75.0, "cohesion": 50.0, "coordination": 50.0,
              "property": (20 + 3 * 75) / 4, "satisfaction": round((50 + 200 / 3) / 2, 2)}  # fmt: skip
    for k, v in dims_a.items():
        assert a[k] == pytest.approx(v, abs=0.005), k
    total_a = (2 * 75 + 50 + 50 + 61.25 + dims_a["satisfaction"]) / 6
    assert a["total"] == pytest.approx(total_a, abs=0.005)
    assert a["indicators"]["fee"] == {"value": 0.9, "score": 75.0}
    # B: no branch, no members (0), no meetings, excluded disputes (dimension 0), no fee
    # (0), no petitions (100) and no survey (excluded).
    assert [b[k] for k in dims_a] == [0, 0, 0, 0, 100]
    assert b["total"] == pytest.approx(100 / 6, abs=0.005)
    assert b["indicators"]["survey"] == {"value": None, "score": None}

    # Heavier satisfaction weight: the total moves as computed by hand.
    cfg2 = small_config(tmp_path, w_satisfaction=4)
    with world.connect() as conn:
        a2, b2 = score_quarter(conn, "2026Q3", cfg2)
    assert a2["total"] == pytest.approx(
        (150 + 50 + 50 + 61.25 + 4 * dims_a["satisfaction"]) / 9, abs=0.005
    )
    assert b2["total"] == pytest.approx(400 / 9, abs=0.005)
    assert cfg2.sha != cfg.sha
    # An indicator weight: fee from 3 to 1 changes the property dimension.
    cfg3 = small_config(tmp_path, w_fee=1)
    with world.connect() as conn:
        a3, _ = score_quarter(conn, "2026Q3", cfg3)
    assert a3["property"] == pytest.approx((20 + 75) / 2, abs=0.005)


def test_compute_stores_and_replaces_a_quarter(world: sa.Engine, tmp_path: Path) -> None:
    cfg = small_config(tmp_path)
    with world.begin() as conn:
        n = compute_quarters(conn, ["2026Q3", "2026Q2"], cfg)
        assert n == 4
        compute_quarters(conn, ["2026Q3"], cfg)  # again: replaced, not duplicated
        rows = conn.execute(
            sa.text(
                "SELECT compound_id, quarter, total::float, indicators, config_sha, street_code "
                "FROM compound_index ORDER BY quarter, compound_id"
            )  # fmt: skip
        ).all()
    assert [(r[0], r[1]) for r in rows] == [
        (1, "2026Q2"),
        (2, "2026Q2"),
        (1, "2026Q3"),
        (2, "2026Q3"),
    ]
    a = rows[2]
    assert a[2] == pytest.approx((150 + 50 + 50 + 61.25 + 58.33) / 6, abs=0.01)
    assert a[3]["reported"]["value"] == pytest.approx(0.75) and a[4] == cfg.sha
    assert a[5] == "330105001"
    with world.connect() as conn:
        hist = queries.compound_history(conn, 1)
        ranks = queries.rankings(conn, "compound", "2026Q3")
    assert [h["quarter"] for h in hist] == ["2026Q2", "2026Q3"]
    assert hist[-1]["rank_district"] == 1 and hist[-1]["n_street"] == 2
    assert [r["code"] for r in ranks] == ["1", "2"] and ranks[0]["change"] is not None


def test_complete_quarters_cover_the_history(world: sa.Engine) -> None:
    with world.connect() as conn:
        # complaints run from 2026-06-25 to 2026-09-15: Q2 starts before them, Q3 is whole
        assert complete_quarters(conn, dt.date(2026, 11, 22)) == ["2026Q3"]
        assert complete_quarters(conn, dt.date(2026, 9, 30)) == []


def test_cli_index_compute(cluster, world: sa.Engine, monkeypatch) -> None:  # noqa: ANN001
    from geo_service.cli import main

    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    runner = CliRunner()
    r = runner.invoke(main, ["index", "compute", "--quarter", "2026Q3", "-q"])
    assert r.exit_code == 0, r.output
    assert "2 scores for 1 quarter(s) (2026Q3)" in r.output
    r = runner.invoke(main, ["index", "compute", "--quarter", "2026Q9"])
    assert r.exit_code == 2 and "--quarter" in r.output
    r = runner.invoke(main, ["index", "rank", "--level", "compound"])
    assert r.exit_code == 0 and "甲小区" in r.output
    r = runner.invoke(main, ["index", "warnings", "--at", "2026-07-21T12:00"])
    assert r.exit_code == 0, r.output
    assert "complaint spikes up to 2026-07-21 12:00: 0" in r.output and "Gi*" in r.output
    for cmd in (
        ["index", "--help"],
        ["index", "compute", "--help"],
        ["index", "warnings", "--help"],
    ):
        assert runner.invoke(main, cmd).exit_code == 0


# -- the demo district and the API -------------------------------------------------------------


def test_demo_load_computes_the_last_four_quarters(demo_conn) -> None:  # noqa: ANN001
    rows = demo_conn.execute(
        "SELECT quarter, count(*), min(total), max(total) FROM compound_index GROUP BY 1 ORDER BY 1"
    ).fetchall()
    n = demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    assert [r[0] for r in rows] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert all(r[1] == n and 0 <= r[2] < r[3] <= 100 for r in rows)


def test_api_compound_index_and_rankings(client, demo_conn) -> None:  # noqa: ANN001
    cid = demo_conn.execute("SELECT min(compound_id) FROM compound_index").fetchone()[0]
    body = client.get(f"/api/index/compounds/{cid}").json
    assert [d["name"] for d in body["dimensions"]][0] == "组织领导力"
    assert [t["quarter"] for t in body["trend"]] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    latest = body["latest"]
    stored = demo_conn.execute(
        "SELECT total::float, leadership::float FROM compound_index WHERE compound_id = %s AND quarter = '2026Q3'",
        (cid,),
    ).fetchone()
    assert (latest["total"], latest["leadership"]) == stored
    assert len(latest["indicators"]) == len(load_config().indicators)
    assert latest["indicators"][0]["name"] == "建立小区党组织"
    assert 0 <= latest["mean_total"] <= 100
    assert client.get("/api/index/compounds/999999").status_code == 404

    streets = client.get("/api/index/rankings?level=street").json
    assert streets["quarter"] == "2026Q3"
    totals = [r["total"] for r in streets["rows"]]
    assert totals == sorted(totals, reverse=True) and streets["rows"][0]["rank"] == 1
    n_streets = demo_conn.execute(
        "SELECT count(DISTINCT street_code) FROM compound_index WHERE quarter = '2026Q3'"
    ).fetchone()[0]
    assert len(streets["rows"]) == n_streets
    s0 = streets["rows"][0]
    mean = demo_conn.execute(
        "SELECT avg(total)::float FROM compound_index WHERE quarter = '2026Q3' AND street_code = %s",
        (s0["code"],),
    ).fetchone()[0]
    assert s0["total"] == pytest.approx(mean, abs=0.006)
    comms = client.get(f"/api/index/rankings?level=community&street={s0['code']}").json["rows"]
    assert comms and all(r["street_code"] == s0["code"] for r in comms)
    bad = client.get("/api/index/rankings?level=city")
    assert bad.status_code == 400 and bad.json["parameter"] == "level"
    assert client.get("/api/index/rankings?quarter=2026Q7").json["parameter"] == "quarter"
    cfg = client.get("/api/index/config").json
    assert cfg["sha"] == load_config().sha and len(cfg["dimensions"]) == 5


def test_map_metrics_carry_the_latest_index(client, demo_conn) -> None:  # noqa: ANN001
    metrics = {m["id"]: m for m in client.get("/api/compounds/metrics").json["compounds"]}
    cid, total, prop = demo_conn.execute(
        "SELECT compound_id, total::float, property::float FROM compound_index WHERE quarter = '2026Q3' ORDER BY compound_id LIMIT 1"
    ).fetchone()
    assert metrics[cid]["index_total"] == total and metrics[cid]["index_property"] == prop
    assert metrics[cid]["index_quarter"] == "2026Q3"
    c = client.get("/api/compounds/classes?metric=index_total").json
    assert c["n"] == len(metrics) and c["breaks"] == sorted(c["breaks"])
