"""OGC API – Features, framework-free (pygeoapi style): functions take parsed arguments
and a connection and return documents; ``routes/ogc.py`` only hands requests to them.

Implemented: Part 1 core, GeoJSON, HTML, OpenAPI 3.0; Part 2 (CRS by reference); Part 3
queryables, queryables as query parameters and CQL2-text filters (see docs/ogc.md).
Paging is by key: ``next`` links carry ``after=<last key>``, so pages stay stable while
rows are added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import sqlalchemy as sa

import layers
from layers import Layer

from . import cql2, crs, feature_queries, validation
from .accounts import Principal, may_export
from .errors import BadParameter
from .feature_queries import FeatureQuery

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
CSV = "text/csv"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]
FORMATS = {"json": GEOJSON, "geojson": GEOJSON, "html": HTML, "csv": CSV}
# Query parameters of /items besides the layer's queryables.
ITEM_PARAMS = (
    "f", "bbox", "bbox-crs", "crs", "datetime", "limit", "properties", "filter",
    "filter-lang", "filter-crs", "after", "street", "community", "compound",
)  # fmt: skip
AREA_PARAMS = {"street": r"[0-9]{9}", "community": r"[0-9]{12}", "compound": r"[0-9]{1,15}"}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_GEOMETRY_FORMAT = {
    "Point": "geometry-point",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}
_JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


# -- metadata documents ---------------------------------------------------------------
def landing(base: str, title: str) -> dict:
    """The landing page: what QGIS and GDAL look for first."""
    return {
        "title": f"{title} · OGC API – Features",
        "description": "小区治理一张图: layers for GIS clients (public fields only). "
        "Send an API token: Authorization: Bearer <token>.",
        "links": [
            _link(f"{base}", "self", JSON, "this document"),
            _link(f"{base}?f=html", "alternate", HTML, "this document as HTML"),
            _link(f"{base}/api", "service-desc", OPENAPI, "the API definition (OpenAPI 3.0)"),
            _link(f"{base}/api.html", "service-doc", HTML, "the API documentation"),
            _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
            _link(
                f"{base}/conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON
            ),
            _link(f"{base}/collections", "data", JSON, "the collections (layers)"),
            _link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": list(CONFORMANCE)}


def exportable(principal: Principal) -> list[Layer]:
    """The layers this caller may export, in map order."""
    return [layer for layer in layers.REGISTRY.values() if may_export(principal, layer)]


def get_layer(principal: Principal, collection_id: str) -> Layer:
    """The layer behind a collection id, or a 404 naming ``collectionId``."""
    layer = layers.REGISTRY.get(collection_id)
    if layer is None or not may_export(principal, layer):
        raise BadParameter("collectionId", f"no collection {collection_id!r}", 404)
    return layer


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=cql2.SHANGHAI).isoformat()
    return str(value)


def collection(conn: sa.Connection, principal: Principal, layer: Layer, base: str) -> dict:
    """One collection: extent within the caller's scope, CRSs and links."""
    ext = feature_queries.extent(conn, layer, principal.scope)
    href = f"{base}/collections/{layer.id}"
    extent: dict[str, object] = {}
    if ext["bbox"]:
        extent["spatial"] = {"bbox": [ext["bbox"]], "crs": crs.CRS84.uri}
    if layer.time_field:
        lo, hi = ext["interval"] or (None, None)
        extent["temporal"] = {"interval": [[_iso(lo), _iso(hi)]], "trs": TRS}
    return {
        "id": layer.id,
        "title": layer.title,
        "description": f"{layer.description} ({layer.title_en}); public fields only",
        "itemType": "feature",
        "extent": extent,
        "storageCrs": crs.STORAGE.uri,
        "crs": [c.uri for c in crs.SUPPORTED],
        "numberMatched": ext["count"],
        "links": [
            _link(href, "self", JSON, layer.title),
            _link(f"{href}?f=html", "alternate", HTML),
            _link(f"{href}/items", "items", GEOJSON, f"{layer.title} (GeoJSON)"),
            _link(f"{href}/items?f=html", "items", HTML, f"{layer.title} (HTML)"),
            _link(f"{href}/items?f=csv", "items", CSV, f"{layer.title} (CSV)"),
            _link(
                f"{href}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "queryables",
            ),  # fmt: skip
            _link(
                f"{base.rsplit('/ogc', 1)[0]}/export/{layer.id}.gpkg",
                "enclosure",
                "application/geopackage+sqlite3",
                "whole layer as GeoPackage",
            ),  # fmt: skip
        ],
    }


def collections(conn: sa.Connection, principal: Principal, base: str) -> dict:
    return {
        "links": [
            _link(f"{base}/collections", "self", JSON),
            _link(f"{base}/collections?f=html", "alternate", HTML),
        ],
        "crs": [c.uri for c in crs.SUPPORTED],
        "collections": [
            collection(conn, principal, layer, base) for layer in exportable(principal)
        ],
    }


def queryables(layer: Layer, base: str) -> dict:
    """JSON Schema of the properties a filter may use (public fields only)."""
    props: dict[str, dict] = {
        "geometry": {
            "title": "几何",
            "format": _GEOMETRY_FORMAT.get(layer.geometry_type, "geometry-any"),
            "x-ogc-role": "primary-geometry",
        }
    }
    for f in layer.fields:
        schema = {"title": f.label, **_JSON_TYPES[f.type]}
        if f.vocabulary:
            schema["enum"] = list(f.vocabulary)
        props[f.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{layer.id}/queryables",
        "type": "object",
        "title": layer.title,
        "properties": props,
        "additionalProperties": False,
    }


# -- parameters -------------------------------------------------------------------------
def parse_format(args: Mapping[str, str], allowed: tuple[str, ...] = ("json", "html")) -> str:
    f = (args.get("f") or "json").lower()
    if f == "geojson":
        f = "json"
    if f not in allowed:
        raise BadParameter("f", f"unknown format {f!r}; one of {', '.join(allowed)}")
    return f


def parse_crs(args: Mapping[str, str], name: str) -> crs.Crs:
    raw = args.get(name)
    if raw is None or raw == "":
        return crs.CRS84
    found = crs.lookup(raw)
    if found is None:
        supported = ", ".join(c.uri for c in crs.SUPPORTED)
        raise BadParameter(name, f"unsupported CRS {raw!r}; supported: {supported}")
    return found


def parse_bbox(raw: str | None, bbox_crs: crs.Crs, name: str = "bbox") -> tuple | None:
    """bbox in ``bbox_crs`` axis order -> (minx, miny, maxx, maxy) with x first."""
    if raw is None or raw == "":
        return None
    values = validation.numbers(raw, name, (4, 6), "4 (or 6) comma-separated numbers")
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    a0, b0, a1, b1 = values
    if bbox_crs.projected:
        if a0 > a1 or b0 > b1:
            raise BadParameter(name, "minimum exceeds maximum")
        limit = 20037508.3427892
        if max(abs(a0), abs(a1)) > limit or max(abs(b0), abs(b1)) > 20048966.11:
            raise BadParameter(name, "coordinates outside EPSG:3857")
        return (a0, b0, a1, b1)
    if bbox_crs.latlon:  # lat, lon order
        return validation.lonlat_box(name, b0, a0, b1, a1)
    return validation.lonlat_box(name, a0, b0, a1, b1)


def parse_limit(args: Mapping[str, str], default: int = DEFAULT_LIMIT) -> int:
    return validation.integer(args, "limit", default, 1, MAX_LIMIT)


def _bound(text: str, end: bool) -> dt.datetime:
    if _DATE.match(text):
        day = dt.date.fromisoformat(text)
        if end:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(), tzinfo=cql2.SHANGHAI)
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("a date-time needs a time zone (Z or +08:00)")
    return value + dt.timedelta(microseconds=1) if end else value


def parse_datetime(raw: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """RFC 3339 instant or interval (``..`` or empty for an open end) as a half-open
    [lo, hi) range; dates cover the whole day in Asia/Shanghai, ends are inclusive."""
    if raw is None or raw == "":
        return None
    parts = raw.split("/")
    try:
        if len(parts) == 1:
            if parts[0] == "..":
                raise ValueError("an instant cannot be open")
            return (_bound(parts[0], False), _bound(parts[0], True))
        if len(parts) != 2:
            raise ValueError("expected an instant or start/end")
        start, end = (p.strip() for p in parts)
        lo = None if start in ("", "..") else _bound(start, False)
        hi = None if end in ("", "..") else _bound(end, True)
    except ValueError as e:
        raise BadParameter(
            "datetime",
            f"{e}; expected RFC 3339 like 2026-01-01, 2026-01-01T08:00:00Z, "
            "2026-01-01/2026-06-30, ../2026-06-30 or 2026-01-01/..",
        ) from None
    if lo is not None and hi is not None and lo >= hi:
        raise BadParameter("datetime", "the interval's start is after its end")
    return (lo, hi)


def _areas(args: Mapping[str, str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for name, pattern in AREA_PARAMS.items():
        raw = args.get(name)
        if raw is None or raw == "":
            continue
        values = tuple(v.strip() for v in raw.split(","))
        if not all(re.fullmatch(pattern, v) for v in values):
            what = {"street": "9-digit street codes", "community": "12-digit community codes"}
            raise BadParameter(
                name, f"expected {what.get(name, 'compound ids or 15-digit compound codes')}"
            )
        if name == "compound":
            codes = tuple(v for v in values if len(v) == 15)
            ids = tuple(v for v in values if len(v) != 15)
            if codes and ids:
                raise BadParameter(name, "give compound ids or compound codes, not both")
            out.append(("compound_codes", codes) if codes else ("compound_ids", ids))
        else:
            out.append((name, values))
    return tuple(out)


def parse_query(
    layer: Layer,
    principal: Principal,
    args: Mapping[str, str],
    *,
    paging: bool = True,
    axis_order: bool = True,
    extra: tuple[str, ...] = (),
) -> FeatureQuery:
    """Validate the items/export parameters into a FeatureQuery (400 naming the culprit)."""
    queryable = {f.name: f for f in layer.fields}
    for name in args:
        if name not in ITEM_PARAMS and name not in queryable and name not in extra:
            raise BadParameter(
                name,
                f"unknown parameter; queryables of {layer.id}: {', '.join(queryable)}",
            )
    if not paging and ("after" in args or "limit" in args):
        raise BadParameter("after" if "after" in args else "limit", "exports are not paged")
    bbox_crs = parse_crs(args, "bbox-crs")
    out_crs = parse_crs(args, "crs")
    filter_crs = parse_crs(args, "filter-crs")
    bbox = parse_bbox(args.get("bbox"), bbox_crs)
    if "bbox-crs" in args and bbox is None:
        raise BadParameter("bbox-crs", "given without bbox")
    time = parse_datetime(args.get("datetime"))
    if time is not None and not layer.time_field:
        raise BadParameter("datetime", f"collection {layer.id} has no temporal property")
    attributes = []
    for name, f in queryable.items():
        if name in args:
            try:
                attributes.append((name, cql2.coerce(f, args[name])))
            except cql2.CQLError as e:
                raise BadParameter(name, str(e)) from None
    properties = None
    if args.get("properties"):
        properties = tuple(p.strip() for p in args["properties"].split(","))
        unknown = [p for p in properties if p not in queryable]
        if unknown:
            raise BadParameter("properties", f"unknown properties {', '.join(unknown)}")
    expr = None
    if args.get("filter-lang") not in (None, "", "cql2-text"):
        raise BadParameter("filter-lang", "only cql2-text is supported")
    if args.get("filter") is not None:
        try:
            expr = cql2.parse(args["filter"], queryable)
        except cql2.CQLError as e:
            raise BadParameter("filter", str(e)) from None
    after = None
    if paging and args.get("after"):
        after = args["after"]
        if feature_queries.key_type(layer) == "integer":
            if not re.fullmatch(r"-?[0-9]{1,18}", after):
                raise BadParameter("after", "must be a feature id (a whole number)")
            after = int(after)
    return FeatureQuery(
        layer,
        principal.scope,
        bbox=bbox,
        bbox_crs=bbox_crs,
        areas=_areas(args),
        attributes=tuple(attributes),
        time=time,
        filter=expr,
        filter_crs=filter_crs,
        crs=out_crs,
        axis_order=axis_order,
        properties=properties,
        after=after,
        limit=parse_limit(args) if paging else None,
    )


def parse_feature_id(layer: Layer, raw: str) -> object:
    if feature_queries.key_type(layer) == "integer":
        if not re.fullmatch(r"[0-9]{1,18}", raw):
            raise BadParameter("featureId", f"no feature {raw!r} in {layer.id}", 404)
        return int(raw)
    return raw


# -- features -------------------------------------------------------------------------------
@dataclass
class ItemsPage:
    """One page of features; ``features`` holds GeoJSON text of each feature."""

    features: list[str]
    number_matched: int
    links: list[dict]
    crs: crs.Crs
    rows: list = field(default_factory=list)

    def to_json(self) -> str:
        head = json.dumps(
            {
                "type": "FeatureCollection",
                "numberMatched": self.number_matched,
                "numberReturned": len(self.features),
                "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "links": self.links,
            },
            ensure_ascii=False,
        )
        return head[:-1] + ',"features":[' + ",".join(self.features) + "]}"


def _url(href: str, args: Mapping[str, str], **changes: str | None) -> str:
    merged = {k: v for k, v in {**args, **changes}.items() if v is not None}
    return f"{href}?{urlencode(merged)}" if merged else href


def items(
    conn: sa.Connection, q: FeatureQuery, base: str, args: Mapping[str, str], fmt: str = "json"
) -> ItemsPage:
    """A page of features after ``q.after``, with numberMatched and a ``next`` link."""
    rows, more = feature_queries.page(conn, q, "csv" if fmt == "csv" else "geojson")
    href = f"{base}/collections/{q.layer.id}/items"
    plain = {k: v for k, v in args.items() if k != "f"}
    links = [
        _link(_url(href, args), "self", FORMATS[fmt]),
        _link(_url(href, plain, f="json"), "alternate", GEOJSON),
        _link(_url(href, plain, f="html"), "alternate", HTML),
        _link(_url(href, plain, f="csv"), "alternate", CSV),
        _link(f"{base}/collections/{q.layer.id}", "collection", JSON),
    ]
    links = [links[0]] + [lk for lk in links[1:] if lk["type"] != FORMATS[fmt]]
    if more and rows:
        links.append(_link(_url(href, args, after=str(rows[-1][0])), "next", FORMATS[fmt]))
    features = [] if fmt == "csv" else [r[1] for r in rows]
    return ItemsPage(features, feature_queries.count(conn, q), links, q.crs, rows)


def item(conn: sa.Connection, q: FeatureQuery, base: str) -> str | None:
    """One feature as GeoJSON text (with links), or None."""
    rows, _ = feature_queries.page(conn, q, "geojson")
    if not rows:
        return None
    href = f"{base}/collections/{q.layer.id}"
    links = [
        _link(f"{href}/items/{rows[0][0]}", "self", GEOJSON),
        _link(f"{href}/items/{rows[0][0]}?f=html", "alternate", HTML),
        _link(href, "collection", JSON),
    ]
    return rows[0][1][:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"


# -- OpenAPI --------------------------------------------------------------------------------
def _param(name: str, description: str, schema: dict, style: str | None = None) -> dict:
    out = {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }
    if style:
        out.update(style=style, explode=False)
    return out


def _items_parameters(layer: Layer) -> list[dict]:
    crs_enum = {"type": "string", "format": "uri", "enum": [c.uri for c in crs.SUPPORTED]}
    params = [
        _param("f", "format", {"type": "string", "enum": ["json", "html", "csv"]}),
        _param(
            "bbox",
            "minx,miny,maxx,maxy in bbox-crs (lat/lon order for EPSG:4326/4490)",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "form",
        ),  # fmt: skip
        _param("bbox-crs", "CRS of bbox", crs_enum),
        _param("crs", "CRS of the returned geometries", crs_enum),
        _param(
            "limit",
            "features per page",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        ),
        _param(
            "after",
            "key of the last feature of the previous page (next links carry it)",
            {"type": feature_queries.key_type(layer)},
        ),  # fmt: skip
        _param(
            "properties",
            "public fields to return",
            {"type": "array", "items": {"type": "string", "enum": list(layer.public_field_names)}},
            "form",
        ),  # fmt: skip
        _param(
            "street",
            "9-digit street codes, comma-separated",
            {"type": "string", "pattern": r"^[0-9]{9}(,[0-9]{9})*$"},
        ),
        _param(
            "community",
            "12-digit community codes, comma-separated",
            {"type": "string", "pattern": r"^[0-9]{12}(,[0-9]{12})*$"},
        ),
        _param(
            "compound",
            "compound ids or 15-digit compound codes, comma-separated",
            {
                "type": "string",
                "pattern": r"^([1-9][0-9]{0,8}|[0-9]{15})(,([1-9][0-9]{0,8}|[0-9]{15}))*$",
            },
        ),
        _param("filter", "CQL2 text", {"type": "string"}),
        _param("filter-lang", "filter language", {"type": "string", "enum": ["cql2-text"]}),
        _param("filter-crs", "CRS of geometries in filter", crs_enum),
    ]
    if layer.time_field:
        params.append(_param("datetime", "RFC 3339 instant or interval", {"type": "string"}))
    for f in layer.fields:
        if f.name not in AREA_PARAMS:
            params.append(_param(f.name, f"{f.label} equals", _JSON_TYPES[f.type]))
    return params


def openapi(base: str, title: str, principal: Principal) -> dict:
    """The OpenAPI 3.0 definition (service-desc), with one items path per collection."""
    exc = {"description": "OGC exception", "content": {JSON: {"schema": {"type": "object"}}}}
    errors = {"400": exc, "401": exc, "404": exc}

    def op(summary: str, op_id: str, ctype: str, params: list | None = None, *alt: str) -> dict:
        # every resource also has an HTML rendering (Accept: text/html or f=html)
        content = {t: {} for t in (ctype, *alt, HTML)}
        return {
            "get": {
                "summary": summary,
                "operationId": op_id,
                "parameters": params or [],
                "responses": {"200": {"description": summary, "content": content}, **errors},
            }
        }

    paths: dict[str, dict] = {
        "/": op("landing page", "getLandingPage", JSON),
        "/conformance": op("conformance classes", "getConformance", JSON),
        "/collections": op("collections", "getCollections", JSON),
    }
    for layer in exportable(principal):
        c = f"/collections/{layer.id}"
        paths[c] = op(f"{layer.title} ({layer.title_en})", f"describe_{layer.id}", JSON)
        paths[f"{c}/queryables"] = op(
            f"queryables of {layer.id}", f"queryables_{layer.id}", "application/schema+json"
        )
        paths[f"{c}/items"] = op(
            f"features of {layer.id}", f"getFeatures_{layer.id}", GEOJSON,
            _items_parameters(layer), CSV,
        )  # fmt: skip
        fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
        paths[f"{c}/items/{{featureId}}"] = op(
            f"one feature of {layer.id}", f"getFeature_{layer.id}", GEOJSON, [fid]
        )
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title} OGC API – Features", "version": "1.0.0"},
        "servers": [{"url": base}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
