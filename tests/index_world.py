"""A hand-made two-compound world for the index and early-warning tests (issue 8).

Compound 1 (A) is well governed, compound 2 (B) has nothing; the rows below are chosen so
that every indicator of A for 2026Q3 can be computed by hand (see EXPECTED_A).
"""

from __future__ import annotations

import psycopg

from geo_service import db

from .conftest import new_database

D, S, C = "330105", "330105001", "330105001001"
KEYS = f"'{D}', '{S}', '{C}'"  # district, street, community


def _square(x0: float, y0: float, size: float, multi: bool = True) -> str:
    ring = f"{x0} {y0},{x0 + size} {y0},{x0 + size} {y0 + size},{x0} {y0 + size},{x0} {y0}"
    return f"ST_GeomFromText('{'MULTIPOLYGON(((' if multi else 'POLYGON(('}{ring}{')))' if multi else '))'}', 4326)"


def _point(x: float, y: float) -> str:
    return f"ST_SetSRID(ST_MakePoint({x}, {y}), 4326)"


WORLD_SQL = [
    f"INSERT INTO district VALUES ('{D}', '测试区', {_square(120.0, 30.0, 0.1)})",
    f"INSERT INTO street (street_code, district_code, name, geom) VALUES ('{S}', '{D}', '测试街道', {_square(120.0, 30.0, 0.1)})",
    f"INSERT INTO community (community_code, district_code, street_code, name, geom) VALUES ('{C}', '{D}', '{S}', '测试社区', {_square(120.0, 30.0, 0.1)})",
    f"INSERT INTO commissioner (id, district_code, street_code, name, phone) VALUES (1, '{D}', '{S}', '专员甲', '13800000000')",
    # A: branch, commissioner, committee (7 members, 60% party), professional service 90%/4 stars
    f"""INSERT INTO compound (id, code, district_code, street_code, community_code, name, kind, year_built, geom,
        has_party_branch, party_branch_name, commissioner_id, oc_formed, oc_term_end, oc_members, oc_party_share,
        property_service, property_company, fee_collection_rate, star_rating, income_disclosed, e_voting)
        VALUES (1, '330105001001001', {KEYS}, '甲小区', 'commodity', 2005, {_square(120.01, 30.01, 0.01)},
        true, '甲小区党支部', 1, true, '2028-01-01', 7, 0.600, 'professional', '甲物业', 0.900, 4, true, false)""",
    # B: none of it
    f"""INSERT INTO compound (id, code, district_code, street_code, community_code, name, kind, year_built, geom,
        has_party_branch, party_branch_name, commissioner_id, oc_formed, oc_term_end, oc_members, oc_party_share,
        property_service, property_company, fee_collection_rate, star_rating, income_disclosed, e_voting)
        VALUES (2, '330105001001002', {KEYS}, '乙小区', 'old', 1990, {_square(120.03, 30.01, 0.01)},
        false, NULL, NULL, false, NULL, NULL, NULL, 'none', NULL, NULL, NULL, false, true)""",
    # buildings: A has b1 (2 units) and b2 (1 unit); B has b3 (1 unit)
    f"""INSERT INTO building (id, district_code, street_code, community_code, compound_id, number, floors, units,
        year_built, has_elevator, geom) VALUES
        (1, {KEYS}, 1, 1, 6, 2, 2005, false, {_square(120.011, 30.011, 0.001, False)}),
        (2, {KEYS}, 1, 2, 6, 1, 2005, false, {_square(120.013, 30.011, 0.001, False)}),
        (3, {KEYS}, 2, 1, 6, 1, 1990, false, {_square(120.031, 30.011, 0.001, False)})""",
    f"""INSERT INTO unit (id, district_code, community_code, compound_id, building_id, number) VALUES
        (1, '{D}', '{C}', 1, 1, 1), (2, '{D}', '{C}', 1, 1, 2), (3, '{D}', '{C}', 1, 2, 1),
        (4, '{D}', '{C}', 2, 3, 1)""",
    # households: A 4 + 4 + 2 = 10, B 5
    f"""INSERT INTO household (district_code, community_code, compound_id, building_id, unit_id, room, floor, area_m2)
        SELECT '{D}', '{C}', u.compound_id, u.building_id, u.id, (100 * f + 1)::text, f, 80
        FROM unit u CROSS JOIN generate_series(1, 5) f
        WHERE f <= CASE u.id WHEN 1 THEN 4 WHEN 2 THEN 4 WHEN 3 THEN 2 ELSE 5 END""",
    # party members: 4 in A's b1, 3 reported
    f"""INSERT INTO party_member (district_code, street_code, community_code, compound_id, building_id, name, phone,
        in_register, reported, joined_year) VALUES
        ({KEYS}, 1, 1, '党员一', '13800000001', true, true, 1990),
        ({KEYS}, 1, 1, '党员二', '13800000002', true, true, 1991),
        ({KEYS}, 1, 1, '党员三', '13800000003', true, true, 1992),
        ({KEYS}, 1, 1, '党员四', '13800000004', false, false, 1993)""",
    # captains: a 楼道长 at unit 1, a 楼栋长 at b2 -> units 1 and 3 of A's 3 covered
    f"""INSERT INTO building_captain (district_code, street_code, community_code, compound_id, building_id, unit_id,
        role, name, phone, is_party_member) VALUES
        ({KEYS}, 1, 1, 1, 'unit', '楼道长', '13800000011', false),
        ({KEYS}, 1, 2, NULL, 'building', '楼栋长', '13800000012', true)""",
    # volunteers of A active on 2026-10-01: the first and the third (the second left)
    f"""INSERT INTO volunteer (district_code, street_code, community_code, compound_id, registered_on, left_on,
        is_party_member) VALUES
        ({KEYS}, 1, '2026-01-01', NULL, true), ({KEYS}, 1, '2026-05-01', '2026-08-01', false),
        ({KEYS}, 1, '2026-09-30', NULL, false), ({KEYS}, 1, '2026-10-01', NULL, false)""",
    # meetings of A: 2 deliberation and 1 tripartite in 2026Q3 (the others fall outside)
    f"""INSERT INTO governance_meeting (district_code, street_code, community_code, compound_id, kind, held_on,
        attendees, resolutions) VALUES
        ({KEYS}, 1, 'deliberation', '2026-07-05', 20, 1), ({KEYS}, 1, 'deliberation', '2026-09-30', 18, 2),
        ({KEYS}, 1, 'deliberation', '2026-10-01', 15, 0), ({KEYS}, 1, 'tripartite', '2026-08-08', 9, 1),
        ({KEYS}, 1, 'tripartite', '2026-06-30', 8, 1)""",
    # disputes of A closed in 2026Q3: 3 mediated, 1 failed (one pending, one closed in Q2)
    f"""INSERT INTO dispute (district_code, street_code, community_code, compound_id, category, reported_on, closed_on,
        outcome) VALUES
        ({KEYS}, 1, 'noise', '2026-07-01', '2026-07-10', 'mediated'),
        ({KEYS}, 1, 'parking', '2026-07-15', '2026-08-10', 'mediated'),
        ({KEYS}, 1, 'leak', '2026-06-20', '2026-07-02', 'mediated'),
        ({KEYS}, 1, 'other', '2026-08-01', '2026-09-01', 'failed'),
        ({KEYS}, 1, 'other', '2026-09-01', NULL, 'pending'),
        ({KEYS}, 1, 'noise', '2026-06-01', '2026-06-30', 'mediated')""",
    # complaints of A: c0 in Q2; c1..c5 in Q3. Answered within 18 h: c1, c3, c5 (3 of 5).
    # Repeats (same building and category within 30 days): c2 (after c1), c5 (after c0).
    f"""INSERT INTO complaint (district_code, street_code, community_code, compound_id, building_id, geom, channel,
        category, created_at, first_response_at, resolved_at, satisfaction) VALUES
        ({KEYS}, 1, 2, {_point(120.0135, 30.0115)}, 'mashangban', 'sanitation', '2026-06-25 10:00+08', '2026-06-25 11:00+08', NULL, NULL),
        ({KEYS}, 1, 1, {_point(120.0115, 30.0115)}, 'mashangban', 'noise', '2026-07-10 10:00+08', '2026-07-10 12:00+08', NULL, NULL),
        ({KEYS}, 1, 1, {_point(120.0115, 30.0115)}, 'hotline_12345', 'noise', '2026-07-20 10:00+08', '2026-07-21 06:00+08', NULL, NULL),
        ({KEYS}, 1, 2, {_point(120.0135, 30.0115)}, 'mashangban', 'noise', '2026-08-01 10:00+08', '2026-08-01 11:00+08', NULL, NULL),
        ({KEYS}, 1, 1, {_point(120.0115, 30.0115)}, 'xieshangling', 'parking', '2026-09-15 10:00+08', NULL, NULL, NULL),
        ({KEYS}, 1, 2, {_point(120.0135, 30.0115)}, 'mashangban', 'sanitation', '2026-07-02 10:00+08', '2026-07-02 13:00+08', NULL, NULL)""",
    # petitions of A: one in Q3, one in Q4
    f"""INSERT INTO petition (district_code, street_code, community_code, compound_id, geom, category, channel,
        petition_date) VALUES
        ({KEYS}, 1, {_point(120.0115, 30.0115)}, 'property', 'visit', '2026-08-01'),
        ({KEYS}, 1, {_point(120.0115, 30.0115)}, 'property', 'visit', '2026-10-01')""",
    f"""INSERT INTO satisfaction_survey (district_code, street_code, community_code, compound_id, quarter,
        surveyed_on, respondents, score) VALUES ({KEYS}, 1, '2026Q3', '2026-09-20', 50, 80.00)""",
]

# Compound A's raw values for 2026Q3, by hand from the rows above.
EXPECTED_A = {
    "party_branch": True,
    "commissioner": True,
    "oc_party_share": 0.6,
    "party_reported_share": 3 / 4,
    "buildings_with_party_member_share": 1 / 2,
    "captain_unit_share": 2 / 3,
    "volunteers_per_100hh": 100 * 2 / 10,
    "deliberation_meetings": 2,
    "e_voting": False,
    "oc_formed": True,
    "tripartite_meetings": 1,
    "disputes_mediated_share": 3 / 4,
    "income_disclosed": True,
    "professional_service": True,
    "fee_collection_rate": 0.9,
    "complaints_answered_18h_share": 3 / 5,
    "star_rating": 4,
    "satisfaction_score": 80.0,
    "petitions_per_1000hh": 1000 * 1 / 10,
    "repeat_complaint_share": 2 / 5,
}
EXPECTED_B = {
    "party_branch": False,
    "commissioner": False,
    "oc_party_share": None,
    "party_reported_share": None,
    "buildings_with_party_member_share": 0.0,
    "captain_unit_share": 0.0,
    "volunteers_per_100hh": 0.0,
    "deliberation_meetings": 0,
    "e_voting": True,
    "oc_formed": False,
    "tripartite_meetings": 0,
    "disputes_mediated_share": None,
    "income_disclosed": False,
    "professional_service": False,
    "fee_collection_rate": None,
    "complaints_answered_18h_share": None,
    "star_rating": None,
    "satisfaction_score": None,
    "petitions_per_1000hh": 0.0,
    "repeat_complaint_share": None,
}


def make_world(cluster, prefix: str = "idx") -> str:  # noqa: ANN001
    """A fresh migrated database holding the two-compound world; returns its name."""
    name = new_database(cluster, prefix)
    db.upgrade(cluster.url(name))
    with psycopg.connect(cluster.conninfo(name)) as conn:
        for sql in WORLD_SQL:
            conn.execute(sql)
    return name
