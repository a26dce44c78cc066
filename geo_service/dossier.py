"""一小区一档案: everything the service knows about one compound, for
``GET /api/compounds/{id}/dossier`` and the page ``/compounds/{id}``.

The headline figures come from the per-minute compound metrics (``routes/maps``); this
module adds what only one compound needs: its boundary and history, the buildings with
their units, households, party members, captains and retrofit, resident counts by
source, the governance facts, complaints and petitions of the last 12 months by
category, retrofits by stage, ownership changes and the latest boundary-check problems.
All SQL here takes bound parameters; no personal field is selected (the commissioner's
name is masked to the surname).
"""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa

from . import enums

_BUILDINGS_SQL = """
SELECT b.id, b.number, b.floors, b.units, b.year_built, b.has_elevator,
       coalesce(hh.n, 0) AS households,
       coalesce(pm.n, 0) AS party_members,
       coalesce(bc.n, 0) > 0 AS has_building_captain,
       coalesce(uc.units_with, 0) AS units_with_unit_captain,
       CASE WHEN coalesce(bc.n, 0) > 0 THEN b.units ELSE coalesce(uc.units_with, 0) END
           AS units_covered,
       r.stage AS retrofit_stage
FROM building b
LEFT JOIN (SELECT building_id, count(*) AS n FROM household WHERE compound_id = :id
           GROUP BY building_id) hh ON hh.building_id = b.id
LEFT JOIN (SELECT building_id, count(*) AS n FROM party_member WHERE compound_id = :id
           GROUP BY building_id) pm ON pm.building_id = b.id
LEFT JOIN (SELECT building_id, count(*) AS n FROM building_captain
           WHERE compound_id = :id AND role = 'building' GROUP BY building_id) bc
       ON bc.building_id = b.id
LEFT JOIN (SELECT building_id, count(DISTINCT unit_id) AS units_with FROM building_captain
           WHERE compound_id = :id AND role = 'unit' GROUP BY building_id) uc
       ON uc.building_id = b.id
LEFT JOIN elevator_retrofit r ON r.building_id = b.id
WHERE b.compound_id = :id
ORDER BY b.number
"""

_RESIDENTS_SQL = """
SELECT s.source,
       coalesce(cur.n, 0) AS current,
       coalesce(rec.matched, 0) AS imported_matched,
       coalesce(rec.ambiguous, 0) AS imported_ambiguous,
       coalesce(rec.unmatched, 0) AS imported_unmatched
FROM unnest(CAST(:sources AS text[])) AS s(source)
LEFT JOIN (SELECT source, count(*) AS n FROM resident
           WHERE compound_id = :id AND valid_from <= :today
             AND (valid_to IS NULL OR valid_to >= :today)
           GROUP BY source) cur ON cur.source = s.source
LEFT JOIN (SELECT source, count(*) FILTER (WHERE status = 'matched') AS matched,
                  count(*) FILTER (WHERE status = 'ambiguous') AS ambiguous,
                  count(*) FILTER (WHERE status = 'unmatched') AS unmatched
           FROM resident_record WHERE compound_id = :id AND ended_on IS NULL
           GROUP BY source) rec ON rec.source = s.source
"""

_GOVERNANCE_SQL = """
SELECT c.id, c.code, c.name, c.kind, c.year_built, c.street_code, s.name AS street_name,
       c.community_code, m.name AS community_name,
       c.has_party_branch, c.party_branch_name,
       c.oc_formed, c.oc_term_end, c.oc_members, c.oc_party_share::float AS oc_party_share,
       c.property_service, c.property_company,
       c.fee_collection_rate::float AS fee_collection_rate, c.star_rating,
       c.income_disclosed, c.e_voting,
       c.commissioner_id, left(k.name, 1) AS commissioner_surname,
       (SELECT count(*) FROM compound o WHERE o.commissioner_id = c.commissioner_id)
           AS commissioner_compounds,
       round(ST_Area(ST_Transform(c.geom, 4549))::numeric, 1)::float AS area_m2,
       ST_AsGeoJSON(c.geom, 7)::json AS geometry,
       (SELECT json_agg(alias ORDER BY alias) FROM compound_alias a WHERE a.compound_id = c.id)
           AS aliases
FROM compound c
JOIN street s ON s.street_code = c.street_code
JOIN community m ON m.community_code = c.community_code
LEFT JOIN commissioner k ON k.id = c.commissioner_id
WHERE c.id = :id
"""

_COUNTS_12M = {
    "complaints_by_category": """SELECT category AS key, count(*) AS n FROM complaint
        WHERE compound_id = :id AND created_at >= :now - interval '365 days' AND created_at < :now
        GROUP BY category ORDER BY n DESC, key""",
    "complaints_by_channel": """SELECT channel AS key, count(*) AS n FROM complaint
        WHERE compound_id = :id AND created_at >= :now - interval '365 days' AND created_at < :now
        GROUP BY channel ORDER BY n DESC, key""",
    "petitions_by_category": """SELECT category AS key, count(*) AS n FROM petition
        WHERE compound_id = :id AND petition_date > (:now)::date - 365
          AND petition_date <= (:now)::date
        GROUP BY category ORDER BY n DESC, key""",
    "retrofits_by_stage": """SELECT stage AS key, count(*) AS n FROM elevator_retrofit
        WHERE compound_id = :id GROUP BY stage""",
}

_COMPLAINT_TIMES_SQL = """
SELECT count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
       round(avg(extract(epoch FROM first_response_at - created_at) / 3600)::numeric, 1)::float
           AS avg_response_hours,
       round(avg(satisfaction)::numeric, 2)::float AS avg_satisfaction
FROM complaint
WHERE compound_id = :id AND created_at >= :now - interval '365 days' AND created_at < :now
"""

_OWNERSHIP_SQL = """
SELECT count(*) FILTER (WHERE changed_on > (:now)::date - 365) AS last_12m,
       count(*) AS total, max(changed_on) AS latest
FROM ownership_change WHERE compound_id = :id
"""


def _labelled(rows: list, vocabulary: dict[str, str]) -> list[dict]:
    return [{"key": k, "label": vocabulary.get(k, k), "n": n} for k, n in rows]


def compound_dossier(
    conn: sa.Connection, compound_id: int, now: dt.datetime, figures: dict
) -> dict | None:
    """The dossier of one compound (None when there is no such compound). ``figures`` is
    the compound's row of the per-minute metrics (complaints per 100 households, captain
    coverage, ...), reused rather than recomputed."""
    g = conn.execute(sa.text(_GOVERNANCE_SQL), {"id": compound_id}).mappings().first()
    if g is None:
        return None
    g = dict(g)
    p = {"id": compound_id, "now": now}
    buildings = [dict(r) for r in conn.execute(sa.text(_BUILDINGS_SQL), p).mappings()]
    for b in buildings:
        b["retrofit_label"] = enums.RETROFIT_STAGE.get(b["retrofit_stage"] or "", None)
    counts = {k: conn.execute(sa.text(sql), p).all() for k, sql in _COUNTS_12M.items()}
    times = dict(conn.execute(sa.text(_COMPLAINT_TIMES_SQL), p).mappings().one())
    residents = conn.execute(
        sa.text(_RESIDENTS_SQL),
        {"id": compound_id, "today": now.date(), "sources": list(enums.RESIDENT_SOURCE)},
    ).mappings()
    owners = dict(conn.execute(sa.text(_OWNERSHIP_SQL), p).mappings().one())
    units = sum(b["units"] for b in buildings)
    covered = sum(b["units_covered"] for b in buildings)
    stages = dict(counts["retrofits_by_stage"])
    history, problems = _boundaries(conn, compound_id)
    commissioner = None
    if g["commissioner_id"] is not None:
        commissioner = {
            "id": g["commissioner_id"],
            "name": (g["commissioner_surname"] or "") + "**",  # masked: surname only
            "compounds_served": g["commissioner_compounds"],
        }
    return {
        "id": g["id"],
        "code": g["code"],
        "name": g["name"],
        "aliases": g["aliases"] or [],
        "kind": g["kind"],
        "kind_label": enums.COMPOUND_KIND[g["kind"]],
        "year_built": g["year_built"],
        "street": {"code": g["street_code"], "name": g["street_name"]},
        "community": {"code": g["community_code"], "name": g["community_name"]},
        "as_of": now.isoformat(),
        "figures": figures,
        "boundary": {"area_m2": g["area_m2"], "geometry": g["geometry"], "history": history},
        "housing": {
            "buildings": len(buildings),
            "units": units,
            "households": sum(b["households"] for b in buildings),
            "buildings_with_elevator": sum(1 for b in buildings if b["has_elevator"]),
            "building_list": buildings,
        },
        "residents": {
            "by_source": [
                {
                    "source": r["source"],
                    "label": enums.RESIDENT_SOURCE[r["source"]],
                    "current": r["current"],
                    "imported": {
                        "matched": r["imported_matched"],
                        "ambiguous": r["imported_ambiguous"],
                        "unmatched": r["imported_unmatched"],
                    },
                }
                for r in residents
            ],  # fmt: skip
            "ownership_changes": {
                "last_12m": owners["last_12m"],
                "total": owners["total"],
                "latest": owners["latest"].isoformat() if owners["latest"] else None,
            },
        },
        "party_branch": {"established": g["has_party_branch"], "name": g["party_branch_name"]},
        "commissioner": commissioner,
        "owners_committee": {
            "formed": g["oc_formed"],
            "term_end": g["oc_term_end"].isoformat() if g["oc_term_end"] else None,
            "members": g["oc_members"],
            "party_member_share": g["oc_party_share"],
        },
        "property_service": {
            "kind": g["property_service"],
            "label": enums.PROPERTY_SERVICE[g["property_service"]],
            "company": g["property_company"],
            "fee_collection_rate": g["fee_collection_rate"],
            "star_rating": g["star_rating"],
            "income_disclosed": g["income_disclosed"],
            "e_voting": g["e_voting"],
        },
        "captains": {
            "units": units,
            "units_with_captain": covered,
            "share": round(covered / units, 3) if units else 0.0,
            "buildings_with_building_captain": sum(
                1 for b in buildings if b["has_building_captain"]
            ),
        },
        "party_members": {
            "total": sum(b["party_members"] for b in buildings),
            "per_building": figures["party_members_per_building"],
            "buildings_without": sum(1 for b in buildings if b["party_members"] == 0),
            "by_building": [{"building": b["number"], "n": b["party_members"]} for b in buildings],
        },
        "complaints_12m": {
            "total": sum(n for _, n in counts["complaints_by_category"]),
            "open": figures["complaints_open"],
            "per_100_households": figures["complaints_per_100hh"],
            "resolved": times["resolved"],
            "avg_response_hours": times["avg_response_hours"],
            "avg_satisfaction": times["avg_satisfaction"],
            "by_category": _labelled(counts["complaints_by_category"], enums.COMPLAINT_CATEGORY),
            "by_channel": _labelled(counts["complaints_by_channel"], enums.COMPLAINT_CHANNEL),
        },
        "petitions_12m": {
            "total": sum(n for _, n in counts["petitions_by_category"]),
            "by_category": _labelled(counts["petitions_by_category"], enums.PETITION_CATEGORY),
        },
        "elevator_retrofits": [
            {"stage": s, "label": label, "n": stages.get(s, 0)}
            for s, label in enums.RETROFIT_STAGE.items()
        ],
        "boundary_problems": problems,
    }


def _boundaries(conn: sa.Connection, compound_id: int) -> tuple[list[dict], list[dict]]:
    """Boundary history and the latest check's problems (issue 3, boundaries part)."""
    from . import boundaries

    history = boundaries.boundary_history(conn, compound_id)
    for h in history:
        for k in ("valid_from", "valid_to", "created_at"):
            if isinstance(h.get(k), dt.date):
                h[k] = h[k].isoformat()
    problems = []
    for r in boundaries.problems_for_compound(conn, compound_id):
        r = dict(r)
        if isinstance(r.get("checked_at"), dt.datetime):
            r["checked_at"] = r["checked_at"].isoformat()
        if r.get("area_m2") is not None:
            r["area_m2"] = float(r["area_m2"])
        problems.append(r)
    return history, problems


def svg_outline(geometries: list[dict], width: int = 360, height: int = 240) -> dict:
    """SVG path data of GeoJSON (Multi)Polygons in a local equirectangular frame fitted to
    ``width`` x ``height`` (north up): ``{"paths": [...], "width", "height"}``."""
    rings = []
    for g in geometries:
        if not g:
            continue
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        rings.append([ring for poly in polys for ring in poly])
    pts = [p for rs in rings for ring in rs for p in ring]
    if not pts:
        return {"paths": [], "width": width, "height": height}
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    k = math.cos(math.radians((y0 + y1) / 2))
    span_x, span_y = max((x1 - x0) * k, 1e-9), max(y1 - y0, 1e-9)
    scale = min((width - 10) / span_x, (height - 10) / span_y)
    ox = (width - span_x * scale) / 2
    oy = (height - span_y * scale) / 2

    def xy(p: list[float]) -> str:
        return f"{ox + (p[0] - x0) * k * scale:.1f},{height - oy - (p[1] - y0) * scale:.1f}"

    paths = [" ".join("M" + " L".join(xy(p) for p in ring) + " Z" for ring in rs) for rs in rings]
    return {"paths": paths, "width": width, "height": height}


def building_geometries(conn: sa.Connection, compound_id: int) -> list[dict]:
    """Footprints of a compound's buildings (GeoJSON, with their numbers) for the page."""
    rows = conn.execute(
        sa.text(
            "SELECT number, ST_AsGeoJSON(geom, 7)::json AS g, "
            "ST_X(ST_Centroid(geom)) AS x, ST_Y(ST_Centroid(geom)) AS y "
            "FROM building WHERE compound_id = :id ORDER BY number"
        ),
        {"id": compound_id},
    ).mappings()
    return [dict(r) for r in rows]
