"""Parsing of request parameters into typed values, or BadParameter naming the culprit."""

from __future__ import annotations

import datetime as dt
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


def choice(args: Mapping[str, str], name: str, options: tuple[str, ...], default: str) -> str:
    """One of ``options``; ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in options:
        raise BadParameter(name, f"must be one of {', '.join(options)}, got {raw!r}")
    return raw


def window(
    args: Mapping[str, str], today: dt.date, name: str = "window"
) -> tuple[dt.date, dt.date]:
    """A time window ending today (``30``, ``90``, ``365`` days) or a calendar year
    (``year:2025``), as an inclusive (first day, last day) pair."""
    raw = args.get(name) or "365"
    if raw in ("30", "90", "365"):
        return today - dt.timedelta(days=int(raw) - 1), today
    if raw.startswith("year:") and raw[5:].isdigit() and len(raw) == 9:
        year = int(raw[5:])
        if 2000 <= year <= today.year:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        raise BadParameter(name, f"year must be between 2000 and {today.year}")
    raise BadParameter(name, "must be 30, 90, 365 (days up to today) or year:YYYY")


def tile_address(z: int, x: int, y: int) -> None:
    """Check a z/x/y tile address (the route already made them non-negative integers)."""
    if not 0 <= z <= 22:
        raise BadParameter("z", "zoom must be between 0 and 22")
    n = 2**z
    if not (0 <= x < n):
        raise BadParameter("x", f"must be between 0 and {n - 1} at zoom {z}")
    if not (0 <= y < n):
        raise BadParameter("y", f"must be between 0 and {n - 1} at zoom {z}")
