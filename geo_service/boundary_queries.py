"""All SQL of compound boundaries (issue 3): history, drawing, the topology check, import.

Values are bound parameters; the only identifiers interpolated are fixed in this module.
Areas and distances are computed in EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E,
metres), whose central meridian runs through the district.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import sqlalchemy as sa

METRIC_SRID = 4549

# Version 1 of every compound's history: the boundary it was loaded with.
_SEED_INITIAL = """
INSERT INTO compound_boundary (district_code, street_code, community_code, compound_id,
                               version, valid_from, geom, source, note)
SELECT c.district_code, c.street_code, c.community_code, c.id, 1,
       least(make_date(c.year_built, 1, 1), %(as_of)s::date), c.geom, 'initial', %(note)s
FROM compound c
WHERE NOT EXISTS (SELECT 1 FROM compound_boundary b WHERE b.compound_id = c.id)
"""


def seed_initial_history(
    cur: psycopg.Cursor, as_of: dt.date, note: str = "演示数据初始边界"
) -> int:
    """Give every compound without history a version 1 from compound.geom (psycopg cursor,
    used by the demo loader inside its transaction); returns the rows added."""
    cur.execute(_SEED_INITIAL, {"as_of": as_of, "note": note})
    return cur.rowcount


def _m(expr: str) -> str:
    """``expr`` (EPSG:4326) in the metric CRS."""
    return f"ST_Transform({expr}, {METRIC_SRID})"


def _area_m2(expr: str) -> str:
    return f"ST_Area({_m(expr)})"


# -- history ---------------------------------------------------------------------------
def history(conn: sa.Connection, compound_id: int) -> list[dict]:
    """Every version of a compound's boundary, newest first."""
    rows = conn.execute(
        sa.text(
            "SELECT version, valid_from, valid_to, source, note, created_at,"
            f" round({_area_m2('geom')}::numeric, 1) AS area_m2,"
            " ST_AsGeoJSON(geom, 7)::json AS geometry"
            " FROM compound_boundary WHERE compound_id = :id ORDER BY version DESC"
        ),
        {"id": compound_id},
    ).mappings()
    return [dict(r) for r in rows]


def ensure_history(conn: sa.Connection, compound_id: int, as_of: dt.date) -> None:
    """Give a compound without history its version 1 (``initial``) from compound.geom
    (compounds added after the migration by other means than the demo loader)."""
    conn.execute(
        sa.text(
            "INSERT INTO compound_boundary (district_code, street_code, community_code,"
            " compound_id, version, valid_from, geom, source, note)"
            " SELECT district_code, street_code, community_code, id, 1,"
            " least(make_date(year_built, 1, 1), :as_of), geom, 'initial', '首次记录的边界'"
            " FROM compound c WHERE id = :id"
            " AND NOT EXISTS (SELECT 1 FROM compound_boundary b WHERE b.compound_id = c.id)"
        ),
        {"id": compound_id, "as_of": as_of},
    )


def current_version(conn: sa.Connection, compound_id: int) -> dict | None:
    """The open version of a compound: ``version``, ``valid_from``."""
    row = (
        conn.execute(
            sa.text(
                "SELECT version, valid_from FROM compound_boundary"
                " WHERE compound_id = :id AND valid_to IS NULL FOR UPDATE"
            ),
            {"id": compound_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def differs_m2(conn: sa.Connection, compound_id: int, wkb: bytes) -> float:
    """Area in m² of the symmetric difference between a geometry and the compound's
    current boundary (0 when they are the same)."""
    return conn.execute(
        sa.text(
            "SELECT coalesce("
            + _area_m2("ST_SymDifference(c.geom, ST_GeomFromWKB(:wkb, 4326))")
            + ", 0) FROM compound c WHERE c.id = :id"
        ),
        {"id": compound_id, "wkb": wkb},
    ).scalar_one()


def add_version(
    conn: sa.Connection,
    compound_id: int,
    wkb: bytes,
    valid_from: dt.date,
    source: str,
    note: str | None,
) -> int:
    """Close the compound's open version on ``valid_from``, add the next one with ``wkb``
    and make it compound.geom; returns the new version number."""
    conn.execute(
        sa.text(
            "UPDATE compound_boundary SET valid_to = :d WHERE compound_id = :id AND valid_to IS NULL"
        ),
        {"id": compound_id, "d": valid_from},
    )
    version = conn.execute(
        sa.text(
            "INSERT INTO compound_boundary (district_code, street_code, community_code,"
            " compound_id, version, valid_from, geom, source, note)"
            " SELECT c.district_code, c.street_code, c.community_code, c.id,"
            " (SELECT coalesce(max(version), 0) + 1 FROM compound_boundary WHERE compound_id = c.id),"
            " :d, ST_Multi(ST_GeomFromWKB(:wkb, 4326)), :source, :note"
            " FROM compound c WHERE c.id = :id RETURNING version"
        ),
        {"id": compound_id, "d": valid_from, "wkb": wkb, "source": source, "note": note},
    ).scalar_one()
    conn.execute(
        sa.text("UPDATE compound SET geom = ST_Multi(ST_GeomFromWKB(:wkb, 4326)) WHERE id = :id"),
        {"id": compound_id, "wkb": wkb},
    )
    return version


# -- drawing ---------------------------------------------------------------------------
def compounds_to_draw(
    conn: sa.Connection, compound_id: int | None = None, community_code: str | None = None
) -> list[dict]:
    """Compounds (id, code, name, community_code, buildings) in a stable order."""
    rows = conn.execute(
        sa.text(
            "SELECT c.id, c.code, c.name, c.community_code,"
            " (SELECT count(*) FROM building b WHERE b.compound_id = c.id) AS buildings"
            " FROM compound c"
            " WHERE (CAST(:id AS integer) IS NULL OR c.id = :id)"
            " AND (CAST(:community AS text) IS NULL OR c.community_code = :community)"
            " ORDER BY c.community_code, c.id"
        ),
        {"id": compound_id, "community": community_code},
    ).mappings()
    return [dict(r) for r in rows]


_DRAW = f"""
WITH fp AS (
    SELECT ST_Buffer({_m("b.geom")}, :buffer_m, 'join=mitre mitre_limit=2') AS g
    FROM building b WHERE b.compound_id = :id
), body AS (
    SELECT ST_Union(g) AS g FROM fp
), hull AS (
    -- the space between the buildings (roads, green) belongs to the compound too:
    -- a morphological closing joins footprints less than 2 x close_m apart (robust where
    -- GEOS' concave hull fails on collinear rows of buildings)
    SELECT ST_Union(body.g, ST_Buffer(ST_Buffer(body.g, :close_m, 'join=round'), -:close_m))
           AS g FROM body
), wgs AS (
    SELECT ST_MakeValid(ST_Transform(hull.g, 4326)) AS g FROM hull WHERE hull.g IS NOT NULL
), clipped AS (
    SELECT ST_Intersection(wgs.g, m.geom) AS g, c.id
    FROM wgs, compound c JOIN community m ON m.community_code = c.community_code
    WHERE c.id = :id
), others AS (
    -- neighbours' boundaries (except those still to be drawn in this run: their old
    -- boundary is about to go) and, a little widened, all neighbours' buildings
    SELECT ST_Union(g) AS g FROM (
        SELECT n.geom AS g FROM compound n, clipped
        WHERE n.id <> clipped.id AND NOT n.id = ANY (CAST(:pending AS integer[]))
          AND ST_Intersects(n.geom, clipped.g) AND ST_IsValid(n.geom)
        UNION ALL
        SELECT ST_MakeValid(ST_Transform(ST_Buffer({_m("b.geom")}, :neighbour_gap_m), 4326))
        FROM building b, clipped
        WHERE b.compound_id <> clipped.id AND ST_DWithin(b.geom, clipped.g, 0.0002)
    ) s
), cut AS (
    SELECT CASE WHEN others.g IS NULL THEN clipped.g
                ELSE ST_Difference(clipped.g, others.g) END AS g
    FROM clipped, others
), parts AS (
    SELECT (ST_Dump(ST_CollectionExtract(ST_MakeValid(cut.g), 3))).geom AS g FROM cut
)
SELECT ST_AsBinary(ST_Multi(ST_Union(g))) AS wkb,
       coalesce(sum({_area_m2("g")}), 0) AS area_m2,
       (SELECT coalesce(ST_Area(hull.g), 0) FROM hull) AS hull_m2
FROM parts WHERE {_area_m2("g")} >= :min_part_m2
"""


def drawn_boundary(
    conn: sa.Connection,
    compound_id: int,
    buffer_m: float,
    close_m: float,
    neighbour_gap_m: float,
    min_part_m2: float,
    pending: list[int] | None = None,
) -> dict:
    """The boundary drawn from a compound's building footprints (``wkb`` None when
    nothing is left), its area and the area of the hull before clipping. ``pending``:
    compounds of the same run not drawn yet (only their buildings are kept clear)."""
    row = (
        conn.execute(
            sa.text(_DRAW),
            {
                "id": compound_id,
                "buffer_m": buffer_m,
                "close_m": close_m,
                "neighbour_gap_m": neighbour_gap_m,
                "min_part_m2": min_part_m2,
                "pending": pending or [],
            },
        )
        .mappings()
        .one()
    )
    return {
        "wkb": bytes(row["wkb"]) if row["wkb"] is not None else None,
        "area_m2": float(row["area_m2"]),
        "hull_m2": float(row["hull_m2"]),
    }


_VALIDATE = sa.text(
    """
SELECT f.n, s.g IS NULL OR ST_IsEmpty(s.g) AS empty, ST_GeometryType(s.g) AS gtype,
       ST_IsValid(s.g) AS valid, ST_IsValidReason(s.g) AS reason, ST_NPoints(s.g) AS npoints,
       ST_AsBinary(fixed.fg) AS wkb, fixed.fg IS NULL OR ST_IsEmpty(fixed.fg) AS fixed_empty,
       ST_Intersects(fixed.fg, (SELECT ST_Union(geom) FROM district)) AS in_district
FROM unnest(CAST(:ns AS integer[]), CAST(:wkbs AS bytea[])) AS f(n, w)
CROSS JOIN LATERAL (SELECT ST_GeomFromWKB(f.w, 4326) AS g) s
CROSS JOIN LATERAL (
    SELECT ST_Multi(ST_CollectionExtract(CASE WHEN ST_IsValid(s.g) THEN s.g
                                              ELSE ST_MakeValid(s.g, 'method=structure') END, 3))
           AS fg
) fixed
ORDER BY f.n
"""
)


def validate_geometries(conn: sa.Connection, ns: list[int], wkbs: list[bytes | None]) -> list:
    """For each numbered WKB geometry: empty, type, validity and its reason, vertex count,
    the repaired multipolygon (``ST_MakeValid``, structure method) and whether it touches
    the district."""
    return conn.execute(_VALIDATE, {"ns": ns, "wkbs": wkbs}).all()


def compound_id_of(conn: sa.Connection, value: str) -> int | None:
    """The id of the compound with this id or (12 digits or more) code, if any."""
    if len(value) >= 12:
        sql, v = "SELECT id FROM compound WHERE code = :v", value
    else:
        sql, v = "SELECT id FROM compound WHERE id = :v", int(value)
    return conn.execute(sa.text(sql), {"v": v}).scalar()


def compound_names(conn: sa.Connection) -> list[dict]:
    """Every compound's id, code, name and aliases (for matching imported features)."""
    rows = conn.execute(
        sa.text(
            "SELECT c.id, c.code, c.name, coalesce(array_agg(a.alias ORDER BY a.alias)"
            " FILTER (WHERE a.alias IS NOT NULL), '{}') AS aliases"
            " FROM compound c LEFT JOIN compound_alias a ON a.compound_id = c.id GROUP BY c.id"
        )
    ).mappings()
    return [dict(r) for r in rows]


# The check's buffers work in a local frame: longitude and latitude scaled to metres at
# the district's centre. Being affine it keeps valid geometry valid and shared edges
# shared (a map projection such as EPSG:4549 bends long thin shapes and can make them
# self-intersect); its scale is off by well under 1% across a district.
_FRAME = """frame AS MATERIALIZED (
    SELECT lon0, lat0,
           radians(1) * 6378137 * cos(radians(lat0))
               / sqrt(1 - 0.00669438 * sin(radians(lat0)) ^ 2) AS kx,
           radians(1) * 6378137 * (1 - 0.00669438)
               / (1 - 0.00669438 * sin(radians(lat0)) ^ 2) ^ 1.5 AS ky
    FROM (SELECT ST_X(c) AS lon0, ST_Y(c) AS lat0
          FROM (SELECT ST_Centroid(ST_Union(geom)) AS c FROM district) d) s
)"""


def _loc(expr: str) -> str:
    """``expr`` (EPSG:4326) in the local metric frame (needs ``frame`` in scope)."""
    return f"ST_Affine({expr}, frame.kx, 0, 0, frame.ky, -frame.lon0 * frame.kx, -frame.lat0 * frame.ky)"  # fmt: skip


def _unloc(expr: str) -> str:
    """Back from the local frame to EPSG:4326."""
    return f"ST_Affine({expr}, 1 / frame.kx, 0, 0, 1 / frame.ky, frame.lon0, frame.lat0)"


# -- the topology check ----------------------------------------------------------------
# Each statement inserts the problems of one kind. Geometric tests use only valid
# compounds (an invalid one is reported as such; GEOS cannot intersect it reliably).
_VALID = "vc AS MATERIALIZED (SELECT * FROM compound WHERE ST_IsValid(geom))"
_INSERT = (
    "INSERT INTO boundary_problem (district_code, street_code, community_code, compound_id,"
    " other_compound_id, building_id, kind, detail, reason, area_m2, checked_at, geom) "
)
_CHECKS: dict[str, str] = {
    "invalid": _INSERT
    + """
SELECT c.district_code, c.street_code, c.community_code, c.id, NULL::int, NULL::int, 'invalid',
       format('小区 %s 边界无效：%s', c.name, ST_IsValidReason(c.geom)),
       ST_IsValidReason(c.geom), NULL::numeric, :now,
       coalesce(ST_SetSRID((ST_IsValidDetail(c.geom)).location, 4326),
                ST_Centroid(ST_Envelope(c.geom)))
FROM compound c WHERE NOT ST_IsValid(c.geom)
UNION ALL
SELECT b.district_code, b.street_code, b.community_code, b.compound_id, NULL::int, b.id, 'invalid',
       format('%s 幢楼栋轮廓无效：%s', b.number, ST_IsValidReason(b.geom)),
       ST_IsValidReason(b.geom), NULL::numeric, :now,
       coalesce(ST_SetSRID((ST_IsValidDetail(b.geom)).location, 4326),
                ST_Centroid(ST_Envelope(b.geom)))
FROM building b WHERE NOT ST_IsValid(b.geom)
""",
    "overlap": f"""WITH {_VALID}, pairs AS (
    SELECT a.*, b.id AS other_id, b.name AS other_name,
           ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS g
    FROM vc a JOIN vc b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
        AND NOT ST_Touches(a.geom, b.geom)
), sized AS (SELECT *, {_area_m2("g")} AS area FROM pairs WHERE NOT ST_IsEmpty(g))
{_INSERT}
SELECT district_code, street_code, community_code, id, other_id, NULL::int, 'overlap',
       format('%s 与 %s 重叠 %s 平方米', name, other_name, round(area::numeric, 1)),
       NULL::text, area, :now, g
FROM sized WHERE area >= :overlap_min_m2
""",
    "buildings": f"""WITH {_VALID}, hits AS (
    SELECT b.id AS building_id, vc.id AS compound_id, vc.name,
           CASE WHEN ST_CoveredBy(b.geom, vc.geom) THEN 1.0
                ELSE ST_Area(ST_Intersection(b.geom, vc.geom)) / ST_Area(b.geom) END AS share
    FROM building b JOIN vc ON ST_Intersects(b.geom, vc.geom)
), inside AS (
    SELECT building_id, array_agg(compound_id ORDER BY share DESC) AS ids,
           array_agg(name ORDER BY share DESC) AS names,
           array_agg(round(100 * share) ORDER BY share DESC) AS pcts,
           least(sum(share), 1.0) AS covered
    FROM hits WHERE share >= :building_min_share GROUP BY building_id
), b AS (
    SELECT b.*, own.name AS own_name, i.ids, i.names, i.pcts, coalesce(i.covered, 0) AS covered
    FROM building b JOIN vc own ON own.id = b.compound_id
    LEFT JOIN inside i ON i.building_id = b.id
)
{_INSERT}
SELECT district_code, street_code, community_code, compound_id, ids[2], id, 'building_in_two',
       format('%s %s 幢跨 %s', own_name, number,
              (SELECT string_agg(format('%s(%s%%)', n, p), '、')
               FROM unnest(names, pcts) AS u(n, p))),
       NULL::text, NULL::numeric, :now, geom
FROM b WHERE cardinality(ids) >= 2
UNION ALL
SELECT district_code, street_code, community_code, compound_id, ids[1], id, 'building_elsewhere',
       format('%s %s 幢落在 %s 内', own_name, number, names[1]), NULL::text, NULL::numeric, :now, geom
FROM b WHERE cardinality(ids) = 1 AND ids[1] <> compound_id
UNION ALL
SELECT district_code, street_code, community_code, compound_id, NULL::int, id, 'building_in_none',
       CASE WHEN covered = 0 THEN format('%s %s 幢不在任何小区内', own_name, number)
            ELSE format('%s %s 幢有 %s%% 不在任何小区内', own_name, number,
                        round(100 * (1 - covered))) END,
       NULL::text, NULL::numeric, :now, geom
FROM b WHERE covered <= 1 - :building_min_share
""",
    "crosses": f"""WITH {_VALID}, out AS (
    SELECT c.*, 'crosses_community'::text AS pkind, m.name AS area_name,
           ST_CollectionExtract(ST_Difference(c.geom, m.geom), 3) AS g
    FROM vc c JOIN community m ON m.community_code = c.community_code
    WHERE NOT ST_CoveredBy(c.geom, m.geom)
    UNION ALL
    SELECT c.*, 'crosses_street', s.name, ST_CollectionExtract(ST_Difference(c.geom, s.geom), 3)
    FROM vc c JOIN street s ON s.street_code = c.street_code
    WHERE NOT ST_CoveredBy(c.geom, s.geom)
), sized AS (SELECT *, {_area_m2("g")} AS area FROM out WHERE NOT ST_IsEmpty(g))
{_INSERT}
SELECT district_code, street_code, community_code, id, NULL::int, NULL::int, pkind,
       format('%s 有 %s 平方米越出%s界线', name, round(area::numeric, 1), area_name),
       NULL::text, area, :now, g
FROM sized WHERE area >= :crossing_min_m2
""",
    # Thin parts: what a morphological opening of radius sliver_width/2 removes, kept
    # when at least sliver_min_m2, longer than 4 x the width (not a rounded corner) and
    # somewhere wider than 2 x tolerance_m (not the residue buffers leave along edges).
    "sliver": f"""WITH {_VALID}, {_FRAME}, m AS (
    SELECT c.*, {_loc("c.geom")} AS mg FROM vc c, frame
), thin AS (
    SELECT m.*, (ST_Dump(ST_CollectionExtract(ST_Difference(mg,
               ST_Buffer(ST_Buffer(mg, -:sliver_width_m / 2.0), :sliver_width_m / 2.0)), 3))).geom
               AS t
    FROM m
)
{_INSERT}
SELECT district_code, street_code, community_code, id, NULL::int, NULL::int, 'sliver',
       format('%s 有狭长碎片：最宽约 %s 米，面积 %s 平方米', name,
              round((2 * (ST_MaximumInscribedCircle(tc)).radius)::numeric, 1),
              round(ST_Area(tc)::numeric, 1)),
       NULL::text, ST_Area(tc), :now, ST_CollectionExtract(ST_MakeValid({_unloc("tc")}), 3)
FROM frame, thin
CROSS JOIN LATERAL (SELECT ST_Buffer(ST_Buffer(t, -:tolerance_m), :tolerance_m) AS tc) c
WHERE NOT ST_IsEmpty(tc) AND ST_Area(tc) >= :sliver_min_m2
  AND ST_Perimeter(tc) >= 8 * :sliver_width_m
""",
    # Gaps: places inside a community that no compound covers, narrower than
    # sliver_width_m between two compounds (what a closing of the pair of radius
    # sliver_width_m / 2 fills, touching both), or uncovered holes under gap_max_m2 with
    # two compounds within sliver_width_m. A community's open land and its corners are
    # not gaps; overlapping finds of several pairs are merged.
    "gap": f"""WITH {_VALID}, {_FRAME}, vm AS MATERIALIZED (
    SELECT id, {_loc("geom")} AS g FROM vc, frame
), holes AS (
    SELECT (ST_Dump(ST_CollectionExtract({_loc("ST_Difference(m.geom, u.g)")}, 3))).geom AS t
    FROM frame, community m
    CROSS JOIN LATERAL (SELECT ST_Union(vc.geom) AS g FROM vc
                        WHERE ST_Intersects(vc.geom, m.geom)) u
    WHERE u.g IS NOT NULL
), pairs AS (
    -- candidates by the GiST index (0.00005 degrees is over 4.5 m here), then in metres
    SELECT a.id AS aid, b.id AS bid FROM vc a JOIN compound b
        ON a.id < b.id AND ST_DWithin(a.geom, b.geom, 0.00005) AND ST_IsValid(b.geom)
), strips AS (
    SELECT a.g AS ag, b.g AS bg,
           (ST_Dump(ST_CollectionExtract(ST_Difference(
               ST_Buffer(ST_Buffer(ST_Union(a.g, b.g), :sliver_width_m / 2.0),
                         -:sliver_width_m / 2.0),
               ST_Union(a.g, b.g)), 3))).geom AS t
    FROM pairs JOIN vm a ON a.id = pairs.aid JOIN vm b ON b.id = pairs.bid
    WHERE ST_DWithin(a.g, b.g, :sliver_width_m)
), candidates AS (
    SELECT t FROM holes WHERE ST_Area(t) < :gap_max_m2
    UNION ALL
    SELECT t FROM strips
    WHERE ST_DWithin(t, ag, :tolerance_m) AND ST_DWithin(t, bg, :tolerance_m)
      AND ST_Area(t) >= :sliver_min_m2 / 2.0
), merged AS (
    SELECT (ST_Dump(ST_Union(t))).geom AS t FROM candidates
), uncovered AS (
    -- a third compound may cover what lies between two
    SELECT coalesce(ST_Difference(t, (SELECT ST_Union(vm.g) FROM vm
                                      WHERE ST_Intersects(vm.g, merged.t))), t) AS t
    FROM merged
), cleaned AS (
    SELECT (ST_Dump(ST_CollectionExtract(
               ST_Buffer(ST_Buffer(t, -:tolerance_m), :tolerance_m), 3))).geom AS tc
    FROM uncovered
)
{_INSERT}
SELECT m.district_code, m.street_code, m.community_code, NULL::int, NULL::int, NULL::int, 'gap',
       format('%s 内小区间缝隙：最宽约 %s 米，面积 %s 平方米', m.name,
              round((2 * (ST_MaximumInscribedCircle(tc)).radius)::numeric, 1),
              round(ST_Area(tc)::numeric, 1)),
       NULL::text, ST_Area(tc), :now, ST_CollectionExtract(ST_MakeValid({_unloc("tc")}), 3)
FROM frame CROSS JOIN cleaned
JOIN community m ON ST_Intersects(m.geom, {_unloc("ST_PointOnSurface(tc)")})
WHERE ST_Area(tc) >= :sliver_min_m2
  AND (SELECT count(*) FROM vm WHERE ST_DWithin(vm.g, tc, :sliver_width_m)) >= 2
""",
}
CHECK_STEPS = tuple(_CHECKS)


def clear_problems(conn: sa.Connection) -> None:
    conn.execute(sa.text("DELETE FROM boundary_problem"))


def run_check_step(conn: sa.Connection, step: str, params: dict) -> int:
    """Run one step of the check (see CHECK_STEPS), inserting its problems; rows added."""
    return conn.execute(sa.text(_CHECKS[step]), params).rowcount


def problems(
    conn: sa.Connection,
    kind: str | None = None,
    compound_id: int | None = None,
    community_code: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Problems of the latest check, filtered; a compound matches as either party."""
    rows = conn.execute(
        sa.text(
            "SELECT p.id, p.kind, p.compound_id, c.name AS compound_name, c.code AS compound_code,"
            " p.other_compound_id, o.name AS other_compound_name, p.building_id,"
            " b.number AS building_number, p.street_code, p.community_code, p.detail, p.reason,"
            " round(p.area_m2, 1)::float AS area_m2, p.checked_at,"
            " ST_AsGeoJSON(p.geom, 7)::json AS geometry"
            " FROM boundary_problem p"
            " LEFT JOIN compound c ON c.id = p.compound_id"
            " LEFT JOIN compound o ON o.id = p.other_compound_id"
            " LEFT JOIN building b ON b.id = p.building_id"
            " WHERE (CAST(:kind AS text) IS NULL OR p.kind = :kind)"
            " AND (CAST(:cid AS integer) IS NULL OR p.compound_id = :cid"
            "      OR p.other_compound_id = :cid)"
            " AND (CAST(:community AS text) IS NULL OR p.community_code = :community)"
            " ORDER BY p.kind, p.community_code, p.id LIMIT :limit"
        ),
        {"kind": kind, "cid": compound_id, "community": community_code, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def last_checked(conn: sa.Connection) -> dt.datetime | None:
    return conn.execute(sa.text("SELECT max(checked_at) FROM boundary_problem")).scalar()
