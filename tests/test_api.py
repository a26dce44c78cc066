"""JSON API: the layer registry with counts; features with public fields only; errors."""

from __future__ import annotations

import pytest

import layers
from geo_service import db


def test_health(client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json == {"status": "ok", "schema": db.head_revision()}


def test_layers_lists_registry_with_true_counts(client, demo_conn) -> None:
    body = client.get("/api/layers").json
    assert [entry["id"] for entry in body["layers"]] == list(layers.REGISTRY)
    for entry in body["layers"]:
        table = layers.REGISTRY[entry["id"]].table
        assert entry["count"] == demo_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert entry["count"] > 0
        x0, y0, x1, y1 = entry["bbox"]
        assert 120.0 < x0 < x1 < 120.3 and 30.2 < y0 < y1 < 30.5
        assert entry["title"]


@pytest.mark.parametrize("layer_id", list(layers.REGISTRY))
def test_features_carry_public_and_masked_personal_fields(client, layer_id: str) -> None:
    """A district leader gets the public fields and the personal ones masked."""
    layer = layers.REGISTRY[layer_id]
    r = client.get(f"/api/layers/{layer_id}/features?limit=50")
    assert r.status_code == 200
    fc = r.json
    assert fc["type"] == "FeatureCollection" and 0 < len(fc["features"]) <= 50
    for f in fc["features"]:
        assert set(f["properties"]) == {*layer.public_field_names, *layer.personal_field_names}
        for name in layer.personal_field_names:
            assert "*" in f["properties"][name]
        assert f["geometry"]["type"] in (layer.geometry_type, "MultiPolygon", "Polygon")


def test_person_layers_carry_no_clear_personal_data(client, demo_conn) -> None:  # noqa: ANN001
    names = {r[0] for r in demo_conn.execute("SELECT name FROM party_member LIMIT 200")}
    phones = {r[0] for r in demo_conn.execute("SELECT phone FROM party_member LIMIT 200")}
    body = client.get("/api/layers/party_members/features?limit=200").get_data(as_text=True)
    assert not any(n in body for n in names if len(n) >= 2)
    assert not any(p in body for p in phones if p)


def test_bbox_filters_features(client, demo_conn) -> None:
    x0, y0, x1, y1 = demo_conn.execute(
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM compound ORDER BY id LIMIT 1"
    ).fetchone()
    fc = client.get(f"/api/layers/buildings/features?bbox={x0},{y0},{x1},{y1}&limit=10000").json
    expected = demo_conn.execute(
        "SELECT count(*) FROM building WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
        (x0, y0, x1, y1),
    ).fetchone()[0]
    assert len(fc["features"]) == expected > 0


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=nan,30,120.2,30.4", "bbox"),
        ("bbox=120,30,inf,30.4", "bbox"),
        ("bbox=120.2,30,120.1,30.4", "bbox"),
        ("bbox=120,30,120.2,91", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=1.5", "limit"),
        ("limit=1000000000", "limit"),
        ("limit=%27%3B%20DROP%20TABLE%20compound%3B--", "limit"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    client, demo_conn, query: str, parameter: str
) -> None:
    r = client.get(f"/api/layers/compounds/features?{query}")
    assert r.status_code == 400
    assert r.json["parameter"] == parameter and r.json["reason"]
    assert demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0] > 0


def test_unknown_layer_is_404_json(client) -> None:
    r = client.get("/api/layers/compound;drop/features")
    assert r.status_code == 404 and "no layer" in r.json["reason"]
