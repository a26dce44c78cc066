"""OGC API – Features at /ogc: parse the request, call geo_service.ogc, shape the reply.

Every path needs a valid API token (``Authorization: Bearer …``); see accounts.py.
"""

from __future__ import annotations

import json
from dataclasses import replace

from flask import Blueprint, Response, current_app, render_template, request

from .. import accounts, audit, ogc
from ..db import get_db
from ..errors import BadParameter
from ..export import csv_header, csv_text

bp = Blueprint("ogc", __name__, url_prefix="/ogc")


def _base() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _title() -> str:
    return current_app.config.get("DISTRICT_NAME", "")


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items()}


def _wants(allowed: tuple[str, ...] = ("json", "html")) -> str:
    if "f" in request.args:
        return ogc.parse_format(request.args, allowed)
    best = request.accept_mimetypes.best_match([ogc.JSON, ogc.GEOJSON, ogc.HTML])
    return "html" if best == ogc.HTML else "json"


def _json(doc: dict | str, mimetype: str = ogc.JSON, crs_uri: str | None = None) -> Response:
    body = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False, default=str)
    resp = Response(body, mimetype=mimetype)
    if crs_uri:
        resp.headers["Content-Crs"] = f"<{crs_uri}>"
    return resp


def _html(title: str, doc: dict, **extra: object) -> Response:
    return Response(render_template("ogc.html", title=title, doc=doc, **extra), mimetype=ogc.HTML)


def _reply(title: str, doc: dict, mimetype: str = ogc.JSON) -> Response:
    if _wants() == "html":
        return _html(title, doc, raw=json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    return _json(doc, mimetype)


@bp.get("")
@bp.get("/")
def landing() -> Response:
    doc = ogc.landing(_base(), _title())
    return _reply(doc["title"], doc)


@bp.get("/conformance")
def conformance() -> Response:
    return _reply("Conformance", ogc.conformance())


@bp.get("/api")
def service_desc() -> Response:
    return _json(ogc.openapi(_base(), _title(), accounts.current_principal()), ogc.OPENAPI)


@bp.get("/api.html")
def service_doc() -> Response:
    doc = ogc.openapi(_base(), _title(), accounts.current_principal())
    return _html(doc["info"]["title"], doc, openapi=doc)


@bp.get("/collections")
def collections() -> Response:
    doc = ogc.collections(get_db(), accounts.current_principal(), _base())
    return _reply("Collections", doc)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    principal = accounts.current_principal()
    layer = ogc.get_layer(principal, collection_id)
    doc = ogc.collection(get_db(), principal, layer, _base())
    return _reply(doc["title"], doc)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    layer = ogc.get_layer(accounts.current_principal(), collection_id)
    return _reply(
        f"{layer.title} queryables", ogc.queryables(layer, _base()), "application/schema+json"
    )


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    principal = accounts.current_principal()
    layer = ogc.get_layer(principal, collection_id)
    fmt = _wants(("json", "html", "csv"))
    q = ogc.parse_query(layer, principal, request.args)
    page = ogc.items(get_db(), q, _base(), _args(), fmt)
    audit.record("ogc_items", request.full_path[:500], len(page.features))
    if fmt == "csv":
        resp = Response(csv_text(page.rows, csv_header(q)), mimetype="text/csv")
        resp.headers["Content-Disposition"] = f'inline; filename="{layer.id}.csv"'
    elif fmt == "html":
        features = [json.loads(f) for f in page.features]
        resp = _html(
            f"{layer.title} ({layer.title_en})",
            {"links": page.links},
            features=features,
            fields=list(q.fields),
            labels={f.name: f.label for f in layer.fields},
            matched=page.number_matched,
        )
    else:
        resp = _json(page.to_json(), ogc.GEOJSON)
    resp.headers["Content-Crs"] = f"<{q.crs.uri}>"
    return resp


@bp.get("/collections/<collection_id>/items/<feature_id>")
def feature(collection_id: str, feature_id: str) -> Response:
    principal = accounts.current_principal()
    layer = ogc.get_layer(principal, collection_id)
    fid = ogc.parse_feature_id(layer, feature_id)
    args = {k: v for k, v in request.args.items() if k in ("f", "crs", "properties")}
    q = ogc.parse_query(layer, principal, args)
    body = ogc.item(get_db(), replace(q, feature_id=fid, limit=1), _base())
    if body is None:
        raise BadParameter("featureId", f"no feature {feature_id!r} in {layer.id}", 404)
    if _wants() == "html":
        doc = json.loads(body)
        return _html(
            f"{layer.title} {feature_id}",
            {"links": doc.get("links", [])},
            features=[doc],
            fields=list(q.fields),
            labels={f.name: f.label for f in layer.fields},
            matched=1,
        )
    return _json(body, ogc.GEOJSON, q.crs.uri)
