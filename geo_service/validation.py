"""Parsing of request parameters into typed values, or BadParameter naming the culprit."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .errors import BadParameter


def bbox(args: Mapping[str, str], name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in EPSG:4326, or None when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise BadParameter(
            name,
            f"expected 4 comma-separated numbers minLon,minLat,maxLon,maxLat, got {len(parts)} values",
        )
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise BadParameter(name, "values must be numbers") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise BadParameter(name, "values must be finite numbers")
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180):
        raise BadParameter(name, "longitude must lie in [-180, 180]")
    if not (-90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise BadParameter(name, "latitude must lie in [-90, 90]")
    if x0 > x1 or y0 > y1:
        raise BadParameter(name, "minimum exceeds maximum")
    return (x0, y0, x1, y1)


def integer(args: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]``; ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise BadParameter(name, f"must be a whole number between {lo} and {hi}") from None
    if not lo <= value <= hi:
        raise BadParameter(name, f"must be between {lo} and {hi}, got {value}")
    return value
