"""HTML pages: the one-screen map and the compound page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask_wtf.csrf import generate_csrf

import layers

from .. import accounts, enums, queries, security
from ..db import get_db
from ..mapbuilder import CHOROPLETH_METRICS, build_page, with_user
from .dossier import dossier_for, outline
from .maps import compound_figures, memo, metric_classes, now

bp = Blueprint("pages", __name__)


def _user() -> dict:
    principal = accounts.current_principal()
    return {
        "username": principal.username,
        "role": enums.ACCOUNT_ROLE.get(principal.role, principal.role),
        "csrf_token": generate_csrf(),
        "patch": principal.role != "planner",
    }


# The page minus the user's box, per scope: building it (folium compiles its templates
# afresh each time) and its three queries cost more than the rest of the request.
_PAGE_TTL = 60.0


@bp.get("/")
def overview() -> Response:
    # per app's settings too (the basemap and CRS are in the page): two apps may share a
    # database, as the tests' GCJ-02 app does
    settings = current_app.config["GEO_SETTINGS"]

    def build() -> str:
        conn = get_db()
        district = queries.district(conn)
        return build_page(
            list(layers.REGISTRY.values()),
            settings,
            district_name=district["name"] if district else current_app.config["DISTRICT_NAME"],
            bounds=district["bbox"] if district else None,
            years=queries.petition_years(conn),
            categories=layers.REGISTRY["complaints"].field("category").vocabulary or {},
            classes=metric_classes(CHOROPLETH_METRICS[0]["id"]),
        )

    html = with_user(memo(("page", settings), _PAGE_TTL, build), _user())
    return Response(security.add_nonce(html), mimetype="text/html")


@bp.get("/compounds/<int:compound_id>")
def compound_page(compound_id: int) -> str:
    d = dossier_for(compound_id)
    return render_template(
        "compound.html", c=compound_figures(compound_id), d=d, svg=outline(d), as_of=now()
    )
