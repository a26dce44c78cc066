"""Boundary uploads over HTTP (issue 7's upload rules on issue 3's import): administrators
only, CSRF, a size limit answered 413, zip bombs and nested zips refused before
extraction, a bow-tie reported, a file without a CRS refused with the reason, and an
upload that lands whole — as the application role, under row-level security."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import shapely
import sqlalchemy as sa

from geo_service.cluster import Cluster
from geo_service.settings import Settings

from .conftest import NOW, add_user, demo_cluster, logged_in


@pytest.fixture(scope="module")
def world() -> Iterator[tuple]:
    """An app on a database of its own (uploads change boundaries)."""
    from geo_service.app import create_app

    with demo_cluster("gsu-", 11) as c:
        app = create_app(Settings(home=c.home))
        app.config.update(TESTING=True, FIXED_NOW=NOW)
        engine = sa.create_engine(c.url())
        yield c, app, engine
        engine.dispose()


def _admin(world):  # noqa: ANN001, ANN202
    _, app, engine = world
    return logged_in(app, engine, add_user(engine, "admin"))


def _csrf(client) -> str:  # noqa: ANN001
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _geojson(features: list[tuple[dict, shapely.Geometry]]) -> bytes:
    return json.dumps({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
                     for p, g in features],
    }).encode()  # fmt: skip


def _post(client, body: bytes, name: str, **form: str):  # noqa: ANN001, ANN202
    data = {"file": (io.BytesIO(body), name), "csrf_token": _csrf(client), **form}
    return client.post("/api/boundaries/import", data=data, content_type="multipart/form-data")


def _compound(engine: sa.Engine) -> tuple[int, str, shapely.Geometry]:
    with engine.connect() as conn:
        cid, code, wkb = conn.execute(
            sa.text("SELECT id, code, ST_AsBinary(geom) FROM compound ORDER BY id LIMIT 1")
        ).one()
    return cid, code, shapely.from_wkb(bytes(wkb))


def _versions(c: Cluster) -> int:
    with psycopg.connect(c.conninfo()) as conn:
        return conn.execute("SELECT count(*) FROM compound_boundary").fetchone()[0]


def test_only_administrators_with_a_csrf_token(world) -> None:  # noqa: ANN001
    _, app, engine = world
    leader = logged_in(app, engine, add_user(engine, "district_leader"))
    assert _post(leader, b"{}", "x.geojson").status_code == 403
    admin = _admin(world)
    r = admin.post("/api/boundaries/import", data={"file": (io.BytesIO(b"{}"), "x.geojson")},
                   content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 400 and r.json["parameter"] == "csrf_token"


def test_a_shrunk_boundary_lands_as_a_new_version(world) -> None:  # noqa: ANN001
    c, _, engine = world
    cid, code, geom = _compound(engine)
    shrunk = geom.buffer(-0.00005)
    before = _versions(c)
    r = _post(_admin(world), _geojson([({"code": code}, shrunk)]), "b.geojson")
    assert r.status_code == 200, r.json
    assert [f["status"] for f in r.json["features"]] == ["accepted"]
    assert _versions(c) == before + 1
    with engine.connect() as conn:
        now = shapely.from_wkb(bytes(conn.execute(
            sa.text("SELECT ST_AsBinary(geom) FROM compound WHERE id = :i"), {"i": cid}).scalar()))  # fmt: skip
    assert now.symmetric_difference(shrunk).area < 1e-10
    # the same file again changes nothing
    r = _post(_admin(world), _geojson([({"code": code}, shrunk)]), "b.geojson")
    assert [f["status"] for f in r.json["features"]] == ["unchanged"]
    assert _versions(c) == before + 1


def test_a_bow_tie_is_reported(world) -> None:  # noqa: ANN001
    c, _, engine = world
    _, code, geom = _compound(engine)
    x0, y0, x1, y1 = geom.bounds
    bow = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    before = _versions(c)
    r = _post(_admin(world), _geojson([({"code": code}, bow)]), "bow.geojson", dry_run="1")
    assert r.status_code == 200 and r.json["features"][0]["status"] == "repaired"
    assert "Self-intersection" in r.json["features"][0]["reason"]
    r = _post(_admin(world), _geojson([({"code": code}, bow)]), "bow.geojson", invalid="reject")
    assert r.json["features"][0]["status"] == "rejected"
    assert _versions(c) == before


def test_too_large_zip_bomb_nested_zip_and_missing_crs(world, tmp_path: Path) -> None:  # noqa: ANN001
    c, app, _ = world
    admin = _admin(world)
    before = _versions(c)
    big = b" " * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = _post(admin, big, "big.geojson")
    assert r.status_code == 413 and r.json["parameter"] == "file"

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.geojson", b"\0" * (300 * 1024 * 1024))
    r = _post(admin, bomb.getvalue(), "bomb.zip")
    assert r.status_code == 413 and r.json["parameter"] == "file", r.json

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("a.geojson", b"{}")
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("inner.zip", inner.getvalue())
    r = _post(admin, nested.getvalue(), "nested.zip")
    assert r.status_code == 400 and "nested" in r.json["reason"].lower(), r.json

    import geopandas as gpd

    shp = tmp_path / "b.shp"
    gpd.GeoDataFrame(
        {"code": ["x"]}, geometry=[shapely.box(120.1, 30.3, 120.11, 30.31)], crs="EPSG:4326"
    ).to_file(shp)
    shp.with_suffix(".prj").unlink()
    noprj = io.BytesIO()
    with zipfile.ZipFile(noprj, "w") as z:
        for f in tmp_path.glob("b.*"):
            z.write(f, f.name)
    r = _post(admin, noprj.getvalue(), "b.zip")
    assert r.status_code == 400 and "crs" in r.json["reason"].lower(), r.json
    assert _versions(c) == before
