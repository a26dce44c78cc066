"""File exports at /export/{layer}.geojson|.gpkg|.csv, streamed in chunks.

Same filters as the OGC items (bbox, bbox-crs, crs, datetime, street, community,
compound, queryables, filter), no paging; needs an API token like /ogc.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, stream_with_context

from .. import accounts, export, ogc
from ..errors import BadParameter

bp = Blueprint("export", __name__, url_prefix="/export")
bp.before_request(accounts.require_principal)


@bp.get("/<layer_id>.<fmt>")
def layer_file(layer_id: str, fmt: str) -> Response:
    principal = accounts.current_principal()
    if fmt not in export.FORMATS:
        raise BadParameter(
            "format", f"unknown format {fmt!r}; one of {', '.join(export.FORMATS)}", 404
        )
    layer = ogc.get_layer(principal, layer_id)
    q = ogc.parse_query(layer, principal, request.args, paging=False, axis_order=False)
    body = export.chunks(current_app.extensions["geo_engine"], q, fmt)
    resp = Response(stream_with_context(body), content_type=export.FORMATS[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{layer.id}.{fmt}"'
    resp.headers["Content-Crs"] = f"<{q.crs.uri}>"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
