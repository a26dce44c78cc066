"""Compound boundaries (issue 3): history, drawing, the topology check, the problems API
and imports (GeoJSON, zipped GBK shapefile in EPSG:4490, GeoPackage, GCJ-02), on a
database of their own (the shared demo database is never written).

Most tests run inside a transaction that is rolled back, so each starts from the loaded
demo; the CLI tests commit for real on a second database of their own."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner

from geo_service import boundaries as bd
from geo_service import db
from geo_service.cli import main
from geo_service.coords import wgs84_to_gcj02
from geo_service.demo.load import load_demo
from geo_service.settings import Settings
from geo_service.uploads import Limits, UploadRejected, inspect_zip, safe_extract

from .conftest import AS_OF, SEED, add_user, logged_in, new_database

DAY = dt.date(2026, 11, 23)


def _loaded_database(cluster) -> str:  # noqa: ANN001
    name = new_database(cluster, "bnd")
    db.upgrade(cluster.url(name))
    load_demo(cluster.conninfo(name), "tiny", SEED, AS_OF, progress=False)
    return name


@pytest.fixture(scope="module")
def bdb(cluster) -> str:  # noqa: ANN001
    return _loaded_database(cluster)


@pytest.fixture(scope="module")
def bengine(cluster, bdb: str) -> Iterator[sa.Engine]:  # noqa: ANN001
    engine = sa.create_engine(cluster.url(bdb))
    yield engine
    engine.dispose()


@pytest.fixture()
def conn(bengine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection whose work is rolled back at the end of the test."""
    with bengine.connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def _scalar(conn: sa.Connection, sql: str, **params: object) -> object:
    return conn.execute(sa.text(sql), params).scalar()


def _geom(conn: sa.Connection, sql: str, **params: object) -> shapely.Geometry:
    return shapely.from_wkb(bytes(conn.execute(sa.text(sql), params).scalar()))


def _compound(conn: sa.Connection, cid: int) -> dict:
    return dict(
        conn.execute(sa.text("SELECT id, code, name FROM compound WHERE id = :i"), {"i": cid})
        .mappings()
        .one()
    )


def _shrunk(conn: sa.Connection, cid: int, metres: float) -> shapely.Geometry:
    """A compound's boundary moved inwards by ``metres`` (a plausible hand-drawn one)."""
    return _geom(
        conn,
        "SELECT ST_AsBinary(ST_Multi(ST_Transform(ST_Buffer(ST_Transform(geom, 4549), -:m), 4326)))"
        " FROM compound WHERE id = :i",
        i=cid,
        m=metres,
    )


def _state(conn: sa.Connection) -> tuple:
    """Row counts and a digest of every compound boundary: what an import may change."""
    return tuple(
        conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM compound_boundary),"
                " (SELECT count(*) FROM compound_boundary WHERE valid_to IS NULL),"
                " (SELECT md5(string_agg(ST_AsEWKB(geom)::text, ',' ORDER BY id)) FROM compound)"
            )
        ).one()
    )


def _hausdorff_m(conn: sa.Connection, cid: int, truth: shapely.Geometry) -> float:
    return _scalar(
        conn,
        "SELECT ST_HausdorffDistance(ST_Transform(geom, 4549),"
        " ST_Transform(ST_GeomFromWKB(:w, 4326), 4549)) FROM compound WHERE id = :i",
        i=cid,
        w=shapely.to_wkb(truth),
    )


def _write_geojson(path: Path, features: list[tuple[dict, shapely.Geometry]]) -> Path:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(g)}
            for props, g in features
        ],
    }
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return path


def _adjacent_pair(conn: sa.Connection) -> tuple[int, int]:
    """Two compounds of one community sharing a long edge."""
    row = conn.execute(
        sa.text(
            "SELECT a.id, b.id FROM compound a JOIN compound b ON a.id < b.id"
            " AND a.community_code = b.community_code AND ST_Touches(a.geom, b.geom)"
            " WHERE ST_Length(ST_Transform(ST_Intersection(ST_Boundary(a.geom),"
            " ST_Boundary(b.geom)), 4549)) > 300 ORDER BY a.id, b.id LIMIT 1"
        )
    ).one()
    return row[0], row[1]


# -- history ---------------------------------------------------------------------------
def test_demo_load_starts_every_history_with_version_1(conn: sa.Connection) -> None:
    n = _scalar(conn, "SELECT count(*) FROM compound")
    assert n > 0
    assert _scalar(conn, "SELECT count(*) FROM compound_boundary") == n
    assert (
        _scalar(
            conn,
            "SELECT count(*) FROM compound c JOIN compound_boundary b ON b.compound_id = c.id"
            " WHERE b.version = 1 AND b.valid_to IS NULL AND b.source = 'initial'"
            " AND ST_Equals(b.geom, c.geom) AND b.valid_from <= :d",
            d=AS_OF,
        )
        == n
    )
    h = bd.boundary_history(conn, 1)
    assert [r["version"] for r in h] == [1]
    assert h[0]["source_label"] == "初始边界" and h[0]["geometry"]["type"] == "MultiPolygon"
    assert h[0]["area_m2"] > 0


# -- draw ------------------------------------------------------------------------------
def test_draw_from_housing_makes_new_versions_without_overlaps(conn: sa.Connection) -> None:
    before = _scalar(conn, "SELECT count(*) FROM compound_boundary")
    results = bd.draw(conn, valid_from=DAY)
    assert results and all(r.status == "new" and r.version == 2 for r in results)
    n = len(results)
    assert _scalar(conn, "SELECT count(*) FROM compound_boundary") == before + n
    # the old version is closed on the new one's first day, not overwritten
    old = conn.execute(
        sa.text(
            "SELECT count(*) FILTER (WHERE valid_to = :d), count(*) FILTER (WHERE ST_Equals(b.geom, c.geom))"
            " FROM compound_boundary b JOIN compound c ON c.id = b.compound_id WHERE version = 1"
        ),
        {"d": DAY},
    ).one()
    assert old == (n, 0)
    assert (
        _scalar(
            conn,
            "SELECT count(*) FROM compound_boundary b JOIN compound c ON c.id = b.compound_id"
            " WHERE b.version = 2 AND b.valid_to IS NULL AND b.source = 'draw'"
            " AND b.valid_from = :d AND ST_Equals(b.geom, c.geom)",
            d=DAY,
        )
        == n
    )
    # valid multipolygons, inside their community, no overlaps, every building inside
    assert _scalar(
        conn,
        "SELECT bool_and(ST_IsValid(geom) AND GeometryType(geom) = 'MULTIPOLYGON') FROM compound",
    )
    assert (
        _scalar(
            conn,
            "SELECT max(ST_Area(ST_Transform(ST_Difference(c.geom, m.geom), 4549)))"
            " FROM compound c JOIN community m USING (community_code)",
        )
        < 0.01
    )
    assert (
        _scalar(
            conn,
            "SELECT coalesce(max(ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4549))), 0)"
            " FROM compound a JOIN compound b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)",
        )
        < 0.01
    )
    assert (
        _scalar(
            conn,
            "SELECT count(*) FROM building b JOIN compound c ON c.id = b.compound_id"
            " WHERE NOT ST_CoveredBy(b.geom, c.geom)",
        )
        == 0
    )
    # drawn from housing: much tighter than the demo's partition cells
    assert _scalar(
        conn,
        "SELECT bool_and(ST_Area(c.geom) < ST_Area(b.geom)) FROM compound c"
        " JOIN compound_boundary b ON b.compound_id = c.id AND b.version = 1",
    )
    # drawing again changes nothing
    again = bd.draw(conn, valid_from=DAY)
    assert {r.status for r in again} == {"unchanged"}
    for r in results[::7]:  # one compound alone, or its community, gives the same too
        assert [x.status for x in bd.draw(conn, compound_id=r.compound_id, valid_from=DAY)] == [
            "unchanged"
        ]
        community = _scalar(conn, "SELECT community_code FROM compound WHERE id = :i", i=r.compound_id)  # fmt: skip
        assert {x.status for x in bd.draw(conn, community_code=community, valid_from=DAY)} == {
            "unchanged"
        }
    assert _scalar(conn, "SELECT count(*) FROM compound_boundary") == before + n
    assert [r["version"] for r in bd.boundary_history(conn, results[0].compound_id)] == [2, 1]


def test_draw_one_compound_or_one_community(conn: sa.Connection) -> None:
    a, b = _adjacent_pair(conn)
    community = _scalar(conn, "SELECT community_code FROM compound WHERE id = :i", i=a)
    one = bd.draw(conn, compound_id=a, valid_from=DAY)
    assert [(r.compound_id, r.status) for r in one] == [(a, "new")]
    some = bd.draw(conn, community_code=community, valid_from=DAY)
    assert {r.compound_id for r in some} == {
        i for (i,) in conn.execute(
            sa.text("SELECT id FROM compound WHERE community_code = :c"), {"c": community}
        )
    }  # fmt: skip
    assert [r.status for r in some if r.compound_id == a] == ["unchanged"]
    with pytest.raises(bd.BoundaryError, match="no compound"):
        bd.draw(conn, compound_id=999_999)
    # a version may not start before the current one
    with pytest.raises(bd.BoundaryError, match="before"):
        bd._apply(conn, a, shapely.to_wkb(_shrunk(conn, a, 20)), DAY - dt.timedelta(days=1),
                  "import", None)  # fmt: skip


# -- check -----------------------------------------------------------------------------
def test_check_of_the_demo_finds_no_topology_errors(conn: sa.Connection) -> None:
    counts = bd.check(conn)
    assert set(counts) == set(bd.enums.BOUNDARY_PROBLEM)
    # the demo partition: no overlaps, holes, crossings, stray buildings or gaps
    # (a sharp corner of a clipped Voronoi cell may be a genuine sliver)
    assert {k: n for k, n in counts.items() if k != "sliver" and n} == {}
    bd.draw(conn, valid_from=DAY)
    counts = bd.check(conn)
    assert {k: n for k, n in counts.items() if n} == {}


def _plant(conn: sa.Connection, kind: str) -> dict:
    """Plant one problem of ``kind``; returns what the check must report."""
    a, b = _adjacent_pair(conn)
    x = lambda sql, **p: conn.execute(sa.text(sql), {"a": a, "b": b, **p})  # noqa: E731
    bid = _scalar(conn, "SELECT min(id) FROM building WHERE compound_id = :a", a=a)
    if kind == "overlap":
        x(
            "UPDATE compound SET geom = ST_Multi(ST_Union(geom, (SELECT ST_Intersection(o.geom,"
            " ST_Buffer(geom, 0.0002)) FROM compound o WHERE o.id = :b))) WHERE id = :a"
        )
        return {"compound_id": a, "other_compound_id": b}
    if kind == "gap":  # a pulled ~1 m back from b
        x(
            "UPDATE compound SET geom = ST_Multi(ST_CollectionExtract(ST_Difference(geom,"
            " (SELECT ST_Buffer(o.geom, 0.00001) FROM compound o WHERE o.id = :b)), 3))"
            " WHERE id = :a"
        )
        return {"community_code": _scalar(conn, "SELECT community_code FROM compound WHERE id = :a", a=a)}  # fmt: skip
    if kind == "building_in_none":  # moved a degree south, out of the district
        x("UPDATE building SET geom = ST_Translate(geom, 0, -1.0) WHERE id = :i", i=bid)
        return {"building_id": bid, "compound_id": a}
    if kind == "building_in_two":  # a 40 m square on the line between a and b
        x(
            "UPDATE building SET geom = ST_SetSRID(ST_Expand(ST_ClosestPoint(ST_Intersection("
            "ST_Boundary((SELECT geom FROM compound WHERE id = :a)),"
            " ST_Boundary((SELECT geom FROM compound WHERE id = :b))),"
            " ST_Centroid((SELECT geom FROM compound WHERE id = :a))), 0.0002)::geometry, 4326)"
            " WHERE id = :i",
            i=bid,
        )
        return {"building_id": bid, "compound_id": a}
    if kind == "building_elsewhere":  # moved well inside b
        x(
            "UPDATE building SET geom = ST_SetSRID(ST_Expand(ST_PointOnSurface(ST_Buffer("
            "(SELECT geom FROM compound WHERE id = :b), -0.0005)), 0.0001)::geometry, 4326)"
            " WHERE id = :i",
            i=bid,
        )
        return {"building_id": bid, "compound_id": a, "other_compound_id": b}
    if kind in ("crosses_community", "crosses_street"):  # a 30 m disk over the line
        x(
            "UPDATE compound c SET geom = ST_Multi(ST_Union(c.geom, ST_Buffer(ST_ClosestPoint("
            "ST_Boundary(s.geom), ST_Centroid(c.geom)), 0.0003))) FROM street s"
            " WHERE s.street_code = c.street_code AND c.id = :a"
        )
        return {"compound_id": a}
    if kind == "invalid":  # a bow-tie, past the check constraint (dropped in this test)
        x("ALTER TABLE compound DROP CONSTRAINT ck_compound_geom_valid")
        cx, cy = conn.execute(
            sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(geom) p FROM compound WHERE id = :a) s"),
            {"a": a},
        ).one()  # fmt: skip
        d = 0.001
        wkt = (
            f"MULTIPOLYGON((({cx - d} {cy - d},{cx + d} {cy + d},{cx + d} {cy - d},"
            f"{cx - d} {cy + d},{cx - d} {cy - d})))"
        )
        x("UPDATE compound SET geom = ST_GeomFromText(:w, 4326) WHERE id = :a", w=wkt)
        return {"compound_id": a, "reason": "Self-intersection"}
    if kind == "sliver":  # a 0.5 m x 60 m strip of a drawn into b
        x(
            "UPDATE compound SET geom = ST_Multi(ST_Union(geom, (SELECT ST_MakeEnvelope(ST_X(p),"
            " ST_Y(p), ST_X(p) + 0.0006, ST_Y(p) + 0.000005, 4326) FROM (SELECT ST_PointOnSurface("
            "ST_Buffer(o.geom, -0.0005)) p FROM compound o WHERE o.id = :b) s))) WHERE id = :a"
        )
        return {"compound_id": a}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", list(bd.enums.BOUNDARY_PROBLEM))
def test_each_planted_problem_is_found(conn: sa.Connection, kind: str) -> None:
    expect = _plant(conn, kind)
    counts = bd.check(conn, now=dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    found = bd.problems(conn, kind=kind)
    assert counts[kind] == len(found) >= 1
    want_reason = expect.pop("reason", None)
    hits = [p for p in found if all(p[k] == v for k, v in expect.items())]
    assert hits, (kind, expect, found)
    p = hits[0]
    assert p["kind_label"] == bd.enums.BOUNDARY_PROBLEM[kind] and p["detail"]
    assert p["geometry"]["type"] in ("Point", "Polygon", "MultiPolygon")
    if want_reason:
        assert p["reason"].startswith(want_reason)
    if p["compound_id"]:
        assert p in [
            q for q in bd.problems_for_compound(conn, p["compound_id"]) if q["kind"] == kind
        ]
    # the stored report is the latest check only
    bd.check(conn)
    assert len(bd.problems(conn, kind=kind)) == len(found)


# -- the API ---------------------------------------------------------------------------
def test_problems_api_returns_geojson_spots(cluster, bdb: str, bengine: sa.Engine) -> None:  # noqa: ANN001
    from geo_service.app import create_app

    with bengine.begin() as c:
        _plant(c, "overlap")
        bd.check(c)
    try:
        app = create_app(Settings(database_url=cluster.url(bdb), home=cluster.home))
        app.config.update(TESTING=True)
        client = logged_in(app, bengine, add_user(bengine, "district_leader"))
        r = client.get("/api/boundaries/problems")
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.mimetype == "application/geo+json"
        fc = r.get_json()
        assert fc["type"] == "FeatureCollection" and fc["checked_at"]
        kinds = {f["properties"]["kind"] for f in fc["features"]}
        assert "overlap" in kinds
        one = next(f for f in fc["features"] if f["properties"]["kind"] == "overlap")
        assert one["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert one["properties"]["kind_label"] == "小区重叠" and one["properties"]["area_m2"] > 0
        a = one["properties"]["compound_id"]
        b = one["properties"]["other_compound_id"]
        only = client.get("/api/boundaries/problems?kind=overlap").get_json()
        assert {f["properties"]["kind"] for f in only["features"]} == {"overlap"}
        for cid in (a, b):  # either party of an overlap
            mine = client.get(f"/api/boundaries/problems?compound={cid}").get_json()
            assert one["id"] in {f["id"] for f in mine["features"]}
        none = client.get("/api/boundaries/problems?kind=gap&compound=999999").get_json()
        assert none["features"] == []
        for bad, param in (("kind=nonsense", "kind"), ("compound=abc", "compound"),
                           ("community=12", "community")):  # fmt: skip
            r = client.get(f"/api/boundaries/problems?{bad}")
            assert r.status_code == 400 and r.get_json()["parameter"] == param
    finally:
        with bengine.begin() as c:  # leave the module's database as loaded
            c.execute(sa.text("DELETE FROM boundary_problem"))
            c.execute(
                sa.text(
                    "UPDATE compound c SET geom = b.geom FROM compound_boundary b"
                    " WHERE b.compound_id = c.id AND b.valid_to IS NULL"
                )
            )


# -- import ----------------------------------------------------------------------------
def test_import_geojson_by_code_and_name_then_reimport_changes_nothing(
    conn: sa.Connection, tmp_path: Path
) -> None:
    a, b = _adjacent_pair(conn)
    ca, cb = _compound(conn, a), _compound(conn, b)
    ga, gb = _shrunk(conn, a, 15), _shrunk(conn, b, 25)
    f = _write_geojson(
        tmp_path / "hand.geojson",
        [({"code": ca["code"], "name": ca["name"]}, ga), ({"code": None, "name": f" {cb['name']} "}, gb),
         ({"code": "330105999999999", "name": None}, ga), ({"code": None, "name": "不存在小区"}, gb),
         ({"code": ca["code"], "name": None}, ga)],
    )  # fmt: skip
    before = _state(conn)
    rep = bd.import_file(conn, f, valid_from=DAY)
    assert [o.status for o in rep.outcomes] == [
        "accepted", "accepted", "rejected", "rejected", "rejected"
    ]  # fmt: skip
    assert [o.compound_id for o in rep.outcomes[:2]] == [a, b]
    assert "330105999999999" in rep.outcomes[2].reason and "不存在小区" in rep.outcomes[3].reason
    assert "重复" in rep.outcomes[4].reason
    assert rep.crs == "EPSG:4326" and "2 accepted" in rep.summary() and "3 rejected" in rep.table()
    assert _hausdorff_m(conn, a, ga) < 0.001 and _hausdorff_m(conn, b, gb) < 0.001
    h = bd.boundary_history(conn, a)
    assert [(r["version"], r["source"], r["valid_to"]) for r in h] == [
        (2, "import", None), (1, "initial", DAY)
    ]  # fmt: skip
    assert "hand.geojson" in h[0]["note"]
    after = _state(conn)
    assert after[0] == before[0] + 2 and after[1] == before[1]
    again = bd.import_file(conn, f, valid_from=DAY)
    assert [o.status for o in again.outcomes[:2]] == ["unchanged", "unchanged"]
    assert _state(conn) == after


def test_shapefile_in_cgcs2000_with_gbk_attributes_and_no_cpg(
    conn: sa.Connection, tmp_path: Path
) -> None:
    a, b = _adjacent_pair(conn)
    ca, cb = _compound(conn, a), _compound(conn, b)
    ga, gb = _shrunk(conn, a, 10), _shrunk(conn, b, 10)
    gdf = gpd.GeoDataFrame(
        {"小区名称": [ca["name"], cb["name"]], "备注": ["手绘边界", "街道提供"]},
        geometry=[ga, gb],
        crs="EPSG:4490",
    )
    shp = tmp_path / "shp"
    shp.mkdir()
    pyogrio.write_dataframe(gdf, shp / "边界.shp", encoding="GBK")
    (shp / "边界.cpg").unlink()
    assert (
        'EPSG","4490' in (shp / "边界.prj").read_text() or "2000" in (shp / "边界.prj").read_text()
    )
    raw = (shp / "边界.dbf").read_bytes()
    assert ca["name"].encode("gbk") in raw and ca["name"].encode("utf-8") not in raw
    zpath = tmp_path / "boundaries.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for p in shp.iterdir():
            z.write(p, f"边界/{p.name}")
    rep = bd.import_file(conn, zpath, valid_from=DAY)
    assert rep.encoding == "gb18030 (detected)"
    assert "4490" in rep.crs
    assert [(o.status, o.name, o.compound_id) for o in rep.outcomes] == [
        ("accepted", ca["name"], a), ("accepted", cb["name"], b)
    ]  # fmt: skip
    assert _hausdorff_m(conn, a, ga) < 0.01 and _hausdorff_m(conn, b, gb) < 0.01
    # the same file without its .prj is refused unless --crs says what it is
    (shp / "边界.prj").unlink()
    with pytest.raises(bd.BoundaryError, match="no coordinate system"):
        bd.import_file(conn, shp / "边界.shp", valid_from=DAY)
    rep = bd.import_file(conn, shp / "边界.shp", crs="EPSG:4490", valid_from=DAY)
    assert [o.status for o in rep.outcomes] == ["unchanged", "unchanged"]


def test_gcj02_geojson_lands_within_half_a_metre_of_its_wgs84_truth(
    conn: sa.Connection, tmp_path: Path
) -> None:
    a, _ = _adjacent_pair(conn)
    truth = _shrunk(conn, a, 12)

    def to_gcj(xy):  # noqa: ANN001, ANN202
        return [wgs84_to_gcj02(x, y) for x, y in xy]

    gcj = shapely.transform(truth, lambda xy: __import__("numpy").array(to_gcj(xy)))
    f = _write_geojson(tmp_path / "amap.geojson", [({"code": _compound(conn, a)["code"]}, gcj)])
    # read as WGS-84 the Amap coordinates are hundreds of metres off
    with conn.begin_nested() as sp:
        bd.import_file(conn, f, valid_from=DAY)
        assert _hausdorff_m(conn, a, truth) > 100
        sp.rollback()
    rep = bd.import_file(conn, f, crs="gcj02", valid_from=DAY)
    assert rep.outcomes[0].status == "accepted" and "GCJ-02" in rep.crs
    assert _hausdorff_m(conn, a, truth) < 0.5


def test_geopackage_in_web_mercator(conn: sa.Connection, tmp_path: Path) -> None:
    a, _ = _adjacent_pair(conn)
    truth = _shrunk(conn, a, 8)
    gdf = gpd.GeoDataFrame({"compound_code": [_compound(conn, a)["code"]]}, geometry=[truth],
                           crs="EPSG:4326").to_crs(3857)  # fmt: skip
    gdf.to_file(tmp_path / "b.gpkg", driver="GPKG", engine="pyogrio")
    rep = bd.import_file(conn, tmp_path / "b.gpkg", valid_from=DAY)
    assert rep.outcomes[0].status == "accepted" and "3857" in rep.crs
    assert _hausdorff_m(conn, a, truth) < 0.01


def test_bow_tie_is_repaired_and_flagged_or_rejected_with_its_reason(
    conn: sa.Connection, tmp_path: Path
) -> None:
    a, _ = _adjacent_pair(conn)
    (x0, y0, x1, y1) = _shrunk(conn, a, 200).bounds
    bow = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    assert not bow.is_valid
    f = _write_geojson(tmp_path / "bow.geojson", [({"code": _compound(conn, a)["code"]}, bow)])
    rejected = bd.import_file(conn, f, on_invalid="reject", valid_from=DAY)
    o = rejected.outcomes[0]
    assert o.status == "rejected" and "Self-intersection" in o.reason
    assert bd.boundary_history(conn, a)[0]["version"] == 1
    repaired = bd.import_file(conn, f, valid_from=DAY)
    o = repaired.outcomes[0]
    assert o.status == "repaired" and "Self-intersection" in o.reason and o.version == 2
    assert "1 repaired" in repaired.summary()
    assert _scalar(
        conn,
        "SELECT ST_IsValid(geom) AND ST_NumGeometries(geom) = 2 FROM compound WHERE id = :i",
        i=a,
    )
    assert "修复" in bd.boundary_history(conn, a)[0]["note"]


def test_refusals_and_limits(conn: sa.Connection, tmp_path: Path) -> None:
    a, _ = _adjacent_pair(conn)
    g = _shrunk(conn, a, 10)
    code = _compound(conn, a)["code"]
    before = _state(conn)
    f = _write_geojson(tmp_path / "two.geojson", [({"code": code}, g), ({"code": "nope"}, g)])
    with pytest.raises(bd.BoundaryError, match="--strict"):
        bd.import_file(conn, f, strict=True)
    with pytest.raises(bd.BoundaryError, match="limit is 1"):
        bd.import_file(conn, f, limits=Limits(max_features=1))
    with pytest.raises(bd.BoundaryError, match="vertices"):
        bd.import_file(conn, f, limits=Limits(max_vertices=10))
    with pytest.raises(bd.BoundaryError, match="bytes"):
        bd.import_file(conn, f, limits=Limits(max_file_bytes=100))
    with pytest.raises(bd.BoundaryError, match="--crs must be"):
        bd.import_file(conn, f, crs="EPSG:2000")
    with pytest.raises(bd.BoundaryError, match="unsupported file type"):
        bd.import_file(conn, f.rename(tmp_path / "two.txt"))
    pts = _write_geojson(tmp_path / "pt.geojson", [({"code": code}, shapely.Point(120.15, 30.3))])
    assert "不是面" in bd.import_file(conn, pts).outcomes[0].reason
    far = _write_geojson(tmp_path / "far.geojson", [({"code": code}, shapely.box(0, 0, 1, 1))])
    assert "不在本区" in bd.import_file(conn, far).outcomes[0].reason
    nofield = _write_geojson(tmp_path / "nf.geojson", [({"id": 1}, g)])
    with pytest.raises(bd.BoundaryError, match="--code-field"):
        bd.import_file(conn, nofield)
    assert bd.import_file(conn, nofield, code_field="ID").outcomes[0].status == "rejected"
    assert _state(conn) == before


def _zip(path: Path, members: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", level) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_zip_checks_happen_before_extraction(tmp_path: Path) -> None:
    lim = Limits()
    bomb = _zip(tmp_path / "bomb.zip", {"a.geojson": b"\0" * (20 * 1024 * 1024)})
    assert bomb.stat().st_size < 100_000
    with pytest.raises(UploadRejected, match="zip bomb") as e:
        inspect_zip(bomb, lim)
    assert e.value.status == 413
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UploadRejected):
        safe_extract(bomb, out, lim)
    assert list(out.iterdir()) == []  # nothing was written
    big = _zip(tmp_path / "big.zip", {"a.geojson": b"x" * 3000}, zipfile.ZIP_STORED)
    with pytest.raises(UploadRejected, match="expands to") as e:
        inspect_zip(big, Limits(max_uncompressed_bytes=1000))
    assert e.value.status == 413
    nested = _zip(tmp_path / "nested.zip", {"inner.zip": b"PK\x03\x04..."})
    with pytest.raises(UploadRejected, match="nested"):
        inspect_zip(nested, lim)
    disguised = _zip(tmp_path / "disguised.zip", {"a.geojson": b"PK\x03\x04 not json"})
    with pytest.raises(UploadRejected, match="nested"):
        safe_extract(disguised, out, lim)
    evil = _zip(tmp_path / "evil.zip", {"../../etc/x.geojson": b"{}"})
    with pytest.raises(UploadRejected, match="unsafe path"):
        inspect_zip(evil, lim)
    many = _zip(tmp_path / "many.zip", {f"{i}.txt": b"" for i in range(5)})
    with pytest.raises(UploadRejected, match="entries"):
        inspect_zip(many, Limits(max_members=4))
    two = _zip(tmp_path / "two.zip", {"a.geojson": b"{}", "b.geojson": b"{}"})
    with pytest.raises(bd.BoundaryError, match="exactly one dataset"):
        bd.import_file(None, two)  # refused before the database is touched  # type: ignore[arg-type]
    notzip = tmp_path / "not.zip"
    notzip.write_bytes(b"hello")
    with pytest.raises(UploadRejected, match="not a valid zip") as e:
        inspect_zip(notzip, lim)
    assert e.value.status == 415


# -- the CLI (commits: a database of its own) ------------------------------------------
@pytest.fixture(scope="module")
def cli_db(cluster) -> tuple[str, sa.Engine]:  # noqa: ANN001
    name = _loaded_database(cluster)
    engine = sa.create_engine(cluster.url(name))
    yield cluster.url(name), engine
    engine.dispose()


def test_cli_draw_check_import_and_a_failing_import_changes_nothing(
    cli_db: tuple[str, sa.Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = cli_db
    env = {"DATABASE_URL": url}
    run = CliRunner().invoke
    r = run(main, ["boundaries", "check", "-q", "--limit", "0"], env=env)
    assert r.exit_code == 0, r.output
    assert "overlap" in r.output and "小区重叠" in r.output and "total" in r.output
    a, b = None, None
    with engine.connect() as c:
        a, b = _adjacent_pair(c)
        community = _scalar(c, "SELECT community_code FROM compound WHERE id = :i", i=a)
        ga, gb = _shrunk(c, a, 20), _shrunk(c, b, 20)
        ca, cb = _compound(c, a), _compound(c, b)
    r = run(main, ["boundaries", "draw", "--community", community, "--dry-run", "-q"], env=env)
    assert r.exit_code == 0 and "dry run" in r.output, r.output
    with engine.connect() as c:
        assert _scalar(c, "SELECT max(version) FROM compound_boundary") == 1
    r = run(main, ["boundaries", "draw", "--community", community, "--date", "2026-11-23", "-q"], env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "new versions" in r.output and ca["code"] in r.output
    r = run(main, ["boundaries", "history", ca["code"]], env=env)
    assert r.exit_code == 0 and "draw/按楼栋生成" in r.output and "initial/初始边界" in r.output
    # an import that fails half-way (after one compound's version is written) leaves nothing
    f = _write_geojson(tmp_path / "ab.geojson", [({"code": ca["code"]}, ga), ({"code": cb["code"]}, gb)])  # fmt: skip
    with engine.connect() as c:
        before = _state(c)
    calls = []
    real_apply = bd._apply

    def failing_apply(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(bd, "_apply", failing_apply)
    r = run(main, ["boundaries", "import", str(f), "--date", "2026-11-24", "-q"], env=env)
    assert r.exit_code != 0 and isinstance(r.exception, RuntimeError), r.output
    assert calls == [a, b]
    monkeypatch.undo()
    with engine.connect() as c:
        assert _state(c) == before
    # strict with a rejected feature: refused whole, nothing written
    bad = _write_geojson(tmp_path / "bad.geojson", [({"code": ca["code"]}, ga), ({"code": "0"}, gb)])  # fmt: skip
    r = run(main, ["boundaries", "import", str(bad), "--strict", "-q"], env=env)
    assert r.exit_code == 1 and "nothing imported" in r.output, r.output
    with engine.connect() as c:
        assert _state(c) == before
    # lands, then lands again as unchanged
    r = run(main, ["boundaries", "import", str(f), "--date", "2026-11-24", "-q"], env=env)
    assert r.exit_code == 0, r.output
    assert "2 accepted" in r.output and "0 rejected" in r.output
    r = run(main, ["boundaries", "import", str(f), "--date", "2026-11-24", "-q"], env=env)
    assert r.exit_code == 0 and "2 unchanged" in r.output, r.output
    # a file with rejects: accepted ones land, the exit code says some were rejected
    r = run(main, ["boundaries", "import", str(bad), "-q"], env=env)
    assert r.exit_code == 2 and "1 rejected" in r.output and "未匹配" in r.output, r.output
    r = run(main, ["boundaries", "import", str(tmp_path / "none.geojson")], env=env)
    assert r.exit_code != 0


def test_matching_by_alias_bare_name_and_refusing_ambiguity(
    conn: sa.Connection, tmp_path: Path
) -> None:
    a, b = _adjacent_pair(conn)
    ca, cb = _compound(conn, a), _compound(conn, b)
    c = _scalar(conn, "SELECT min(id) FROM compound WHERE id NOT IN (:a, :b)", a=a, b=b)
    d = _scalar(conn, "SELECT min(id) FROM compound WHERE id NOT IN (:a, :b, :c)", a=a, b=b, c=c)
    conn.execute(
        sa.text(
            "INSERT INTO compound_alias (district_code, street_code, community_code, compound_id,"
            " alias) SELECT district_code, street_code, community_code, id, '测试别名苑'"
            " FROM compound WHERE id = :a"
        ),
        {"a": a},
    )
    conn.execute(sa.text("UPDATE compound SET name = '同名家园' WHERE id IN (:c, :d)"), {"c": c, "d": d})  # fmt: skip
    g = _shrunk(conn, a, 30)
    f = _write_geojson(
        tmp_path / "names.geojson",
        [({"code": None, "name": "测试别名苑"}, g),  # alias of a
         ({"code": None, "name": f"{cb['name']}小区"}, g),  # b with the suffix 小区
         ({"code": None, "name": "同名家园"}, g),  # two compounds of that name
         ({"code": _compound(conn, c)["code"], "name": "同名家园"}, g),  # the code decides
         ({"code": ca["code"], "name": cb["name"]}, g)],  # code and name disagree
    )  # fmt: skip
    rep = bd.import_file(conn, f, valid_from=DAY, dry_run=True)
    got = [(o.status, o.compound_id) for o in rep.outcomes]
    assert got == [("accepted", a), ("accepted", b), ("rejected", None), ("accepted", c),
                   ("rejected", None)]  # fmt: skip
    assert "多个小区" in rep.outcomes[2].reason and "不同小区" in rep.outcomes[4].reason
    assert "dry run" in rep.summary()


def test_problems_api_on_the_shared_demo_validates_its_parameters(client) -> None:  # noqa: ANN001
    r = client.get("/api/boundaries/problems?kind=overlap")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    fc = r.get_json()
    assert fc["type"] == "FeatureCollection" and fc["kinds"]["gap"] == "小区间缝隙"
    assert all(f["properties"]["kind"] == "overlap" for f in fc["features"])
    r = client.get("/api/boundaries/problems?compound=0")
    assert r.status_code == 400 and r.get_json()["parameter"] == "compound"


def test_migration_0004_starts_the_history_of_compounds_already_loaded(cluster) -> None:  # noqa: ANN001
    name = _loaded_database(cluster)
    url = cluster.url(name)
    engine = sa.create_engine(url)
    try:
        db.downgrade(url, "0003")
        with engine.connect() as c:
            n = _scalar(c, "SELECT count(*) FROM compound")
            assert n > 0 and _scalar(c, "SELECT to_regclass('compound_boundary')") is None
        db.upgrade(url, "0004")
        with engine.connect() as c:
            rows = c.execute(
                sa.text(
                    "SELECT count(*), bool_and(b.version = 1 AND b.source = 'initial'"
                    " AND b.valid_to IS NULL AND b.valid_from = current_date"
                    " AND ST_Equals(b.geom, c.geom))"
                    " FROM compound_boundary b JOIN compound c ON c.id = b.compound_id"
                )
            ).one()
        assert tuple(rows) == (n, True)
        db.upgrade(url)
    finally:
        engine.dispose()
