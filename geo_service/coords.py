"""Coordinate conversions: GCJ-02 (Amap "Mars" coordinates) to and from WGS-84.

GCJ-02 is WGS-84 with a deliberately non-linear offset of a few hundred metres. The
forward direction (WGS-84 -> GCJ-02) is a published formula; the inverse has no closed
form. The one-step inverse (subtract the offset computed at the GCJ-02 point) is off by
metres. :func:`gcj02_to_wgs84` iterates the forward formula to a fixed point (Caijun 2014,
as implemented by ``prcoords.gcj_wgs_bored``), which lands within about a millimetre.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import prcoords

__all__ = ["gcj02_to_wgs84", "wgs84_to_gcj02", "convert_coords", "roundtrip_error_m"]

_M_PER_DEG = 111_320.0


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 point to WGS-84 with the iterative inverse (~1 mm)."""
    p = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon), check_china=False)
    return (p.lon, p.lat)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert one WGS-84 point to GCJ-02 (the forward formula)."""
    p = prcoords.wgs_gcj(prcoords.Coords(lat, lon), check_china=False)
    return (p.lon, p.lat)


def convert_coords(coords: Iterable[Sequence[float]], to_wgs84: bool = True) -> list[list[float]]:
    """Convert a sequence of (lon, lat) pairs, keeping any extra ordinates."""
    fn = gcj02_to_wgs84 if to_wgs84 else wgs84_to_gcj02
    return [[*fn(c[0], c[1]), *c[2:]] for c in coords]


def roundtrip_error_m(lon: float, lat: float) -> float:
    """Distance in metres between a GCJ-02 point and forward(inverse(point))."""
    back = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    import math

    dx = (back[0] - lon) * _M_PER_DEG * math.cos(math.radians(lat))
    dy = (back[1] - lat) * _M_PER_DEG
    return math.hypot(dx, dy)
