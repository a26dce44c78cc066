"""Issue 6: the commissioner's patch (/patch) — deadline arithmetic, marking complaints,
owner changes since the last visit, scope on every endpoint, CSRF, and the page in a real
browser on a phone and a desktop.

The module writes (complaints, imports, visits), so it runs on a tiny demo database of its
own with its own app and server."""

from __future__ import annotations

import csv
import datetime as dt
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy as sa
from waitress.server import create_server

from geo_service import db
from geo_service import patch as logic
from geo_service.demo.load import load_demo
from geo_service.residents import import_records
from geo_service.settings import Settings

from .conftest import (
    AS_OF,
    NOW,
    SEED,
    LoggedIn,
    add_user,
    logged_in,
    new_database,
    session_cookie,
)  # fmt: skip

SH = ZoneInfo("Asia/Shanghai")
D = "330105"


# -- deadline arithmetic (no database) ---------------------------------------------------------
def test_deadline_crosses_midnight_in_shanghai() -> None:
    created = dt.datetime(2026, 11, 22, 23, 30, tzinfo=SH)
    deadline = logic.response_deadline(created)
    assert deadline == dt.datetime(2026, 11, 23, 17, 30, tzinfo=SH)
    assert deadline.utcoffset() == dt.timedelta(hours=8)
    assert logic.local_text(deadline) == "11月23日 17:30"
    # 06:00 + 18 h is exactly the next midnight; 05:59 stays on the same day
    assert logic.response_deadline(dt.datetime(2026, 11, 22, 6, 0, tzinfo=SH)) == dt.datetime(
        2026, 11, 23, 0, 0, tzinfo=SH
    )
    assert logic.local_text(
        logic.response_deadline(dt.datetime(2026, 11, 22, 5, 59, tzinfo=SH))
    ) == ("11月22日 23:59")
    # the end of a month and of a year
    assert logic.response_deadline(dt.datetime(2026, 12, 31, 20, 0, tzinfo=SH)) == dt.datetime(
        2027, 1, 1, 14, 0, tzinfo=SH
    )


def test_deadline_is_the_same_instant_whatever_zone_the_times_are_given_in() -> None:
    shanghai = dt.datetime(2026, 11, 22, 23, 30, tzinfo=SH)
    utc = dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC)  # the same instant
    new_york = utc.astimezone(ZoneInfo("America/New_York"))  # 10:30 the same day there
    for created in (shanghai, utc, new_york):
        assert logic.response_deadline(created) == dt.datetime(2026, 11, 23, 17, 30, tzinfo=SH)
        assert logic.local_text(logic.response_deadline(created)) == "11月23日 17:30"
    # ten past midnight in Shanghai is still the previous evening in UTC
    now_utc = dt.datetime(2026, 11, 22, 16, 10, tzinfo=dt.UTC)
    assert logic.seconds_left(shanghai, now_utc) == 17 * 3600 + 20 * 60
    assert logic.countdown_text(logic.seconds_left(utc, now_utc)) == "剩余 17小时20分"
    # on the deadline it is still due; one second later it is overdue
    at_deadline = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    assert logic.state(shanghai, None, at_deadline) == logic.DUE
    assert logic.state(shanghai, None, at_deadline + dt.timedelta(seconds=1)) == logic.OVERDUE
    assert logic.seconds_left(new_york, at_deadline + dt.timedelta(seconds=1)) == -1
    assert logic.countdown_text(-(26 * 3600 + 5 * 60)) == "超时 1天2小时"
    responded = shanghai + dt.timedelta(hours=30)  # late, but answered: no longer counting
    assert logic.state(shanghai, responded, at_deadline + dt.timedelta(days=3)) == logic.RESPONDED
    with pytest.raises(ValueError, match="timezone-aware"):
        logic.response_deadline(dt.datetime(2026, 11, 22, 23, 30))


def test_urgency_order() -> None:
    now = dt.datetime(2026, 11, 22, 21, 0, tzinfo=SH)
    rows = [
        {"id": 1, "created_at": now - dt.timedelta(hours=2), "first_response_at": None},
        {"id": 2, "created_at": now - dt.timedelta(hours=30), "first_response_at": None},
        {"id": 3, "created_at": now - dt.timedelta(hours=40), "first_response_at": now},
        {"id": 4, "created_at": now - dt.timedelta(hours=19), "first_response_at": None},
        {"id": 5, "created_at": now - dt.timedelta(hours=17), "first_response_at": None},
    ]
    for r in rows:
        r.update(category="noise", channel="mashangban", resolved_at=None)
    ordered = logic.by_urgency([logic.annotate(r, now) for r in rows])
    assert [c["id"] for c in ordered] == [2, 4, 5, 1, 3]
    assert [c["state"] for c in ordered] == ["overdue", "overdue", "due", "due", "responded"]
    assert ordered[0]["deadline"] == "2026-11-22T09:00:00+08:00"


# -- an isolated database, app and server -----------------------------------------------------------
@pytest.fixture(scope="module")
def pdb(cluster) -> str:  # noqa: ANN001
    name = new_database(cluster, "patch")
    db.upgrade(cluster.url(name))
    load_demo(cluster.conninfo(name), "tiny", SEED, AS_OF, progress=False)
    return name


@pytest.fixture(scope="module")
def peng(cluster, pdb) -> Iterator[sa.Engine]:  # noqa: ANN001
    engine = sa.create_engine(cluster.url(pdb))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pconn(cluster, pdb) -> Iterator[psycopg.Connection]:  # noqa: ANN001
    with psycopg.connect(cluster.conninfo(pdb), autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def papp(cluster, pdb):  # noqa: ANN001, ANN201
    from geo_service.app import create_app

    application = create_app(Settings(database_url=cluster.url(pdb), home=cluster.home))
    # every request to /patch is a new visit here (no 30-minute grouping)
    application.config.update(TESTING=True, FIXED_NOW=NOW, PATCH_VISIT_GAP=dt.timedelta(0))
    return application


@pytest.fixture(scope="module")
def mine(pconn) -> tuple[int, ...]:  # noqa: ANN001
    """The compounds of the first commissioner."""
    row = pconn.execute(
        """SELECT array_agg(id ORDER BY id) FROM compound
           WHERE commissioner_id = (SELECT min(commissioner_id) FROM compound)"""
    ).fetchone()
    return tuple(row[0])


@pytest.fixture(scope="module")
def other(pconn, mine) -> int:  # noqa: ANN001
    """A compound of another commissioner, in another community."""
    return pconn.execute(
        """SELECT id FROM compound WHERE NOT id = ANY (%s) AND community_code <> (
               SELECT community_code FROM compound WHERE id = %s) ORDER BY id LIMIT 1""",
        (list(mine), mine[0]),
    ).fetchone()[0]


@pytest.fixture(scope="module")
def commissioner(peng, mine) -> str:  # noqa: ANN001
    return add_user(peng, "commissioner", "compounds", tuple(map(str, mine)))


def _complaint(pconn, compound_id: int, hours_ago: float, category: str = "noise") -> int:  # noqa: ANN001
    """A new complaint in the compound, ``hours_ago`` before the service's clock, unanswered."""
    return pconn.execute(
        """INSERT INTO complaint (district_code, street_code, community_code, compound_id, geom,
               channel, category, created_at)
           SELECT district_code, street_code, community_code, id, ST_PointOnSurface(geom),
                  'mashangban', %s, %s FROM compound WHERE id = %s RETURNING id""",
        (category, NOW - dt.timedelta(hours=hours_ago), compound_id),
    ).fetchone()[0]


def _csrf(c, path: str = "/patch") -> str:  # noqa: ANN001
    html = c.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


# -- marking complaints -------------------------------------------------------------------------
def test_marking_first_response_removes_it_from_overdue(
    papp, peng, pconn, mine, commissioner
) -> None:  # noqa: ANN001
    late = _complaint(pconn, mine[0], 20)  # deadline passed two hours ago
    soon = _complaint(pconn, mine[0], 17.5, "parking")  # half an hour left
    c = logged_in(papp, peng, commissioner)
    token = _csrf(c)
    before = c.get("/api/patch/complaints").json
    states = {k["id"]: k for k in before["complaints"]}
    assert states[late]["state"] == "overdue" and states[late]["countdown"] == "超时 2小时00分"
    assert states[soon]["state"] == "due" and states[soon]["countdown"] == "剩余 0小时30分"
    assert states[late]["deadline"] == (NOW - dt.timedelta(hours=2)).isoformat()
    ids = [k["id"] for k in before["complaints"]]
    assert ids.index(late) < ids.index(soon)  # the overdue one comes first
    summary = c.get(f"/api/patch/compounds?compound={mine[0]}").json["compounds"][0]
    assert summary["complaints_overdue"] == before["overdue"] >= 1

    r = c.post(f"/api/patch/complaints/{late}/first-response", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.json["marked"] == ["first_response"]
    fr, res = pconn.execute(
        "SELECT first_response_at, resolved_at FROM complaint WHERE id = %s", (late,)
    ).fetchone()
    assert fr == NOW and res is None
    acts = pconn.execute(
        "SELECT action, at, username, compound_id FROM complaint_action WHERE complaint_id = %s",
        (late,),
    ).fetchall()
    assert acts == [("first_response", NOW, commissioner, mine[0])]
    assert (
        pconn.execute(
            "SELECT count(*) FROM audit_log WHERE username = %s AND action = 'complaint_first_response'"
            " AND target = %s",
            (commissioner, f"complaint {late}"),
        ).fetchone()[0]
        == 1
    )

    after = c.get("/api/patch/complaints").json
    states = {k["id"]: k for k in after["complaints"]}
    assert states[late]["state"] == "responded" and after["overdue"] == before["overdue"] - 1
    summary = c.get(f"/api/patch/compounds?compound={mine[0]}").json["compounds"][0]
    assert summary["complaints_overdue"] == after["overdue"]
    # marked once only
    assert c.post(f"/api/patch/complaints/{late}/first-response",
                  headers={"X-CSRFToken": token}).status_code == 409  # fmt: skip
    # resolving the unanswered one records both steps and takes it off the list
    r = c.post(f"/api/patch/complaints/{soon}/resolution", data={"csrf_token": token})
    assert r.status_code == 200 and r.json["marked"] == ["first_response", "resolved"]
    assert soon not in {k["id"] for k in c.get("/api/patch/complaints").json["complaints"]}
    assert (
        pconn.execute(
            "SELECT count(*) FROM complaint_action WHERE complaint_id = %s", (soon,)
        ).fetchone()[0]
        == 2
    )


def test_posts_need_the_csrf_token_and_a_role_that_may_mark(
    papp, peng, pconn, mine, commissioner
) -> None:  # noqa: ANN001
    k = _complaint(pconn, mine[0], 1)
    c = logged_in(papp, peng, commissioner)
    for path in (
        f"/api/patch/complaints/{k}/first-response",
        f"/api/patch/complaints/{k}/resolution",
    ):
        r = c.post(path)
        assert r.status_code == 400 and r.json["parameter"] == "csrf_token"
        r = c.post(path, headers={"X-CSRFToken": "forged"})
        assert r.status_code == 400 and r.json["parameter"] == "csrf_token"
    assert (
        pconn.execute("SELECT first_response_at FROM complaint WHERE id = %s", (k,)).fetchone()[0]
        is None
    )
    leader = logged_in(papp, peng, add_user(peng, "district_leader"))
    r = leader.post(f"/api/patch/complaints/{k}/first-response",
                    headers={"X-CSRFToken": _csrf(leader)})  # fmt: skip
    assert r.status_code == 403
    planner = logged_in(papp, peng, add_user(peng, "planner"))
    assert planner.get("/patch").status_code == 403
    assert planner.get("/api/patch/complaints").status_code == 403


# -- scope ----------------------------------------------------------------------------------------
PAGE_ENDPOINTS = [
    "/patch?compound={c}",
    "/patch/compounds/{c}/print",
    "/api/patch/compounds?compound={c}",
    "/api/patch/map?compound={c}",
    "/api/patch/buildings?compound={c}",
    "/api/patch/complaints?compound={c}",
    "/api/patch/residents?compound={c}",
    "/api/patch/petitions?compound={c}",
]
POST_ENDPOINTS = [
    "/api/patch/complaints/{k}/first-response",
    "/api/patch/complaints/{k}/resolution",
]


def test_every_endpoint_answers_404_for_another_commissioners_compound(
    papp, peng, pconn, mine, other, commissioner
) -> None:  # noqa: ANN001
    c = logged_in(papp, peng, commissioner)
    token = _csrf(c)
    theirs = _complaint(pconn, other, 3)
    own = _complaint(pconn, mine[0], 3)
    for path in PAGE_ENDPOINTS:
        assert c.get(path.format(c=other)).status_code == 404, path
        assert c.get(path.format(c=mine[0])).status_code == 200, path  # the test can fail
    for path in POST_ENDPOINTS:
        assert c.post(path.format(k=theirs), headers={"X-CSRFToken": token}).status_code == 404
    assert pconn.execute(
        "SELECT first_response_at, resolved_at FROM complaint WHERE id = %s", (theirs,)
    ).fetchone() == (None, None)
    assert (
        c.post(POST_ENDPOINTS[0].format(k=own), headers={"X-CSRFToken": token}).status_code == 200
    )
    # the area-wide lists hold only the commissioner's compounds
    for path in ("/api/patch/compounds", "/api/patch/complaints", "/api/patch/petitions"):
        body = c.get(path).json
        rows = body.get("compounds") or body.get("complaints") or body.get("petitions")
        assert rows and {r.get("compound_id", r.get("id")) for r in rows} <= set(mine), path
    fc = c.get("/api/patch/buildings").json
    assert fc["features"] and {f["properties"]["compound_id"] for f in fc["features"]} <= set(mine)
    # a malformed id names the parameter
    for bad in ("abc", "%0B", "%20"):  # whitespace alone (found by schemathesis) is no id
        r = c.get(f"/api/patch/complaints?compound={bad}")
        assert r.status_code == 400 and r.json["parameter"] == "compound", bad


def test_a_community_official_drills_into_their_area_only(papp, peng, pconn, mine, other) -> None:  # noqa: ANN001
    community = pconn.execute(
        "SELECT community_code FROM compound WHERE id = %s", (mine[0],)
    ).fetchone()[0]
    in_area = [r[0] for r in pconn.execute(
        "SELECT id FROM compound WHERE community_code = %s ORDER BY id", (community,))]  # fmt: skip
    c = logged_in(papp, peng, add_user(peng, "community_official", "community", (community,)))
    rows = c.get("/api/patch/compounds").json["compounds"]
    assert sorted(r["id"] for r in rows) == in_area
    assert c.get(f"/patch?compound={in_area[-1]}").status_code == 200
    for path in PAGE_ENDPOINTS:
        assert c.get(path.format(c=other)).status_code == 404, path


# -- owner changes and floating residents ---------------------------------------------------------
def _address(pconn, household_id: int) -> str:  # noqa: ANN001
    name, b, u, room = pconn.execute(
        "SELECT c.name, b.number, u.number, h.room FROM household h JOIN unit u ON u.id = h.unit_id "
        "JOIN building b ON b.id = u.building_id JOIN compound c ON c.id = h.compound_id "
        "WHERE h.id = %s",
        (household_id,),
    ).fetchone()
    return f"拱墅区{name}{b}幢{u}单元{room}室"


def _owner_list(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["业主姓名", "身份证号", "联系电话", "房屋坐落", "产权登记日期"])
        w.writerows(rows)
    return path


def test_owner_changes_since_the_last_visit_after_a_newer_owner_import(
    papp, peng, pconn, cluster, pdb, mine, commissioner, tmp_path
) -> None:  # noqa: ANN001
    c = logged_in(papp, peng, commissioner)
    h1, h2 = [r[0] for r in pconn.execute(
        "SELECT id FROM household WHERE compound_id = %s ORDER BY id LIMIT 2", (mine[0],))]  # fmt: skip
    a1, b1 = _address(pconn, h1), _address(pconn, h2)
    old = [["王老业主", "330105195001011111", "13800000001", a1, "2001-03-04"],
           ["李不变", "330105196002022222", "13800000002", b1, "2005-06-07"]]  # fmt: skip
    new = [["赵新业主", "330105198004044444", "13900000004", a1, "2026-05-01"],
           ["李不变", "330105196002022222", "13800000002", b1, "2005-06-07"]]  # fmt: skip
    assert c.get("/patch").status_code == 200  # a first visit
    assert c.get("/patch").status_code == 200  # and a second: "since" is now the first
    first = c.get("/api/patch/residents").json
    assert first["first_visit"] is False and first["owner_changes"] == []
    with psycopg.connect(cluster.conninfo(pdb), autocommit=True) as conn:
        r1 = import_records(conn, _owner_list(tmp_path / "o1.csv", old), "owner", D,
                            dt.date(2025, 11, 22))  # fmt: skip
        r2 = import_records(conn, _owner_list(tmp_path / "o2.csv", new), "owner", D, AS_OF)
    assert (r1.ownership_changes, r2.ownership_changes) == (0, 1)
    before = pconn.execute(
        "SELECT count(*) FROM audit_log WHERE username = %s AND action = 'personal_read'",
        (commissioner,),
    ).fetchone()[0]
    got = c.get(f"/api/patch/residents?compound={mine[0]}").json["owner_changes"]
    assert len(got) == 1
    ch = got[0]
    assert ch["changed_on"] == "2026-05-01" and ch["room"] and ch["previous_owners"] == 1
    assert ch["names"] == ["赵新业主"] and ch["phones"] == ["13900000004"]  # own compound: unmasked
    assert (
        pconn.execute(
            "SELECT count(*) FROM audit_log WHERE username = %s AND action = 'personal_read'",
            (commissioner,),
        ).fetchone()[0]
        == before + 1
    )
    # a community official sees the change with the name masked
    community = pconn.execute(
        "SELECT community_code FROM compound WHERE id = %s", (mine[0],)
    ).fetchone()[0]
    official = logged_in(
        papp, peng, add_user(peng, "community_official", "community", (community,))
    )
    seen = official.get("/api/patch/residents").json["owner_changes"]
    assert [x["names"] for x in seen] == [["赵**主"]] and seen[0]["phones"] == ["139****0004"]
    # still listed on the next visit (it was imported after the visit before) ...
    assert c.get("/patch").status_code == 200
    assert len(c.get("/api/patch/residents").json["owner_changes"]) == 1
    # ... and gone on the one after: nothing new since the last opening
    assert c.get("/patch").status_code == 200
    assert c.get("/api/patch/residents").json["owner_changes"] == []


def test_new_floating_residents_are_the_commissioners_own_unmasked(papp, peng, pconn, mine) -> None:  # noqa: ANN001
    c = logged_in(papp, peng, add_user(peng, "commissioner", "compounds", tuple(map(str, mine))))
    body = c.get("/api/patch/residents").json  # no visit yet: the last 30 days
    assert body["first_visit"] is True
    since = (NOW - dt.timedelta(days=logic.FIRST_VISIT_DAYS)).date()
    expected = pconn.execute(
        """SELECT id, name, phone FROM resident WHERE source = 'floating' AND compound_id = ANY (%s)
           AND valid_from >= %s AND valid_from <= %s AND (valid_to IS NULL OR valid_to >= %s)
           ORDER BY id""",
        (list(mine), since, AS_OF, AS_OF),
    ).fetchall()
    got = sorted((r["id"], r["name"], r["phone"]) for r in body["floating"])
    assert expected and got == [tuple(e) for e in expected]


def test_printable_summary(papp, peng, pconn, mine, commissioner) -> None:  # noqa: ANN001
    c = logged_in(papp, peng, commissioner)
    r = c.get(f"/patch/compounds/{mine[0]}/print")
    html = r.get_data(as_text=True)
    name, buildings = pconn.execute(
        "SELECT name, (SELECT count(*) FROM building WHERE compound_id = c.id) FROM compound c "
        "WHERE id = %s", (mine[0],)).fetchone()  # fmt: skip
    assert r.status_code == 200 and name in html and "小区摘要" in html
    assert html.count('class="pp-bn"') == buildings
    assert r.headers["Cache-Control"].startswith("private")
    css = c.get("/static/css/patch.css").get_data(as_text=True)
    assert "@media print" in css and "@page" in css


# -- the page in a real browser ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def pserver(papp) -> Iterator[str]:  # noqa: ANN001
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(papp, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.close()


def _page(chromium, papp, peng, username: str, size: tuple[int, int], base: str, path: str):  # noqa: ANN001, ANN202
    from .test_browser import Watch

    page = LoggedIn(chromium, session_cookie(papp, peng, username)).new_page(
        viewport={"width": size[0], "height": size[1]}
    )
    watch = Watch(page, base)
    page.goto(base + path)
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=20_000)
    return page, watch


@pytest.mark.parametrize("size", [(375, 812), (1920, 1080)])
def test_the_patch_on_a_phone_and_a_desktop(
    chromium, papp, peng, pconn, pserver, mine, commissioner, artifacts, size: tuple[int, int]
) -> None:  # noqa: ANN001
    k = _complaint(pconn, mine[0], 19, "security")  # overdue: shown in red
    page, watch = _page(chromium, papp, peng, commissioner, size, pserver, "/patch")
    n_buildings = pconn.execute(
        "SELECT count(*) FROM building WHERE compound_id = ANY (%s)", (list(mine),)
    ).fetchone()[0]
    assert page.evaluate("document.body.dataset.drawnBuildings") == str(n_buildings)
    # the map shows the commissioner's buildings close enough to tell them apart
    assert int(page.evaluate("document.body.dataset.zoom")) >= 16
    assert page.locator(".pt-pm").first.is_visible()  # party-member markers are drawn
    assert page.locator("path.leaflet-interactive").count() >= n_buildings
    row = page.locator(f"#pt-complaints li[data-id='{k}']")
    assert "pt-overdue" in row.get_attribute("class")
    assert row.locator(".pt-timer").inner_text().startswith("超时")
    colour = row.evaluate("el => getComputedStyle(el.querySelector('.pt-timer')).color")
    assert colour == "rgb(198, 40, 40)"
    if size[0] < 700:  # the phone: nothing wider than the screen, buttons big enough to tap
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        box = row.locator("button").first.bounding_box()
        assert box["height"] >= 40
        assert page.locator("#pt-map").bounding_box()["width"] == pytest.approx(size[0], abs=1)
    else:  # the desktop: map and lists side by side, one screen
        assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        m, s = page.locator("#pt-map").bounding_box(), page.locator(".pt-side").bounding_box()
        assert m["x"] + m["width"] <= s["x"] + 1
    page.screenshot(path=str(artifacts / f"patch-{size[0]}x{size[1]}.png"), full_page=size[0] < 700)
    # marking the first response in the page takes the complaint off the overdue list
    row.locator("button[data-mark='first-response']").click()
    page.wait_for_function("() => document.body.dataset.marked === '1'", timeout=10_000)
    page.wait_for_function(
        f"() => !document.querySelector(\"#pt-complaints li[data-id='{k}'].pt-overdue\")",
        timeout=10_000,
    )
    assert "已于" in page.locator(f"#pt-complaints li[data-id='{k}']").inner_text()
    assert watch.errors == [] and watch.foreign == []
    page.close()


def test_a_street_official_drills_into_a_compound(
    chromium, papp, peng, pconn, pserver, mine, artifacts
) -> None:  # noqa: ANN001
    street = pconn.execute("SELECT street_code FROM compound WHERE id = %s", (mine[0],)).fetchone()[
        0
    ]
    n = pconn.execute("SELECT count(*) FROM compound WHERE street_code = %s", (street,)).fetchone()[
        0
    ]
    user = add_user(peng, "street_official", "street", (street,))
    page, watch = _page(chromium, papp, peng, user, (1920, 1080), pserver, "/patch")
    assert page.evaluate("document.body.dataset.drawnCompounds") == str(n)
    assert page.locator("#pt-summary tr").count() == n + 1
    page.screenshot(path=str(artifacts / "patch-street-1920x1080.png"))
    page.locator(f"#pt-summary a[href='/patch?compound={mine[0]}']").click()
    page.wait_for_url(f"**/patch?compound={mine[0]}")
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=20_000)
    assert int(page.evaluate("document.body.dataset.drawnBuildings")) > 0
    assert page.evaluate("document.body.dataset.drawnCompounds") == "1"
    page.goto(pserver + f"/patch/compounds/{mine[0]}/print")
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "patch-print.png"), full_page=True)
    assert watch.errors == [] and watch.foreign == []
    page.close()
