"""Issue 7: the application role and row-level security, login, CSRF, lockout, masking,
audit, headers and hostile parameters."""

from __future__ import annotations

import json
import re

import psycopg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_service import db, masking, queries, rls
from geo_service.cli import main

from .conftest import PASSWORD, add_user, logged_in

AREA_TABLES_EXPECTED = {
    "compound", "building", "unit", "household", "resident", "party_member",
    "building_captain", "complaint", "petition", "elevator_retrofit", "grid", "street",
    "community", "district", "commissioner",
}  # fmt: skip


def _app_conn(cluster, demo_db: str) -> psycopg.Connection:  # noqa: ANN001
    """A direct connection as the application role."""
    return psycopg.connect(
        cluster.conninfo(demo_db).replace("user=postgres", f"user={rls.APP_ROLE}")
    )


@pytest.fixture(scope="module")
def commissioner_area(demo_conn) -> tuple[int, ...]:  # noqa: ANN001
    row = demo_conn.execute(
        """SELECT array_agg(id ORDER BY id) FROM compound
           WHERE commissioner_id = (SELECT min(commissioner_id) FROM compound)"""
    ).fetchone()
    return tuple(row[0])


@pytest.fixture(scope="module")
def commissioner(demo_engine, commissioner_area) -> str:  # noqa: ANN001
    return add_user(demo_engine, "commissioner", "compounds", tuple(map(str, commissioner_area)))


# -- the database role and its policies -----------------------------------------------------
def test_app_role_owns_nothing_and_cannot_bypass_rls(demo_conn) -> None:  # noqa: ANN001
    sup, bypass, login = demo_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = %s",
        (rls.APP_ROLE,),
    ).fetchone()
    assert (sup, bypass, login) == (False, False, True)
    owned = demo_conn.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)",
        (rls.APP_ROLE,),
    ).fetchone()[0]
    assert owned == 0
    secured = {
        r[0]
        for r in demo_conn.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity
                 AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)"""
        )
    }
    assert secured >= AREA_TABLES_EXPECTED
    # every table with area columns is secured, whoever added it
    with_district = {
        r[0]
        for r in demo_conn.execute(
            """SELECT table_name FROM information_schema.columns
               WHERE table_schema = 'public' AND column_name = 'district_code'"""
        )
    }
    assert with_district - rls.NOT_AREA_TABLES <= secured


def test_without_a_scope_the_app_role_reads_no_rows(cluster, demo_db, demo_conn) -> None:  # noqa: ANN001
    owner_counts = {
        t: demo_conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in sorted(AREA_TABLES_EXPECTED)
    }
    assert all(n > 0 for n in owner_counts.values())
    with _app_conn(cluster, demo_db) as conn:
        for t in owner_counts:
            assert conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0, t
        # the district scope, set for this transaction only, shows everything
        conn.execute(
            "SELECT set_config('geo.district', '330105', true), set_config('geo.kind', 'district', true)"
        )
        for t, n in owner_counts.items():
            assert conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == n, t
        conn.commit()
        # the next transaction has no scope again
        assert conn.execute("SELECT count(*) FROM resident").fetchone()[0] == 0
        # and the app role cannot write area data
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE compound SET name = 'x'")


@pytest.mark.parametrize("table", ["building", "complaint", "petition", "compound"])
def test_viewport_queries_use_the_spatial_index_under_rls(
    cluster, demo_db, demo_conn, table: str
) -> None:  # noqa: ANN001
    """The && operator is LEAKPROOF (migration 0008), so the planner may test it in the
    GiST index before the policy: without that, every scoped viewport query -- tiles,
    heat grids, OGC bbox -- scans its whole table. Sequential scans are priced out so the
    small test tables cannot hide which plans are possible."""
    assert demo_conn.execute(
        "SELECT bool_and(proleakproof) FROM pg_proc WHERE proname = 'geometry_overlaps'"
    ).fetchone() == (True,)
    with _app_conn(cluster, demo_db) as conn:
        conn.execute(
            "SELECT set_config('geo.district', '330105', true), set_config('geo.kind', 'district', true)"
        )
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                f"EXPLAIN SELECT count(*) FROM {table} "
                "WHERE geom && ST_MakeEnvelope(120.15, 30.29, 120.16, 30.30, 4326)"
            )
        )
        assert f"ix_{table}_geom" in plan and "Seq Scan" not in plan, plan


def test_complaint_tiles_scan_place_and_time_together_under_rls(cluster, demo_db) -> None:  # noqa: ANN001
    """The complaint tile query (the last N days inside a tile) is answered by one GiST
    scan on (geom, created_at) (migration 0009), both conditions in the index, as the
    application role under its policy -- not every complaint ever made in the tile."""
    with _app_conn(cluster, demo_db) as conn:
        conn.execute(
            "SELECT set_config('geo.district', '330105', true), set_config('geo.kind', 'district', true)"
        )
        conn.execute("SET LOCAL enable_seqscan = off")
        env = queries._ENV.replace(":z", "14").replace(":x", "13665").replace(":y", "6700")
        sql = queries._TILE_SQL["complaints"].replace(queries._ENV, env)
        for name, value in (
            (":dx", "0"), (":dy", "0"), (":since", "'2026-08-24'::timestamptz"),
            (":status", "'all'"), (":category", "'all'"),
        ):  # fmt: skip
            sql = sql.replace(name, value)
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql))
        cond = [line for line in plan.splitlines() if "Index Cond" in line]
        assert "ix_complaint_geom_created" in plan, plan
        assert cond and "geom &&" in cond[0] and "created_at >=" in cond[0], plan


def test_a_pooled_connection_does_not_carry_a_scope_over(
    cluster, demo_db, demo_conn, commissioner_area
) -> None:  # noqa: ANN001
    from geo_service.accounts import Scope

    engine = sa.create_engine(cluster.url(demo_db, user=rls.APP_ROLE), pool_size=1, max_overflow=0)
    try:
        first = Scope("district", (), "330105")
        second = Scope("compounds", tuple(map(str, commissioner_area)), "330105",
                       compounds=commissioner_area)  # fmt: skip
        conn = db.ScopedEngine(engine, first.settings()).connect()
        total = conn.execute(sa.text("SELECT count(*) FROM compound")).scalar()
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        conn.close()
        conn = db.ScopedEngine(engine, second.settings()).connect()
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() == pid  # same connection
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM compound ORDER BY id"))]
        assert tuple(ids) == commissioner_area and len(ids) < total
        conn.close()
        with engine.connect() as bare:  # checked out again without any scope
            assert bare.execute(sa.text("SELECT count(*) FROM compound")).scalar() == 0
    finally:
        engine.dispose()


# -- scope over HTTP --------------------------------------------------------------------------
def test_a_commissioner_sees_only_their_compounds(
    app, demo_engine, demo_conn, commissioner, commissioner_area
) -> None:  # noqa: ANN001
    c = logged_in(app, demo_engine, commissioner)
    ids = [m["id"] for m in c.get("/api/compounds/metrics").json["compounds"]]
    assert tuple(sorted(ids)) == commissioner_area
    other = demo_conn.execute(
        "SELECT id FROM compound WHERE NOT id = ANY(%s) LIMIT 1", (list(commissioner_area),)
    ).fetchone()[0]
    assert c.get(f"/api/compounds/{other}").status_code == 404
    assert c.get(f"/compounds/{other}").status_code == 404
    assert c.get(f"/api/compounds/{commissioner_area[0]}").status_code == 200
    seen = 0
    for layer in ("party_members", "building_captains", "complaints", "buildings"):
        fc = c.get(f"/api/layers/{layer}/features?limit=10000").json
        assert {f["properties"]["compound_id"] for f in fc["features"]} <= set(commissioner_area)
        seen += len(fc["features"])
    assert seen > 0
    found = c.get("/api/compounds/search?q=" + "小区&limit=500").json["compounds"]
    assert {r["id"] for r in found} <= set(commissioner_area)


def test_scoped_caches_do_not_leak_between_users(
    app, demo_engine, client, commissioner, commissioner_area
) -> None:  # noqa: ANN001
    everyone = client.get("/api/compounds/metrics").json["compounds"]
    mine = logged_in(app, demo_engine, commissioner).get("/api/compounds/metrics").json["compounds"]
    assert len(everyone) > len(mine) == len(commissioner_area)
    r = client.get("/api/compounds/metrics")
    assert "private" in r.headers["Cache-Control"] and "public" not in r.headers["Cache-Control"]


# -- login, sessions, CSRF ------------------------------------------------------------------------
def _csrf(client) -> str:  # noqa: ANN001
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(app, demo_engine) -> None:  # noqa: ANN001
    user = add_user(demo_engine, "district_leader")
    c = app.test_client()
    token = _csrf(c)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token,
                               "next": "/api/kpis"})  # fmt: skip
    assert r.status_code == 303 and r.headers["Location"] == "/api/kpis"
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("geo_session=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert c.get("/api/kpis").status_code == 200
    # logout needs the CSRF token too
    assert c.post("/logout").status_code == 400
    assert c.post("/logout", data={"csrf_token": _csrf(c)}).status_code == 303
    assert c.get("/api/kpis").status_code == 401
    # over HTTPS the cookie is Secure
    s = app.test_client()
    tok = _csrf_https(s)
    r = s.post("/login", base_url="https://localhost",
               headers={"Referer": "https://localhost/login"},  # CSRF checks it over HTTPS
               data={"username": user, "password": PASSWORD, "csrf_token": tok})  # fmt: skip
    assert r.status_code == 303
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("geo_session=")][-1]
    assert "Secure" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def _csrf_https(client) -> str:  # noqa: ANN001
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_map_page_names_the_user_and_logs_out(app, demo_engine) -> None:  # noqa: ANN001
    user = add_user(demo_engine, "district_leader")
    c = logged_in(app, demo_engine, user)
    html = c.get("/").get_data(as_text=True)
    assert user in html and "区领导" in html and 'href="/patch"' in html
    token = re.search(r'action="/logout">.*?name="csrf_token" value="([^"]+)"', html).group(1)
    assert c.post("/logout", data={"csrf_token": token}).status_code == 303
    assert c.get("/api/kpis").status_code == 401


def test_a_commissioner_lands_on_their_patch(app, demo_engine, commissioner_area) -> None:  # noqa: ANN001
    user = add_user(demo_engine, "commissioner", "compounds", tuple(map(str, commissioner_area)))
    c = app.test_client()
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": _csrf(c)})
    assert r.status_code == 303 and r.headers["Location"] == "/patch"


def test_login_without_csrf_token_is_refused(app, demo_engine) -> None:  # noqa: ANN001
    user = add_user(demo_engine, "planner")
    c = app.test_client()
    r = c.post("/login", data={"username": user, "password": PASSWORD})
    assert r.status_code == 400 and r.json["parameter"] == "csrf_token"


def test_open_redirects_are_refused(app, demo_engine) -> None:  # noqa: ANN001
    user = add_user(demo_engine, "planner")
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        c = app.test_client()
        r = c.post("/login", data={"username": user, "password": PASSWORD,
                                   "csrf_token": _csrf(c), "next": target})  # fmt: skip
        assert r.status_code == 303 and r.headers["Location"] == "/", target


def test_repeated_failures_lock_the_username(app, demo_engine, demo_conn) -> None:  # noqa: ANN001
    user = add_user(demo_engine, "district_leader")
    c = app.test_client()
    token = _csrf(c)
    for _ in range(5):
        r = c.post(
            "/login", data={"username": user, "password": "wrong password!", "csrf_token": token}
        )
        assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)
    # now even the right password is refused, and that is audited
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "15 分钟" in r.get_data(as_text=True)
    outcomes = [
        o for (o,) in demo_conn.execute(
            "SELECT outcome FROM audit_log WHERE username = %s AND action = 'login' ORDER BY id", (user,)
        )
    ]  # fmt: skip
    assert outcomes == ["failed"] * 5 + ["locked"]
    # the lock lifts when the failures are older than the window
    demo_conn.execute(
        "UPDATE login_attempt SET at = at - interval '16 minutes' WHERE username = %s", (user,)
    )
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303


def test_a_disabled_account_loses_its_session(app, demo_engine) -> None:  # noqa: ANN001
    from geo_service import accounts

    user = add_user(demo_engine, "district_leader")
    c = logged_in(app, demo_engine, user)
    assert c.get("/api/kpis").status_code == 200
    with demo_engine.begin() as conn:
        accounts.set_disabled(conn, user)
    assert c.get("/api/kpis").status_code == 401


# -- personal data ---------------------------------------------------------------------------------
def test_masking_rules() -> None:
    assert masking.mask_name("张三明") == "张*明"
    assert masking.mask_name("李四") == "李*"
    assert masking.mask_name("欧阳振华") == "欧**华"
    assert masking.mask_phone("13812341234") == "138****1234"
    assert masking.mask_id_number("330105199001011234") == "330105********1234"


def test_personal_fields_masked_unmasked_or_absent_by_role(
    app, demo_engine, demo_conn, client, commissioner
) -> None:  # noqa: ANN001
    path = "/api/layers/party_members/features?limit=50"
    leader_fc = client.get(path).json
    props = leader_fc["features"][0]["properties"]
    assert re.fullmatch(r".\*+.?", props["name"]) and re.fullmatch(
        r"\d{3}\*{4}\d{4}", props["phone"]
    )
    planner = logged_in(app, demo_engine, add_user(demo_engine, "planner"))
    assert "name" not in planner.get(path).json["features"][0]["properties"]
    before = demo_conn.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'personal_read'"
    ).fetchone()[0]
    own = logged_in(app, demo_engine, commissioner).get(path).json["features"]
    fid = own[0]["id"]
    real = demo_conn.execute(
        "SELECT name, phone FROM party_member WHERE id = %s", (fid,)
    ).fetchone()
    assert (own[0]["properties"]["name"], own[0]["properties"]["phone"]) == real
    rows = demo_conn.execute(
        "SELECT username, rows FROM audit_log WHERE action = 'personal_read' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert rows == (commissioner, len(own))
    assert (
        demo_conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'personal_read'"
        ).fetchone()[0]
        == before + 1
    )


# -- audit -----------------------------------------------------------------------------------------
def test_audit_log_is_append_only(cluster, demo_db, demo_conn) -> None:  # noqa: ANN001
    demo_conn.execute(
        "INSERT INTO audit_log (district_code, action, target, outcome) VALUES ('330105', 'test', 'x', 'ok')"
    )
    with _app_conn(cluster, demo_db) as conn:
        conn.execute(
            "INSERT INTO audit_log (district_code, action, target, outcome) VALUES ('330105', 'test', 'y', 'ok')"
        )
        conn.commit()
        for stmt in (
            "UPDATE audit_log SET outcome = 'failed'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)
            conn.rollback()
    # not even the owner may rewrite it
    for stmt in (
        "UPDATE audit_log SET outcome = 'failed'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            demo_conn.execute(stmt)


def test_exports_are_audited_and_listed(cluster, demo_db, demo_conn, client, monkeypatch) -> None:  # noqa: ANN001
    body = client.get("/export/buildings.geojson").get_data()
    n = len(json.loads(body)["features"])
    row = demo_conn.execute(
        "SELECT target, rows, outcome FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert row == ("/export/buildings.geojson", n, "ok")
    monkeypatch.setenv("DATABASE_URL", cluster.url(demo_db))
    r = CliRunner().invoke(main, ["audit", "--action", "export", "--limit", "5"])
    assert r.exit_code == 0, r.output
    assert "/export/buildings.geojson" in r.output and str(n) in r.output


# -- headers -----------------------------------------------------------------------------------------
def test_security_headers_and_script_nonces(client) -> None:  # noqa: ANN001
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'nonce-" in csp
    assert "http:" not in csp and "https:" not in csp  # no other origin at all
    html = r.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    for path in ("/api/kpis", "/login", "/static/js/onescreen.js"):
        assert "frame-ancestors 'none'" in client.get(path).headers["Content-Security-Policy"]


# -- hostile input -------------------------------------------------------------------------------------
INJECTIONS = [
    "'; DROP TABLE compound; --",
    "1 OR 1=1",
    '" OR ""="',
    "1); DELETE FROM resident; --",
    "%27%3B%20DROP%20TABLE%20resident",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\x00",
    "９",
    "1e309",
    "-0",
]
BOX = "120.0,30.2,120.3,30.4"
# (path, the parameter under attack, the other parameters a valid request needs)
PARAMETERS = [
    ("/api/layers/complaints/features", "bbox", {}),
    ("/api/layers/complaints/features", "limit", {}),
    ("/api/compounds/search", "q", {}),
    ("/api/compounds/search", "community", {}),
    ("/api/compounds/classes", "metric", {}),
    ("/api/heat/petitions", "window", {"bbox": BOX, "zoom": "14"}),
    ("/api/heat/petitions", "bbox", {"zoom": "14"}),
    ("/api/heat/petitions", "zoom", {"bbox": BOX}),
    ("/api/heat/elevator_retrofits", "stage", {"bbox": BOX, "zoom": "14"}),
    ("/tiles/complaints/14/13665/6700.pbf", "category", {}),
    ("/tiles/complaints/14/13665/6700.pbf", "days", {}),
    ("/tiles/complaints/14/13665/6700.pbf", "status", {}),
    ("/ogc/collections/complaints/items", "filter", {}),
    ("/ogc/collections/complaints/items", "datetime", {}),
    ("/ogc/collections/complaints/items", "street", {}),
    ("/ogc/collections/complaints/items", "sortby", {}),
    ("/ogc/collections/complaints/items", "limit", {}),
    ("/export/complaints.csv", "bbox", {}),
    ("/login", "next", {}),
]


def test_injection_strings_are_harmless(client, demo_conn) -> None:  # noqa: ANN001
    before = _counts(demo_conn)
    for path, param, base in PARAMETERS:
        for value in INJECTIONS:
            r = client.get(path, query_string={**base, param: value})
            assert r.status_code in (200, 400, 404), (path, param, value, r.status_code)
            if r.status_code == 400:  # the error names the parameter at fault
                assert param in json.dumps(r.json), (path, param, value, r.json)
    assert _counts(demo_conn) == before


def _counts(conn) -> dict[str, int]:  # noqa: ANN001
    return {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in sorted(AREA_TABLES_EXPECTED)
    }


# -- property: whatever the role and area, nothing outside it comes back ------------------------
@pytest.fixture(scope="module")
def areas(demo_conn) -> dict[str, list]:  # noqa: ANN001
    rows = demo_conn.execute("SELECT id, street_code, community_code FROM compound").fetchall()
    return {
        "street": sorted({r[1] for r in rows}),
        "community": sorted({r[2] for r in rows}),
        "compounds": sorted(r[0] for r in rows),
        "rows": rows,
    }


def _compounds_of(areas: dict, kind: str, codes: list) -> set[int]:
    col = {"street": 1, "community": 2, "compounds": 0}[kind]
    return {r[0] for r in areas["rows"] if r[col] in codes}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_every_returned_feature_lies_in_the_area(app, demo_engine, areas, data) -> None:  # noqa: ANN001
    role = data.draw(st.sampled_from(
        ["district_leader", "street_official", "community_official", "commissioner", "planner"]
    ))  # fmt: skip
    kind = data.draw(st.sampled_from(["street", "community", "compounds"]))
    codes = data.draw(st.lists(st.sampled_from(areas[kind]), min_size=1, max_size=3, unique=True))
    user = add_user(demo_engine, role, kind, tuple(map(str, codes)))
    allowed = _compounds_of(areas, kind, codes)
    c = logged_in(app, demo_engine, user)
    metrics = c.get("/api/compounds/metrics").json["compounds"]
    assert {m["id"] for m in metrics} == allowed
    for layer in ("party_members", "complaints", "buildings", "petitions"):
        fc = c.get(f"/api/layers/{layer}/features?limit=10000").json
        assert {f["properties"]["compound_id"] for f in fc["features"]} <= allowed, layer
        items = c.get(f"/ogc/collections/{layer}/items?limit=1000").json
        assert {f["properties"]["compound_id"] for f in items["features"]} <= allowed, layer
    communities = c.get("/api/layers/communities/features").json["features"]
    mine = {r[2] for r in areas["rows"] if r[0] in allowed}
    assert {f["properties"]["community_code"] for f in communities} == mine
