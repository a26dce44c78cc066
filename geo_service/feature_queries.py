"""All SQL of the OGC API and the file exports: features, counts, extents, keyset pages
and server-side-cursor streams, built from layer metadata.

Identifiers (tables, columns) come only from the layer registry; every value — bbox,
area codes, attribute values, filter literals, time bounds, the paging key — is a bound
parameter. Only a layer's public fields are ever selected: personal fields are not
selectable at all. The caller's area scope is always part of the WHERE clause.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from psycopg.adapt import Loader

from layers import Layer

from . import cql2
from .accounts import Scope
from .crs import CRS84, Crs
from .queries import _geom_expr as layer_geometry

SHANGHAI = cql2.SHANGHAI


@dataclass(frozen=True)
class FeatureQuery:
    """What to select from one layer.

    ``bbox`` is (minx, miny, maxx, maxy) in ``bbox_crs`` with x first (callers swap
    lat/lon input). ``areas`` are (kind, values) restrictions with kind street, community,
    compound_ids or compound_codes. ``time`` is a half-open [lo, hi) interval, either end
    open (None). ``axis_order`` True writes lat/lon for EPSG:4326/4490 (OGC API); files
    pass False.
    """

    layer: Layer
    scope: Scope = Scope()
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: Crs = CRS84
    areas: tuple[tuple[str, tuple[str, ...]], ...] = ()
    attributes: tuple[tuple[str, object], ...] = ()
    time: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filter: cql2.Expr | None = None
    filter_crs: Crs = CRS84
    crs: Crs = CRS84
    axis_order: bool = True
    properties: tuple[str, ...] | None = None
    after: object | None = None
    feature_id: object | None = None
    limit: int | None = None
    partition: tuple[int, int] | None = None  # (i, n): only rows whose integer key % n == i

    @property
    def fields(self) -> tuple[str, ...]:
        """The public fields selected, in registry order."""
        names = self.layer.public_field_names
        if self.properties is None:
            return names
        return tuple(n for n in names if n in self.properties)


def key_type(layer: Layer) -> str:
    """JSON type of the layer's key (``id`` is an integer; area codes are strings)."""
    if layer.key == "id":
        return "integer"
    return layer.field(layer.key).type


class _Params:
    """Collects bound parameters; calling it returns the placeholder for a value."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"


def _columns(layer: Layer) -> set[str]:
    return {*layer.public_field_names, layer.key}


def _compound_subquery(kind: str, values: Sequence[str], p: _Params, column: str = "id") -> str:
    if kind == "compound_ids":
        return f"SELECT {column} FROM compound WHERE id = ANY({p([int(v) for v in values])})"
    return f"SELECT {column} FROM compound WHERE code = ANY({p(list(values))})"


def _area_clause(layer: Layer, kind: str, values: Sequence[str], p: _Params) -> str:
    """Rows of ``layer`` in the given streets / communities / compounds. Layers above
    the area's level (streets for a community scope, ...) keep the areas containing it."""
    cols = _columns(layer)
    if "street_code" not in cols:
        raise ValueError(f"layer {layer.id} has no street_code: cannot scope it")
    if kind == "street":
        return f"t.street_code = ANY({p(list(values))})"
    if kind == "community":
        if "community_code" in cols:
            return f"t.community_code = ANY({p(list(values))})"
        return (
            "t.street_code IN (SELECT street_code FROM community "
            f"WHERE community_code = ANY({p(list(values))}))"
        )
    if kind in ("compound_ids", "compound_codes"):
        if layer.compound_key:
            return f"t.{layer.compound_key} IN ({_compound_subquery(kind, values, p)})"
        if "community_code" in cols:
            return f"t.community_code IN ({_compound_subquery(kind, values, p, 'community_code')})"
        return f"t.street_code IN ({_compound_subquery(kind, values, p, 'street_code')})"
    raise ValueError(f"unknown area kind {kind!r}")


def _scope_clauses(layer: Layer, scope: Scope, p: _Params) -> list[str]:
    out = [f"t.district_code = {p(scope.district_code)}"]
    if scope.kind != "district":
        kind = "compound_ids" if scope.kind == "compounds" else scope.kind
        out.append(_area_clause(layer, kind, scope.codes or ("",), p))
    return out


def _envelope(box: Sequence[float], crs: Crs, p: _Params) -> str:
    x0, y0, x1, y1 = (p(float(v)) for v in box)
    if crs.projected:
        return f"ST_Transform(ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, {crs.srid}), 4326)"
    return f"ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"


def _spatial(layer: Layer, geom: str, target: str) -> str:
    """``geom`` intersects ``target``, using the GiST index of the placing table."""
    if layer.geometry_from:
        return f"(g.geom && {target} AND ST_Intersects({geom}, {target}))"
    return f"({geom} && {target} AND ST_Intersects({geom}, {target}))"


def _filter_geometry(node: cql2.Intersects, crs: Crs, p: _Params) -> str:
    if node.bbox is not None:
        box = node.bbox
        if crs.latlon:
            box = (box[1], box[0], box[3], box[2])
        return _envelope(box, crs, p)
    g = f"ST_GeomFromGeoJSON({p(node.geojson)})"
    if crs.latlon:
        g = f"ST_FlipCoordinates({g})"
    if crs.projected:
        return f"ST_Transform(ST_SetSRID({g}, {crs.srid}), 4326)"
    return f"ST_SetSRID({g}, 4326)"


def _compile(node: cql2.Expr, q: FeatureQuery, geom: str, p: _Params) -> str:
    """SQL for a CQL2 tree; property names were checked against the registry."""
    public = set(q.layer.public_field_names)

    def col(name: str) -> str:
        if name not in public:  # never trust the tree with an identifier
            raise ValueError(f"{name} is not a public field of {q.layer.id}")
        return f"t.{name}"

    if isinstance(node, cql2.And | cql2.Or):
        joiner = " AND " if isinstance(node, cql2.And) else " OR "
        return "(" + joiner.join(_compile(i, q, geom, p) for i in node.items) + ")"
    if isinstance(node, cql2.Not):
        return f"(NOT {_compile(node.item, q, geom, p)})"
    if isinstance(node, cql2.Compare):
        if node.op not in ("=", "<>", "<", "<=", ">", ">="):
            raise ValueError(node.op)
        return f"({col(node.field)} {node.op} {p(node.value)})"
    if isinstance(node, cql2.Between):
        neg = "NOT " if node.negate else ""
        return f"({col(node.field)} {neg}BETWEEN {p(node.low)} AND {p(node.high)})"
    if isinstance(node, cql2.In):
        expr = f"{col(node.field)} = ANY({p(list(node.values))})"
        return f"(NOT ({expr}))" if node.negate else f"({expr})"
    if isinstance(node, cql2.Like):
        neg = "NOT " if node.negate else ""
        return f"({col(node.field)} {neg}LIKE {p(node.pattern)})"
    if isinstance(node, cql2.IsNull):
        return f"({col(node.field)} IS {'NOT ' if node.negate else ''}NULL)"
    if isinstance(node, cql2.Intersects):
        return _spatial(q.layer, geom, _filter_geometry(node, q.filter_crs, p))
    raise ValueError(f"cannot compile {type(node).__name__}")


def _time_clause(layer: Layer, lo: dt.datetime | None, hi: dt.datetime | None, p: _Params) -> str:
    f = layer.time_field
    assert f is not None
    out = []
    if layer.field(f).type == "date":
        # A day intersects [lo, hi) when its start is before hi and its end after lo.
        if lo is not None:
            out.append(f"t.{f} >= {p(lo.astimezone(SHANGHAI).date())}")
        if hi is not None:
            local = hi.astimezone(SHANGHAI)
            end = local.date() if local.time() == dt.time() else local.date() + dt.timedelta(1)
            out.append(f"t.{f} < {p(end)}")
    else:
        if lo is not None:
            out.append(f"t.{f} >= {p(lo)}")
        if hi is not None:
            out.append(f"t.{f} < {p(hi)}")
    return " AND ".join(out) or "TRUE"


def _from_where(q: FeatureQuery, p: _Params, paging: bool = True) -> tuple[str, str, str]:
    """(geometry expression in 4326, FROM clause, WHERE clause)."""
    layer = q.layer
    geom, from_ = layer_geometry(layer)
    where = _scope_clauses(layer, q.scope, p)
    for kind, values in q.areas:
        where.append(_area_clause(layer, kind, values, p))
    public = set(layer.public_field_names)
    for name, value in q.attributes:
        if name not in public:
            raise ValueError(f"{name} is not a public field of {layer.id}")
        where.append(f"t.{name} = {p(value)}")
    if q.bbox is not None:
        where.append(_spatial(layer, geom, _envelope(q.bbox, q.bbox_crs, p)))
    if q.time is not None and layer.time_field:
        where.append(_time_clause(layer, q.time[0], q.time[1], p))
    if q.filter is not None:
        where.append(_compile(q.filter, q, geom, p))
    if q.feature_id is not None:
        where.append(f"t.{layer.key} = {p(q.feature_id)}")
    if paging and q.after is not None:
        where.append(f"t.{layer.key} > {p(q.after)}")
    if q.partition is not None:
        if key_type(layer) != "integer":
            raise ValueError(f"layer {layer.id} has no integer key to partition on")
        i, n = q.partition
        where.append(f"mod(t.{layer.key}, {p(int(n))}) = {p(int(i))}")
    return geom, from_, " AND ".join(where)


def _out_geometry(geom: str, crs: Crs, axis_order: bool) -> str:
    out = f"ST_Transform({geom}, {crs.srid})" if crs.projected else geom
    if axis_order and crs.latlon:
        out = f"ST_FlipCoordinates({out})"
    return out


def _json_value(layer: Layer, name: str) -> str:
    """SQL text of a column as a JSON value (faster than json_build_object, which costs
    several microseconds a row; the names come from the registry, never from a request)."""
    type_ = "integer" if name == "id" else layer.field(name).type
    if type_ in ("integer", "number", "boolean"):
        return f"coalesce(t.{name}::text, 'null')"
    return f"coalesce(to_json(t.{name})::text, 'null')"


def _select_list(q: FeatureQuery, geom: str, fmt: str) -> str:
    layer = q.layer
    out = _out_geometry(geom, q.crs, q.axis_order if fmt == "geojson" else False)
    if fmt == "geojson":
        props = " || ',' || ".join(f"""'"{n}":' || {_json_value(layer, n)}""" for n in q.fields)
        return (
            f"t.{layer.key} AS key, "
            f"""'{{"type":"Feature","id":' || {_json_value(layer, layer.key)} """
            f"""|| ',"geometry":' || coalesce(ST_AsGeoJSON({out}, {q.crs.precision}), 'null') """
            f"""|| ',"properties":{{' || {props or "''"} || '}}}}' AS feature"""
        )
    if fmt == "csv":
        cols = "".join(f", to_json(t.{n}) #>> '{{}}'" for n in q.fields)
        return f"t.{layer.key}{cols}, ST_AsText({out}, {q.crs.precision})"
    if fmt == "gpkg":
        cols = "".join(f", t.{n}" for n in q.fields)
        return (
            f"t.{layer.key}{cols}, ST_AsBinary(o.g), ST_XMin(o.g), ST_XMax(o.g), "
            "ST_YMin(o.g), ST_YMax(o.g)"
        )
    raise ValueError(f"unknown format {fmt!r}")


def select_sql(q: FeatureQuery, fmt: str, ordered: bool = True) -> tuple[str, dict[str, object]]:
    """The SELECT for ``fmt`` (geojson: key + feature text; csv: key, text columns, WKT;
    gpkg: key, typed columns, WKB and bounds), ordered by key unless ``ordered`` is
    False (a whole-layer stream needs no order and saves a sort), limited by ``q.limit``."""
    p = _Params()
    geom, from_, where = _from_where(q, p)
    lateral = ""
    if fmt == "gpkg":
        lateral = f", LATERAL (SELECT {_out_geometry(geom, q.crs, False)} AS g) o"
    sql = f"SELECT {_select_list(q, geom, fmt)} FROM {from_}{lateral} WHERE {where}"
    if ordered:
        sql += f" ORDER BY t.{q.layer.key}"
    if q.limit is not None:
        sql += f" LIMIT {p(q.limit)}"
    return sql, p.values


def page(conn: sa.Connection, q: FeatureQuery, fmt: str = "geojson") -> tuple[list, bool]:
    """Up to ``q.limit`` rows after ``q.after`` and whether more follow."""
    assert q.limit is not None
    probe = replace(q, limit=q.limit + 1)
    sql, params = select_sql(probe, fmt)
    rows = conn.execute(sa.text(sql), params).all()
    return rows[: q.limit], len(rows) > q.limit


def count(conn: sa.Connection, q: FeatureQuery) -> int:
    """How many features match (ignoring paging)."""
    p = _Params()
    _, from_, where = _from_where(q, p, paging=False)
    return conn.execute(sa.text(f"SELECT count(*) FROM {from_} WHERE {where}"), p.values).scalar()


class _RawText(Loader):
    """Hands text columns over as the bytes PostgreSQL sent (no decoding)."""

    def load(self, data: bytes | bytearray | memoryview) -> bytes:
        return bytes(data)


def _pyformat(sql: str) -> str:
    """``:pN`` placeholders (as built by ``_Params``) to psycopg's ``%(pN)s``."""
    return re.sub(r"(?<!:):(p[0-9]+)\b", r"%(\1)s", sql.replace("%", "%%"))


def stream(
    conn: sa.Connection, q: FeatureQuery, fmt: str, chunk: int = 5000, raw_text: bool = False
) -> Iterator[list]:
    """Every matching row (in no particular order), ``chunk`` rows at a time, through a
    server-side cursor (a psycopg named cursor on the connection's transaction).

    With ``raw_text`` text columns arrive as undecoded UTF-8 bytes, ready to be written
    out: a whole-layer GeoJSON export then costs Python no decoding or encoding.
    """
    sql, params = select_sql(q, fmt, ordered=False)
    raw = conn.connection.driver_connection
    with raw.cursor(name=f"export_{id(conn):x}") as cur:
        if raw_text:
            cur.adapters.register_loader("text", _RawText)
        cur.execute(_pyformat(sql), params)
        while rows := cur.fetchmany(chunk):
            yield rows


def extent(conn: sa.Connection, layer: Layer, scope: Scope) -> dict:
    """Count, lon/lat bbox and time interval of a layer within ``scope``."""
    p = _Params()
    geom, from_, where = _from_where(FeatureQuery(layer, scope), p)
    t0 = t1 = "NULL"
    if layer.time_field:
        t0, t1 = f"min(t.{layer.time_field})", f"max(t.{layer.time_field})"
    n, x0, y0, x1, y1, lo, hi = conn.execute(
        sa.text(
            "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM ("
            f"SELECT count(*) AS n, ST_Extent({geom}) AS e, {t0} AS t0, {t1} AS t1 "
            f"FROM {from_} WHERE {where}) s"
        ),
        p.values,
    ).one()
    return {
        "count": n,
        "bbox": None if x0 is None else [x0, y0, x1, y1],
        "interval": [lo, hi] if lo is not None else None,
    }


def srs_definition(conn: sa.Connection, srid: int) -> str:
    """The WKT definition PostGIS holds for ``srid`` (for GeoPackage metadata)."""
    return conn.execute(
        sa.text("SELECT srtext FROM spatial_ref_sys WHERE srid = :s"), {"s": srid}
    ).scalar_one()
