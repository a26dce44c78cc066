"""OGC API – Features at /ogc against the tiny demo district: documents, items, paging,
CRS, datetime, filters, formats and errors (each names its parameter)."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import layers
from geo_service import ogc

from .ogc_support import PERSONAL, planner, planner_token  # noqa: F401

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


def _count(conn, sql: str, params: tuple = ()) -> int:  # noqa: ANN001
    return conn.execute(sql, params).fetchone()[0]


def _items(client, headers, layer: str, query: str = "") -> dict:  # noqa: ANN001
    r = client.get(f"/ogc/collections/{layer}/items?{query}", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.json


# -- documents ------------------------------------------------------------------------------
def test_landing_page_links(client, planner) -> None:  # noqa: F811
    r = client.get("/ogc", headers=planner)
    assert r.status_code == 200 and r.mimetype == "application/json"
    rels = {link["rel"]: link for link in r.json["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    html = client.get("/ogc?f=html", headers=planner)
    assert html.mimetype == "text/html" and "service-desc" in html.get_data(as_text=True)
    for rel in ("service-desc", "service-doc", "conformance", "data"):
        path = urlsplit(rels[rel]["href"]).path
        assert client.get(path, headers=planner).status_code == 200, rel


def test_openapi_describes_every_collection(client, planner) -> None:  # noqa: F811
    r = client.get("/ogc/api", headers=planner)
    assert r.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json
    assert doc["openapi"].startswith("3.0")
    for layer in layers.REGISTRY.values():
        items = doc["paths"][f"/collections/{layer.id}/items"]["get"]
        names = {p["name"] for p in items["parameters"]}
        assert {"bbox", "bbox-crs", "crs", "limit", "filter", "properties"} <= names
        assert not names & PERSONAL - set(layer.public_field_names)
        assert ("datetime" in names) == bool(layer.time_field)
    html = client.get("/ogc/api.html", headers=planner)
    assert html.mimetype == "text/html" and "/collections/buildings/items" in html.get_data(
        as_text=True
    )


def test_conformance_declares_implemented_classes(client, planner) -> None:  # noqa: F811
    classes = client.get("/ogc/conformance", headers=planner).json["conformsTo"]
    for part in ("features-1/1.0/conf/core", "features-1/1.0/conf/geojson",
                 "features-1/1.0/conf/oas30", "features-2/1.0/conf/crs",
                 "features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text",
                 "cql2/1.0/conf/basic-cql2", "cql2/1.0/conf/basic-spatial-functions"):  # fmt: skip
        assert any(c.endswith(part) for c in classes), part


def test_collections_one_per_layer_with_extent_and_crs(client, planner, demo_conn) -> None:  # noqa: F811
    doc = client.get("/ogc/collections", headers=planner).json
    assert [c["id"] for c in doc["collections"]] == list(layers.REGISTRY)
    for c in doc["collections"]:
        layer = layers.REGISTRY[c["id"]]
        assert c["title"] == layer.title
        assert c["storageCrs"] == CRS84
        assert set(c["crs"]) == {CRS84, EPSG + "4326", EPSG + "4490", EPSG + "3857"}
        x0, y0, x1, y1 = c["extent"]["spatial"]["bbox"][0]
        assert 120.0 < x0 < x1 < 120.3 and 30.2 < y0 < y1 < 30.5
        assert c["numberMatched"] == _count(demo_conn, f"SELECT count(*) FROM {layer.table}")
        assert any(
            lk["rel"] == "items" and lk["type"] == "application/geo+json" for lk in c["links"]
        )
        if layer.time_field:
            lo, hi = c["extent"]["temporal"]["interval"][0]
            assert lo < hi
        else:
            assert "temporal" not in c["extent"]
    one = client.get("/ogc/collections/complaints", headers=planner).json
    assert one["id"] == "complaints"


def test_queryables_are_public_fields(client, planner) -> None:  # noqa: F811
    for layer in layers.REGISTRY.values():
        doc = client.get(f"/ogc/collections/{layer.id}/queryables", headers=planner).json
        props = set(doc["properties"])
        assert props == {"geometry", *layer.public_field_names}
        assert not props & set(layer.personal_field_names)
    doc = client.get("/ogc/collections/complaints/queryables", headers=planner).json
    assert doc["properties"]["created_at"]["format"] == "date-time"
    assert "hotline_12345" in doc["properties"]["channel"]["enum"]


# -- items ----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_id", list(layers.REGISTRY))
def test_items_default_page_and_public_fields(client, planner, demo_conn, layer_id) -> None:  # noqa: F811
    layer = layers.REGISTRY[layer_id]
    r = client.get(f"/ogc/collections/{layer_id}/items", headers=planner)
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert r.headers["Content-Crs"] == f"<{CRS84}>"
    fc = r.json
    total = _count(demo_conn, f"SELECT count(*) FROM {layer.table}")
    assert fc["numberMatched"] == total
    assert fc["numberReturned"] == len(fc["features"]) == min(100, total)
    for f in fc["features"]:
        assert set(f["properties"]) == set(layer.public_field_names)
        assert f["geometry"]["type"] in (layer.geometry_type, "Polygon", "MultiPolygon")
    assert any(lk["rel"] == "next" for lk in fc["links"]) == (total > 100)


def test_paging_by_key_walks_everything_once_while_rows_are_added(
    client,
    planner,  # noqa: F811
    demo_conn,
) -> None:
    total = _count(demo_conn, "SELECT count(*) FROM complaint")
    url = "/ogc/collections/complaints/items?limit=700"
    seen: list[int] = []
    added = None
    try:
        while url:
            fc = client.get(url, headers=planner).json
            seen += [f["id"] for f in fc["features"]]
            if added is None:  # a new complaint arrives while a client is paging
                added = demo_conn.execute(
                    "INSERT INTO complaint (district_code, street_code, community_code, "
                    "compound_id, geom, channel, category, created_at) SELECT district_code, "
                    "street_code, community_code, compound_id, geom, channel, category, now() "
                    "FROM complaint ORDER BY id LIMIT 1 RETURNING id"
                ).fetchone()[0]
            nxt = [lk["href"] for lk in fc["links"] if lk["rel"] == "next"]
            url = urlsplit(nxt[0])._replace(scheme="", netloc="").geturl() if nxt else None
            if nxt:
                assert parse_qs(urlsplit(nxt[0]).query)["after"] == [str(seen[-1])]
    finally:
        demo_conn.execute("DELETE FROM complaint WHERE id = %s", (added,))
    assert len(seen) == len(set(seen)) == total + 1
    assert seen == sorted(seen) and seen[-1] == added


def test_bbox_in_crs84_epsg4326_and_3857_select_the_same(client, planner, demo_conn) -> None:  # noqa: F811
    box = (120.12, 30.28, 120.16, 30.32)
    expected = _count(
        demo_conn,
        "SELECT count(*) FROM complaint WHERE ST_Intersects(geom, ST_MakeEnvelope(%s,%s,%s,%s,4326))",
        box,
    )
    assert expected > 0
    a = _items(client, planner, "complaints", "bbox=120.12,30.28,120.16,30.32&limit=1")
    b = _items(client, planner, "complaints",
               f"bbox=30.28,120.12,30.32,120.16&bbox-crs={quote(EPSG + '4326')}&limit=1")  # fmt: skip
    x0, y0, x1, y1 = demo_conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Transform(ST_MakeEnvelope(%s,%s,%s,%s,4326), 3857) e) s",
        box,
    ).fetchone()
    c = _items(
        client, planner, "complaints", f"bbox={x0},{y0},{x1},{y1}&bbox-crs=EPSG:3857&limit=1"
    )
    assert a["numberMatched"] == b["numberMatched"] == expected
    assert abs(c["numberMatched"] - expected) <= 1  # the box's edges round-trip through 3857


def test_bbox_on_people_uses_building_centroids(client, planner, demo_conn) -> None:  # noqa: F811
    box = (120.12, 30.28, 120.16, 30.32)
    expected = _count(
        demo_conn,
        "SELECT count(*) FROM party_member p JOIN building b ON b.id = p.building_id "
        "WHERE ST_Intersects(ST_Centroid(b.geom), ST_MakeEnvelope(%s,%s,%s,%s,4326))",
        box,
    )
    fc = _items(client, planner, "party_members", "bbox=120.12,30.28,120.16,30.32&limit=1")
    assert fc["numberMatched"] == expected > 0


@pytest.mark.parametrize("code", ["4326", "4490", "3857"])
def test_output_crs_and_axis_order(client, planner, demo_conn, code: str) -> None:  # noqa: F811
    uri = EPSG + code
    r = client.get(f"/ogc/collections/complaints/items?limit=5&crs={quote(uri)}", headers=planner)
    assert r.status_code == 200 and r.headers["Content-Crs"] == f"<{uri}>"
    for f in r.json["features"]:
        x, y = demo_conn.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, %s) g FROM complaint "
            "WHERE id = %s) s",
            (3857 if code == "3857" else 4326, f["id"]),
        ).fetchone()
        got = f["geometry"]["coordinates"]
        if code == "3857":
            assert got == pytest.approx([x, y], abs=0.01)
        else:  # EPSG:4326 and CGCS2000 are latitude first
            assert got == pytest.approx([y, x], abs=1e-7)


def test_datetime_instants_intervals_and_open_ends(client, planner, demo_conn) -> None:  # noqa: F811
    cases = {
        "2025-06-01": "created_at >= '2025-06-01' AND created_at < '2025-06-02'",
        "2025-01-01/2025-03-31": "created_at >= '2025-01-01' AND created_at < '2025-04-01'",
        "2025-01-01T00:00:00Z/..": "created_at >= '2025-01-01T00:00:00Z'",
        "../2024-12-31T23:59:59+08:00": "created_at <= '2024-12-31T23:59:59+08:00'",
        "2024-01-01/": "created_at >= '2024-01-01'",
    }
    for value, where in cases.items():
        expected = _count(demo_conn, f"SELECT count(*) FROM complaint WHERE {where}")
        fc = _items(client, planner, "complaints", f"datetime={quote(value)}&limit=1")
        assert fc["numberMatched"] == expected > 0, value
    # date-typed time field
    expected = _count(
        demo_conn,
        "SELECT count(*) FROM petition WHERE petition_date BETWEEN '2025-01-01' AND '2025-12-31'",
    )
    fc = _items(client, planner, "petitions", "datetime=2025-01-01/2025-12-31&limit=1")
    assert fc["numberMatched"] == expected > 0


def test_area_and_attribute_filters(client, planner, demo_conn) -> None:  # noqa: F811
    street, community, cid, code = demo_conn.execute(
        "SELECT street_code, community_code, id, code FROM compound ORDER BY id LIMIT 1"
    ).fetchone()
    checks = [
        (f"street={street}", "street_code = %s", (street,)),
        (f"community={community}", "community_code = %s", (community,)),
        (f"compound={cid}", "compound_id = %s", (cid,)),
        (f"compound={code}", "compound_id = %s", (cid,)),
        ("channel=hotline_12345", "channel = %s", ("hotline_12345",)),
        (f"satisfaction=5&street={street}", "satisfaction = 5 AND street_code = %s", (street,)),
    ]
    for query, where, params in checks:
        expected = _count(demo_conn, f"SELECT count(*) FROM complaint WHERE {where}", params)
        assert _items(client, planner, "complaints", query)["numberMatched"] == expected > 0, query
    streets = _items(client, planner, "streets", f"community={community}")
    assert [f["properties"]["street_code"] for f in streets["features"]] == [street]


CQL = [
    ("satisfaction >= 4", "satisfaction >= 4"),
    ("channel = 'mashangban' AND satisfaction < 3", "channel = 'mashangban' AND satisfaction < 3"),
    ("channel = 'xieshangling' OR category = 'noise'", "channel = 'xieshangling' OR category = 'noise'"),
    ("NOT (satisfaction > 2)", "NOT (satisfaction > 2)"),
    ("resolved_at IS NULL", "resolved_at IS NULL"),
    ("category IN ('parking', 'noise')", "category IN ('parking', 'noise')"),
    ("satisfaction BETWEEN 2 AND 4", "satisfaction BETWEEN 2 AND 4"),
    ("street_code LIKE '33010500%'", "street_code LIKE '33010500%%'"),
    ("created_at > TIMESTAMP('2025-06-01T00:00:00Z')", "created_at > '2025-06-01T00:00:00Z'"),
    ("S_INTERSECTS(geometry, POLYGON((120.12 30.28, 120.16 30.28, 120.16 30.32, 120.12 30.32, 120.12 30.28)))",
     "ST_Intersects(geom, ST_MakeEnvelope(120.12, 30.28, 120.16, 30.32, 4326))"),
    ("S_INTERSECTS(geometry, BBOX(120.12, 30.28, 120.16, 30.32)) AND satisfaction = 5",
     "ST_Intersects(geom, ST_MakeEnvelope(120.12, 30.28, 120.16, 30.32, 4326)) AND satisfaction = 5"),
]  # fmt: skip


@pytest.mark.parametrize(("cql", "where"), CQL, ids=[c[0][:40] for c in CQL])
def test_cql2_filters_match_sql(client, planner, demo_conn, cql: str, where: str) -> None:  # noqa: F811
    expected = _count(demo_conn, f"SELECT count(*) FROM complaint WHERE {where}")
    fc = _items(client, planner, "complaints", f"filter={quote(cql)}&filter-lang=cql2-text&limit=1")
    assert fc["numberMatched"] == expected > 0


def test_filter_crs_epsg4326_is_lat_lon(client, planner) -> None:  # noqa: F811
    a = _items(client, planner, "complaints",
               "filter=" + quote("S_INTERSECTS(geometry, BBOX(120.12, 30.28, 120.16, 30.32))"))  # fmt: skip
    b = _items(client, planner, "complaints",
               "filter=" + quote("S_INTERSECTS(geometry, BBOX(30.28, 120.12, 30.32, 120.16))")
               + "&filter-crs=" + quote(EPSG + "4326"))  # fmt: skip
    assert a["numberMatched"] == b["numberMatched"] > 0


def test_properties_selects_fields(client, planner) -> None:  # noqa: F811
    fc = _items(client, planner, "buildings", "properties=floors,has_elevator&limit=3")
    assert all(set(f["properties"]) == {"floors", "has_elevator"} for f in fc["features"])


def test_html_and_csv_items(client, planner) -> None:  # noqa: F811
    html = client.get("/ogc/collections/buildings/items?f=html&limit=5", headers=planner)
    assert html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert "<table>" in text and "层数" in text and text.count("<tr>") == 6
    browser = client.get(
        "/ogc/collections/buildings/items?limit=2", headers={**planner, "Accept": "text/html"}
    )
    assert browser.mimetype == "text/html"
    r = client.get("/ogc/collections/buildings/items?f=csv&limit=5", headers=planner)
    assert r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    layer = layers.REGISTRY["buildings"]
    assert rows[0] == ["id", *layer.public_field_names, "WKT"]
    assert len(rows) == 6 and rows[1][-1].startswith("POLYGON")


def test_single_feature(client, planner, demo_conn) -> None:  # noqa: F811
    fid = demo_conn.execute("SELECT max(id) FROM building").fetchone()[0]
    r = client.get(f"/ogc/collections/buildings/items/{fid}", headers=planner)
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    f = r.json
    assert f["id"] == fid and f["type"] == "Feature"
    assert any(lk["rel"] == "collection" for lk in f["links"])
    street = client.get("/ogc/collections/streets/items/330105001", headers=planner).json
    assert street["properties"]["street_code"] == "330105001"


# -- errors ---------------------------------------------------------------------------------
ERRORS = [
    ("complaints/items?bbox=nan,30.2,120.2,30.4", 400, "bbox"),
    ("complaints/items?bbox=120.1,30.2,inf,30.4", 400, "bbox"),
    ("complaints/items?bbox=120.1,30.2,-Infinity,30.4", 400, "bbox"),
    ("complaints/items?bbox=120.1,30.2,120.2", 400, "bbox"),
    ("complaints/items?bbox=120.2,30.2,120.1,30.4", 400, "bbox"),
    ("complaints/items?bbox=120.1,30.2,120.2,91", 400, "bbox"),
    ("complaints/items?bbox=91,120.1,92,120.2&bbox-crs=EPSG:4326", 400, "bbox"),
    ("complaints/items?bbox=a,b,c,d", 400, "bbox"),
    ("complaints/items?bbox=120.1,30.2,120.2,30.4&bbox-crs=EPSG:2385", 400, "bbox-crs"),
    ("complaints/items?crs=EPSG:9999", 400, "crs"),
    ("complaints/items?crs=urn:nonsense", 400, "crs"),
    ("complaints/items?datetime=2026-13-01", 400, "datetime"),
    ("complaints/items?datetime=yesterday", 400, "datetime"),
    ("complaints/items?datetime=2026-01-01T00:00:00", 400, "datetime"),
    ("complaints/items?datetime=2026-02-01/2026-01-01", 400, "datetime"),
    ("complaints/items?datetime=2026-01-01/2026-02-01/2026-03-01", 400, "datetime"),
    ("complaints/items?datetime=..", 400, "datetime"),
    ("buildings/items?datetime=2026-01-01", 400, "datetime"),
    ("complaints/items?limit=0", 400, "limit"),
    ("complaints/items?limit=-1", 400, "limit"),
    ("complaints/items?limit=1.5", 400, "limit"),
    ("complaints/items?limit=1000000000", 400, "limit"),
    ("complaints/items?limit=10001", 400, "limit"),
    ("complaints/items?limit=%27%3B%20DROP%20TABLE%20complaint%3B--", 400, "limit"),
    ("complaints/items?after=abc", 400, "after"),
    ("complaints/items?properties=name", 400, "properties"),
    ("party_members/items?properties=phone", 400, "properties"),
    ("party_members/items?name=x", 400, "name"),
    ("complaints/items?satisfaction=high", 400, "satisfaction"),
    ("complaints/items?street=33010500", 400, "street"),
    ("complaints/items?compound=1;DROP", 400, "compound"),
    ("complaints/items?filter=satisfaction%20%3E", 400, "filter"),
    ("complaints/items?filter=name%20%3D%20%27x%27", 400, "filter"),
    ("party_members/items?filter=phone%20%3D%20%2713800000000%27", 400, "filter"),
    ("complaints/items?filter=satisfaction%20%3D%20%27x%27", 400, "filter"),
    ("complaints/items?filter=S_WITHIN(geometry%2CPOINT(1%202))", 400, "filter"),
    ("complaints/items?filter-lang=cql2-json&filter=x", 400, "filter-lang"),
    ("complaints/items?filter-crs=EPSG:1", 400, "filter-crs"),
    ("complaints/items?f=xml", 400, "f"),
    ("complaints/items?colour=red", 400, "colour"),
    ("nowhere/items", 404, "collectionId"),
    ("nowhere", 404, "collectionId"),
    ("nowhere/queryables", 404, "collectionId"),
    ("complaints/items/999999999", 404, "featureId"),
    ("complaints/items/abc", 404, "featureId"),
    ("streets/items/999999999", 404, "featureId"),
]


@pytest.mark.parametrize(("path", "status", "parameter"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_ogc_exceptions_naming_the_parameter(
    client,
    planner,  # noqa: F811
    demo_conn,
    path: str,
    status: int,
    parameter: str,
) -> None:
    before = _count(demo_conn, "SELECT count(*) FROM complaint")
    r = client.get(f"/ogc/collections/{path}", headers=planner)
    assert r.status_code == status
    assert r.mimetype == "application/json"
    body = r.json
    assert body["code"] == ("InvalidParameterValue" if status == 400 else "NotFound")
    assert body["parameter"] == parameter
    assert parameter in body["description"]
    assert "features" not in body
    assert _count(demo_conn, "SELECT count(*) FROM complaint") == before


def test_unknown_path_is_ogc_404(client, planner) -> None:  # noqa: F811
    r = client.get("/ogc/no/such/thing", headers=planner)
    assert r.status_code == 404 and r.json["code"] == "NotFound"


def test_ogc_parameter_parsing_directly() -> None:
    from geo_service import crs

    assert ogc.parse_bbox("30.1,120.1,30.2,120.2", crs.EPSG4326) == (120.1, 30.1, 120.2, 30.2)
    assert ogc.parse_bbox("120.1,30.1,0,120.2,30.2,9", crs.CRS84) == (120.1, 30.1, 120.2, 30.2)
    lo, hi = ogc.parse_datetime("2026-01-01")
    assert (hi - lo).days == 1 and lo.utcoffset().total_seconds() == 8 * 3600
    assert ogc.parse_datetime("../..") == (None, None)
    assert json.loads(ogc.ItemsPage(['{"a":1}'], 5, [], crs.CRS84).to_json())["numberReturned"] == 1
