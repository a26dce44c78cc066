"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from .. import queries
from ..db import get_db
from ..mapbuilder import build_page

bp = Blueprint("pages", __name__)


@bp.get("/")
def overview() -> Response:
    conn = get_db()
    summaries = queries.layer_summaries(conn)
    district = queries.district(conn)
    html = build_page(
        summaries,
        district_name=district["name"] if district else current_app.config["DISTRICT_NAME"],
        bounds=district["bbox"] if district else None,
    )
    return Response(html, mimetype="text/html")
