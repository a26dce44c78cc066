"""The commissioner's patch (小区专员, issue 6): the page ``/patch``, a printable compound
summary and the JSON the page reads under ``/api/patch``.

Everything is scoped by row-level security: a compound id the principal cannot see finds
no row and answers 404, on every endpoint. Names and phones (new owners, floating
residents) reach a commissioner unmasked for their own compounds, and each such read is
audited; everyone else gets them masked.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from .. import accounts, assets, audit, db, dossier, enums, masking
from .. import patch as logic
from .. import patch_queries as q
from ..db import get_db
from ..errors import BadParameter
from .maps import now

bp = Blueprint("patch", __name__)
PERSONAL = ("name", "phone")


@bp.before_request
def _may_use_the_patch() -> None:
    if accounts.current_principal().role not in logic.PATCH_ROLES:
        abort(403, description="小区专员工作台不对该角色开放")


def _compound_arg() -> int | None:
    """The optional ``compound`` parameter: a visible compound's id, else 404."""
    raw = request.args.get("compound", "")
    if raw == "":  # absent or empty: no compound; whitespace alone is not an id
        return None
    raw = raw.strip()
    if not re.fullmatch(r"[0-9]{1,9}", raw):  # not isdigit(): int("²") raises
        raise BadParameter("compound", "expected a compound id (a positive integer)")
    return _visible(int(raw))


def _visible(compound_id: int) -> int:
    if not q.compound_exists(get_db(), compound_id):
        abort(404, description=f"no compound {compound_id}")
    return compound_id


def _private(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _people(rows: list[dict], what: str) -> list[dict]:
    """Names and phones as the principal may see them: unmasked for a commissioner (and
    audited), masked for everyone else."""
    principal = accounts.current_principal()
    if principal.sees_personal_data:
        if rows:
            audit.record("personal_read", f"{request.path} {what}", len(rows))
        return rows
    for r in rows:
        for f in PERSONAL:
            if f in r:
                r[f] = masking.mask_value(f, r[f])
            if f + "s" in r:  # owner changes list every new owner
                r[f + "s"] = [masking.mask_value(f, v) for v in r[f + "s"]]
    return rows


# -- pages ------------------------------------------------------------------------------------
@bp.get("/patch")
def page() -> Response:
    compound_id = _compound_arg()
    principal = accounts.current_principal()
    conn = get_db()
    gap = current_app.config.get("PATCH_VISIT_GAP", logic.VISIT_GAP)
    q.record_visit(conn, principal.account_id, principal.scope.district_code, gap)
    db.commit()
    at = now()
    area = q.area_name(conn)
    single = None
    if compound_id is not None:
        single = q.compounds(conn, at, compound_id)[0]
    html = render_template(
        "patch.html",
        principal=principal,
        role_label=enums.ACCOUNT_ROLE.get(principal.role, principal.role),
        area=area,
        compound=single,
        compound_id=compound_id,
        can_mark=principal.role in logic.MARK_ROLES,
        as_of=at,
        leaflet_js=assets.vendor_url("leaflet", "dist/leaflet.js"),
        leaflet_css=assets.vendor_url("leaflet", "dist/leaflet.css"),
    )
    return _private(Response(html, mimetype="text/html"))


@bp.get("/patch/compounds/<int:compound_id>/print")
def print_summary(compound_id: int) -> Response:
    """One page per compound for the printer (A4, print stylesheet)."""
    _visible(compound_id)
    conn = get_db()
    at = now()
    c = q.compounds(conn, at, compound_id)[0]
    c["flags"] = logic.committee_flags(c, at.date())
    features = q.buildings(conn, compound_id)["features"]
    bld = [f["properties"] for f in features]
    # the buildings as an SVG sketch (one path per footprint, in the same order)
    svg = dossier.svg_outline([f["geometry"] for f in features], 420, 260)
    rows, total = q.open_complaints(conn, at, compound_id, limit=12)
    complaints = logic.by_urgency([logic.annotate(r, at) for r in rows])
    pets, pet_total = q.petitions(conn, at.date(), compound_id, logic.PETITION_DAYS, limit=8)
    html = render_template(
        "patch_print.html", c=c, buildings=bld, svg=svg, complaints=complaints,
        complaints_total=total, petitions=pets, petitions_total=pet_total, as_of=at,
        response_hours=logic.RESPONSE_HOURS, petition_days=logic.PETITION_DAYS,
    )  # fmt: skip
    return _private(Response(html, mimetype="text/html"))


# -- JSON -------------------------------------------------------------------------------------
@bp.get("/api/patch/compounds")
def compounds() -> Response:
    compound_id = _compound_arg()
    at = now()
    rows = q.compounds(get_db(), at, compound_id, logic.PETITION_DAYS)
    for r in rows:
        r["flags"] = logic.committee_flags(r, at.date())
        r["oc_term_end"] = r["oc_term_end"].isoformat() if r["oc_term_end"] else None
    return _private(jsonify({"as_of": at.isoformat(), "compounds": rows}))


@bp.get("/api/patch/map")
def outlines() -> Response:
    return _private(jsonify(q.compound_outlines(get_db(), _compound_arg())))


MAX_BUILDING_COMPOUNDS = 30


@bp.get("/api/patch/buildings")
def buildings() -> Response:
    compound_id = _compound_arg()
    if compound_id is None:
        n = q.area_name(get_db())["compounds"]
        if n > MAX_BUILDING_COMPOUNDS:
            raise BadParameter(
                "compound",
                f"required when the area has more than {MAX_BUILDING_COMPOUNDS} compounds",
            )
    return _private(jsonify(q.buildings(get_db(), compound_id)))


@bp.get("/api/patch/complaints")
def complaints() -> Response:
    compound_id = _compound_arg()
    at = now()
    rows, total = q.open_complaints(get_db(), at, compound_id)
    items = logic.by_urgency([logic.annotate(r, at) for r in rows])
    return _private(
        jsonify(
            {
                "now": at.isoformat(),
                "response_hours": logic.RESPONSE_HOURS,
                "total": total,
                "overdue": sum(1 for c in items if c["state"] == logic.OVERDUE),
                "complaints": items,
            }
        )
    )


def _mark(complaint_id: int, action: str) -> tuple[Response, int]:
    principal = accounts.current_principal()
    if principal.role not in logic.MARK_ROLES:
        abort(403, description="该角色不能标记投诉")
    at = now()
    try:
        done = q.mark_complaint(
            get_db(), complaint_id, action, at, principal.account_id, principal.username
        )
    except q.MarkRefused as e:
        return jsonify({"error": "conflict", "reason": str(e)}), 409
    if done is None:
        abort(404, description=f"no complaint {complaint_id}")
    db.commit()
    audit.record("complaint_" + action, f"complaint {complaint_id}", 1)
    done["at"] = done["at"].isoformat()
    done["labels"] = [logic.ACTIONS[s] for s in done["marked"]]
    return jsonify(done), 200


@bp.post("/api/patch/complaints/<int:complaint_id>/first-response")
def first_response(complaint_id: int) -> tuple[Response, int]:
    return _mark(complaint_id, "first_response")


@bp.post("/api/patch/complaints/<int:complaint_id>/resolution")
def resolution(complaint_id: int) -> tuple[Response, int]:
    return _mark(complaint_id, "resolved")


@bp.get("/api/patch/residents")
def residents() -> Response:
    """Owner changes since the principal last opened /patch, and new floating residents."""
    compound_id = _compound_arg()
    principal = accounts.current_principal()
    conn = get_db()
    at = now()
    previous = q.previous_visit(conn, principal.account_id)
    since = logic.visit_since(previous, at)
    changes = q.owner_changes(conn, since, compound_id)
    floating = q.new_floating_residents(conn, since, at.date(), compound_id)
    for c in changes:
        c["changed_on"] = c["changed_on"].isoformat()
        c["imported_at"] = c["imported_at"].astimezone(logic.TZ).isoformat()
        c["names"] = list(c["names"] or [])
        c["phones"] = list(c["phones"] or [])
    for r in floating:
        r["registered_on"] = r["registered_on"].isoformat() if r["registered_on"] else None
    _people(changes + floating, "owner changes and floating residents")
    return _private(
        jsonify(
            {
                "since": since.astimezone(logic.TZ).isoformat(),
                "first_visit": previous is None,
                "owner_changes": changes,
                "floating": floating,
            }
        )
    )


@bp.get("/api/patch/petitions")
def petitions() -> Response:
    compound_id = _compound_arg()
    at = now()
    rows, total = q.petitions(get_db(), at.date(), compound_id, logic.PETITION_DAYS)
    for r in rows:
        r["petition_date"] = r["petition_date"].isoformat()
    return _private(jsonify({"days": logic.PETITION_DAYS, "total": total, "petitions": rows}))
