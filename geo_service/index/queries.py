"""All SQL of the index and the early warning (issue 8).

Queries take either a SQLAlchemy connection (the web app, the CLI) or a psycopg cursor
(the demo loader, inside its one transaction); parameters are bound (``%(name)s``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import psycopg
import sqlalchemy as sa

Conn = sa.Connection | psycopg.Cursor | psycopg.Connection

# Raw indicator values per compound, by source key (the names the configuration uses).
SOURCES = (
    "party_branch", "commissioner", "oc_party_share", "party_reported_share",
    "buildings_with_party_member_share", "captain_unit_share", "volunteers_per_100hh",
    "deliberation_meetings", "e_voting", "oc_formed", "tripartite_meetings",
    "disputes_mediated_share", "income_disclosed", "professional_service", "fee_collection_rate",
    "complaints_answered_18h_share", "star_rating", "satisfaction_score", "petitions_per_1000hh",
    "repeat_complaint_share",
)  # fmt: skip
DIMENSION_COLUMNS = ("leadership", "cohesion", "coordination", "property", "satisfaction")
RESPONSE_HOURS = 18
REPEAT_DAYS = 30


def _rows(conn: Conn, sql: str, params: dict | None = None) -> list[dict]:
    if isinstance(conn, sa.Connection):
        res = conn.exec_driver_sql(sql, params or {})
        return [dict(r) for r in res.mappings()] if res.returns_rows else []
    cur = conn.cursor() if isinstance(conn, psycopg.Connection) else conn
    cur.execute(sql, params or {})  # type: ignore[arg-type]
    if cur.description is None:
        return []
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _many(conn: Conn, sql: str, rows: list[dict]) -> None:
    if not rows:
        return
    if isinstance(conn, sa.Connection):
        conn.exec_driver_sql(sql, rows)  # type: ignore[arg-type]
        return
    cur = conn.cursor() if isinstance(conn, psycopg.Connection) else conn
    cur.executemany(sql, rows)  # type: ignore[arg-type]


_INDICATORS_SQL = f"""
WITH hh AS (SELECT compound_id, count(*) AS n FROM household GROUP BY compound_id),
bld AS (SELECT compound_id, count(*) AS n FROM building GROUP BY compound_id),
pm AS (SELECT compound_id, count(*) AS n, count(*) FILTER (WHERE reported) AS reported,
              count(DISTINCT building_id) AS buildings
       FROM party_member GROUP BY compound_id),
cov AS (SELECT u.compound_id, count(*) AS units,
               count(*) FILTER (WHERE uc.unit_id IS NOT NULL OR bc.building_id IS NOT NULL) AS covered
        FROM unit u
        LEFT JOIN (SELECT DISTINCT unit_id FROM building_captain WHERE role = 'unit') uc
               ON uc.unit_id = u.id
        LEFT JOIN (SELECT DISTINCT building_id FROM building_captain WHERE role = 'building') bc
               ON bc.building_id = u.building_id
        GROUP BY u.compound_id),
vol AS (SELECT compound_id, count(*) AS n FROM volunteer
        WHERE registered_on < %(q1)s AND (left_on IS NULL OR left_on >= %(q1)s)
        GROUP BY compound_id),
mt AS (SELECT compound_id, count(*) FILTER (WHERE kind = 'deliberation') AS delib,
              count(*) FILTER (WHERE kind = 'tripartite') AS tri
       FROM governance_meeting WHERE held_on >= %(q0)s AND held_on < %(q1)s
       GROUP BY compound_id),
dsp AS (SELECT compound_id, count(*) AS n, count(*) FILTER (WHERE outcome = 'mediated') AS ok
        FROM dispute WHERE closed_on >= %(q0)s AND closed_on < %(q1)s GROUP BY compound_id),
cq AS (SELECT compound_id, count(*) AS n,
              count(*) FILTER (WHERE first_response_at <= created_at + interval '{RESPONSE_HOURS} hours') AS fast,
              count(*) FILTER (WHERE prev >= created_at - interval '{REPEAT_DAYS} days') AS rep
       FROM (SELECT compound_id, created_at, first_response_at,
                    lag(created_at) OVER (PARTITION BY compound_id, coalesce(building_id, 0), category
                                          ORDER BY created_at, id) AS prev
             FROM complaint WHERE created_at >= %(q0_repeat)s AND created_at < %(q1)s) x
       WHERE created_at >= %(q0)s GROUP BY compound_id),
pet AS (SELECT compound_id, count(*) AS n FROM petition
        WHERE petition_date >= %(q0)s AND petition_date < %(q1)s GROUP BY compound_id),
sv AS (SELECT compound_id, score FROM satisfaction_survey WHERE quarter = %(quarter)s)
SELECT c.id AS compound_id, c.district_code, c.street_code, c.community_code,
       coalesce(hh.n, 0) AS households,
       c.has_party_branch AS party_branch,
       c.commissioner_id IS NOT NULL AS commissioner,
       c.oc_party_share::float8 AS oc_party_share,
       pm.reported::float8 / nullif(pm.n, 0) AS party_reported_share,
       coalesce(pm.buildings, 0)::float8 / nullif(bld.n, 0) AS buildings_with_party_member_share,
       coalesce(cov.covered, 0)::float8 / nullif(cov.units, 0) AS captain_unit_share,
       100.0 * coalesce(vol.n, 0)::float8 / nullif(hh.n, 0) AS volunteers_per_100hh,
       coalesce(mt.delib, 0)::float8 AS deliberation_meetings,
       c.e_voting, c.oc_formed,
       coalesce(mt.tri, 0)::float8 AS tripartite_meetings,
       dsp.ok::float8 / nullif(dsp.n, 0) AS disputes_mediated_share,
       c.income_disclosed,
       c.property_service = 'professional' AS professional_service,
       c.fee_collection_rate::float8 AS fee_collection_rate,
       cq.fast::float8 / nullif(cq.n, 0) AS complaints_answered_18h_share,
       c.star_rating::float8 AS star_rating,
       sv.score::float8 AS satisfaction_score,
       1000.0 * coalesce(pet.n, 0)::float8 / nullif(hh.n, 0) AS petitions_per_1000hh,
       cq.rep::float8 / nullif(cq.n, 0) AS repeat_complaint_share
FROM compound c
LEFT JOIN hh ON hh.compound_id = c.id
LEFT JOIN bld ON bld.compound_id = c.id
LEFT JOIN pm ON pm.compound_id = c.id
LEFT JOIN cov ON cov.compound_id = c.id
LEFT JOIN vol ON vol.compound_id = c.id
LEFT JOIN mt ON mt.compound_id = c.id
LEFT JOIN dsp ON dsp.compound_id = c.id
LEFT JOIN cq ON cq.compound_id = c.id
LEFT JOIN pet ON pet.compound_id = c.id
LEFT JOIN sv ON sv.compound_id = c.id
ORDER BY c.id
"""


def indicator_values(conn: Conn, quarter: str, q0: dt.date, q1: dt.date) -> list[dict]:
    """Raw indicator values of every compound for the quarter [q0, q1): one dict per
    compound with its area keys, ``households`` and one entry per source in SOURCES.
    State facts (branch, committee, property service...) are the current ones."""
    params = {
        "quarter": quarter,
        "q0": q0,
        "q1": q1,
        "q0_repeat": q0 - dt.timedelta(days=REPEAT_DAYS),
    }
    return _rows(conn, _INDICATORS_SQL, params)


def replace_quarter(conn: Conn, quarter: str, rows: list[dict]) -> None:
    """Replace the stored scores of ``quarter`` with ``rows`` (one per compound)."""
    _rows(conn, "DELETE FROM compound_index WHERE quarter = %(q)s", {"q": quarter})
    cols = (
        "district_code", "street_code", "community_code", "compound_id", "quarter",
        *DIMENSION_COLUMNS, "total", "indicators", "config_sha",
    )  # fmt: skip
    values = ", ".join(
        "CAST(%(indicators)s AS jsonb)" if c == "indicators" else f"%({c})s" for c in cols
    )
    sql = f"INSERT INTO compound_index ({', '.join(cols)}) VALUES ({values})"
    _many(conn, sql, [{**r, "indicators": json.dumps(r["indicators"])} for r in rows])


def stored_quarters(conn: Conn) -> list[str]:
    return [
        r["quarter"] for r in _rows(conn, "SELECT DISTINCT quarter FROM compound_index ORDER BY 1")
    ]


def history_span(conn: Conn) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with complaints (the event history the index can cover)."""
    r = _rows(
        conn,
        "SELECT min(created_at)::date AS first, max(created_at)::date AS last FROM complaint",
    )[0]
    return r["first"], r["last"]


# -- reads for the API ------------------------------------------------------------------

_DIMS = ", ".join(f"i.{c}::float8 AS {c}" for c in DIMENSION_COLUMNS)
# District means per quarter, for the radar chart's reference polygon.
_MEANS = ", ".join(
    f"round(avg(i.{c}) OVER (PARTITION BY i.quarter), 2)::float8 AS mean_{c}"
    for c in (*DIMENSION_COLUMNS, "total")
)


def latest_quarter(conn: Conn) -> str | None:
    return _rows(conn, "SELECT max(quarter) AS q FROM compound_index")[0]["q"]


def compound_history(conn: Conn, compound_id: int) -> list[dict]:
    """Every stored quarter of one compound, oldest first, with its indicators and its
    rank in its street and in the district."""
    sql = f"""
        SELECT * FROM (
            SELECT i.compound_id, i.quarter, {_DIMS}, i.total::float8 AS total, i.indicators,
                   i.config_sha,
                   rank() OVER (PARTITION BY i.quarter ORDER BY i.total DESC) AS rank_district,
                   count(*) OVER (PARTITION BY i.quarter) AS n_district,
                   rank() OVER (PARTITION BY i.quarter, i.street_code ORDER BY i.total DESC) AS rank_street,
                   count(*) OVER (PARTITION BY i.quarter, i.street_code) AS n_street,
                   {_MEANS}
            FROM compound_index i
            WHERE i.quarter IN (SELECT quarter FROM compound_index WHERE compound_id = %(id)s)) s
        WHERE s.compound_id = %(id)s ORDER BY s.quarter"""
    out = _rows(conn, sql, {"id": compound_id})
    for r in out:
        if isinstance(r["indicators"], str):
            r["indicators"] = json.loads(r["indicators"])
    return out


def latest_scores(conn: Conn) -> dict[int, dict]:
    """compound id -> the latest quarter's dimension scores and total (for the map)."""
    sql = f"""
        SELECT i.compound_id, i.quarter, {_DIMS}, i.total::float8 AS total
        FROM compound_index i WHERE i.quarter = (SELECT max(quarter) FROM compound_index)"""
    return {r["compound_id"]: r for r in _rows(conn, sql)}


def rankings(
    conn: Conn,
    level: str,
    quarter: str,
    street: str | None = None,
    community: str | None = None,
    limit: int = 500,
) -> list[dict]:
    """Streets, communities or compounds ranked by their (mean) total for ``quarter``, with
    the dimension means, the number of compounds and the change since the previous
    stored quarter. ``street``/``community`` limit the rows to that area."""
    key, name_sql, join = {
        "street": ("i.street_code", "s.name", "JOIN street s ON s.street_code = i.street_code"),
        "community": (
            "i.community_code",
            "m.name",
            "JOIN community m ON m.community_code = i.community_code",
        ),
        "compound": ("i.compound_id::text", "c.name", "JOIN compound c ON c.id = i.compound_id"),
    }[level]
    dims = ", ".join(f"round(avg(i.{c})::numeric, 2)::float8 AS {c}" for c in DIMENSION_COLUMNS)
    sql = f"""
        WITH prev AS (SELECT max(quarter) AS q FROM compound_index WHERE quarter < %(quarter)s),
        cur AS (
            SELECT {key} AS code, min({name_sql}) AS name, count(*) AS compounds, {dims},
                   round(avg(i.total)::numeric, 2)::float8 AS total,
                   min(i.street_code) AS street_code, min(i.community_code) AS community_code
            FROM compound_index i {join}
            WHERE i.quarter = %(quarter)s
              AND (%(street)s::text IS NULL OR i.street_code = %(street)s)
              AND (%(community)s::text IS NULL OR i.community_code = %(community)s)
            GROUP BY {key}),
        before AS (
            SELECT {key} AS code, avg(i.total)::float8 AS total FROM compound_index i, prev
            WHERE i.quarter = prev.q GROUP BY {key})
        SELECT rank() OVER (ORDER BY cur.total DESC) AS rank, cur.*,
               round((cur.total - before.total)::numeric, 2)::float8 AS change
        FROM cur LEFT JOIN before USING (code)
        ORDER BY cur.total DESC, cur.code LIMIT %(limit)s"""
    return _rows(
        conn,
        sql,
        {"quarter": quarter, "street": street, "community": community, "limit": limit},
    )


# -- early warning ------------------------------------------------------------------------


def complaint_windows(conn: Conn, now: dt.datetime, days: int, baseline_days: int) -> list[dict]:
    """Per compound: complaints in the last ``days`` before ``now`` and in the
    ``baseline_days`` before that, with its centre point and names."""
    sql = """
        SELECT c.id AS compound_id, c.name, c.street_code, c.community_code,
               m.name AS community_name,
               ST_X(p.g) AS lon, ST_Y(p.g) AS lat,
               coalesce(q.recent, 0) AS recent, coalesce(q.baseline, 0) AS baseline,
               q.top_category
        FROM compound c
        JOIN community m ON m.community_code = c.community_code
        CROSS JOIN LATERAL (SELECT ST_PointOnSurface(c.geom) AS g) p
        LEFT JOIN (
            SELECT compound_id,
                   count(*) FILTER (WHERE created_at >= %(t1)s) AS recent,
                   count(*) FILTER (WHERE created_at < %(t1)s) AS baseline,
                   mode() WITHIN GROUP (ORDER BY category)
                       FILTER (WHERE created_at >= %(t1)s) AS top_category
            FROM complaint
            WHERE created_at >= %(t0)s AND created_at < %(now)s
            GROUP BY compound_id) q ON q.compound_id = c.id
        ORDER BY c.id"""
    t1 = now - dt.timedelta(days=days)
    t0 = t1 - dt.timedelta(days=baseline_days)
    return _rows(conn, sql, {"now": now, "t1": t1, "t0": t0})


def petition_counts(conn: Conn, d0: dt.date, d1: dt.date) -> list[dict]:
    """Per compound: petitions dated in [d0, d1], households, centre point (for Gi*)."""
    sql = """
        SELECT c.id AS compound_id, c.name, c.street_code, c.community_code,
               ST_X(p.g) AS lon, ST_Y(p.g) AS lat,
               coalesce(h.n, 0) AS households, coalesce(q.n, 0) AS petitions
        FROM compound c
        CROSS JOIN LATERAL (SELECT ST_PointOnSurface(c.geom) AS g) p
        LEFT JOIN (SELECT compound_id, count(*) AS n FROM household GROUP BY compound_id) h
               ON h.compound_id = c.id
        LEFT JOIN (SELECT compound_id, count(*) AS n FROM petition
                   WHERE petition_date >= %(d0)s AND petition_date <= %(d1)s
                   GROUP BY compound_id) q ON q.compound_id = c.id
        ORDER BY c.id"""
    return _rows(conn, sql, {"d0": d0, "d1": d1})


def compound_geometries(conn: Conn, ids: Sequence[int], precision: int = 6) -> dict[int, dict]:
    """GeoJSON geometry of each given compound."""
    rows = _rows(
        conn,
        "SELECT id, ST_AsGeoJSON(geom, %(p)s) AS g FROM compound WHERE id = ANY(%(ids)s)",
        {"ids": list(ids), "p": precision},
    )
    return {r["id"]: json.loads(r["g"]) for r in rows}
