"""JSON API: layer registry and layer features.

Person layers carry their personal fields masked (张*明, 138****1234), unmasked only for a
commissioner in their own compounds (each such read is audited), and not at all for
planners."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

import layers

from .. import accounts, api_openapi, audit, masking, queries, validation
from ..db import get_db

bp = Blueprint("api", __name__, url_prefix="/api")


def _layer_json(summary: dict) -> dict:
    layer = summary["layer"]
    return {
        "id": layer.id,
        "title": layer.title,
        "title_en": layer.title_en,
        "kind": layer.kind,
        "table": layer.table,
        "geometry_type": layer.geometry_type,
        "time_field": layer.time_field,
        "min_zoom": layer.min_zoom,
        "count": summary["count"],
        "bbox": summary["bbox"],
        "fields": [{"name": f.name, "label": f.label, "type": f.type} for f in layer.fields],
        "links": [{"rel": "items", "href": f"/api/layers/{layer.id}/features"}],
    }


@bp.get("/health")
def health() -> Response:
    conn = get_db()
    return jsonify({"status": "ok", "schema": queries.schema_revision(conn)})


@bp.get("/layers")
def layer_list() -> Response:
    return jsonify(
        {
            "layers": [_layer_json(s) for s in queries.layer_summaries(get_db())],
            "links": [
                {
                    "rel": "service-desc",
                    "href": api_openapi.OPENAPI_PATH,
                    "type": "application/json",
                    "title": "the API definition (OpenAPI 3.0)",
                }
            ],
        }
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.0 document of /api and /tiles (login required, like the rest of /api)."""
    base = request.url_root.rstrip("/")
    return jsonify(api_openapi.openapi(base, current_app.config.get("DISTRICT_NAME", "")))


@bp.get("/layers/<layer_id>/features")
def layer_features(layer_id: str) -> Response:
    if layer_id not in layers.REGISTRY:
        abort(404, description=f"no layer {layer_id!r}; see /api/layers")
    bbox = validation.bbox(request.args)
    limit = validation.integer(request.args, "limit", default=1000, lo=1, hi=10_000)
    precision = validation.integer(request.args, "precision", default=7, lo=1, hi=9)
    layer = layers.REGISTRY[layer_id]
    principal = accounts.current_principal()
    personal = bool(layer.personal) and principal.receives_personal_fields
    fc = queries.features(
        get_db(), layer, bbox=bbox, limit=limit, precision=precision, personal=personal
    )
    if personal and principal.sees_personal_data:
        audit.record("personal_read", request.full_path[:500], len(fc["features"]))
    elif personal:
        masking.mask_features(fc, layer.personal_field_names)
    return jsonify(fc)
