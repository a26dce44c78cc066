"""A real GIS client: GDAL's OAPIF driver (ogrinfo, ogr2ogr) against the live service,
sending the API token with GDAL_HTTP_HEADERS as a planner would."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

import layers

from .ogc_support import planner_token  # noqa: F401

EPSG3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"


def _gdal(args: list[str], token: str | None, debug: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "CPL_"))}
    if token:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {token}"
    if debug:
        env["CPL_DEBUG"] = "ON"
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)


def _count(conn, sql: str, params: tuple = ()) -> int:  # noqa: ANN001
    return conn.execute(sql, params).fetchone()[0]


def test_ogrinfo_lists_every_collection(live_server, planner_token) -> None:  # noqa: F811
    r = _gdal(["ogrinfo", "-ro", f"OAPIF:{live_server}/ogc"], planner_token)
    assert r.returncode == 0, r.stderr
    listed = [line.split(":")[1].split("(")[0].strip() for line in r.stdout.splitlines()
              if line[:1].isdigit() and ":" in line]  # fmt: skip
    assert listed == list(layers.REGISTRY)
    for layer in layers.REGISTRY.values():
        assert f"{layer.id} (title: {layer.title})" in r.stdout


def test_ogrinfo_without_token_gets_nothing(live_server) -> None:
    r = _gdal(["ogrinfo", "-ro", f"OAPIF:{live_server}/ogc"], None)
    assert r.returncode != 0
    assert "401" in r.stderr or "Unauthorized" in r.stderr or "token" in r.stderr
    assert "complaints" not in r.stdout


def test_ogrinfo_summary_matches_database(live_server, planner_token, demo_conn) -> None:  # noqa: F811
    r = _gdal(["ogrinfo", "-ro", "-so", f"OAPIF:{live_server}/ogc", "complaints"], planner_token)
    assert r.returncode == 0, r.stderr
    assert f"Feature Count: {_count(demo_conn, 'SELECT count(*) FROM complaint')}" in r.stdout
    for field in layers.REGISTRY["complaints"].public_field_names:
        assert f"{field}: " in r.stdout


@pytest.mark.parametrize("layer_id", list(layers.REGISTRY))
def test_ogr2ogr_copies_each_collection_completely(
    live_server,
    planner_token,  # noqa: F811
    demo_conn,
    tmp_path: Path,
    layer_id: str,
) -> None:
    layer = layers.REGISTRY[layer_id]
    out = tmp_path / f"{layer_id}.gpkg"
    # GDAL 3.6 pages 10 features at a time unless told otherwise; one layer keeps that.
    page = [] if layer_id == "elevator_retrofits" else ["-oo", "PAGE_SIZE=1000"]
    r = _gdal(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{live_server}/ogc", layer_id, *page],
              planner_token)  # fmt: skip
    assert r.returncode == 0, r.stderr
    info = _gdal(["ogrinfo", "-so", str(out), layer_id], None)
    total = _count(demo_conn, f"SELECT count(*) FROM {layer.table}")
    assert f"Feature Count: {total}" in info.stdout, info.stdout
    for personal in layer.personal_field_names:
        assert f"\n{personal}: " not in info.stdout


def test_ogr2ogr_bbox_is_sent_and_honoured(live_server, planner_token, demo_conn, tmp_path) -> None:  # noqa: F811
    out = tmp_path / "box.geojson"
    r = _gdal(
        ["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{live_server}/ogc", "complaints",
         "-spat", "120.12", "30.28", "120.16", "30.32", "-oo", "PAGE_SIZE=500"],
        planner_token,
        debug=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "/collections/complaints/items?limit=500&bbox=120.12" in r.stderr  # asked the server
    expected = _count(
        demo_conn,
        "SELECT count(*) FROM complaint WHERE ST_Intersects(geom, ST_MakeEnvelope(120.12, 30.28, 120.16, 30.32, 4326))",
    )
    assert len(json.loads(out.read_text())["features"]) == expected > 0
    pages = r.stderr.count("Fetch(http")
    assert pages < 1 + expected // 500 + 4  # the server filtered; GDAL did not page the whole layer


def test_ogr2ogr_crs_request_is_honoured(live_server, planner_token, demo_conn, tmp_path) -> None:  # noqa: F811
    out = tmp_path / "merc.geojson"
    # GDAL 3.6 has no CRS open option; query parameters on the URL go with every request.
    url = f"OAPIF:{live_server}/ogc?crs={quote(EPSG3857, safe='')}"
    r = _gdal(["ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=NO", str(out), url, "elevator_retrofits",
               "-oo", "PAGE_SIZE=1000"], planner_token)  # fmt: skip
    assert r.returncode == 0, r.stderr
    feats = json.loads(out.read_text())["features"]
    assert len(feats) == _count(demo_conn, "SELECT count(*) FROM elevator_retrofit")
    rows = dict(
        (fid, (x, y))
        for fid, x, y in demo_conn.execute(
            "SELECT building_id, ST_X(g), ST_Y(g) FROM "
            "(SELECT building_id, ST_Transform(geom, 3857) g FROM elevator_retrofit) s"
        )
    )
    checked = 0
    for f in feats:
        x, y = f["geometry"]["coordinates"]
        assert abs(x) > 1e6 and abs(y) > 1e6  # metres, not degrees
        assert (x, y) == pytest.approx(rows[f["properties"]["building_id"]], abs=0.01)
        checked += 1
    assert checked == len(feats)
