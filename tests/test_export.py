"""File exports (/export and ``geo-service export``): complete, filtered, streamed, loadable
by GDAL, and never carrying personal fields."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

import layers
from geo_service.cli import main
from geo_service.export import gpkg_geometry

from .ogc_support import PERSONAL, planner, planner_token  # noqa: F401

ALL_PERSONAL = PERSONAL | {
    n for layer in layers.REGISTRY.values() for n in layer.personal_field_names
}


def _count(conn, table: str, where: str = "TRUE", params: tuple = ()) -> int:  # noqa: ANN001
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]


def _gpkg_schema(path: Path, table: str) -> tuple[list[str], int]:
    with sqlite3.connect(path) as db:
        cols = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
        n = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return cols, n


def _exported_schemas(client, planner, layer_id: str, tmp_path: Path) -> dict[str, set[str]]:  # noqa: ANN001, F811
    """Field names each exported form of the layer carries (geometry/id columns aside)."""
    out: dict[str, set[str]] = {}
    items = client.get(f"/ogc/collections/{layer_id}/items?limit=50", headers=planner).json
    out["ogc items"] = {k for f in items["features"] for k in f["properties"]}
    queryables = client.get(f"/ogc/collections/{layer_id}/queryables", headers=planner).json
    out["queryables"] = set(queryables["properties"]) - {"geometry"}
    api = client.get("/ogc/api", headers=planner).json
    params = api["paths"][f"/collections/{layer_id}/items"]["get"]["parameters"]
    out["openapi"] = {p["name"] for p in params} & ALL_PERSONAL
    fc = json.loads(client.get(f"/export/{layer_id}.geojson", headers=planner).get_data())
    out["geojson"] = {k for f in fc["features"] for k in f["properties"]}
    text = client.get(f"/export/{layer_id}.csv", headers=planner).get_data(as_text=True)
    out["csv"] = set(next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) - {"id", "WKT"}
    path = tmp_path / f"{layer_id}.gpkg"
    path.write_bytes(client.get(f"/export/{layer_id}.gpkg", headers=planner).get_data())
    out["gpkg"] = set(_gpkg_schema(path, layer_id)[0]) - {"fid", "geom"}
    return out


@pytest.mark.parametrize("layer_id", list(layers.REGISTRY))
def test_no_export_schema_carries_a_personal_field(client, planner, tmp_path, layer_id) -> None:  # noqa: F811
    """Diff every exported schema against the personal-field list.

    A person or event layer may carry none of name/phone/id_number; an area or housing
    layer's ``name`` is a place name (街道/社区/小区/网格名称) and not personal, so there
    the diff is against the layer's own personal fields (none). Every schema must equal
    the registry's public fields exactly, so nothing else can slip out either.
    """
    layer = layers.REGISTRY[layer_id]
    public = set(layer.public_field_names)
    forbidden = (
        ALL_PERSONAL if layer.kind in ("person", "event") else set(layer.personal_field_names)
    )
    assert not public & forbidden
    for form, fields in _exported_schemas(client, planner, layer_id, tmp_path).items():
        assert not fields & forbidden, (form, fields & forbidden)
        if form != "openapi":
            assert fields == public, form


def test_person_values_never_leave(client, planner, demo_conn) -> None:  # noqa: F811
    names = {
        r[0]
        for r in demo_conn.execute(
            "SELECT name FROM party_member UNION SELECT name FROM building_captain"
        )
    }
    phones = {
        r[0]
        for r in demo_conn.execute(
            "SELECT phone FROM party_member UNION SELECT phone FROM building_captain"
        )
    }
    names = {n for n in names if len(n) >= 3}
    for layer_id in ("party_members", "building_captains"):
        for fmt in ("geojson", "csv", "gpkg"):
            body = client.get(f"/export/{layer_id}.{fmt}", headers=planner).get_data()
            text = body.decode("utf-8", errors="replace")
            assert not any(n in text for n in names), (layer_id, fmt)
            assert not any(p in text for p in phones), (layer_id, fmt)


@pytest.mark.parametrize("layer_id", list(layers.REGISTRY))
def test_exports_are_complete(client, planner, demo_conn, tmp_path, layer_id) -> None:  # noqa: F811
    layer = layers.REGISTRY[layer_id]
    total = _count(demo_conn, layer.table)
    r = client.get(f"/export/{layer_id}.geojson", headers=planner)
    assert r.status_code == 200 and r.is_streamed
    assert r.headers["Content-Disposition"] == f'attachment; filename="{layer_id}.geojson"'
    fc = json.loads(r.get_data())
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == total
    ids = [f["id"] for f in fc["features"]]
    assert len(set(ids)) == total
    rows = list(csv.reader(io.StringIO(
        client.get(f"/export/{layer_id}.csv", headers=planner).get_data(as_text=True).lstrip("\ufeff")
    )))  # fmt: skip
    assert len(rows) == total + 1
    path = tmp_path / "x.gpkg"
    path.write_bytes(client.get(f"/export/{layer_id}.gpkg", headers=planner).get_data())
    assert _gpkg_schema(path, layer_id)[1] == total
    info = subprocess.run(["ogrinfo", "-so", str(path), layer_id], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert f"Feature Count: {total}" in info.stdout
    assert "ERROR" not in info.stderr


def test_gpkg_values_and_geometry_read_back_with_gdal(client, planner, demo_conn, tmp_path) -> None:  # noqa: F811
    path = tmp_path / "complaints.gpkg"
    path.write_bytes(client.get("/export/complaints.gpkg", headers=planner).get_data())
    fid = demo_conn.execute("SELECT min(id) FROM complaint WHERE resolved_at IS NULL").fetchone()[0]
    out = subprocess.run(
        ["ogrinfo", "-q", str(path), "complaints", "-fid", str(fid)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    x, y, channel = demo_conn.execute(
        "SELECT ST_X(geom), ST_Y(geom), channel FROM complaint WHERE id = %s", (fid,)
    ).fetchone()
    assert f"channel (String) = {channel}" in out.stdout
    assert "resolved_at (DateTime) = (null)" in out.stdout
    point = next(line for line in out.stdout.splitlines() if "POINT (" in line)
    gx, gy = (float(v) for v in point.split("(")[1].rstrip(")").split())
    assert (gx, gy) == pytest.approx((x, y), abs=1e-9)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        n_index = db.execute('SELECT count(*) FROM "rtree_complaints_geom"').fetchone()[0]
    assert n_index == _count(demo_conn, "complaint")
    spatial = subprocess.run(
        ["ogrinfo", "-so", str(path), "complaints", "-spat", "120.12", "30.28", "120.16", "30.32"],
        capture_output=True, text=True,
    )  # fmt: skip
    expected = _count(
        demo_conn,
        "complaint",
        "ST_Intersects(geom, ST_MakeEnvelope(120.12, 30.28, 120.16, 30.32, 4326))",
    )
    assert f"Feature Count: {expected}" in spatial.stdout


def test_gpkg_geometry_header() -> None:
    wkb = bytes.fromhex("0101000000000000000000f03f0000000000000040")
    blob = gpkg_geometry(wkb, 4326, None)
    assert (
        blob[:4] == b"GP\x00\x01" and blob[4:8] == (4326).to_bytes(4, "little") and blob[8:] == wkb
    )
    blob = gpkg_geometry(wkb, 3857, (1.0, 2.0, 3.0, 4.0))
    assert blob[:4] == b"GP\x00\x03" and len(blob) == 8 + 32 + len(wkb)


def test_filtered_exports(client, planner, demo_conn) -> None:  # noqa: F811
    street = demo_conn.execute("SELECT street_code FROM building ORDER BY id LIMIT 1").fetchone()[0]
    fc = json.loads(
        client.get(f"/export/buildings.geojson?street={street}", headers=planner).get_data()
    )
    assert len(fc["features"]) == _count(demo_conn, "building", "street_code = %s", (street,)) > 0
    fc = json.loads(
        client.get("/export/complaints.geojson?bbox=120.12,30.28,120.16,30.32&satisfaction=5",
                   headers=planner).get_data()
    )  # fmt: skip
    expected = _count(
        demo_conn,
        "complaint",
        "satisfaction = 5 AND ST_Intersects(geom, ST_MakeEnvelope(120.12, 30.28, 120.16, 30.32, 4326))",
    )
    assert len(fc["features"]) == expected > 0
    fc = json.loads(
        client.get(
            "/export/petitions.geojson?datetime=2025-01-01/2025-12-31", headers=planner
        ).get_data()
    )
    assert len(fc["features"]) == _count(
        demo_conn, "petition", "petition_date BETWEEN '2025-01-01' AND '2025-12-31'"
    )
    r = client.get("/export/complaints.geojson?crs=EPSG:3857", headers=planner)
    fc = json.loads(r.get_data())
    assert fc["crs"]["properties"]["name"].endswith("3857")
    assert abs(fc["features"][0]["geometry"]["coordinates"][0]) > 1e6  # metres, x first


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/export/complaints.shp", 404, "format"),
        ("/export/nowhere.geojson", 404, "collectionId"),
        ("/export/complaints.geojson?bbox=1,2,3", 400, "bbox"),
        ("/export/complaints.geojson?bbox=nan,30,120.2,30.4", 400, "bbox"),
        ("/export/complaints.csv?crs=EPSG:2000", 400, "crs"),
        ("/export/complaints.gpkg?datetime=soon", 400, "datetime"),
        ("/export/complaints.geojson?limit=10", 400, "limit"),
        ("/export/party_members.csv?properties=name", 400, "properties"),
        ("/export/complaints.geojson?filter=nonsense%20%3D", 400, "filter"),
    ],
)
def test_export_errors(client, planner, path: str, status: int, parameter: str) -> None:  # noqa: F811
    r = client.get(path, headers=planner)
    assert r.status_code == status
    assert r.json["parameter"] == parameter


def test_http_export_is_chunked(live_server, planner, demo_conn) -> None:  # noqa: F811
    req = urllib.request.Request(f"{live_server}/export/complaints.geojson", headers=planner)
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert resp.headers.get("Content-Length") is None
        fc = json.loads(resp.read())
    assert len(fc["features"]) == _count(demo_conn, "complaint")


# -- CLI ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env(cluster, demo_db) -> dict[str, str]:  # noqa: ANN001
    return {"DATABASE_URL": cluster.url(demo_db)}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_cli_export_whole_layer(env, demo_conn, tmp_path, fmt: str) -> None:  # noqa: ANN001
    out = tmp_path / f"buildings.{fmt}"
    r = CliRunner().invoke(
        main, ["export", "buildings", "--format", fmt, "--out", str(out)], env=env
    )
    assert r.exit_code == 0, r.output
    total = _count(demo_conn, "building")
    assert f"{total:,} features of buildings" in r.output
    assert "features/s" in r.stderr or "it/s" in r.stderr or "%" in r.stderr  # the progress bar
    info = subprocess.run(["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True)
    assert f"Feature Count: {total}" in info.stdout, info.stdout + info.stderr


@pytest.mark.parametrize(
    ("crs", "expect"),
    [("EPSG:3857", "Pseudo-Mercator"), ("EPSG:4490", "China Geodetic Coordinate System 2000")],
)
def test_cli_export_gpkg_in_other_crs(env, tmp_path, crs: str, expect: str) -> None:  # noqa: ANN001
    out = tmp_path / "b.gpkg"
    r = CliRunner().invoke(
        main,
        ["export", "buildings", "--format", "gpkg", "--crs", crs, "--out", str(out), "-q"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    info = subprocess.run(["ogrinfo", "-so", str(out), "buildings"], capture_output=True, text=True)
    assert expect in info.stdout, info.stdout
    extent = next(line for line in info.stdout.splitlines() if line.startswith("Extent:"))
    x0 = float(extent.split("(")[1].split(",")[0])
    assert (x0 > 1e6) == (crs == "EPSG:3857") and (120 < x0 < 121) == (crs == "EPSG:4490")


def test_cli_export_filtered(env, demo_conn, tmp_path) -> None:  # noqa: ANN001
    street = demo_conn.execute("SELECT street_code FROM complaint LIMIT 1").fetchone()[0]
    out = tmp_path / "c.geojson"
    r = CliRunner().invoke(
        main,
        ["export", "complaints", "--street", street, "--bbox", "120.0,30.0,120.4,30.6",
         "--filter", "satisfaction >= 3", "--out", str(out), "-q"],
        env=env,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    fc = json.loads(out.read_text())
    assert (
        len(fc["features"])
        == _count(demo_conn, "complaint", "street_code = %s AND satisfaction >= 3", (street,))
        > 0
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "nowhere", "--out", "x.geojson"], "no layer"),
        (["export", "complaints", "--bbox", "1,2,3", "--out", "x.geojson"], "bbox"),
        (["export", "complaints", "--format", "gpkg", "--out", "-"], "GeoPackage"),
        (["export", "complaints", "--crs", "EPSG:1", "--out", "x.geojson"], "crs"),
    ],
)
def test_cli_export_errors(env, args: list[str], message: str) -> None:  # noqa: ANN001
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_parallel_stream_reads_each_row_once_and_stops_when_closed(demo_engine, demo_conn) -> None:  # noqa: ANN001
    import threading

    import sqlalchemy as sa

    from geo_service import export
    from geo_service.accounts import Scope
    from geo_service.feature_queries import FeatureQuery

    q = FeatureQuery(layers.REGISTRY["complaints"], Scope(), axis_order=False)
    keys: list[int] = []
    parts = export._chunks(demo_engine, q, "csv", lambda rows: [r[0] for r in rows], None,
                           workers=3, chunk_rows=100)  # fmt: skip
    for part in parts:
        keys += part
    assert sorted(keys) == [r[0] for r in demo_conn.execute("SELECT id FROM complaint ORDER BY id")]

    before = threading.active_count()
    parts = export._chunks(demo_engine, q, "csv", len, None, workers=2, chunk_rows=50)
    assert next(parts) == 50
    parts.close()  # a client that goes away
    assert threading.active_count() == before
    with demo_engine.connect() as conn:
        open_cursors = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND state <> 'idle' AND query LIKE 'DECLARE%complaint%'"
            )
        ).scalar()
    assert open_cursors == 0


def test_gzip_pages_and_unbuffered_exports(client, planner, demo_conn) -> None:  # noqa: F811
    import gzip

    gz = {**planner, "Accept-Encoding": "gzip"}
    # an export stays a stream (compressing it would buffer it); a page is gzipped
    r = client.get("/export/complaints.geojson", headers=gz)
    assert r.is_streamed and "Content-Encoding" not in r.headers
    assert len(json.loads(r.get_data())["features"]) == _count(demo_conn, "complaint")
    r = client.get("/ogc/collections/complaints/items?limit=1000", headers=gz)
    assert r.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(r.get_data()))["numberReturned"] == 1000
