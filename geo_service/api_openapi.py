"""The OpenAPI 3.0.3 document of the map's own JSON API (``/api/*``) and its vector tiles
(``/tiles/{layer_id}/{z}/{x}/{y}.pbf``), built as plain dicts the way ``ogc.py`` builds
the OGC API's, from the same constants the routes validate with (layer registry, enums,
tile metrics, limits), so a changed vocabulary or limit changes the document too.

Served at ``GET /api/openapi.json`` (login required, like the rest of /api). Not
covered: the HTML pages, /login, /logout, /export and /ogc (the OGC API describes itself
at /ogc/api). ``tests/test_schemathesis_api.py`` runs schemathesis against this document
and fails when a rule under /api or /tiles is neither documented nor excluded.

Parameters carry the checks of ``validation.py`` and the routes: every optional query
parameter allows an empty value (the service reads ``x=`` as "absent"), none may be
given twice (400); rules a JSON schema cannot state (bbox corners in order, tile x/y
below 2^z, ``q`` or ``community`` for the search...) are in the descriptions and
answered 400.
"""

from __future__ import annotations

import layers
from layers import Layer

from . import enums, models, patch, queries
from .index import config as index_config
from .index import warning
from .index.queries import DIMENSION_COLUMNS
from .routes import boundaries as boundary_routes
from .routes import maps as map_routes
from .routes import patch as patch_routes
from .validation import MAX_BLOCK_TILES

JSON = "application/json"
GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
MULTIPART = "multipart/form-data"
OPENAPI_PATH = "/api/openapi.json"
INT4_MAX = 2_147_483_647  # ids are PostgreSQL integer identities
# Operations documented but not fuzzed by the schemathesis test (they write).
WRITE_OPERATIONS = ("importBoundaries",)


# -- schema helpers ---------------------------------------------------------------------------
def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
N = {"type": "number"}
B = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}


def _null(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _enum(values: object, nullable: bool = False) -> dict:
    out: dict = {"type": "string", "enum": list(values)}  # type: ignore[call-overload]
    if nullable:
        out["nullable"] = True
        out["enum"].append(None)
    return out


def _arr(items: dict, **extra: object) -> dict:
    return {"type": "array", "items": items, **extra}


def _obj(props: dict, optional: tuple[str, ...] = (), closed: bool = True, **extra: object) -> dict:
    """An object with these properties, all required but ``optional``; ``closed``: no
    other keys (the service's replies list every key they carry)."""
    out: dict = {"type": "object", "properties": props, **extra}
    required = [k for k in props if k not in optional]
    if required:
        out["required"] = required
    if closed:
        out["additionalProperties"] = False
    return out


def _code(digits: int) -> dict:
    return {"type": "string", "pattern": f"^[0-9]{{{digits}}}$"}


STREET_CODE, COMMUNITY_CODE = _code(9), _code(12)
QUARTER = {"type": "string", "pattern": "^[0-9]{4}Q[1-4]$"}
BBOX = _arr(N, minItems=4, maxItems=4, description="minLon, minLat, maxLon, maxLat (EPSG:4326)")
ID = {"type": "integer", "minimum": 1, "maximum": INT4_MAX}

_POSITION = _arr(N, minItems=2)
_RING = _arr(_POSITION, minItems=4)
_POLYGON = _arr(_RING, minItems=1)


def _geometry(kind: str, coordinates: dict) -> dict:
    return {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": _enum([kind]), "coordinates": coordinates},
    }


GEOMETRIES = {
    "Point": _geometry("Point", _POSITION),
    "Polygon": _geometry("Polygon", _POLYGON),
    "MultiPolygon": _geometry("MultiPolygon", _arr(_POLYGON, minItems=1)),
    "Geometry": {
        "type": "object",
        "required": ["type"],
        "description": "any GeoJSON geometry",
        "properties": {
            "type": _enum(
                [
                    "Point",
                    "MultiPoint",
                    "LineString",
                    "MultiLineString",
                    "Polygon",
                    "MultiPolygon",
                    "GeometryCollection",
                ]
            )  # fmt: skip
        },
    },
}


def _feature(geometry: str, properties: dict, id_schema: dict = I) -> dict:
    return _obj(
        {
            "type": _enum(["Feature"]),
            "id": id_schema,
            "geometry": _ref(geometry),
            "properties": properties,
        }
    )


def _collection(feature: dict, **extra: dict) -> dict:
    return _obj({"type": _enum(["FeatureCollection"]), **extra, "features": _arr(feature)})


# -- parameters -------------------------------------------------------------------------------
def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    out = {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }
    if not required:
        out["allowEmptyValue"] = True  # an empty value counts as absent (the default)
    return out


def _path(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _bbox(required: bool = False) -> dict:
    lon = {"type": "number", "minimum": -180, "maximum": 180}
    p = _query(
        "bbox",
        _arr(lon, minItems=4, maxItems=4),
        "minLon,minLat,maxLon,maxLat in EPSG:4326; minimum ≤ maximum and latitudes in "
        "[-90, 90] (otherwise 400)",
        required,
    )
    p.update(style="form", explode=False)
    return p


def _int(name: str, lo: int, hi: int, default: int | None, description: str) -> dict:
    schema: dict = {"type": "integer", "minimum": lo, "maximum": hi}
    if default is not None:
        schema["default"] = default
    return _query(name, schema, description)


def _choice(name: str, options: object, default: str | None, description: str) -> dict:
    schema = _enum(options)
    if default is not None:
        schema["default"] = default
    return _query(name, schema, description)


IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "an ETag of an earlier reply: 304 when the reply is still the same",
    "schema": {"type": "string"},
}
COMPOUND_PARAM = _query(
    "compound",
    {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "只看该小区（须在调用者的范围内，否则 404）/ one compound of the caller's area",
)


# -- responses --------------------------------------------------------------------------------
def _json(schema: dict, description: str, media: str = JSON, headers: dict | None = None) -> dict:
    out: dict = {"description": description, "content": {media: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _header(description: str, schema: dict = S) -> dict:
    return {"description": description, "required": True, "schema": schema}


CACHE_HEADERS = {
    "ETag": _header("hash of the body (strong; ``-gzip`` for the gzipped representation)"),
    "Cache-Control": _header("private, max-age=…"),
}


def _resp(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _errors(*codes: str) -> dict:
    """The error replies of an operation: 401 and 503 always, plus ``codes``."""
    names = {"400": "BadRequest", "403": "Forbidden", "404": "NotFound", "409": "Conflict"}
    out = {c: _resp(names[c]) for c in codes}
    out.update({"401": _resp("Unauthorized"), "503": _resp("Unavailable")})
    return dict(sorted(out.items()))


def _error_body(error: str) -> dict:
    return _obj({"error": _enum([error]), "reason": S})


def _components() -> dict:
    schemas = {
        "InvalidParameter": _obj(
            {"error": _enum(["invalid parameter"]), "parameter": S, "reason": S},
            description="a parameter failed validation (errors.BadParameter)",
        ),
        "Error": _obj(
            {"error": S, "reason": S, "parameter": S},
            optional=("parameter",),
            description="any other error under /api (the HTTP status name, lower case)",
        ),
        "Unauthorized": _obj(
            {"code": _enum(["Unauthorized"]), "description": S},
            description="OGC API exception, the same for /api, /tiles and /ogc",
        ),
        **GEOMETRIES,
        "CompoundMetrics": _compound_metrics(),
        "BoundaryProblem": _boundary_problem(),
    }
    responses = {
        "BadRequest": _json(_ref("InvalidParameter"), "invalid parameter (named in the body)"),
        "Unauthorized": _json(
            _ref("Unauthorized"),
            "no valid login or token",
            headers={"WWW-Authenticate": _header('Bearer realm="geo-service"…')},
        ),
        "Forbidden": _json(_error_body("forbidden"), "not for this role"),
        "NotFound": _json(
            _error_body("not found"), "no such resource (or not in the caller's area)"
        ),
        "Conflict": _json(_error_body("conflict"), "already marked"),
        "Unavailable": _json(
            _error_body("service unavailable"),
            "the database cannot be reached; retry later",
            headers={"Retry-After": _header("seconds", I)},
        ),
    }
    security = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "gst_…",
            "description": "API token (geo-service users token create USERNAME)",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "geo_session",
            "description": "the session cookie set by POST /login; unsafe methods also "
            "need the session's CSRF token (header X-CSRFToken)",
        },
    }
    return {"schemas": schemas, "responses": responses, "securitySchemes": security}


# -- response schemas -------------------------------------------------------------------------
def _compound_metrics() -> dict:
    """One row of ``queries.compound_metrics`` (the per-minute figures of a compound)."""
    index = {f"index_{d}": _null(N) for d in ("total", *DIMENSION_COLUMNS)}
    return _obj(
        {
            "id": I, "code": S, "name": S, "kind": _enum(enums.COMPOUND_KIND),
            "street_code": STREET_CODE, "street_name": S,
            "community_code": COMMUNITY_CODE, "community_name": S, "year_built": I,
            "households": I, "buildings": I, "complaints_per_100hh": N,
            "complaints_12m": I, "complaints_open": I, "petitions_12m": I,
            "captain_unit_share": N, "party_members_per_building": N,
            "buildings_without_party_member": I, "has_party_branch": B,
            "has_commissioner": B, "oc_formed": B, "oc_term_end": _null(DATE),
            "oc_party_share": _null(N), "property_service": _enum(enums.PROPERTY_SERVICE),
            "property_company": _null(S), "fee_collection_rate": _null(N),
            "star_rating": _null({"type": "integer", "minimum": 1, "maximum": 5}),
            "income_disclosed": B, "e_voting": B,
            "retrofits_completed": I, "retrofits_pipeline": I,
            "index_quarter": _null(QUARTER), **index, "bbox": BBOX,
        },
        description="一个小区的指标（每分钟计算一次）/ a compound's figures",
    )  # fmt: skip


def _boundary_problem() -> dict:
    """A row of ``boundary_queries.problems`` (latest boundary check) without geometry."""
    return _obj(
        {
            "id": I, "kind": _enum(enums.BOUNDARY_PROBLEM), "kind_label": S,
            "compound_id": _null(I), "compound_name": _null(S), "compound_code": _null(S),
            "other_compound_id": _null(I), "other_compound_name": _null(S),
            "building_id": _null(I), "building_number": _null(I),
            "street_code": _null(STREET_CODE), "community_code": _null(COMMUNITY_CODE),
            "detail": S, "reason": _null(S), "area_m2": _null(N), "checked_at": DATETIME,
        }
    )  # fmt: skip


_JSON_TYPES = {
    "string": S,
    "integer": I,
    "number": N,
    "boolean": B,
    "date": DATE,
    "datetime": DATETIME,
}


def _layer_properties(layer: Layer) -> dict:
    """The properties of a layer's features: its public fields (always present, nullable as
    the column), and its personal ones (masked; absent for planners)."""
    columns = models.Base.metadata.tables[layer.table].c
    props = {}
    for f in (*layer.fields, *layer.personal):
        schema = _enum(f.vocabulary) if f.vocabulary else dict(_JSON_TYPES[f.type])
        if columns[f.name].nullable:
            schema = _null(schema)
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        props[f.name] = schema
    return _obj(props, optional=layer.personal_field_names)


def _layer_entry() -> dict:
    return _obj(
        {
            "id": _enum(layers.REGISTRY), "title": S, "title_en": S,
            "kind": _enum(["area", "housing", "person", "event"]), "table": S,
            "geometry_type": _enum(["Point", "Polygon", "MultiPolygon"]),
            "time_field": _null(S), "min_zoom": I, "count": I, "bbox": _null(BBOX),
            "fields": _arr(_obj({
                "name": S, "label": S,
                "type": _enum(["string", "integer", "number", "boolean", "date", "datetime"]),
            })),
            "links": _arr(_obj({"rel": S, "href": S})),
        }
    )  # fmt: skip


LINK = _obj({"rel": S, "href": S, "type": S, "title": S}, optional=("type", "title"))
_LABELLED = _obj({"key": S, "label": S, "n": I})
_DIMENSION_SCORES = {d: N for d in DIMENSION_COLUMNS}


def _dossier() -> dict:
    history = _obj(
        {
            "version": I, "valid_from": DATE, "valid_to": _null(DATE),
            "source": _enum(enums.BOUNDARY_SOURCE), "source_label": S, "note": _null(S),
            "created_at": DATETIME, "area_m2": _null(N), "geometry": _ref("MultiPolygon"),
        }
    )  # fmt: skip
    building = _obj(
        {
            "id": I, "number": I, "floors": I, "units": I, "year_built": I,
            "has_elevator": B, "households": I, "party_members": I,
            "has_building_captain": B, "units_with_unit_captain": I, "units_covered": I,
            "retrofit_stage": _enum(enums.RETROFIT_STAGE, nullable=True),
            "retrofit_label": _null(S),
        }
    )  # fmt: skip
    # The dossier's problem rows keep their geometry (a closed schema cannot be extended
    # with allOf, so the properties are copied).
    problem = _obj(
        {**_boundary_problem()["properties"], "geometry": _ref("Geometry")},
        description="with the problem spot's geometry",
    )
    area = _obj({"code": S, "name": S})
    return _obj(
        {
            "id": I, "code": S, "name": S, "aliases": _arr(S),
            "kind": _enum(enums.COMPOUND_KIND), "kind_label": S, "year_built": I,
            "street": area, "community": area, "as_of": DATETIME,
            "figures": _ref("CompoundMetrics"),
            "boundary": _obj({"area_m2": N, "geometry": _ref("MultiPolygon"),
                              "history": _arr(history)}),
            "housing": _obj({"buildings": I, "units": I, "households": I,
                             "buildings_with_elevator": I, "building_list": _arr(building)}),
            "residents": _obj({
                "by_source": _arr(_obj({
                    "source": _enum(enums.RESIDENT_SOURCE), "label": S, "current": I,
                    "imported": _obj({"matched": I, "ambiguous": I, "unmatched": I}),
                })),
                "ownership_changes": _obj({"last_12m": I, "total": I, "latest": _null(DATE)}),
            }),
            "party_branch": _obj({"established": B, "name": _null(S)}),
            "commissioner": _null(_obj(
                {"id": I, "name": S, "compounds_served": I},
                description="小区专员（姓名只保留姓）/ the commissioner, surname only",
            )),
            "owners_committee": _obj({"formed": B, "term_end": _null(DATE),
                                      "members": _null(I), "party_member_share": _null(N)}),
            "property_service": _obj({
                "kind": _enum(enums.PROPERTY_SERVICE), "label": S, "company": _null(S),
                "fee_collection_rate": _null(N), "star_rating": _null(I),
                "income_disclosed": B, "e_voting": B,
            }),
            "captains": _obj({"units": I, "units_with_captain": I, "share": N,
                              "buildings_with_building_captain": I}),
            "party_members": _obj({"total": I, "per_building": N, "buildings_without": I,
                                   "by_building": _arr(_obj({"building": I, "n": I}))}),
            "complaints_12m": _obj({
                "total": I, "open": I, "per_100_households": N, "resolved": I,
                "avg_response_hours": _null(N), "avg_satisfaction": _null(N),
                "by_category": _arr(_LABELLED), "by_channel": _arr(_LABELLED),
            }),
            "petitions_12m": _obj({"total": I, "by_category": _arr(_LABELLED)}),
            "elevator_retrofits": _arr(_obj({"stage": _enum(enums.RETROFIT_STAGE),
                                             "label": S, "n": I})),
            "boundary_problems": _arr(problem),
        },
        description="一小区一档案 / the compound dossier",
    )  # fmt: skip


def _index_compound() -> dict:
    value = {
        "anyOf": [_null(N), _null(B)],
        "description": "raw value: a number, a yes/no, or null when missing",
    }
    indicator = _obj(
        {"key": S, "name": S, "dimension": _null(S), "unit": S, "value": value,
         "score": _null(N)}
    )  # fmt: skip
    means = {f"mean_{d}": N for d in (*DIMENSION_COLUMNS, "total")}
    latest = _obj(
        {
            "compound_id": I, "quarter": QUARTER, **_DIMENSION_SCORES, "total": N,
            "indicators": _arr(indicator), "config_sha": S, "rank_district": I,
            "n_district": I, "rank_street": I, "n_street": I, **means,
        }
    )  # fmt: skip
    return _obj(
        {
            "compound_id": I,
            "dimensions": _arr(_obj({"key": _enum(DIMENSION_COLUMNS), "name": S})),
            "latest": latest,
            "trend": _arr(_obj({"quarter": QUARTER, "total": N, **_DIMENSION_SCORES})),
        }
    )


def _index_config() -> dict:
    return _obj(
        {
            "name": S, "version": S, "sha": S,
            "dimensions": _arr(_obj({"key": _enum(index_config.DIMENSIONS), "name": S,
                                     "weight": N})),
            "indicators": _arr(_obj({
                "key": S, "name": S, "dimension": _enum(index_config.DIMENSIONS),
                "unit": S, "definition": S, "direction": _enum(index_config.DIRECTIONS),
                "method": _enum(index_config.METHODS),
                "params": {"type": "object", "additionalProperties": N},
                "weight": N, "missing": _enum(index_config.MISSING),
            })),
        }
    )  # fmt: skip


def _spikes() -> dict:
    props = _obj(
        {
            "compound_id": I, "name": S, "street_code": STREET_CODE,
            "community_code": COMMUNITY_CODE, "community_name": S, "recent": I,
            "baseline": I, "top_category": _enum(enums.COMPLAINT_CATEGORY, nullable=True),
            "expected": N, "ratio": _null(N), "p_value": N, "q_value": N,
            "level": {"type": "integer", "minimum": 0, "maximum": len(warning.SPIKE_LEVELS)},
            "level_label": _enum([lb for _, _, lb in warning.SPIKE_LEVELS], nullable=True),
            "flagged": B,
        }
    )  # fmt: skip
    model = _obj(
        {
            "days": I, "baseline_days": I, "min_count": I, "test": S,
            "levels": _arr(_obj({"p_below": N, "level": I, "label": S})), "description": S,
        }
    )  # fmt: skip
    return _collection(_feature("Point", props), as_of=DATETIME, model=model, flagged=I)


def _hot_spots() -> dict:
    classes = _enum(warning.HOT_SPOT_CLASSES)
    props = _obj(
        {
            "compound_id": I, "name": S, "street_code": STREET_CODE,
            "community_code": COMMUNITY_CODE, "households": I, "petitions": I,
            "per_1000hh": N, "z": _null(N), "p_sim": _null(N), "confidence": _null(N),
            "class": classes, "class_label": S,
        }
    )  # fmt: skip
    return _collection(
        _feature("MultiPolygon", props),
        **{
            "from": DATE, "to": DATE, "statistic": S, "variable": S, "weights": S,
            "permutations": I, "seed": I,
            "classes": _arr(_obj({"class": classes, "label": S, "count": I})),
        },
    )  # fmt: skip


def _patch_compounds() -> dict:
    row = _obj(
        {
            "id": I, "code": S, "name": S, "kind": _enum(enums.COMPOUND_KIND), "kind_label": S,
            "street_code": STREET_CODE, "street_name": S, "community_code": COMMUNITY_CODE,
            "community_name": S, "oc_formed": B, "oc_term_end": _null(DATE),
            "oc_members": _null(I), "property_service": _enum(enums.PROPERTY_SERVICE),
            "property_label": S, "property_company": _null(S), "has_party_branch": B,
            "buildings": I, "buildings_without_party_member": I, "units": I,
            "units_covered": I, "units_without_unit_captain": I, "captain_share": _null(N),
            "complaints_open": I, "complaints_awaiting": I, "complaints_overdue": I,
            "petitions_90d": I, "retrofits_pipeline": I, "retrofits_completed": I,
            "bbox": BBOX, "flags": _arr(S),
        }
    )  # fmt: skip
    return _obj({"as_of": DATETIME, "compounds": _arr(row)})


def _patch_buildings() -> dict:
    props = _obj(
        {
            "id": I, "compound_id": I, "number": I, "floors": I, "units": I,
            "has_elevator": B, "x": N, "y": N, "has_building_captain": B,
            "units_without_captain": _arr(I), "units_covered": I, "coverage": N,
            "party_members": I, "retrofit_stage": _enum(enums.RETROFIT_STAGE, nullable=True),
            "retrofit_label": _null(S),
        }
    )  # fmt: skip
    return _collection(_feature("Polygon", props))


def _patch_complaints() -> dict:
    row = _obj(
        {
            "id": I, "compound_id": I, "compound_name": S, "building": _null(I),
            "channel": _enum(enums.COMPLAINT_CHANNEL), "channel_label": S,
            "category": _enum(enums.COMPLAINT_CATEGORY), "category_label": S,
            "created_at": DATETIME, "created_text": S, "first_response_at": _null(DATETIME),
            "resolved_at": _null(DATETIME), "marked_by": _null(S), "deadline": DATETIME,
            "deadline_text": S, "seconds_left": I, "state": _enum(patch.STATE_LABELS),
            "state_label": S, "countdown": S,
        }
    )  # fmt: skip
    return _obj(
        {"now": DATETIME, "response_hours": I, "total": I, "overdue": I,
         "complaints": _arr(row)}
    )  # fmt: skip


def _patch_residents() -> dict:
    place = {"compound_id": I, "compound_name": S, "building": I, "unit": I, "room": S}
    change = _obj(
        {
            "id": I, **place, "changed_on": DATE, "imported_at": DATETIME,
            "previous_owners": I, "new_owners": I,
            "names": _arr(_null(S)), "phones": _arr(_null(S)),
        }
    )  # fmt: skip
    floating = _obj(
        {
            "id": I, **place, "name": _null(S), "phone": _null(S),
            "registered_on": _null(DATE), "origin": _enum(["resident", "import"]),
        }
    )  # fmt: skip
    return _obj(
        {"since": DATETIME, "first_visit": B, "owner_changes": _arr(change),
         "floating": _arr(floating)}
    )  # fmt: skip


def _patch_petitions() -> dict:
    row = _obj(
        {
            "id": I, "compound_id": I, "compound_name": S, "petition_date": DATE,
            "category": _enum(enums.PETITION_CATEGORY), "category_label": S,
            "channel": _enum(enums.PETITION_CHANNEL), "channel_label": S,
        }
    )  # fmt: skip
    return _obj({"days": I, "total": I, "petitions": _arr(row)})


# -- operations -------------------------------------------------------------------------------
def _op(
    op_id: str,
    summary: str,
    tag: str,
    ok: dict,
    params: list | None = None,
    errors: tuple[str, ...] = (),
    method: str = "get",
    more: dict | None = None,
    **extra: object,
) -> dict:
    """One operation: 200 ``ok``, the error replies (see :func:`_errors`) and ``more``."""
    responses = {"200": ok, **_errors(*errors), **(more or {})}
    return {
        method: {
            "operationId": op_id,
            "summary": summary,
            "tags": [tag],
            "parameters": params or [],
            "responses": dict(sorted(responses.items())),
            **extra,
        }
    }


NOT_MODIFIED = {
    "304": {"description": "not modified (If-None-Match matched)", "headers": CACHE_HEADERS}
}


def _paths() -> dict:
    paths: dict[str, dict] = {}
    meta, lay, cmp, idx, warn, dos, pat, bnd = (
        "meta", "layers", "compounds & map", "index", "warnings", "dossier", "patch", "boundaries",
    )  # fmt: skip

    # -- api.py
    paths["/api/health"] = _op(
        "getHealth", "服务与数据库状态（无需登录）/ liveness and schema revision", meta,
        _json(_obj({"status": _enum(["ok"]), "schema": _null(S)}), "ok"),
        security=[],
    )  # fmt: skip
    paths["/api/health"]["get"]["responses"].pop("401")
    paths["/api/layers"] = _op(
        "listLayers", "图层目录（含要素数与范围）/ the layer registry with counts and extents",
        lay, _json(_obj({"layers": _arr(_layer_entry()), "links": _arr(LINK)}), "layers"),
    )  # fmt: skip
    paths[OPENAPI_PATH] = _op(
        "getOpenAPI", "本文档 / this document (OpenAPI 3.0)", meta,
        _json({"type": "object", "required": ["openapi", "info", "paths"]}, "OpenAPI 3.0.3"),
    )  # fmt: skip
    feature_params = [
        _bbox(),
        _int("limit", 1, 10_000, 1000, "at most this many features (in key order)"),
        _int("precision", 1, 9, 7, "decimal places of the coordinates"),
    ]
    for layer in layers.REGISTRY.values():
        geometry = "Point" if layer.geometry_from else layer.geometry_type
        key_type = S if models.Base.metadata.tables[layer.table].c[layer.key].type.python_type is str else I  # fmt: skip
        personal = (
            f"; personal fields {', '.join(layer.personal_field_names)} masked (a commissioner "
            "sees their own compounds' unmasked, each read audited; planners get none)"
            if layer.personal
            else ""
        )
        paths[f"/api/layers/{layer.id}/features"] = _op(
            f"getFeatures_{layer.id}",
            f"{layer.title} ({layer.title_en}) as GeoJSON{personal}",
            lay,
            _json(
                _collection(_feature(geometry, _layer_properties(layer), key_type)),
                "FeatureCollection",
            ),  # fmt: skip
            feature_params,
            ("400",),
        )

    # -- maps.py
    metrics = _obj({"as_of": DATETIME, "compounds": _arr(_ref("CompoundMetrics"))})
    paths["/api/compounds/metrics"] = _op(
        "getCompoundMetrics", "每个小区的指标（每分钟更新）/ every compound's figures", cmp,
        _json(metrics, "figures", headers=CACHE_HEADERS), [IF_NONE_MATCH],
        more=NOT_MODIFIED,
    )  # fmt: skip
    paths["/api/compounds/{compound_id}"] = _op(
        "getCompound", "一个小区的指标 / one compound's figures", cmp,
        _json(_ref("CompoundMetrics"), "figures"),
        [_path("compound_id", ID, "compound id")], ("404",),
    )  # fmt: skip
    paths["/api/compounds/classes"] = _op(
        "getCompoundClasses", "分级设色断点（五分位）/ quintile class breaks of a metric", cmp,
        _json(_obj({"metric": _enum(queries.TILE_METRICS),
                    "breaks": _arr(N, maxItems=4), "n": I}), "class breaks"),
        [_choice("metric", queries.TILE_METRICS, "complaints_per_100hh", "choropleth metric")],
        ("400",),
    )  # fmt: skip
    found = _obj(
        {"id": I, "name": S, "community_code": COMMUNITY_CODE, "community_name": S,
         "bbox": BBOX}
    )  # fmt: skip
    paths["/api/compounds/search"] = _op(
        "searchCompounds",
        "按名称或社区查找小区 / compounds by name and/or community (give q or community, "
        "else 400)",
        cmp,
        _json(_obj({"compounds": _arr(found)}), "matches, best first"),
        [
            _query("q", {"type": "string", "maxLength": 50, "pattern": "^[^\\u0000]*$"},
                   "part of the name (trimmed; at most 50 characters)"),
            _query("community", COMMUNITY_CODE, "12-digit community code"),
            _int("limit", 1, 500, 10, "at most this many"),
        ],
        ("400",),
    )  # fmt: skip
    kpi = _obj(
        {"id": S, "label": S, "value": _null(N), "target": N, "op": _enum([">=", "<="]),
         "detail": S},
        optional=("detail",),
    )  # fmt: skip
    paths["/api/kpis"] = _op(
        "getKpis", "年度目标与全区现状 / the year's targets against the district's figures",
        cmp, _json(_obj({"as_of": DATETIME, "kpis": _arr(kpi)}), "KPIs (shares are 0..1)"),
    )  # fmt: skip
    areas = _obj(
        {
            "streets": _arr(_obj({"code": STREET_CODE, "name": S, "bbox": BBOX})),
            "communities": _arr(_obj({"code": COMMUNITY_CODE, "street_code": STREET_CODE,
                                      "name": S, "bbox": BBOX})),
        }
    )  # fmt: skip
    paths["/api/areas"] = _op(
        "getAreas", "街道与社区及其范围 / streets and communities with their extents", cmp,
        _json(areas, "areas", headers=CACHE_HEADERS), [IF_NONE_MATCH],
        more=NOT_MODIFIED,
    )  # fmt: skip
    zoom = _int("zoom", 0, 22, 13, "map zoom; cells are 16 screen pixels at this zoom")
    window = {"type": "string", "pattern": "^(30|90|365|year:[0-9]{4})$"}
    window_text = "30, 90 or 365 days up to today, or a calendar year year:YYYY (2000..this year)"
    for layer_id, title, params in (
        ("petitions", "信访热力 / petitions", [
            _query("window", {**window, "default": "365"}, window_text)]),
        ("elevator_retrofits", "加装电梯热力 / elevator retrofits", [
            _query("window", window, window_text + "; absent: every retrofit since 2000"),
            _choice("stage", ("all", "completed", "pipeline"), "all", "retrofit stage")]),
    ):  # fmt: skip
        cell = _arr(N, minItems=3, maxItems=3, description="lat, lon, count")
        heat = _obj(
            {
                "layer": _enum([layer_id]), "zoom": I, "from": DATE, "to": DATE,
                "cell_px": _enum_int(queries.HEAT_CELL_PX), "max": I, "cells": _arr(cell),
            }
        )  # fmt: skip
        paths[f"/api/heat/{layer_id}"] = _op(
            f"getHeat_{layer_id}",
            f"{title}: counts on a grid in the viewport",
            cmp,
            _json(heat, "grid cells", headers=CACHE_HEADERS),
            [_bbox(required=True), zoom, *params, IF_NONE_MATCH],
            ("400",),
            more=NOT_MODIFIED,
        )
    tile_ok = {
        "description": "Mapbox vector tile (empty below the layer's minimum zoom)",
        "headers": CACHE_HEADERS,
        "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
    }
    z = _path("z", {"type": "integer", "minimum": 0, "maximum": 22}, "zoom")
    xy = {"type": "integer", "minimum": 0, "maximum": 2**22 - 1}
    tile_params = [
        z,
        _path("x", xy, "column, below 2^z (otherwise 400)"),
        _path("y", xy, "row, below 2^z (otherwise 400)"),
    ]
    crs = _choice(
        "crs", ("wgs84", "gcj02"), "wgs84",
        "gcj02: shifted by the GCJ-02 offset at the tile's centre (for Amap basemaps)",
    )  # fmt: skip
    others = [t for t in (*queries.TILE_LAYERS, *queries.TILE_BUNDLES) if t != "complaints"]
    bundles = "; ".join(
        f"{k} = {' + '.join(v)} in one tile" for k, v in queries.TILE_BUNDLES.items()
    )
    paths["/tiles/{layer_id}/{z}/{x}/{y}.pbf"] = _op(
        "getTile", "矢量瓦片 / vector tile of a layer (drawn at 512 px: tile zoom z shows at z+1)", cmp,
        tile_ok,
        [_path("layer_id", _enum(others), f"tile layer ({bundles})"), *tile_params, crs, IF_NONE_MATCH],
        ("400", "404"), more=NOT_MODIFIED,
    )  # fmt: skip
    paths["/tiles/{layer_id}/{z}/block"] = _op(
        "getTileBlock", "一组矢量瓦片 / the tiles of a block of columns and rows in one response", cmp,
        {
            "description": "each tile's byte length (unsigned 32-bit little-endian), row by "
            "row (y0..y1) and west to east (x0..x1), then the tiles in that order (Mapbox "
            "vector tiles as getTile sends them; an empty tile is 0 bytes)",
            "headers": CACHE_HEADERS,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
        [
            _path("layer_id", _enum(others), f"tile layer ({bundles})"), z,
            *(_query(n, xy, f"first or last {w} of the block, below 2^z; "
                     f"{MAX_BLOCK_TILES} tiles at most (otherwise 400)", required=True)
              for n, w in (("x0", "column"), ("x1", "column"), ("y0", "row"), ("y1", "row"))),
            crs, IF_NONE_MATCH,
        ],
        ("400", "404"), more=NOT_MODIFIED,
    )  # fmt: skip
    paths["/tiles/complaints/{z}/{x}/{y}.pbf"] = _op(
        "getComplaintTile", "投诉矢量瓦片 / complaints tile, filtered", cmp, tile_ok,
        [
            *tile_params,
            _int("days", 1, 3660, 90, "complaints of the last so many days"),
            _choice("status", ("all", "open", "closed"), "all", "open = not resolved"),
            _choice("category", map_routes.COMPLAINT_CATEGORIES, "all", "complaint category"),
            crs,
            IF_NONE_MATCH,
        ],
        ("400", "404"), more=NOT_MODIFIED,
    )  # fmt: skip

    # -- index.py
    paths["/api/index/config"] = _op(
        "getIndexConfig", "三方强基指数的指标、标准化与权重 / indicators and weights", idx,
        _json(_index_config(), "indicators.toml as JSON"),
    )  # fmt: skip
    paths["/api/index/compounds/{compound_id}"] = _op(
        "getCompoundIndex", "小区的指数、排名与季度趋势 / a compound's index and trend", idx,
        _json(_index_compound(), "latest quarter and trend"),
        [_path("compound_id", ID, "compound id")], ("404",),
    )  # fmt: skip
    ranking = _obj(
        {
            "rank": I, "code": S, "name": S, "compounds": I, **_DIMENSION_SCORES, "total": N,
            "street_code": STREET_CODE, "community_code": COMMUNITY_CODE, "change": _null(N),
        },
        description="code: street code, community code or compound id (as text)",
    )  # fmt: skip
    paths["/api/index/rankings"] = _op(
        "getIndexRankings", "街道/社区/小区按指数排名 / rankings by (mean) index", idx,
        _json(_obj({"level": _enum(("street", "community", "compound")),
                    "quarter": _null(QUARTER), "rows": _arr(ranking)}),
              "ranked rows (quarter null when no index is stored)"),
        [
            _choice("level", ("street", "community", "compound"), "street", "what to rank"),
            _query("street", STREET_CODE, "only this street"),
            _query("community", COMMUNITY_CODE, "only this community"),
            _int("limit", 1, 20_000, 500, "at most this many rows"),
            _query("quarter", QUARTER, "quarter like 2026Q3 (default: the latest stored)"),
        ],
        ("400",),
    )  # fmt: skip
    show_all = _choice("all", ("true", "false"), "false", "true: every compound, not only flagged")
    paths["/api/warnings/spikes"] = _op(
        "getComplaintSpikes", "投诉激增预警 / complaint spikes (GeoJSON points)", warn,
        _json(_spikes(), "spike tests"), [show_all], ("400",),
    )  # fmt: skip
    paths["/api/warnings/hotspots"] = _op(
        "getPetitionHotSpots", "信访热点（Gi*）/ petition hot spots (GeoJSON polygons)", warn,
        _json(_hot_spots(), "Gi* classes"),
        [_choice("window", ("90", "180", "365"), "365", "days up to today"),
         {**show_all, "description": "true: every compound, not only significant ones"}],
        ("400",),
    )  # fmt: skip

    # -- dossier.py
    paths["/api/compounds/{compound_id}/dossier"] = _op(
        "getCompoundDossier", "一小区一档案 / everything known about one compound", dos,
        _json(_dossier(), "the dossier"), [_path("compound_id", ID, "compound id")], ("404",),
    )  # fmt: skip

    # -- patch.py (roles: patch.PATCH_ROLES; others 403)
    patch_errors = ("400", "403", "404")
    paths["/api/patch/compounds"] = _op(
        "getPatchCompounds", "小区专员工作台：小区列表 / the patch's compounds, most urgent first",
        pat, _json(_patch_compounds(), "compounds"), [COMPOUND_PARAM], patch_errors,
    )  # fmt: skip
    outline = _obj({"id": I, "name": S})
    paths["/api/patch/map"] = _op(
        "getPatchMap", "小区边界 / the compounds' outlines", pat,
        _json(_collection(_feature("MultiPolygon", outline)), "outlines"),
        [COMPOUND_PARAM], patch_errors,
    )  # fmt: skip
    paths["/api/patch/buildings"] = _op(
        "getPatchBuildings",
        "楼栋（楼道长覆盖、党员、加装电梯）/ buildings; compound is required when the area "
        f"has more than {patch_routes.MAX_BUILDING_COMPOUNDS} compounds (else 400)",
        pat, _json(_patch_buildings(), "buildings"), [COMPOUND_PARAM], patch_errors,
    )  # fmt: skip
    paths["/api/patch/complaints"] = _op(
        "getPatchComplaints",
        f"未办结投诉（{patch.RESPONSE_HOURS} 小时首次响应倒计时）/ open complaints, most urgent first",
        pat, _json(_patch_complaints(), "open complaints"), [COMPOUND_PARAM], patch_errors,
    )  # fmt: skip
    paths["/api/patch/residents"] = _op(
        "getPatchResidents",
        "上次访问以来的业主变动与新增流动人口 / owner changes and new floating residents "
        "(names and phones masked except for a commissioner)",
        pat, _json(_patch_residents(), "changes since the last visit"), [COMPOUND_PARAM],
        patch_errors,
    )  # fmt: skip
    paths["/api/patch/petitions"] = _op(
        "getPatchPetitions", f"近 {patch.PETITION_DAYS} 天信访 / recent petitions", pat,
        _json(_patch_petitions(), "petitions"), [COMPOUND_PARAM], patch_errors,
    )  # fmt: skip
    marked = _obj(
        {
            "id": I, "compound_id": I, "marked": _arr(_enum(patch.ACTIONS), minItems=1),
            "at": DATETIME, "labels": _arr(S),
        }
    )  # fmt: skip
    roles = ", ".join(sorted(patch.MARK_ROLES))
    for action, op_id, title in (
        ("first-response", "markFirstResponse", "标记首次响应 / mark the first response"),
        ("resolution", "markResolution",
         "标记办结（无首次响应时一并标记）/ mark the resolution (and the first response)"),
    ):  # fmt: skip
        paths[f"/api/patch/complaints/{{complaint_id}}/{action}"] = _op(
            op_id,
            f"{title}; roles {roles} (others 403); with the session cookie the header "
            "X-CSRFToken is required (else 400 naming csrf_token)",
            pat,
            _json(marked, "marked"),
            [_path("complaint_id", ID, "complaint id")],
            ("400", "403", "404", "409"),
            method="post",
        )

    # -- boundaries.py
    problems = _collection(
        _feature("Geometry", _ref("BoundaryProblem")),
        checked_at=_null(DATETIME),
        numberReturned=I,
        kinds=_obj({k: S for k in enums.BOUNDARY_PROBLEM}),
    )
    paths["/api/boundaries/problems"] = _op(
        "getBoundaryProblems", "最近一次边界检查的问题点 / the latest boundary check's problems",
        bnd, _json(problems, "problem spots", GEOJSON),
        [
            _choice("kind", enums.BOUNDARY_PROBLEM, None, "problem kind"),
            _query("compound", ID, "compound id (either party of an overlap)"),
            _query("community", COMMUNITY_CODE, "12-digit community code"),
        ],
        ("400",),
    )  # fmt: skip
    suffixes = ", ".join(boundary_routes.UPLOAD_SUFFIXES)
    form = _obj(
        {
            "file": {"type": "string", "format": "binary",
                     "description": f"GeoJSON, zipped Shapefile or GeoPackage ({suffixes})"},
            "crs": _enum(("EPSG:4326", "EPSG:4490", "EPSG:3857", "gcj02")),
            "invalid": {**_enum(("repair", "reject")), "default": "repair"},
            "dry_run": {**_enum(("0", "1")), "default": "0"},
        },
        optional=("crs", "invalid", "dry_run"),
    )  # fmt: skip
    outcome = _obj(
        {
            "n": I, "code": _null(S), "name": _null(S),
            "status": _enum(("accepted", "repaired", "unchanged", "rejected")),
            "compound_id": _null(I), "compound_name": _null(S), "version": _null(I),
            "reason": S,
        }
    )  # fmt: skip
    upload_error = {
        "description": "invalid upload (too large: 413, wrong kind of file: 415)",
        "content": {JSON: {"schema": _ref("Error")}},
    }
    paths["/api/boundaries/import"] = _op(
        "importBoundaries",
        "导入手绘小区边界（仅管理员，写入；不参与模糊测试）/ import hand-drawn boundaries "
        "(admin only; writes, all or nothing)",
        bnd,
        _json(_obj({"file": S, "dry_run": B, "summary": S, "features": _arr(outcome)}),
              "the import report"),
        [],
        ("403",),
        method="post",
        requestBody={"required": True, "content": {MULTIPART: {"schema": form}}},
    )  # fmt: skip
    paths["/api/boundaries/import"]["post"]["responses"].update(
        {"400": upload_error, "404": upload_error, "413": upload_error, "415": upload_error}
    )
    return paths


def _enum_int(value: int) -> dict:
    return {"type": "integer", "enum": [value]}


def openapi(base: str, title: str = "") -> dict:
    """The OpenAPI 3.0.3 document; ``base`` is the service's root URL (no trailing /)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{title} 小区治理一张图 JSON API".strip(),
            "version": "1.0.0",
            "description": (
                "The map's own JSON API and vector tiles. Log in (session cookie) or send "
                "an API token: Authorization: Bearer gst_…. Every reply is scoped to the "
                "caller's area by row-level security: a compound outside it answers 404. "
                "Errors are JSON: 400 names the parameter (also for a parameter given twice "
                "or holding a NUL character); 401 is an OGC API exception. "
                "The OGC API – Features (public fields, for GIS clients) is documented at "
                "/ogc/api."
            ),
        },
        "servers": [{"url": base or "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "tags": [
            {"name": n}
            for n in (
                "meta",
                "layers",
                "compounds & map",
                "index",
                "warnings",
                "dossier",
                "patch",
                "boundaries",
            )  # fmt: skip
        ],
        "paths": _paths(),
        "components": _components(),
    }
