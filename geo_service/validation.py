"""Parsing of request parameters into typed values, or BadParameter naming the culprit."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

from .errors import BadParameter


def numbers(raw: str, name: str, counts: tuple[int, ...], expected: str) -> list[float]:
    """Comma-separated finite numbers, as many as one of ``counts``."""
    parts = raw.split(",")
    if len(parts) not in counts:
        raise BadParameter(name, f"expected {expected}, got {len(parts)} values")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BadParameter(name, "values must be numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise BadParameter(name, "values must be finite numbers (no NaN or infinity)")
    return values


def lonlat_box(
    name: str, lon0: float, lat0: float, lon1: float, lat1: float
) -> tuple[float, float, float, float]:
    """Check a longitude/latitude box: ordered corners on the globe."""
    if lon0 > lon1 or lat0 > lat1:
        raise BadParameter(name, "minimum exceeds maximum")
    if not (-90 <= lat0 <= 90 and -90 <= lat1 <= 90):
        raise BadParameter(name, "latitude must lie in [-90, 90]")
    if not (-180 <= lon0 <= 180 and -180 <= lon1 <= 180):
        raise BadParameter(name, "longitude must lie in [-180, 180]")
    return (lon0, lat0, lon1, lat1)


def bbox(args: Mapping[str, str], name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in EPSG:4326, or None when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    x0, y0, x1, y1 = numbers(
        raw, name, (4,), "4 comma-separated numbers minLon,minLat,maxLon,maxLat"
    )
    return lonlat_box(name, x0, y0, x1, y1)


def integer(args: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]``; ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", raw.strip()):  # no "+5", "1_000" or "1.5"
        raise BadParameter(name, f"must be a whole number between {lo} and {hi}")
    value = int(raw)
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
    if re.fullmatch(r"year:[0-9]{4}", raw):  # ASCII digits: "²".isdigit() but int("²") fails
        year = int(raw[5:])
        if 2000 <= year <= today.year:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        raise BadParameter(name, f"year must be between 2000 and {today.year}")
    raise BadParameter(name, "must be 30, 90, 365 (days up to today) or year:YYYY")


def _tiles_across(z: int) -> int:
    """The number of tiles across the world at tile zoom ``z`` (checked: 0 to 22)."""
    if not 0 <= z <= 22:
        raise BadParameter("z", "zoom must be between 0 and 22")
    return 2**z


def tile_address(z: int, x: int, y: int) -> None:
    """Check a z/x/y tile address (the route already made them non-negative integers)."""
    n = _tiles_across(z)
    if not (0 <= x < n):
        raise BadParameter("x", f"must be between 0 and {n - 1} at zoom {z}")
    if not (0 <= y < n):
        raise BadParameter("y", f"must be between 0 and {n - 1} at zoom {z}")


# The most tiles one block request may ask for: a 4K screen in 512-pixel tiles is 8 x 5.
MAX_BLOCK_TILES = 64


def tile_block(args: Mapping[str, str], z: int) -> tuple[int, int, int, int]:
    """The columns x0..x1 and rows y0..y1 (inclusive, all required) of a block of tiles
    at zoom ``z``: at most MAX_BLOCK_TILES of them."""
    top = _tiles_across(z) - 1
    got = {}
    for name in ("x0", "x1", "y0", "y1"):
        if not args.get(name):
            what = "column" if name[0] == "x" else "row"
            raise BadParameter(name, f"required: a tile {what} from 0 to {top}")
        got[name] = integer(args, name, 0, 0, top)
    for a, b in (("x0", "x1"), ("y0", "y1")):
        if got[b] < got[a]:
            raise BadParameter(b, f"must not be below {a} ({got[a]}), got {got[b]}")
    n = (got["x1"] - got["x0"] + 1) * (got["y1"] - got["y0"] + 1)
    if n > MAX_BLOCK_TILES:
        raise BadParameter("x1", f"the block is {n} tiles; at most {MAX_BLOCK_TILES}")
    return got["x0"], got["y0"], got["x1"], got["y1"]
