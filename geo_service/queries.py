"""All SQL the web application runs, built from layer metadata (never from user text).

Identifiers come from the layer registry; values are always bound parameters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa

import layers as layer_registry
from layers import Layer

from .models import ALL_TABLES


def _geom_expr(layer: Layer) -> tuple[str, str]:
    """(geometry expression, FROM clause) for a layer."""
    if layer.geometry_from:
        return (
            "ST_Centroid(g.geom)",
            f"{layer.table} t JOIN {layer.geometry_from} g ON g.id = t.{layer.geometry_from}_id",
        )
    return "t.geom", f"{layer.table} t"


def layer_summaries(conn: sa.Connection) -> list[dict]:
    """Every registered layer with its row count and extent (lon/lat bbox)."""
    out = []
    for layer in layer_registry.REGISTRY.values():
        geom, from_ = _geom_expr(layer)
        n, x0, y0, x1, y1 = conn.execute(
            sa.text(
                "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                f"FROM (SELECT count(*) AS n, ST_Extent({geom}) AS e FROM {from_}) s"
            )
        ).one()
        out.append({"layer": layer, "count": n, "bbox": None if x0 is None else [x0, y0, x1, y1]})
    return out


def table_counts(conn: sa.Connection) -> dict[str, int]:
    """Exact row counts of every table of the schema."""
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in ALL_TABLES)
    return {t: n for t, n in conn.execute(sa.text(sql))}


def features(
    conn: sa.Connection,
    layer: Layer,
    bbox: Sequence[float] | None = None,
    limit: int = 1000,
    precision: int = 7,
    personal: bool = False,
) -> dict:
    """A GeoJSON FeatureCollection of the layer's public fields (and its personal fields
    when ``personal``: the caller masks them), optionally in a bbox."""
    geom, from_ = _geom_expr(layer)
    fields = (*layer.fields, *(layer.personal if personal else ()))
    cols = ", ".join(f"'{f.name}', t.{f.name}" for f in fields)
    where = ""
    params: dict[str, object] = {"limit": limit, "precision": precision}
    if bbox is not None:
        where = f"WHERE {geom} && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    sql = f"""
        SELECT coalesce(json_agg(json_build_object(
                 'type', 'Feature',
                 'id', f.key,
                 'geometry', ST_AsGeoJSON(f.geom, :precision)::json,
                 'properties', f.props) ORDER BY f.key), '[]'::json)
        FROM (SELECT t.{layer.key} AS key, {geom} AS geom, json_build_object({cols}) AS props
              FROM {from_} {where} ORDER BY t.{layer.key} LIMIT :limit) f
    """
    feats = conn.execute(sa.text(sql), params).scalar_one()
    if isinstance(feats, str):
        feats = json.loads(feats)
    return {"type": "FeatureCollection", "features": feats}


def district(conn: sa.Connection) -> dict | None:
    """The district's name, code and bbox, or None before any data is loaded."""
    row = conn.execute(
        sa.text(
            "SELECT district_code, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
            "FROM district ORDER BY district_code LIMIT 1"
        )
    ).first()
    if row is None:
        return None
    return {"code": row[0], "name": row[1], "bbox": [row[2], row[3], row[4], row[5]]}


def petition_years(conn: sa.Connection) -> list[int]:
    """Calendar years from the first petition's to the last's, for the time-window selector:
    two ends of the petition_date index, not a pass over every petition (27 ms per page
    load at city scale; 0.3 ms this way)."""
    rows = conn.execute(
        sa.text(
            "SELECT generate_series(extract(year FROM min(petition_date))::int,"
            " extract(year FROM max(petition_date))::int) FROM petition"
        )
    )
    return [r[0] for r in rows]


def schema_revision(conn: sa.Connection) -> str | None:
    """The Alembic revision the database is at."""
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


# -- per-compound metrics and district KPIs ----------------------------------------------

_COMPOUND_METRICS_SQL = """
WITH hh AS (SELECT compound_id, count(*) AS households FROM household GROUP BY compound_id),
bld AS (SELECT compound_id, count(*) AS buildings FROM building GROUP BY compound_id),
cmp12 AS (SELECT compound_id, count(*) AS n FROM complaint
          WHERE created_at >= :now - interval '365 days' AND created_at < :now GROUP BY compound_id),
open_c AS (SELECT compound_id, count(*) AS n FROM complaint WHERE resolved_at IS NULL GROUP BY compound_id),
pet12 AS (SELECT compound_id, count(*) AS n FROM petition
          WHERE petition_date > (:now)::date - 365 AND petition_date <= (:now)::date GROUP BY compound_id),
pm AS (SELECT compound_id, count(*) AS members, count(DISTINCT building_id) AS buildings_with
       FROM party_member GROUP BY compound_id),
cov AS (SELECT u.compound_id, count(*) AS units,
               count(*) FILTER (WHERE uc.unit_id IS NOT NULL OR bc.building_id IS NOT NULL) AS covered
        FROM unit u
        LEFT JOIN (SELECT DISTINCT unit_id FROM building_captain WHERE role = 'unit') uc ON uc.unit_id = u.id
        LEFT JOIN (SELECT DISTINCT building_id FROM building_captain WHERE role = 'building') bc
               ON bc.building_id = u.building_id
        GROUP BY u.compound_id),
ret AS (SELECT compound_id, count(*) FILTER (WHERE stage = 'completed') AS done,
               count(*) FILTER (WHERE stage <> 'completed') AS pipeline
        FROM elevator_retrofit GROUP BY compound_id),
idx AS (SELECT * FROM compound_index  -- issue 8: the latest quarter's 三方强基指数
        WHERE quarter = (SELECT max(quarter) FROM compound_index))
SELECT c.id, c.code, c.name, c.kind, c.street_code, s.name AS street_name, c.community_code,
       m.name AS community_name, c.year_built,
       coalesce(hh.households, 0) AS households, coalesce(bld.buildings, 0) AS buildings,
       round(100.0 * coalesce(cmp12.n, 0) / greatest(hh.households, 1), 2)::float AS complaints_per_100hh,
       coalesce(cmp12.n, 0) AS complaints_12m, coalesce(open_c.n, 0) AS complaints_open,
       coalesce(pet12.n, 0) AS petitions_12m,
       round(coalesce(cov.covered, 0)::numeric / greatest(cov.units, 1), 3)::float AS captain_unit_share,
       round(coalesce(pm.members, 0)::numeric / greatest(bld.buildings, 1), 2)::float AS party_members_per_building,
       coalesce(bld.buildings, 0) - coalesce(pm.buildings_with, 0) AS buildings_without_party_member,
       c.has_party_branch, c.commissioner_id IS NOT NULL AS has_commissioner,
       c.oc_formed, c.oc_term_end, c.oc_party_share::float, c.property_service, c.property_company,
       c.fee_collection_rate::float, c.star_rating, c.income_disclosed, c.e_voting,
       coalesce(ret.done, 0) AS retrofits_completed, coalesce(ret.pipeline, 0) AS retrofits_pipeline,
       idx.quarter AS index_quarter, idx.total::float AS index_total,
       idx.leadership::float AS index_leadership, idx.cohesion::float AS index_cohesion,
       idx.coordination::float AS index_coordination, idx.property::float AS index_property,
       idx.satisfaction::float AS index_satisfaction,
       ARRAY[ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)] AS bbox
FROM compound c
JOIN street s ON s.street_code = c.street_code
JOIN community m ON m.community_code = c.community_code
LEFT JOIN hh ON hh.compound_id = c.id
LEFT JOIN bld ON bld.compound_id = c.id
LEFT JOIN cmp12 ON cmp12.compound_id = c.id
LEFT JOIN open_c ON open_c.compound_id = c.id
LEFT JOIN pet12 ON pet12.compound_id = c.id
LEFT JOIN pm ON pm.compound_id = c.id
LEFT JOIN cov ON cov.compound_id = c.id
LEFT JOIN ret ON ret.compound_id = c.id
LEFT JOIN idx ON idx.compound_id = c.id
ORDER BY c.id
"""

CAPTAIN_SYSTEM_SHARE = (
    0.5  # a compound "has a building-captain system" when half its units are covered
)


# Tables written by logins and requests themselves (a commissioner's page records the
# visit); no cached answer of the map is made of them, so writing them does not change
# data_version().
UNCACHED_TABLES = ("account", "alembic_version", "api_token", "audit_log", "login_attempt",
                   "login_session", "patch_visit")  # fmt: skip


def data_version(conn: sa.Connection) -> tuple | None:
    """A token that changes when rows of any table (schema ``public``) but UNCACHED_TABLES
    are inserted, updated or deleted, or a table is truncated: the sums of PostgreSQL's
    per-table row counters (moved when the writing transaction has ended, within seconds)
    and of the tables' file numbers (TRUNCATE gives a table a new file), with the server's
    start and the statistics' last reset (either zeroes the counters). None when it cannot
    tell: the server does not count (track_counts off) or no table is seen."""
    row = conn.execute(
        sa.text(
            "SELECT current_setting('track_counts')::bool, count(*), "
            "coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint, "
            "coalesce(sum(pg_relation_filenode(relid)::bigint), 0)::bigint, "
            "pg_postmaster_start_time(), "
            "(SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) "
            "FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname <> ALL(:skip)"
        ),
        {"skip": list(UNCACHED_TABLES)},
    ).one()
    return tuple(row[1:]) if row[0] and row[1] else None


def compound_metrics(conn: sa.Connection, now: dt.datetime) -> list[dict]:
    """Per-compound figures for the choropleth, the compound panel and the KPIs."""
    rows = conn.execute(sa.text(_COMPOUND_METRICS_SQL), {"now": now})
    out = []
    for r in rows.mappings():
        d = dict(r)
        d["oc_term_end"] = d["oc_term_end"].isoformat() if d["oc_term_end"] else None
        out.append(d)
    return out


def district_kpis(conn: sa.Connection, metrics: list[dict], now: dt.datetime) -> list[dict]:
    """The year's targets against the district's figures (share values are 0..1)."""
    n = len(metrics) or 1
    formed = [m for m in metrics if m["oc_formed"]]
    prop_last, prop_prev = conn.execute(
        sa.text(
            "SELECT count(*) FILTER (WHERE petition_date > d - 365), "
            "count(*) FILTER (WHERE petition_date <= d - 365 AND petition_date > d - 730) "
            "FROM petition, (SELECT (:now)::date AS d) x WHERE category = 'property' AND petition_date <= d"
        ),
        {"now": now},
    ).one()

    def share(pred) -> float:  # noqa: ANN001
        return sum(1 for m in metrics if pred(m)) / n

    change = (prop_last / prop_prev - 1) if prop_prev else None
    party = sum(m["oc_party_share"] for m in formed) / len(formed) if formed else None
    meeting = sum(1 for m in formed if m["oc_party_share"] >= 0.5)
    captains = share(lambda m: m["captain_unit_share"] >= CAPTAIN_SYSTEM_SHARE)
    return [
        _kpi("party_branch", "小区党组织覆盖率", share(lambda m: m["has_party_branch"]), 1.0),
        _kpi("commissioner", "小区专员覆盖率", share(lambda m: m["has_commissioner"]), 1.0),
        _kpi("oc_formed", "业委会组建率", share(lambda m: m["oc_formed"]), 0.8),
        _kpi("oc_party_share", "业委会党员占比（平均）", party, 0.5, detail=f"{meeting}/{len(formed)} 个业委会党员占比≥50%"),
        _kpi("professional_service", "专业物业覆盖率", share(lambda m: m["property_service"] == "professional"), 1.0),
        _kpi("captain_system", "楼道长制度覆盖率", captains, 0.6, detail="一半以上单元有楼道长（或楼栋长）的小区"),
        _kpi("property_petitions", "物业类信访同比", change, -0.3, op="<=", detail=f"近12个月 {prop_last} 件，上年同期 {prop_prev} 件"),
        _kpi("income_disclosed", "经营性收益公开率", share(lambda m: m["income_disclosed"]), 0.8),
        _kpi("e_voting", "电子投票使用率", share(lambda m: m["e_voting"]), 0.5),
    ]  # fmt: skip


def _kpi(
    kpi_id: str,
    label: str,
    value: float | None,
    target: float,
    op: str = ">=",
    detail: str | None = None,
) -> dict:
    out: dict = {"id": kpi_id, "label": label, "value": value, "target": target, "op": op}
    if detail is not None:
        out["detail"] = detail
    return out


# -- vector tiles (ST_AsMVT) ----------------------------------------------------------------

# The map draws vector tiles at 256 * 2**TILE_ZOOM_OFFSET = 512 pixels, so a tile of zoom z
# is shown at map zoom z + 1; layers' minimum zooms (layers/) and the people aggregation
# switch count in shown zooms. 1024-pixel tiles (offset 2) opened the district no faster
# once the tiles came bundled (``TILE_BUNDLES``) and drawn in one pass (mvtlayer.js), and
# at zoom 15 they fetched and drew 3.7 times the window's area (6 tiles of 1024 px around
# a 1560 x 1080 map), reaching past the district where the city scale has data.
TILE_ZOOM_OFFSET = 1

# Per-compound figures carried in the compound tiles for the choropleth.
TILE_METRICS = {
    "complaints_per_100hh": "float8", "petitions_12m": "int", "captain_unit_share": "float8",
    "party_members_per_building": "float8", "buildings_without_party_member": "int",
    "oc_formed": "boolean", "property_service": "text",
    "index_total": "float8", "index_leadership": "float8", "index_cohesion": "float8",
    "index_coordination": "float8", "index_property": "float8", "index_satisfaction": "float8",
}  # fmt: skip


def tile_metric_params(metrics: list[dict]) -> dict[str, list]:
    """The arrays the compound tile query joins on, from compound_metrics()."""
    params: dict[str, list] = {"ids": [m["id"] for m in metrics]}
    for k in TILE_METRICS:
        params[f"m_{k}"] = [m[k] for m in metrics]
    return params


# Tile envelope in EPSG:4326, shifted back by the GCJ-02 offset when tiles are drawn on a
# GCJ-02 basemap (dx = dy = 0 otherwise).
_ENV = "ST_Translate(ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.02), 4326), -:dx, -:dy)"

# layer id -> SQL selecting g (EPSG:4326) and the tile's attributes; the minimum zoom is
# the layer's own (layers/).
_TILE_SQL: dict[str, str] = {
    # Compound polygons carry the choropleth values, passed in as arrays (:ids, :m_<metric>)
    # from the per-minute metrics so a tile costs a GiST lookup and a hash join.
    "compounds": f"""SELECT c.geom AS g, c.id, c.name, c.street_code, c.community_code, m.*
            FROM compound c
            JOIN unnest(CAST(:ids AS int[]), {", ".join(f"CAST(:m_{k} AS {t}[])" for k, t in TILE_METRICS.items())})
                 AS m(mid, {", ".join(TILE_METRICS)}) ON m.mid = c.id
            WHERE c.geom && {_ENV}""",
    "communities": f"""SELECT m.geom AS g, m.community_code AS code, m.name, m.street_code
            FROM community m WHERE m.geom && {_ENV}""",
    "streets": f"""SELECT s.geom AS g, s.street_code AS code, s.name
            FROM street s WHERE s.geom && {_ENV}""",
    "grids": f"""SELECT g.geom AS g, g.code, g.name, g.community_code
            FROM grid g WHERE g.geom && {_ENV}""",
    "buildings": f"""SELECT b.geom AS g, b.id, b.compound_id, b.number, b.floors, b.units, b.has_elevator,
                   coalesce(r.stage, '') AS retrofit_stage
            FROM building b LEFT JOIN elevator_retrofit r ON r.building_id = b.id
            WHERE b.geom && {_ENV}""",
    "party_members": f"""SELECT g, id, compound_id, n, n_reported FROM (
              SELECT ST_PointOnSurface(c.geom) AS g, c.id, c.id AS compound_id, p.n, p.n_reported
              FROM compound c CROSS JOIN LATERAL (
                  SELECT count(*) AS n, count(*) FILTER (WHERE reported) AS n_reported
                  FROM party_member WHERE compound_id = c.id) p
              WHERE :dz < 15 AND c.geom && {_ENV} AND p.n > 0
              UNION ALL
              SELECT ST_Centroid(b.geom), b.id, b.compound_id, p.n, p.n_reported
              FROM building b CROSS JOIN LATERAL (
                  SELECT count(*) AS n, count(*) FILTER (WHERE reported) AS n_reported
                  FROM party_member WHERE building_id = b.id) p
              WHERE :dz >= 15 AND b.geom && {_ENV}) s""",
    "building_captains": f"""SELECT g, id, compound_id, n, n_building, n_unit FROM (
              SELECT ST_PointOnSurface(c.geom) AS g, c.id, c.id AS compound_id, k.n, k.n_building, k.n_unit
              FROM compound c CROSS JOIN LATERAL (
                  SELECT count(*) AS n, count(*) FILTER (WHERE role = 'building') AS n_building,
                         count(*) FILTER (WHERE role = 'unit') AS n_unit
                  FROM building_captain WHERE compound_id = c.id) k
              WHERE :dz < 15 AND c.geom && {_ENV} AND k.n > 0
              UNION ALL
              SELECT ST_Centroid(b.geom), b.id, b.compound_id, k.n, k.n_building, k.n_unit
              FROM building b CROSS JOIN LATERAL (
                  SELECT count(*) AS n, count(*) FILTER (WHERE role = 'building') AS n_building,
                         count(*) FILTER (WHERE role = 'unit') AS n_unit
                  FROM building_captain WHERE building_id = b.id) k
              WHERE :dz >= 15 AND b.geom && {_ENV}) s""",
    # Place and time in one scan of ix_complaint_geom_created (migration 0009): neither
    # every complaint ever made in the tile (the geom index alone) nor the created_at
    # index's whole window (200,000 rows at city scale), so the cost follows the view.
    "complaints": f"""SELECT q.geom AS g, q.id, q.compound_id, q.category, q.channel,
                   (q.resolved_at IS NULL) AS open, to_char(q.created_at, 'YYYY-MM-DD') AS created
            FROM complaint q
            WHERE q.geom && {_ENV} AND q.created_at >= :since
              AND (:status = 'all' OR (:status = 'open') = (q.resolved_at IS NULL))
              AND (:category = 'all' OR q.category = :category)""",
    "elevator_retrofits": f"""SELECT r.geom AS g, r.id, r.compound_id, r.building_id, r.stage
            FROM elevator_retrofit r WHERE r.geom && {_ENV}""",
}
TILE_LAYERS = tuple(_TILE_SQL)

# Tiles that are several layers' tiles in one (MVT layers concatenate: a tile is a
# repeated field of layers). ``areas`` is what the map opens with -- the compounds and the
# community and street outlines -- drawn on one canvas per tile from one request;
# ``areas_buildings`` adds the buildings, which the map shows from their zoom (15) on.
TILE_BUNDLES: dict[str, tuple[str, ...]] = {
    "areas": ("compounds", "communities", "streets"),
    "areas_buildings": ("compounds", "communities", "streets", "buildings"),
}

# The attributes each tile layer carries: every column of its SQL but the source geometry
# ``g`` (which ST_AsMVT would otherwise encode as a text attribute of every feature,
# several times the size of the tile's own geometry) and the compound join key ``mid``.
_TILE_ATTRS: dict[str, tuple[str, ...]] = {
    "compounds": ("id", "name", "street_code", "community_code", *TILE_METRICS),
    "communities": ("code", "name", "street_code"),
    "streets": ("code", "name"),
    "grids": ("code", "name", "community_code"),
    "buildings": ("id", "compound_id", "number", "floors", "units", "has_elevator", "retrofit_stage"),
    "party_members": ("id", "compound_id", "n", "n_reported"),
    "building_captains": ("id", "compound_id", "n", "n_building", "n_unit"),
    "complaints": ("id", "compound_id", "category", "channel", "open", "created"),
    "elevator_retrofits": ("id", "compound_id", "building_id", "stage"),
}  # fmt: skip


def vector_tile(
    conn: sa.Connection,
    name: str,
    z: int,
    x: int,
    y: int,
    offset: tuple[float, float] = (0.0, 0.0),
    **filters: object,
) -> bytes:
    """One Mapbox vector tile (layer ``name``) made by ST_AsMVT; empty below the layer's zoom.

    ``offset`` (degrees) shifts features onto a GCJ-02 basemap: the GCJ-02 offset at the
    tile's centre, constant across one tile (a few metres of drift at z14, less above)."""
    inner = _TILE_SQL[name]
    display_zoom = z + TILE_ZOOM_OFFSET
    if display_zoom < layer_registry.REGISTRY[name].min_zoom:
        return b""
    sql = f"""
        WITH src AS ({inner})
        SELECT ST_AsMVT(t, :name, 4096, 'geom') FROM (
            SELECT ST_AsMVTGeom(ST_Transform(ST_Translate(src.g, :dx, :dy), 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom,
                   {", ".join(f"src.{a}" for a in _TILE_ATTRS[name])} FROM src) t
        WHERE t.geom IS NOT NULL
    """
    params = {
        "z": z,
        "dz": display_zoom,
        "x": x,
        "y": y,
        "name": name,
        "dx": offset[0],
        "dy": offset[1],
        **filters,
    }
    data = conn.execute(sa.text(sql), params).scalar()
    return bytes(data or b"")


# -- heat grids ---------------------------------------------------------------------------

HEAT_CELL_PX = 16


def heat_grid(
    conn: sa.Connection,
    layer: str,
    bbox: Sequence[float],
    zoom: int,
    date_from: dt.date,
    date_to: dt.date,
    stage: str = "all",
) -> list[list[float]]:
    """Counts of petitions or elevator retrofits aggregated on a grid of HEAT_CELL_PX
    screen pixels at ``zoom``, inside ``bbox``: [[lat, lon, count], ...]."""
    cell = 360.0 / (256 * 2**zoom) * HEAT_CELL_PX
    params: dict[str, object] = {
        "x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3],
        "cx": cell, "cy": cell * 0.87,  # ~cos(30°): cells roughly square on the ground here
        "d0": date_from, "d1": date_to,
    }  # fmt: skip
    # The viewport (GiST) is applied first, then the dates, so the cost follows the view.
    if layer == "petitions":
        source = "SELECT geom FROM petition WHERE petition_date >= :d0 AND petition_date <= :d1"
    elif layer == "elevator_retrofits":
        cond = {
            "completed": "stage = 'completed'",
            "pipeline": "stage <> 'completed'",
            "all": "true",
        }[stage]
        source = (
            "SELECT geom FROM elevator_retrofit WHERE "
            f"{cond} AND coalesce(completed_date, construction_date, approved_date, consultation_date, intent_date) "
            "BETWEEN :d0 AND :d1"
        )
    else:
        raise KeyError(layer)
    table = "petition" if layer == "petitions" else "elevator_retrofit"
    source = source.replace(f"FROM {table} WHERE", "FROM in_view WHERE")
    sql = f"""
        WITH in_view AS MATERIALIZED (
            SELECT * FROM {table} WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))
        SELECT ST_Y(c), ST_X(c), n FROM (
            SELECT ST_Centroid(ST_Collect(geom)) AS c, count(*) AS n
            FROM ({source}) s
            GROUP BY floor(ST_X(geom) / :cx), floor(ST_Y(geom) / :cy)) g
        ORDER BY 1, 2
    """
    return [[round(a, 6), round(b, 6), int(n)] for a, b, n in conn.execute(sa.text(sql), params)]


def search_compounds(
    conn: sa.Connection, q: str | None, community: str | None, limit: int
) -> list[dict]:
    """Compounds whose name contains ``q`` and/or that lie in ``community``, with bboxes."""
    rows = conn.execute(
        sa.text(
            """SELECT c.id, c.name, c.community_code, m.name AS community_name,
                      ARRAY[ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)] AS bbox
               FROM compound c JOIN community m USING (community_code)
               WHERE (CAST(:q AS text) IS NULL OR strpos(c.name, :q) > 0)
                 AND (CAST(:community AS text) IS NULL OR c.community_code = :community)
               ORDER BY strpos(c.name, coalesce(:q, '')), length(c.name), c.id
               LIMIT :limit"""
        ),
        {"q": q, "community": community, "limit": limit},
    )
    return [dict(r) for r in rows.mappings()]


def area_index(conn: sa.Connection) -> dict:
    """Streets and communities with their bounding boxes, for the drill-down selectors."""
    streets = conn.execute(
        sa.text(
            "SELECT street_code, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM street ORDER BY street_code"
        )
    ).all()
    comms = conn.execute(
        sa.text(
            "SELECT community_code, street_code, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
            "FROM community ORDER BY community_code"
        )
    ).all()
    return {
        "streets": [{"code": r[0], "name": r[1], "bbox": list(r[2:6])} for r in streets],
        "communities": [
            {"code": r[0], "street_code": r[1], "name": r[2], "bbox": list(r[3:7])} for r in comms
        ],
    }
