"""Data behind the one-screen map: compound metrics, KPIs, vector tiles, heat grids,
caching headers and parameter errors."""

from __future__ import annotations

import datetime as dt
import gzip
import math
import re
import struct

import pytest

from geo_service import queries
from geo_service.mapbuilder import CHOROPLETH_METRICS
from geo_service.routes.maps import gcj02_offset, tile_centre

from .conftest import NOW


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _decode(body: bytes) -> dict:
    import mapbox_vector_tile

    return mapbox_vector_tile.decode(body)


@pytest.fixture(scope="module")
def dense_point(demo_conn) -> tuple[float, float]:
    """The middle of the buildings of the compound with the most buildings."""
    return demo_conn.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c, count(*) AS n "
        "FROM building GROUP BY compound_id ORDER BY n DESC, compound_id LIMIT 1) s"
    ).fetchone()


def test_metrics_match_hand_computed_figures(client, demo_conn) -> None:
    body = client.get("/api/compounds/metrics").json
    metrics = {m["id"]: m for m in body["compounds"]}
    assert len(metrics) == demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    cid = demo_conn.execute(
        "SELECT compound_id FROM complaint GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    hh, n12, pet, members, buildings = demo_conn.execute(
        """SELECT (SELECT count(*) FROM household WHERE compound_id = %(c)s),
                  (SELECT count(*) FROM complaint WHERE compound_id = %(c)s
                      AND created_at >= timestamptz '2026-11-22 21:00+08' - interval '365 days'),
                  (SELECT count(*) FROM petition WHERE compound_id = %(c)s AND petition_date > date '2026-11-22' - 365),
                  (SELECT count(*) FROM party_member WHERE compound_id = %(c)s),
                  (SELECT count(*) FROM building WHERE compound_id = %(c)s)""",
        {"c": cid},
    ).fetchone()
    m = metrics[cid]
    assert m["households"] == hh and m["complaints_12m"] == n12 and m["petitions_12m"] == pet
    assert m["complaints_per_100hh"] == pytest.approx(round(100 * n12 / hh, 2))
    assert m["party_members_per_building"] == pytest.approx(round(members / buildings, 2))
    for metric in CHOROPLETH_METRICS:
        assert all(metric["id"] in row for row in metrics.values())


def test_captain_share_counts_units_covered_by_either_captain(client, demo_conn) -> None:
    cid = demo_conn.execute(
        "SELECT compound_id FROM building_captain WHERE role = 'unit' LIMIT 1"
    ).fetchone()[0]
    units, covered = demo_conn.execute(
        """SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM building_captain k
               WHERE k.unit_id = u.id OR (k.role = 'building' AND k.building_id = u.building_id)))
           FROM unit u WHERE u.compound_id = %s""",
        (cid,),
    ).fetchone()
    m = client.get(f"/api/compounds/{cid}").json
    assert m["captain_unit_share"] == pytest.approx(round(covered / units, 3))


def test_kpis_are_the_years_targets(client, demo_conn) -> None:
    k = {x["id"]: x for x in client.get("/api/kpis").json["kpis"]}
    assert set(k) == {
        "party_branch", "commissioner", "oc_formed", "oc_party_share", "professional_service",
        "captain_system", "property_petitions", "income_disclosed", "e_voting",
    }  # fmt: skip
    assert k["oc_formed"]["target"] == 0.8 and k["captain_system"]["target"] == 0.6
    assert k["property_petitions"]["target"] == -0.3 and k["property_petitions"]["op"] == "<="
    formed, total = demo_conn.execute(
        "SELECT count(*) FILTER (WHERE oc_formed), count(*) FROM compound"
    ).fetchone()
    assert k["oc_formed"]["value"] == pytest.approx(formed / total)
    last, prev = demo_conn.execute(
        "SELECT count(*) FILTER (WHERE petition_date > date '2026-11-22' - 365), "
        "count(*) FILTER (WHERE petition_date <= date '2026-11-22' - 365 AND petition_date > date '2026-11-22' - 730) "
        "FROM petition WHERE category = 'property'"
    ).fetchone()
    assert k["property_petitions"]["value"] == pytest.approx(last / prev - 1)


def test_unknown_compound_is_404(client) -> None:
    assert client.get("/api/compounds/999999").status_code == 404
    assert client.get("/compounds/999999").status_code == 404


def test_compound_page_shows_its_figures(client, demo_conn) -> None:
    cid, name = demo_conn.execute("SELECT id, name FROM compound ORDER BY id LIMIT 1").fetchone()
    html = client.get(f"/compounds/{cid}").get_data(as_text=True)
    assert name in html and "业委会" in html and "加装电梯" in html


@pytest.mark.parametrize(
    "layer", ["buildings", "party_members", "building_captains", "complaints", "elevator_retrofits"]
)
def test_vector_tiles_hold_features_in_their_tile(client, dense_point, layer: str) -> None:
    z = 16
    x, y = _tile(*dense_point, z)
    r = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf?days=3650")
    assert r.status_code == 200 and r.mimetype == "application/vnd.mapbox-vector-tile"
    tile = _decode(r.data)
    if layer in ("complaints", "elevator_retrofits") and layer not in tile:
        pytest.fail(f"no {layer} in the busiest compound's tile")
    feats = tile[layer]["features"]
    assert feats
    extent = tile[layer]["extent"]
    for f in feats:
        coords = f["geometry"]["coordinates"]
        flat = coords if f["geometry"]["type"] == "Point" else coords[0]
        pts = [flat] if f["geometry"]["type"] == "Point" else flat
        assert all(-64 <= c <= extent + 64 for p in pts for c in p)
    # no personal data in tiles
    assert not {"name", "phone", "id_number"} & set(feats[0]["properties"])


@pytest.mark.parametrize("layer", ["compounds", "communities", "grids", "buildings"])
def test_tiles_carry_their_attributes_and_not_the_source_geometry(
    client, dense_point, layer: str
) -> None:
    """ST_AsMVT encodes every extra column as an attribute: the source geometry must not
    ride along (it made building tiles six times their size)."""
    x, y = _tile(*dense_point, 15)
    feats = _decode(client.get(f"/tiles/{layer}/15/{x}/{y}.pbf").data)[layer]["features"]
    assert feats
    keys = set().union(*(f["properties"] for f in feats))
    assert "g" not in keys and "mid" not in keys
    assert keys <= set(queries._TILE_ATTRS[layer])
    assert {"id" if layer in ("compounds", "buildings") else "code"} <= keys


def test_people_are_aggregated_per_compound_below_z15_and_per_building_above(
    client, dense_point, demo_conn
) -> None:
    x, y = _tile(*dense_point, 12)
    low = _decode(client.get(f"/tiles/party_members/12/{x}/{y}.pbf").data)["party_members"][
        "features"
    ]
    x, y = _tile(*dense_point, 16)
    high = _decode(client.get(f"/tiles/party_members/16/{x}/{y}.pbf").data)["party_members"][
        "features"
    ]
    compound_ids = {f["properties"]["compound_id"] for f in low}
    assert all(f["properties"]["id"] == f["properties"]["compound_id"] for f in low)
    some = next(iter(compound_ids))
    n = demo_conn.execute(
        "SELECT count(*) FROM party_member WHERE compound_id = %s", (some,)
    ).fetchone()[0]
    assert next(f for f in low if f["properties"]["id"] == some)["properties"]["n"] == n
    bid = high[0]["properties"]["id"]
    n_b = demo_conn.execute(
        "SELECT count(*) FROM party_member WHERE building_id = %s", (bid,)
    ).fetchone()[0]
    assert high[0]["properties"]["n"] == n_b


def test_tiles_below_a_layers_zoom_are_empty_and_filters_apply(client, dense_point) -> None:
    x, y = _tile(*dense_point, 12)
    assert client.get(f"/tiles/buildings/12/{x}/{y}.pbf").data == b""
    x, y = _tile(*dense_point, 15)
    every = _decode(client.get(f"/tiles/complaints/15/{x}/{y}.pbf?days=3650").data)["complaints"][
        "features"
    ]
    opened = _decode(client.get(f"/tiles/complaints/15/{x}/{y}.pbf?days=3650&status=open").data)
    open_feats = opened.get("complaints", {"features": []})["features"]
    assert len(open_feats) < len(every)
    assert all(f["properties"]["open"] for f in open_feats)
    parking = _decode(
        client.get(f"/tiles/complaints/15/{x}/{y}.pbf?days=3650&category=parking").data
    )["complaints"]["features"]
    assert parking and all(f["properties"]["category"] == "parking" for f in parking)


def test_gcj02_tiles_are_shifted_by_the_local_offset(client, dense_point) -> None:
    z = 17
    x, y = _tile(*dense_point, z)
    wgs = _decode(client.get(f"/tiles/buildings/{z}/{x}/{y}.pbf").data)
    lon, lat = tile_centre(z, x, y)
    dx, dy = gcj02_offset(lon, lat)
    assert 0.002 < abs(dx) < 0.01 and 0.001 < abs(dy) < 0.01  # hundreds of metres
    # The same building, requested on a GCJ-02 basemap, sits where GCJ-02 puts it.
    shifted_x, shifted_y = _tile(dense_point[0] + dx, dense_point[1] + dy, z)
    gcj = _decode(client.get(f"/tiles/buildings/{z}/{shifted_x}/{shifted_y}.pbf?crs=gcj02").data)
    ids_wgs = {f["properties"]["id"] for f in wgs["buildings"]["features"]}
    ids_gcj = {f["properties"]["id"] for f in gcj["buildings"]["features"]}
    assert ids_wgs & ids_gcj


def test_tiles_are_sent_gzipped_from_the_cache_to_clients_that_accept_it(
    client, dense_point
) -> None:
    x, y = _tile(*dense_point, 15)
    url = f"/tiles/buildings/15/{x}/{y}.pbf"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data)
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.headers["ETag"] != plain.headers["ETag"]  # two representations
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
    )
    assert again.status_code == 304


def test_tiles_and_grids_are_cacheable(client, dense_point) -> None:
    x, y = _tile(*dense_point, 15)
    r = client.get(f"/tiles/buildings/15/{x}/{y}.pbf")
    assert r.headers["ETag"] and "max-age=300" in r.headers["Cache-Control"]
    again = client.get(
        f"/tiles/buildings/15/{x}/{y}.pbf", headers={"If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    g = client.get("/api/heat/petitions?bbox=120.0,30.2,120.3,30.5&zoom=12")
    assert g.headers["ETag"] and "max-age" in g.headers["Cache-Control"]
    assert (
        client.get(
            "/api/heat/petitions?bbox=120.0,30.2,120.3,30.5&zoom=12",
            headers={"If-None-Match": g.headers["ETag"]},
        ).status_code
        == 304
    )


def test_heat_grid_aggregates_and_follows_the_window(client, demo_conn) -> None:
    bbox = "119.9,30.1,120.4,30.6"
    g365 = client.get(f"/api/heat/petitions?bbox={bbox}&zoom=12&window=365").json
    g30 = client.get(f"/api/heat/petitions?bbox={bbox}&zoom=12&window=30").json
    total365 = demo_conn.execute(
        "SELECT count(*) FROM petition WHERE petition_date > date '2026-11-22' - 365"
    ).fetchone()[0]
    assert sum(c[2] for c in g365["cells"]) == total365
    assert len(g365["cells"]) < total365  # aggregated, not every point
    assert sum(c[2] for c in g30["cells"]) < total365
    y = client.get(f"/api/heat/petitions?bbox={bbox}&zoom=12&window=year:2025").json
    n2025 = demo_conn.execute(
        "SELECT count(*) FROM petition WHERE extract(year FROM petition_date) = 2025"
    ).fetchone()[0]
    assert sum(c[2] for c in y["cells"]) == n2025 and y["from"] == "2025-01-01"
    coarse = client.get(f"/api/heat/petitions?bbox={bbox}&zoom=10&window=365").json
    assert len(coarse["cells"]) < len(g365["cells"])
    done = client.get(f"/api/heat/elevator_retrofits?bbox={bbox}&zoom=12&stage=completed").json
    n_done = demo_conn.execute(
        "SELECT count(*) FROM elevator_retrofit WHERE stage = 'completed'"
    ).fetchone()[0]
    assert sum(c[2] for c in done["cells"]) == n_done


def test_responses_are_gzipped(client) -> None:
    r = client.get("/api/compounds/metrics", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("Content-Encoding") == "gzip"
    assert b"compounds" in gzip.decompress(r.data)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/heat/petitions?zoom=12", "bbox"),
        ("/api/heat/petitions?bbox=120,30,120.2,30.4&window=7", "window"),
        ("/api/heat/petitions?bbox=120,30,120.2,30.4&window=year:1999", "window"),
        ("/api/heat/petitions?bbox=120,30,120.2,30.4&zoom=40", "zoom"),
        ("/api/heat/elevator_retrofits?bbox=120,30,120.2,30.4&stage=done", "stage"),
        ("/tiles/buildings/23/0/0.pbf", "z"),
        ("/tiles/buildings/3/8/0.pbf", "x"),
        ("/tiles/buildings/3/0/9.pbf", "y"),
        ("/tiles/complaints/15/1/1.pbf?status=pending", "status"),
        ("/tiles/complaints/15/1/1.pbf?category=weather", "category"),
        ("/tiles/complaints/15/1/1.pbf?crs=bd09", "crs"),
        ("/api/layers/compounds/features?precision=12", "precision"),
        ("/tiles/areas/3/block?x1=1&y0=0&y1=1", "x0"),
        ("/tiles/areas/3/block?x0=0&x1=8&y0=0&y1=1", "x1"),
        ("/tiles/areas/3/block?x0=2&x1=1&y0=0&y1=1", "x1"),
        ("/tiles/areas/3/block?x0=0&x1=1&y0=1.5&y1=2", "y0"),
        ("/tiles/areas/3/block?x0=0&x1=7&y0=0&y1=7&crs=bd09", "crs"),
        ("/tiles/areas/4/block?x0=0&x1=7&y0=0&y1=8", "x1"),  # 72 tiles
        ("/tiles/areas/23/block?x0=0&x1=0&y0=0&y1=0", "z"),
    ],
)
def test_bad_map_parameters_are_400(client, url: str, parameter: str) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.data
    assert r.json["parameter"] == parameter


def test_unknown_tile_layer_or_heat_is_404(client) -> None:
    assert client.get("/tiles/residents/15/1/1.pbf").status_code == 404
    assert client.get("/api/heat/complaints?bbox=120,30,120.2,30.4").status_code == 404


def test_compound_tiles_carry_the_choropleth_figures(client, dense_point) -> None:
    metrics = {m["id"]: m for m in client.get("/api/compounds/metrics").json["compounds"]}
    x, y = _tile(*dense_point, 12)
    feats = _decode(client.get(f"/tiles/compounds/12/{x}/{y}.pbf").data)["compounds"]["features"]
    assert feats
    for f in feats:
        p = f["properties"]
        m = metrics[p["id"]]
        assert p["name"] == m["name"] and p["community_code"] == m["community_code"]
        assert p["complaints_per_100hh"] == pytest.approx(m["complaints_per_100hh"])
        assert p["oc_formed"] == m["oc_formed"] and p["property_service"] == m["property_service"]
    outlines = _decode(client.get(f"/tiles/communities/12/{x}/{y}.pbf").data)["communities"][
        "features"
    ]
    assert outlines and all(len(f["properties"]["code"]) == 12 for f in outlines)


@pytest.mark.parametrize(
    ("bundle", "z", "lids"),
    [
        ("areas", 11, ("compounds", "communities", "streets")),
        # tile zoom 14 is map zoom 15, the buildings' first
        ("areas_buildings", 14, ("compounds", "communities", "streets", "buildings")),
    ],
)
def test_a_bundle_tile_is_its_layers_tiles_in_one(
    client, dense_point, demo_conn, bundle: str, z: int, lids: tuple[str, ...]
) -> None:
    x, y = _tile(*dense_point, z)
    parts = [client.get(f"/tiles/{lid}/{z}/{x}/{y}.pbf").data for lid in lids]
    assert all(parts)
    body = client.get(
        f"/tiles/{bundle}/{z}/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"}
    ).data
    assert body == b"".join(parts)
    layers = _decode(body)
    assert set(layers) == set(lids)
    streets = {
        f["properties"]["code"]: f["properties"]["name"] for f in layers["streets"]["features"]
    }
    names = dict(demo_conn.execute("SELECT street_code, name FROM street").fetchall())
    assert streets and all(names[code] == name for code, name in streets.items())


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_a_block_is_its_tiles_in_one_response(client, dense_point, crs: str) -> None:
    """/tiles/<layer>/<z>/block: the byte length of each tile of columns x0..x1 and rows
    y0..y1, row by row, then those tiles, each as /tiles/<layer>/<z>/<x>/<y>.pbf sends it."""
    x, y = _tile(*dense_point, 14)
    url = f"/tiles/areas_buildings/14/block?x0={x - 1}&x1={x + 2}&y0={y - 1}&y1={y + 1}&crs={crs}"
    r = client.get(url, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.mimetype == "application/octet-stream"
    sizes = struct.unpack("<12I", r.data[:48])
    tiles = [
        client.get(f"/tiles/areas_buildings/14/{tx}/{ty}.pbf?crs={crs}").data
        for ty in range(y - 1, y + 2)
        for tx in range(x - 1, x + 3)
    ]
    assert list(sizes) == [len(t) for t in tiles] and len(r.data) == 48 + sum(sizes)
    assert r.data[48:] == b"".join(tiles)
    assert sum(1 for t in tiles if t) >= 6  # the test means something: dense tiles
    # gzipped for those who take it, cached like a tile
    z = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert z.headers["Content-Encoding"] == "gzip" and gzip.decompress(z.data) == r.data
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": z.headers["ETag"]})
    assert again.status_code == 304


def test_classes_are_quintiles_of_all_compounds(client) -> None:
    values = sorted(
        m["petitions_12m"] for m in client.get("/api/compounds/metrics").json["compounds"]
    )
    c = client.get("/api/compounds/classes?metric=petitions_12m").json
    expected = []
    for q in (0.2, 0.4, 0.6, 0.8):
        v = values[int(q * len(values))]
        if not expected or v != expected[-1]:
            expected.append(v)
    assert c["breaks"] == expected and c["n"] == len(values)
    assert client.get("/api/compounds/classes?metric=name").json["parameter"] == "metric"


def test_search_by_name_and_by_community(client, demo_conn) -> None:
    cid, name, community = demo_conn.execute(
        "SELECT id, name, community_code FROM compound ORDER BY id LIMIT 1"
    ).fetchone()
    hits = client.get(f"/api/compounds/search?q={name[1:3]}").json["compounds"]
    assert cid in [h["id"] for h in hits] and all(name[1:3] in h["name"] for h in hits)
    assert len(hits[0]["bbox"]) == 4
    listed = client.get(f"/api/compounds/search?community={community}&limit=500").json["compounds"]
    n = demo_conn.execute(
        "SELECT count(*) FROM compound WHERE community_code = %s", (community,)
    ).fetchone()[0]
    assert len(listed) == n and cid in [h["id"] for h in listed]
    for bad, param in (
        ("", "q"),
        ("community=12", "community"),
        ("q=" + "长" * 51, "q"),
        ("q=a&limit=0", "limit"),
    ):
        r = client.get(f"/api/compounds/search?{bad}")
        assert r.status_code == 400 and r.json["parameter"] == param


def test_a_failed_background_refresh_keeps_the_stale_figures(caplog) -> None:
    """The minute's figures are recomputed in a background thread: when the database is
    unreachable then, the stale copy stays, the failure is logged (not a thread
    traceback) and the next request may try again."""
    import sqlalchemy as sa

    from geo_service import db
    from geo_service.routes import maps

    key = ("test-refresh-failure",)
    stale = maps.Figures([{"id": 1, "bbox": [120.1, 30.2, 120.2, 30.3]}])
    maps._metrics_cache[key] = (0.0, None, stale)
    maps._refreshing.add(key)
    unreachable = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    try:
        maps._refresh_metrics(db.ScopedEngine(unreachable, {}), key, NOW, None)
        assert maps._metrics_cache[key] == (0.0, None, stale)
        assert key not in maps._refreshing
        assert "recomputing the compound figures failed" in caplog.text
    finally:
        maps._metrics_cache.pop(key, None)
        unreachable.dispose()


def test_the_petition_window_offers_every_year_with_petitions(client, demo_conn) -> None:
    years = [
        r[0]
        for r in demo_conn.execute(
            "SELECT DISTINCT extract(year FROM petition_date)::int FROM petition ORDER BY 1"
        ).fetchall()
    ]
    assert len(years) >= 2
    html = client.get("/").get_data(as_text=True)
    offered = [int(y) for y in re.findall(r'<option value="year:(\d{4})">', html)]
    assert offered == sorted(years, reverse=True)


def test_the_page_is_built_once_per_scope_but_the_user_box_is_each_users(
    app, demo_engine, client
) -> None:
    """The page is kept a minute per scope; the name, role, patch link and CSRF token in
    it are the requesting user's, never those of whoever made it first."""
    from .conftest import add_user, logged_in

    first = client.get("/").get_data(as_text=True)
    users = [add_user(demo_engine, "district_leader"), add_user(demo_engine, "planner")]
    boxes = []
    for name in users:
        c = logged_in(app, demo_engine, name)
        html = c.get("/").get_data(as_text=True)
        box = re.search(r'<form class="gs-user".*?</form>', html).group(0)
        assert name in box and "<!--gs-user-->" not in html
        token = re.search(r'name="csrf_token" value="([^"]+)"', box).group(1)
        assert c.post("/logout", data={"csrf_token": token}).status_code == 303
        boxes.append(box)
        # everything but the box (and the nonces) is the page the first user got
        strip = lambda h: re.sub(r'nonce="[^"]+"|<form class="gs-user".*?</form>', "", h)  # noqa: E731
        assert strip(html) == strip(first)
    assert "区领导" in boxes[0] and 'href="/patch"' in boxes[0]
    assert 'href="/patch"' not in boxes[1]
    assert boxes[0] != boxes[1]


def test_memo_holds_up_only_its_own_key_and_drops_expired_entries(app, monkeypatch) -> None:  # noqa: ANN001
    """A slow computation (a hot-spot run) does not stall other keys (the page, the KPIs);
    requests for its own key wait for it and get its result; minute-keyed entries that
    have expired are dropped."""
    import threading

    from geo_service.routes import maps

    monkeypatch.setattr(maps, "scope_key", lambda: ("test-scope",))
    monkeypatch.setattr(maps, "_memo_cache", {})
    monkeypatch.setattr(maps, "_memo_key_locks", {})
    release, started = threading.Event(), threading.Event()
    calls: list[str] = []
    results: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        assert release.wait(20)
        return "slow result"

    def ask_slow() -> None:
        with app.app_context():
            results.append(maps.memo(("slow",), 60, slow))

    threads = [threading.Thread(target=ask_slow) for _ in range(2)]
    threads[0].start()
    assert started.wait(20)
    threads[1].start()
    with app.app_context():
        # answered while the slow key is still being computed
        assert maps.memo(("fast",), 60, lambda: "fast result") == "fast result"
        assert threads[0].is_alive()
        release.set()
        for t in threads:
            t.join(20)
        assert results == ["slow result", "slow result"] and calls == ["slow"]
        for minute in range(5):  # keys of the minute, already expired when the next comes
            maps.memo(("spikes", minute), 0, lambda: "rows", reuse=False)
        assert [k[-1] for k in maps._memo_cache if k[-2:-1] == ("spikes",)] == [4]


def test_cached_answers_are_kept_past_their_time_until_the_rows_change(
    app, demo_engine, monkeypatch
) -> None:  # noqa: ANN001
    """A memoised answer (page, areas, rankings) or tile past its time to live is served
    again, not made again, while no table it could be made of has changed; a write to
    such a table (committed) has it made again, a login's write does not."""
    import time

    import sqlalchemy as sa

    from geo_service.routes import maps

    monkeypatch.setattr(maps, "scope_key", lambda: ("test-scope",))
    monkeypatch.setattr(maps, "_memo_cache", {})
    monkeypatch.setattr(maps, "_memo_key_locks", {})
    monkeypatch.setattr(maps, "_tile_cache", maps._TileCache(size=16, ttl=0.0))
    made: list[int] = []

    def compute() -> int:
        made.append(1)
        return len(made)

    def counted(table: str) -> int:
        with demo_engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE relname = :t"),
                {"t": table},
            ).scalar_one()

    def write(table: str, sql: str) -> None:  # and wait until the statistics count it
        before = counted(table)
        with demo_engine.begin() as conn:
            assert conn.execute(sa.text(sql)).rowcount > 0
            conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))
        deadline = time.monotonic() + 10
        while counted(table) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert counted(table) > before
        maps._versions.clear()  # rather than wait the second it is kept

    with app.app_context():
        # writes of earlier tests reach the statistics within about a second of commit
        seen = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            maps._versions.clear()
            now_seen = maps.data_version()
            if now_seen == seen:
                break
            seen = now_seen
            time.sleep(1.5)
        assert seen is not None and maps.memo(("answer",), 0, compute) == 1
        maps._tile_cache.put(("tile",), maps.data_version(), (b"tile", None))
        for _ in range(3):  # expired at once (ttl 0), but the rows are the same
            maps._versions.clear()
            assert maps.memo(("answer",), 0, compute) == 1
            assert maps._tile_cache.get(("tile",)) == (b"tile", None)
        write(  # logins write it: no change
            "login_attempt",
            "INSERT INTO login_attempt (district_code, username, ok) VALUES ('330105', 'x', false)",
        )
        with demo_engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM login_attempt WHERE username = 'x'"))
        assert maps.memo(("answer",), 0, compute) == 1
        write(
            "compound", "UPDATE compound SET name = name WHERE id = (SELECT min(id) FROM compound)"
        )
        assert maps.memo(("answer",), 0, compute) == 2
        assert maps._tile_cache.get(("tile",)) is None
        assert maps.memo(("answer",), 0, compute) == 2
        monkeypatch.setitem(app.config, "FIXED_NOW", NOW + dt.timedelta(days=1))
        assert maps.memo(("answer",), 0, compute) == 3  # the day moves the 12-month windows
