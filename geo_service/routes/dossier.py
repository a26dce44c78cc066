"""一小区一档案: the compound dossier as JSON (the page ``/compounds/{id}`` uses it too)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify

from .. import dossier
from ..db import get_db
from .maps import compound_figures, now

bp = Blueprint("dossier", __name__)


def dossier_for(compound_id: int) -> dict:
    """The dossier of a compound, or 404 (JSON under /api) when there is none."""
    figures = compound_figures(compound_id)  # 404 for an unknown compound
    d = dossier.compound_dossier(get_db(), compound_id, now(), figures)
    if d is None:
        abort(404, description=f"no compound {compound_id}")
    return d


def outline(d: dict) -> dict:
    """SVG paths of the compound's boundary (first) and its buildings, for the page."""
    shapes = dossier.building_geometries(get_db(), d["id"])
    return dossier.svg_outline([d["boundary"]["geometry"], *(s["g"] for s in shapes)])


@bp.get("/api/compounds/<int:compound_id>/dossier")
def compound_dossier(compound_id: int) -> Response:
    return jsonify(dossier_for(compound_id))
