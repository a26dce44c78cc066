"""Boundary-check problems (issue 3) as GeoJSON, so the map can show the spots; and the
upload of hand-drawn boundaries (administrators only; the CLI does the same)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.utils import secure_filename

from .. import accounts, audit, boundaries, db, enums, validation
from ..db import get_db
from ..errors import BadParameter

UPLOAD_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")

bp = Blueprint("boundaries", __name__, url_prefix="/api/boundaries")


@bp.get("/problems")
def problems() -> Response:
    """The latest ``geo-service boundaries check`` as a FeatureCollection of problem
    spots; ``kind`` (one of enums.BOUNDARY_PROBLEM), ``compound`` (id; matches either
    party of an overlap) and ``community`` (12 digits) filter it."""
    kind = validation.choice(request.args, "kind", tuple(enums.BOUNDARY_PROBLEM), "") or None
    compound = request.args.get("compound")
    compound_id = None
    if compound:
        compound_id = validation.integer(request.args, "compound", 0, 1, 2_147_483_647)
    community = request.args.get("community") or None
    if community is not None and not (community.isdigit() and len(community) == 12):
        raise BadParameter("community", "a 12-digit community code")
    fc = boundaries.problems_geojson(get_db(), kind, compound_id, community)
    resp = jsonify(fc)
    resp.mimetype = "application/geo+json"
    return resp


@bp.post("/import")
def import_upload() -> Response:
    """Import hand-drawn compound boundaries from an uploaded file (form field ``file``:
    GeoJSON, zipped Shapefile or GeoPackage; ``crs`` EPSG:4326|EPSG:4490|EPSG:3857|gcj02;
    ``invalid`` repair|reject; ``dry_run`` 1 to only report). The body is limited by
    MAX_CONTENT_LENGTH (413); zips are checked from their directory before extraction.
    All or nothing; the answer is the import report."""
    principal = accounts.current_principal()
    if principal.role != "admin":
        abort(403, description="only an administrator may import boundaries")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadParameter("file", "required: a GeoJSON, zipped Shapefile or GeoPackage file")
    name = secure_filename(upload.filename) or "upload"
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise BadParameter("file", f"{name}: expected one of {', '.join(UPLOAD_SUFFIXES)}", 415)
    crs = request.form.get("crs") or None
    if crs is not None and crs not in ("EPSG:4326", "EPSG:4490", "EPSG:3857", "gcj02"):
        raise BadParameter("crs", "one of EPSG:4326, EPSG:4490, EPSG:3857, gcj02")
    invalid = validation.choice(request.form, "invalid", ("repair", "reject"), "repair")
    dry_run = validation.choice(request.form, "dry_run", ("0", "1"), "0") == "1"
    with tempfile.TemporaryDirectory(prefix="gs-upload-") as tmp:
        path = Path(tmp) / name
        upload.save(path)
        conn = get_db()
        try:
            report = boundaries.import_file(conn, path, crs=crs, on_invalid=invalid,
                                            dry_run=dry_run)  # fmt: skip
        except boundaries.BoundaryError as e:
            conn.rollback()
            audit.record("boundary_import", name, outcome="failed", detail=str(e)[:500])
            raise BadParameter("file", str(e), e.status) from None
        if dry_run:
            conn.rollback()
        else:
            db.commit()
    audit.record("boundary_import", name, report.count("accepted") + report.count("repaired"),
                 detail="dry run" if dry_run else None)  # fmt: skip
    return jsonify(
        {
            "file": name,
            "dry_run": dry_run,
            "summary": report.summary(),
            "features": [vars(o) for o in report.outcomes],
        }
    )
