"""File exports at /export/{layer}.geojson|.gpkg|.csv, streamed in chunks.

Same filters as the OGC items (bbox, bbox-crs, crs, datetime, street, community,
compound, queryables, filter), no paging; needs an API token like /ogc.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, request, stream_with_context

from .. import accounts, audit, db, export, ogc
from ..errors import BadParameter

bp = Blueprint("export", __name__, url_prefix="/export")


def _audited(
    layer_id: str, fmt: str, engine: db.ScopedEngine, q: ogc.FeatureQuery
) -> Iterator[bytes]:
    """The export's chunks; once it ends (or fails) the audit log gets its row count."""
    rows = 0

    def count(n: int) -> None:
        nonlocal rows
        rows += n

    target = f"/export/{layer_id}.{fmt}"
    try:
        yield from export.chunks(engine, q, fmt, count)
    except BaseException:
        audit.record(
            "export", target, rows, outcome="failed", detail=request.query_string.decode()[:500]
        )
        raise
    audit.record("export", target, rows, detail=request.query_string.decode()[:500] or None)


@bp.get("/<layer_id>.<fmt>")
def layer_file(layer_id: str, fmt: str) -> Response:
    principal = accounts.current_principal()
    if fmt not in export.FORMATS:
        raise BadParameter(
            "format", f"unknown format {fmt!r}; one of {', '.join(export.FORMATS)}", 404
        )
    layer = ogc.get_layer(principal, layer_id)
    q = ogc.parse_query(layer, principal, request.args, paging=False, axis_order=False)
    resp = Response(
        stream_with_context(_audited(layer.id, fmt, db.request_engine(), q)),
        content_type=export.FORMATS[fmt],
    )
    resp.headers["Content-Disposition"] = f'attachment; filename="{layer.id}.{fmt}"'
    resp.headers["Content-Crs"] = f"<{q.crs.uri}>"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
