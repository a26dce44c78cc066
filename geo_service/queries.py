"""All SQL the web application runs, built from layer metadata (never from user text).

Identifiers come from the layer registry; values are always bound parameters.
"""

from __future__ import annotations

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
) -> dict:
    """A GeoJSON FeatureCollection of the layer's public fields, optionally in a bbox."""
    geom, from_ = _geom_expr(layer)
    cols = ", ".join(f"'{f.name}', t.{f.name}" for f in layer.fields)
    where = ""
    params: dict[str, object] = {"limit": limit}
    if bbox is not None:
        where = f"WHERE {geom} && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    sql = f"""
        SELECT coalesce(json_agg(json_build_object(
                 'type', 'Feature',
                 'id', f.key,
                 'geometry', ST_AsGeoJSON(f.geom, 7)::json,
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


def schema_revision(conn: sa.Connection) -> str | None:
    """The Alembic revision the database is at."""
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
