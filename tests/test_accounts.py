"""Accounts and API tokens: the CLI, what is stored, 401 without a valid token, and the
area scope applied to every OGC/export read."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from geo_service import accounts
from geo_service.cli import main

from .conftest import add_user, logged_in
from .ogc_support import bearer, make_token, planner, planner_token  # noqa: F401


@pytest.fixture(scope="module")
def env(cluster, demo_db) -> dict[str, str]:  # noqa: ANN001
    return {"DATABASE_URL": cluster.url(demo_db)}


def test_cli_users_and_tokens(env, demo_conn) -> None:  # noqa: ANN001
    runner = CliRunner()
    r = runner.invoke(main, ["users", "add", "cli-planner", "--role", "planner"], env=env)
    assert r.exit_code == 0, r.output
    assert "whole district" in r.output
    street = demo_conn.execute("SELECT street_code FROM street ORDER BY 1 LIMIT 1").fetchone()[0]
    r = runner.invoke(
        main,
        ["users", "add", "cli-street", "--role", "street_official", "--street", street],
        env=env,
    )
    assert r.exit_code == 0 and street in r.output
    r = runner.invoke(main, ["users", "list"], env=env)
    assert "cli-planner" in r.output and f"street {street}" in r.output

    r = runner.invoke(main, ["users", "token", "create", "cli-planner", "--days", "7"], env=env)
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]
    assert token.startswith("gst_") and len(token) > 40
    stored = demo_conn.execute(
        "SELECT t.id, t.token_hash, t.expires_at - t.created_at FROM api_token t "
        "JOIN account a ON a.id = t.account_id WHERE a.username = 'cli-planner'"
    ).fetchall()
    assert len(stored) == 1
    token_id, token_hash, lifetime = stored[0]
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert lifetime.days in (6, 7)
    # the token itself is stored nowhere
    dump = demo_conn.execute("SELECT row_to_json(t)::text FROM api_token t").fetchall()
    assert not any(token in row[0] for row in dump)

    r = runner.invoke(main, ["users", "token", "list", "--user", "cli-planner"], env=env)
    assert str(token_id) in r.output and token not in r.output
    r = runner.invoke(main, ["users", "token", "revoke", str(token_id)], env=env)
    assert r.exit_code == 0 and "revoked" in r.output
    r = runner.invoke(main, ["users", "token", "revoke", str(token_id)], env=env)
    assert r.exit_code != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x1", "--role", "emperor"], "emperor"),
        (["users", "add", "x2", "--role", "planner", "--street", "999999999"], "no street"),
        (
            [
                "users",
                "add",
                "x3",
                "--role",
                "planner",
                "--street",
                "330105001",
                "--community",
                "330105001001",
            ],
            "one of",
        ),  # fmt: skip
        (["users", "add", "x4", "--role", "commissioner", "--compound", "abc"], "compound"),
        (["users", "token", "create", "nobody-here"], "no user"),
    ],
)
def test_cli_refuses_bad_accounts(env, args: list[str], message: str) -> None:  # noqa: ANN001
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code != 0
    assert message in r.output


def test_duplicate_username_refused(demo_engine) -> None:  # noqa: ANN001
    with demo_engine.begin() as conn:
        accounts.add_account(conn, "dup-user", "planner")
    with demo_engine.begin() as conn, pytest.raises(accounts.AccountError, match="exists"):
        accounts.add_account(conn, "dup-user", "admin")


def _bad_tokens(engine: sa.Engine) -> dict[str, dict[str, str]]:
    expired = make_token(engine)
    revoked = make_token(engine)
    disabled = make_token(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE api_token SET created_at = now() - interval '3 days', "
                "expires_at = now() - interval '1 day' WHERE token_hash = :h"
            ),
            {"h": accounts.hash_token(expired)},
        )
        conn.execute(
            sa.text("UPDATE api_token SET revoked_at = now() WHERE token_hash = :h"),
            {"h": accounts.hash_token(revoked)},
        )
        conn.execute(
            sa.text(
                "UPDATE account SET disabled = true WHERE id = "
                "(SELECT account_id FROM api_token WHERE token_hash = :h)"
            ),
            {"h": accounts.hash_token(disabled)},
        )
    return {
        "none": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic": {"Authorization": "Basic cGxhbm5lcjpzZWNyZXQ="},
        "unknown": bearer("gst_" + "A" * 43),
        "not ours": bearer("not-a-token"),
        "expired": bearer(expired),
        "revoked": bearer(revoked),
        "disabled account": bearer(disabled),
    }


PROTECTED = [
    "/ogc",
    "/ogc/conformance",
    "/ogc/api",
    "/ogc/collections",
    "/ogc/collections/party_members/items",
    "/ogc/collections/party_members/items/1",
    "/ogc/collections/nowhere/items",
    "/export/party_members.geojson",
    "/export/complaints.gpkg",
    "/export/buildings.csv",
    "/api/layers",
    "/api/layers/party_members/features",
    "/api/compounds/metrics",
    "/api/kpis",
    "/api/heat/petitions",
    "/tiles/party_members/15/27330/13400.pbf",
]


def test_no_valid_token_gets_401_and_no_data(anon, demo_engine) -> None:  # noqa: ANN001
    for label, headers in _bad_tokens(demo_engine).items():
        for path in PROTECTED:
            r = anon.get(path, headers=headers)
            assert r.status_code == 401, (label, path)
            assert r.headers["WWW-Authenticate"].startswith("Bearer"), (label, path)
            body = r.json
            assert body["code"] == "Unauthorized" and "features" not in body
            assert "coordinates" not in r.get_data(as_text=True)


def test_pages_send_a_browser_to_the_login_form(anon) -> None:  # noqa: ANN001
    for path in ["/", "/compounds/1", "/ogc/collections?f=html"]:
        r = anon.get(path, headers={"Accept": "text/html"})
        if path.startswith("/ogc"):  # GIS endpoints answer 401, never a redirect
            assert r.status_code == 401
            continue
        assert r.status_code == 302, path
        assert r.headers["Location"].startswith("/login?next=" + path.split("?")[0])
    assert anon.get("/api/health").status_code == 200
    assert anon.get("/login").status_code == 200


def test_token_use_is_recorded(client, demo_engine, demo_conn) -> None:  # noqa: ANN001
    token = make_token(demo_engine)
    h = accounts.hash_token(token)
    assert demo_conn.execute(
        "SELECT last_used_at FROM api_token WHERE token_hash = %s", (h,)
    ).fetchone() == (None,)
    assert client.get("/ogc/conformance", headers=bearer(token)).status_code == 200
    assert demo_conn.execute(
        "SELECT last_used_at IS NOT NULL FROM api_token WHERE token_hash = %s", (h,)
    ).fetchone() == (True,)


def test_session_use_is_recorded_and_idle_sessions_end(app, demo_engine, demo_conn) -> None:  # noqa: ANN001
    """A session in use is marked seen (at most once a minute); one idle longer than
    SESSION_IDLE_MINUTES no longer logs anyone in."""
    user = add_user(demo_engine, "district_leader")
    c = logged_in(app, demo_engine, user)
    acct = "(SELECT id FROM account WHERE username = %s)"
    demo_conn.execute(
        f"UPDATE login_session SET last_seen_at = now() - interval '5 minutes' WHERE account_id = {acct}",
        (user,),
    )
    assert c.get("/api/kpis").status_code == 200
    assert demo_conn.execute(
        f"SELECT last_seen_at > now() - interval '1 minute' FROM login_session WHERE account_id = {acct}",
        (user,),
    ).fetchone() == (True,)
    demo_conn.execute(
        f"UPDATE login_session SET last_seen_at = now() - make_interval(mins => %s) WHERE account_id = {acct}",
        (accounts.SESSION_IDLE_MINUTES + 1, user),
    )
    assert c.get("/api/kpis").status_code == 401


# -- scope ----------------------------------------------------------------------------------
def test_street_scope_limits_every_collection(client, demo_engine, demo_conn) -> None:  # noqa: ANN001
    street = demo_conn.execute(
        "SELECT street_code FROM complaint GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    token = make_token(demo_engine, "street_official", "street", (street,))
    headers = bearer(token)
    doc = client.get("/ogc/collections", headers=headers).json
    counts = {c["id"]: c["numberMatched"] for c in doc["collections"]}
    for table, layer_id in [("complaint", "complaints"), ("building", "buildings"),
                            ("party_member", "party_members"), ("compound", "compounds"),
                            ("community", "communities"), ("grid", "grids")]:  # fmt: skip
        expected = demo_conn.execute(
            f"SELECT count(*) FROM {table} WHERE street_code = %s", (street,)
        ).fetchone()[0]
        assert counts[layer_id] == expected > 0, layer_id
        fc = client.get(f"/ogc/collections/{layer_id}/items?limit=10000", headers=headers).json
        assert fc["numberMatched"] == expected
        assert {f["properties"]["street_code"] for f in fc["features"]} == {street}
    assert counts["streets"] == 1
    # a feature of another street is not there for this account
    other = demo_conn.execute(
        "SELECT id FROM complaint WHERE street_code <> %s LIMIT 1", (street,)
    ).fetchone()[0]
    r = client.get(f"/ogc/collections/complaints/items/{other}", headers=headers)
    assert r.status_code == 404
    # exports are scoped the same way
    body = client.get("/export/complaints.geojson", headers=headers).get_data()
    fc = json.loads(body)
    assert len(fc["features"]) == counts["complaints"]
    # asking for another street gives nothing, not the other street's data
    other_street = demo_conn.execute(
        "SELECT street_code FROM street WHERE street_code <> %s LIMIT 1", (street,)
    ).fetchone()[0]
    fc = client.get(
        f"/ogc/collections/complaints/items?street={other_street}", headers=headers
    ).json
    assert fc["numberMatched"] == 0


def test_compound_and_community_scopes(client, demo_engine, demo_conn) -> None:  # noqa: ANN001
    cid, code, community = demo_conn.execute(
        "SELECT id, code, community_code FROM compound ORDER BY id LIMIT 1"
    ).fetchone()
    for kind, codes, where, params in [
        ("compounds", (code,), "compound_id = %s", (cid,)),
        ("compounds", (str(cid),), "compound_id = %s", (cid,)),
        ("community", (community,), "community_code = %s", (community,)),
    ]:
        token = make_token(demo_engine, "commissioner", kind, codes)
        for table, layer_id in [("building", "buildings"), ("party_member", "party_members")]:
            expected = demo_conn.execute(
                f"SELECT count(*) FROM {table} WHERE {where}", params
            ).fetchone()[0]
            fc = client.get(
                f"/ogc/collections/{layer_id}/items?limit=1", headers=bearer(token)
            ).json
            assert fc["numberMatched"] == expected > 0, (kind, layer_id)
        communities = client.get("/ogc/collections/communities/items", headers=bearer(token)).json
        assert [f["properties"]["community_code"] for f in communities["features"]] == [community]
