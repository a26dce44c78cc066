"""一小区一档案: GET /api/compounds/{id}/dossier and the page /compounds/{id} (issue 3)."""

from __future__ import annotations

import pytest

from geo_service.dossier import svg_outline

from .conftest import NOW, LoggedIn
from .test_browser import Watch


@pytest.fixture(scope="module")
def cid(demo_conn) -> int:
    """A compound with a commissioner, a formed owners' committee, retrofits and complaints."""
    return demo_conn.execute(
        """SELECT c.id FROM compound c
           WHERE c.commissioner_id IS NOT NULL AND c.oc_formed AND c.has_party_branch
             AND EXISTS (SELECT 1 FROM elevator_retrofit r WHERE r.compound_id = c.id)
           ORDER BY (SELECT count(*) FROM complaint q WHERE q.compound_id = c.id) DESC
           LIMIT 1"""
    ).fetchone()[0]


def test_dossier_holds_every_section_with_true_figures(client, demo_conn, cid: int) -> None:
    r = client.get(f"/api/compounds/{cid}/dossier")
    assert r.status_code == 200
    d = r.json
    one = lambda sql: demo_conn.execute(sql, (cid,)).fetchone()  # noqa: E731
    name, code, branch, oc_members, oc_end = one(
        "SELECT name, code, party_branch_name, oc_members, oc_term_end FROM compound WHERE id = %s"
    )
    assert (d["id"], d["name"], d["code"]) == (cid, name, code)
    # Boundary and its history (version 1 from the demo load).
    assert d["boundary"]["geometry"]["type"] == "MultiPolygon"
    assert d["boundary"]["area_m2"] > 1000
    assert [h["version"] for h in d["boundary"]["history"]][-1] == 1
    # Housing.
    nb, nu, nh = demo_conn.execute(
        "SELECT (SELECT count(*) FROM building WHERE compound_id = %(c)s), "
        "(SELECT count(*) FROM unit WHERE compound_id = %(c)s), "
        "(SELECT count(*) FROM household WHERE compound_id = %(c)s)",
        {"c": cid},
    ).fetchone()
    h = d["housing"]
    assert (h["buildings"], h["units"], h["households"]) == (nb, nu, nh)
    assert len(h["building_list"]) == nb
    assert sum(b["households"] for b in h["building_list"]) == nh
    # Residents by source, current on the service's date.
    current = dict(
        demo_conn.execute(
            "SELECT source, count(*) FROM resident WHERE compound_id = %s AND valid_from <= %s "
            "AND (valid_to IS NULL OR valid_to >= %s) GROUP BY source",
            (cid, NOW.date(), NOW.date()),
        ).fetchall()
    )
    got = {x["source"]: x["current"] for x in d["residents"]["by_source"]}
    assert got == {s: current.get(s, 0) for s in ("owner", "registered", "floating")}
    assert [x["label"] for x in d["residents"]["by_source"]] == ["产权业主", "户籍人口", "流动人口"]
    # Governance: party branch, commissioner (name masked), owners' committee, property.
    assert d["party_branch"] == {"established": True, "name": branch}
    k = d["commissioner"]
    surname = one(
        "SELECT left(k.name, 1) FROM compound c JOIN commissioner k ON k.id = c.commissioner_id "
        "WHERE c.id = %s"
    )[0]
    assert k["name"] == surname + "**" and k["compounds_served"] >= 1
    full = one(
        "SELECT k.name FROM compound c JOIN commissioner k ON k.id = c.commissioner_id "
        "WHERE c.id = %s"
    )[0]
    assert full not in r.get_data(as_text=True)
    oc = d["owners_committee"]
    assert oc["formed"] and oc["members"] == oc_members and oc["term_end"] == oc_end.isoformat()
    assert 0 <= oc["party_member_share"] <= 1
    assert d["property_service"]["label"] in ("专业物业", "自管会", "无物业")
    # Captain coverage agrees with the map's figure; party members per building.
    assert d["captains"]["share"] == pytest.approx(d["figures"]["captain_unit_share"], abs=1e-3)
    pm = one("SELECT count(*) FROM party_member WHERE compound_id = %s")[0]
    assert d["party_members"]["total"] == pm
    assert sum(x["n"] for x in d["party_members"]["by_building"]) == pm
    # Complaints and petitions of the last 12 months.
    c12 = one(
        "SELECT count(*) FROM complaint WHERE compound_id = %s "
        f"AND created_at >= '{NOW.isoformat()}'::timestamptz - interval '365 days' "
        f"AND created_at < '{NOW.isoformat()}'::timestamptz"
    )[0]
    assert d["complaints_12m"]["total"] == c12 == d["figures"]["complaints_12m"]
    assert sum(x["n"] for x in d["complaints_12m"]["by_channel"]) == c12
    assert all(x["label"] for x in d["complaints_12m"]["by_category"])
    assert d["petitions_12m"]["total"] == d["figures"]["petitions_12m"]
    # Retrofits by stage: all five stages, counts from the table.
    stages = dict(
        demo_conn.execute(
            "SELECT stage, count(*) FROM elevator_retrofit WHERE compound_id = %s GROUP BY stage",
            (cid,),
        ).fetchall()
    )
    assert [x["stage"] for x in d["elevator_retrofits"]] == [
        "intent", "consultation", "approved", "construction", "completed",
    ]  # fmt: skip
    assert {x["stage"]: x["n"] for x in d["elevator_retrofits"] if x["n"]} == stages
    assert isinstance(d["boundary_problems"], list)
    assert d["residents"]["ownership_changes"]["total"] == 0


def test_unknown_compound_dossier_is_404_json(client) -> None:
    r = client.get("/api/compounds/999999/dossier")
    assert r.status_code == 404
    assert r.is_json and r.json["error"]


def test_compound_page_shows_the_dossier(client, cid: int) -> None:
    html = client.get(f"/compounds/{cid}").get_data(as_text=True)
    for text in ("小区边界", "居民（以房管人）", "楼栋明细", "边界核查问题", "<svg", "产权业主",
                 f"/api/compounds/{cid}/dossier"):  # fmt: skip
        assert text in html


def test_svg_outline_fits_the_frame() -> None:
    square = {"type": "Polygon", "coordinates": [[[120, 30], [120.01, 30], [120.01, 30.01],
                                                  [120, 30.01], [120, 30]]]}  # fmt: skip
    out = svg_outline([square], 200, 100)
    (path,) = out["paths"]
    xs = [float(p.split(",")[0].lstrip("ML ")) for p in path.replace(" Z", "").split(" ")]
    assert min(xs) >= 0 and max(xs) <= 200
    assert svg_outline([], 10, 10)["paths"] == []


def test_dossier_page_in_chromium(browser: LoggedIn, live_server: str, cid: int, artifacts) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    watch = Watch(page, live_server)
    page.goto(f"{live_server}/compounds/{cid}")
    page.wait_for_selector("#buildings table")
    assert page.locator("svg path.compound").count() == 1
    assert page.locator("svg path.building").count() >= 1
    box = page.locator("#boundary svg").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    page.screenshot(path=str(artifacts / f"dossier-{cid}.png"), full_page=True)
    assert watch.errors == [] and watch.foreign == []
