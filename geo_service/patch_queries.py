"""SQL of the commissioner's patch (``/patch``, issue 6).

Every function runs on the request's connection, whose transaction is scoped to the
principal by row-level security: a commissioner's queries only ever see their own
compounds, a community or street official's their area. ``compound_id`` (optional)
narrows a query to one compound of that area. Values are bound parameters.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from . import enums
from .patch import RESPONSE_HOURS

_ONE = "(CAST(:cid AS integer) IS NULL OR {col} = CAST(:cid AS integer))"


def _where(col: str = "compound_id") -> str:
    return _ONE.format(col=col)


def compound_exists(conn: sa.Connection, compound_id: int) -> bool:
    """Whether the principal can see this compound (row-level security decides)."""
    return (
        conn.execute(sa.text("SELECT 1 FROM compound WHERE id = :id"), {"id": compound_id}).first()
        is not None
    )


def area_name(conn: sa.Connection) -> dict:
    """Names for the page header: the district and (if one) the street and community of
    the visible compounds."""
    row = conn.execute(
        sa.text(
            """SELECT (SELECT name FROM district LIMIT 1) AS district,
                      count(DISTINCT c.street_code) AS streets,
                      count(DISTINCT c.community_code) AS communities, count(*) AS compounds,
                      min(s.name) AS street, min(m.name) AS community
               FROM compound c JOIN street s USING (street_code)
               JOIN community m ON m.community_code = c.community_code"""
        )
    ).mappings().one()  # fmt: skip
    return dict(row)


_COMPOUNDS_SQL = f"""
WITH c AS (SELECT * FROM compound WHERE {_where("id")}),
bld AS (SELECT b.compound_id, count(*) AS buildings,
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM party_member p WHERE p.building_id = b.id)) AS without_party_member
        FROM building b WHERE b.compound_id IN (SELECT id FROM c) GROUP BY b.compound_id),
cov AS (SELECT u.compound_id, count(*) AS units,
               count(*) FILTER (WHERE uc.unit_id IS NOT NULL OR bc.building_id IS NOT NULL) AS covered,
               count(*) FILTER (WHERE uc.unit_id IS NULL) AS without_unit_captain
        FROM unit u
        LEFT JOIN (SELECT DISTINCT unit_id FROM building_captain WHERE role = 'unit') uc
               ON uc.unit_id = u.id
        LEFT JOIN (SELECT DISTINCT building_id FROM building_captain WHERE role = 'building') bc
               ON bc.building_id = u.building_id
        WHERE u.compound_id IN (SELECT id FROM c) GROUP BY u.compound_id),
opn AS (SELECT compound_id, count(*) AS open,
               count(*) FILTER (WHERE first_response_at IS NULL) AS awaiting,
               count(*) FILTER (WHERE first_response_at IS NULL
                                AND created_at + interval '{RESPONSE_HOURS} hours' < :now) AS overdue
        FROM complaint WHERE resolved_at IS NULL AND compound_id IN (SELECT id FROM c)
        GROUP BY compound_id),
pet AS (SELECT compound_id, count(*) AS n FROM petition
        WHERE petition_date > :today - :days AND petition_date <= :today
          AND compound_id IN (SELECT id FROM c) GROUP BY compound_id),
ret AS (SELECT compound_id, count(*) FILTER (WHERE stage <> 'completed') AS pipeline,
               count(*) FILTER (WHERE stage = 'completed') AS completed
        FROM elevator_retrofit WHERE compound_id IN (SELECT id FROM c) GROUP BY compound_id)
SELECT c.id, c.code, c.name, c.kind, c.street_code, s.name AS street_name, c.community_code,
       m.name AS community_name, c.oc_formed, c.oc_term_end, c.oc_members,
       c.property_service, c.property_company, c.has_party_branch,
       coalesce(bld.buildings, 0) AS buildings,
       coalesce(bld.without_party_member, 0) AS buildings_without_party_member,
       coalesce(cov.units, 0) AS units, coalesce(cov.covered, 0) AS units_covered,
       coalesce(cov.without_unit_captain, 0) AS units_without_unit_captain,
       coalesce(opn.open, 0) AS complaints_open, coalesce(opn.awaiting, 0) AS complaints_awaiting,
       coalesce(opn.overdue, 0) AS complaints_overdue, coalesce(pet.n, 0) AS petitions_90d,
       coalesce(ret.pipeline, 0) AS retrofits_pipeline,
       coalesce(ret.completed, 0) AS retrofits_completed,
       ARRAY[ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)] AS bbox
FROM c
JOIN street s ON s.street_code = c.street_code
JOIN community m ON m.community_code = c.community_code
LEFT JOIN bld ON bld.compound_id = c.id
LEFT JOIN cov ON cov.compound_id = c.id
LEFT JOIN opn ON opn.compound_id = c.id
LEFT JOIN pet ON pet.compound_id = c.id
LEFT JOIN ret ON ret.compound_id = c.id
ORDER BY opn.overdue DESC NULLS LAST, opn.open DESC NULLS LAST, c.community_code, c.name
"""


def compounds(
    conn: sa.Connection, now: dt.datetime, compound_id: int | None = None, days: int = 90
) -> list[dict]:
    """The visible compounds (or one) with the figures of the patch: captain coverage,
    buildings without a party member, open/overdue complaints, petitions in ``days``,
    retrofits, owners' committee and property service."""
    rows = conn.execute(
        sa.text(_COMPOUNDS_SQL),
        {"cid": compound_id, "now": now, "today": now.date(), "days": days},
    ).mappings()
    out = []
    for r in rows:
        d = dict(r)
        d["kind_label"] = enums.COMPOUND_KIND.get(d["kind"], d["kind"])
        d["property_label"] = enums.PROPERTY_SERVICE.get(d["property_service"], "")
        d["captain_share"] = round(d["units_covered"] / d["units"], 3) if d["units"] else None
        out.append(d)
    return out


def compound_outlines(conn: sa.Connection, compound_id: int | None = None) -> dict:
    """GeoJSON of the visible compounds' boundaries (6 decimals, about 0.1 m)."""
    rows = conn.execute(
        sa.text(
            f"""SELECT id, name, ST_AsGeoJSON(geom, 6)::json AS g FROM compound
                WHERE {_where("id")} ORDER BY id"""
        ),
        {"cid": compound_id},
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": r.id, "geometry": r.g,
             "properties": {"id": r.id, "name": r.name}}
            for r in rows
        ],
    }  # fmt: skip


_BUILDINGS_SQL = f"""
SELECT b.id, b.compound_id, b.number, b.floors, b.units, b.has_elevator,
       ST_AsGeoJSON(b.geom, 6)::json AS g,
       ST_X(ST_PointOnSurface(b.geom)) AS x, ST_Y(ST_PointOnSurface(b.geom)) AS y,
       EXISTS (SELECT 1 FROM building_captain k
               WHERE k.building_id = b.id AND k.role = 'building') AS has_building_captain,
       (SELECT coalesce(array_agg(u.number ORDER BY u.number), '{{}}') FROM unit u
        WHERE u.building_id = b.id AND NOT EXISTS (
            SELECT 1 FROM building_captain k WHERE k.unit_id = u.id AND k.role = 'unit'))
           AS units_without_captain,
       (SELECT count(*) FROM party_member p WHERE p.building_id = b.id) AS party_members,
       r.stage AS retrofit_stage
FROM building b
LEFT JOIN elevator_retrofit r ON r.building_id = b.id
WHERE {_where("b.compound_id")}
ORDER BY b.compound_id, b.number
"""


def buildings(conn: sa.Connection, compound_id: int | None = None) -> dict:
    """GeoJSON of the buildings: units without a 楼道长, whether the building has a 楼栋长,
    party members living there, elevator retrofit stage; ``x``/``y`` a point inside the
    footprint for the markers."""
    features = []
    for r in conn.execute(sa.text(_BUILDINGS_SQL), {"cid": compound_id}).mappings():
        p = dict(r)
        geom = p.pop("g")
        missing = list(p["units_without_captain"])
        p["units_without_captain"] = missing
        # A unit is covered by its 楼道长, or by the building's 楼栋长 (as the metrics count).
        p["units_covered"] = p["units"] if p["has_building_captain"] else p["units"] - len(missing)
        p["coverage"] = round(p["units_covered"] / p["units"], 3) if p["units"] else 0.0
        p["retrofit_label"] = enums.RETROFIT_STAGE.get(p["retrofit_stage"] or "")
        features.append({"type": "Feature", "id": p["id"], "geometry": geom, "properties": p})
    return {"type": "FeatureCollection", "features": features}


_OPEN_COMPLAINTS_SQL = f"""
SELECT k.id, k.compound_id, c.name AS compound_name, b.number AS building, k.channel,
       k.category, k.created_at, k.first_response_at, k.resolved_at,
       (SELECT a.username FROM complaint_action a
        WHERE a.complaint_id = k.id ORDER BY a.at DESC, a.id DESC LIMIT 1) AS marked_by
FROM complaint k
JOIN compound c ON c.id = k.compound_id
LEFT JOIN building b ON b.id = k.building_id
WHERE k.resolved_at IS NULL AND k.created_at <= :now AND {_where("k.compound_id")}
ORDER BY (k.first_response_at IS NULL) DESC, k.created_at, k.id
LIMIT :limit
"""


def open_complaints(
    conn: sa.Connection, now: dt.datetime, compound_id: int | None = None, limit: int = 300
) -> tuple[list[dict], int]:
    """Unresolved complaints (those awaiting a first response first, oldest first), at
    most ``limit``, and how many there are in all."""
    p = {"cid": compound_id, "now": now, "limit": limit}
    rows = [dict(r) for r in conn.execute(sa.text(_OPEN_COMPLAINTS_SQL), p).mappings()]
    total = conn.execute(
        sa.text(
            f"""SELECT count(*) FROM complaint k WHERE k.resolved_at IS NULL
                AND k.created_at <= :now AND {_where("k.compound_id")}"""
        ),
        p,
    ).scalar_one()
    return rows, total


class MarkRefused(ValueError):
    """A complaint cannot be marked so (already done, or before its creation)."""


def mark_complaint(
    conn: sa.Connection, complaint_id: int, action: str, at: dt.datetime,
    account_id: int, username: str,
) -> dict | None:  # fmt: skip
    """Mark a complaint's first response or its resolution at ``at`` (resolving one that
    had no first response marks both). Records each step in ``complaint_action``. None
    when the principal cannot see the complaint."""
    row = conn.execute(
        sa.text(
            """SELECT id, district_code, street_code, community_code, compound_id, created_at,
                      first_response_at, resolved_at FROM complaint WHERE id = :id FOR UPDATE"""
        ),
        {"id": complaint_id},
    ).mappings().first()  # fmt: skip
    if row is None:
        return None
    if at < row["created_at"]:
        raise MarkRefused("投诉创建时间晚于当前时间")
    steps = []
    if action == "first_response":
        if row["first_response_at"] is not None:
            raise MarkRefused("该投诉已首次响应")
        steps = ["first_response"]
    elif action == "resolved":
        if row["resolved_at"] is not None:
            raise MarkRefused("该投诉已办结")
        steps = (["first_response"] if row["first_response_at"] is None else []) + ["resolved"]
    else:
        raise ValueError(f"unknown action {action!r}")
    conn.execute(
        sa.text(
            """UPDATE complaint SET
                   first_response_at = CASE WHEN :fr THEN :at ELSE first_response_at END,
                   resolved_at = CASE WHEN :res THEN :at ELSE resolved_at END
               WHERE id = :id"""
        ),
        {"id": complaint_id, "at": at, "fr": "first_response" in steps, "res": "resolved" in steps},
    )
    for step in steps:
        conn.execute(
            sa.text(
                """INSERT INTO complaint_action (district_code, street_code, community_code,
                       compound_id, complaint_id, action, at, account_id, username)
                   VALUES (:district_code, :street_code, :community_code, :compound_id, :id,
                           :action, :at, :account_id, :username)"""
            ),
            {**row, "action": step, "at": at, "account_id": account_id, "username": username},
        )
    return {"id": complaint_id, "compound_id": row["compound_id"], "marked": steps, "at": at}


def complaint_actions(conn: sa.Connection, complaint_id: int) -> list[dict]:
    rows = conn.execute(
        sa.text(
            """SELECT action, at, username FROM complaint_action WHERE complaint_id = :id
               ORDER BY at, id"""
        ),
        {"id": complaint_id},
    ).mappings()
    return [dict(r) for r in rows]


# -- visits, owner changes, new floating residents -----------------------------------------
def record_visit(
    conn: sa.Connection, account_id: int, district_code: str, gap: dt.timedelta
) -> dt.datetime | None:
    """Note that the account opened /patch now; returns when it opened it before (the
    start of its previous visit; reloads within ``gap`` are the same visit)."""
    return conn.execute(
        sa.text(
            """INSERT INTO patch_visit AS v (account_id, district_code, opened_at, seen_at)
               VALUES (:a, :d, now(), now())
               ON CONFLICT (account_id) DO UPDATE SET
                   previous_opened_at = CASE WHEN v.seen_at <= now() - :gap
                                             THEN v.opened_at ELSE v.previous_opened_at END,
                   opened_at = CASE WHEN v.seen_at <= now() - :gap THEN now() ELSE v.opened_at END,
                   seen_at = now()
               RETURNING previous_opened_at"""
        ),
        {"a": account_id, "d": district_code, "gap": gap},
    ).scalar()


def previous_visit(conn: sa.Connection, account_id: int) -> dt.datetime | None:
    return conn.execute(
        sa.text("SELECT previous_opened_at FROM patch_visit WHERE account_id = :a"),
        {"a": account_id},
    ).scalar()


_OWNER_CHANGES_SQL = f"""
SELECT oc.id, oc.compound_id, c.name AS compound_name, b.number AS building, u.number AS unit,
       h.room, oc.changed_on, ri.imported_at, cardinality(oc.previous_record_ids) AS previous_owners,
       cardinality(oc.new_record_ids) AS new_owners,
       (SELECT array_agg(r.name ORDER BY r.id) FROM resident_record r
        WHERE r.id = ANY (oc.new_record_ids)) AS names,
       (SELECT array_agg(r.phone ORDER BY r.id) FROM resident_record r
        WHERE r.id = ANY (oc.new_record_ids)) AS phones
FROM ownership_change oc
JOIN resident_import ri ON ri.id = oc.import_id
JOIN household h ON h.id = oc.household_id
JOIN unit u ON u.id = h.unit_id
JOIN building b ON b.id = u.building_id
JOIN compound c ON c.id = oc.compound_id
WHERE (ri.imported_at > :since OR oc.changed_on >= CAST(:since AS date))
  AND {_where("oc.compound_id")}
ORDER BY oc.changed_on DESC, oc.id
LIMIT :limit
"""


def owner_changes(
    conn: sa.Connection, since: dt.datetime, compound_id: int | None = None, limit: int = 200
) -> list[dict]:
    """业主变动 known since ``since``: recorded by an owner-list import after it, or dated
    on or after its day. The new owners' names and phones are personal (mask them unless
    the principal may see them)."""
    p = {"cid": compound_id, "since": since, "limit": limit}
    return [dict(r) for r in conn.execute(sa.text(_OWNER_CHANGES_SQL), p).mappings()]


_NEW_FLOATING_SQL = f"""
SELECT * FROM (
    SELECT r.id, r.compound_id, c.name AS compound_name, b.number AS building, u.number AS unit,
           h.room, r.name, r.phone, r.valid_from AS registered_on, 'resident' AS origin
    FROM resident r
    JOIN household h ON h.id = r.household_id
    JOIN unit u ON u.id = h.unit_id
    JOIN building b ON b.id = u.building_id
    JOIN compound c ON c.id = r.compound_id
    WHERE r.source = 'floating' AND r.valid_from >= CAST(:since AS date)
      AND r.valid_from <= :today AND (r.valid_to IS NULL OR r.valid_to >= :today)
      AND {_where("r.compound_id")}
    UNION ALL
    SELECT rr.id, rr.compound_id, c.name, b.number, u.number, h.room, rr.name, rr.phone,
           coalesce(rr.registered_on, ri.list_date), 'import'
    FROM resident_record rr
    JOIN resident_import ri ON ri.id = rr.first_import_id
    JOIN household h ON h.id = rr.household_id
    JOIN unit u ON u.id = h.unit_id
    JOIN building b ON b.id = u.building_id
    JOIN compound c ON c.id = rr.compound_id
    WHERE rr.source = 'floating' AND rr.status = 'matched' AND rr.ended_on IS NULL
      AND ri.imported_at > :since AND {_where("rr.compound_id")}
      AND NOT EXISTS (SELECT 1 FROM resident x WHERE x.household_id = rr.household_id
                      AND x.source = 'floating' AND x.id_number = rr.id_number)
) n
ORDER BY registered_on DESC, compound_id, building, unit, room, id
LIMIT :limit
"""


def new_floating_residents(
    conn: sa.Connection, since: dt.datetime, today: dt.date, compound_id: int | None = None,
    limit: int = 200,
) -> list[dict]:  # fmt: skip
    """Floating residents (流动人口) registered since ``since``: in the resident register
    from that day, or matched by an import of a 流口 list after it. Names and phones are
    personal."""
    p = {"cid": compound_id, "since": since, "today": today, "limit": limit}
    return [dict(r) for r in conn.execute(sa.text(_NEW_FLOATING_SQL), p).mappings()]


def petitions(
    conn: sa.Connection, today: dt.date, compound_id: int | None = None, days: int = 90,
    limit: int = 200,
) -> tuple[list[dict], int]:  # fmt: skip
    """Petitions (信访) of the last ``days`` days, newest first (no personal fields), and
    how many there are."""
    p = {"cid": compound_id, "today": today, "days": days, "limit": limit}
    where = f"""petition_date > :today - :days AND petition_date <= :today
                AND {_where("p.compound_id")}"""
    rows = conn.execute(
        sa.text(
            f"""SELECT p.id, p.compound_id, c.name AS compound_name, p.petition_date,
                       p.category, p.channel
                FROM petition p JOIN compound c ON c.id = p.compound_id
                WHERE {where} ORDER BY p.petition_date DESC, p.id DESC LIMIT :limit"""
        ),
        p,
    ).mappings()
    out = []
    for r in rows:
        d = dict(r)
        d["category_label"] = enums.PETITION_CATEGORY.get(d["category"], d["category"])
        d["channel_label"] = enums.PETITION_CHANNEL.get(d["channel"], d["channel"])
        out.append(d)
    total = conn.execute(sa.text(f"SELECT count(*) FROM petition p WHERE {where}"), p).scalar_one()
    return out, total
