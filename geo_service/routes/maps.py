"""Data for the one-screen map: compound metrics, KPIs, areas, heat grids, vector tiles.

Tiles and grids carry an ETag (hash of the body) and Cache-Control, and answer
If-None-Match with 304.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
import math
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, jsonify, request

import layers

from .. import accounts, db, queries, validation
from ..coords import wgs84_to_gcj02
from ..db import get_db
from ..errors import BadParameter

bp = Blueprint("maps", __name__)
log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")
COMPLAINT_CATEGORIES = ("all", *layers.REGISTRY["complaints"].field("category").vocabulary)  # type: ignore[arg-type]


def now() -> dt.datetime:
    """The service's clock (fixed in tests through the FIXED_NOW setting)."""
    fixed = current_app.config.get("FIXED_NOW")
    return fixed if fixed is not None else dt.datetime.now(TZ)


def tile_point(z: int, x: float, y: float) -> tuple[float, float]:
    """Longitude and latitude of a (fractional) Web Mercator tile coordinate."""
    n = 2.0**z
    return x / n * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def tile_centre(z: int, x: int, y: int) -> tuple[float, float]:
    """Longitude and latitude of the centre of a Web Mercator tile."""
    return tile_point(z, x + 0.5, y + 0.5)


def gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a point, in degrees."""
    g = wgs84_to_gcj02(lon, lat)
    return g[0] - lon, g[1] - lat


_METRICS_TTL = 60.0
T = TypeVar("T")


class Figures(list):
    """The minute's per-compound figures, with their extents as one array (a tile picks
    the compounds it meets without a pass in Python over every compound, which at city
    scale cost more than the tile's query) and an index by id."""

    def __init__(self, rows: list[dict]) -> None:
        super().__init__(rows)
        nan = [math.nan] * 4
        self.boxes = np.array([m["bbox"] or nan for m in rows], dtype=float).reshape(-1, 4)
        self.by_id = {m["id"]: m for m in rows}


# (scope's database, scope) -> (checked at, version made from, figures)
_metrics_cache: dict[object, tuple[float, tuple | None, Figures]] = {}
_metrics_lock = threading.Lock()
_refreshing: set[object] = set()


def _refresh_metrics(
    engine: db.ScopedEngine, key: object, at: dt.datetime, version: tuple | None
) -> None:
    try:
        with engine.connect() as conn:
            # One core at most: the aggregation grows with the data (seconds at city scale)
            # while the map's requests follow the viewport, and on a small server parallel
            # workers would take every core from the tiles being drawn meanwhile.
            conn.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
            metrics = Figures(queries.compound_metrics(conn, at))
        with _metrics_lock:
            _metrics_cache[key] = (time.monotonic(), version, metrics)
    except sa.exc.DBAPIError as e:  # the stale copy stays; a later request tries again
        log.warning("recomputing the compound figures failed: %s", e.orig or e)
    finally:
        with _metrics_lock:
            _refreshing.discard(key)


def scope_key() -> tuple:
    """What the current principal can see: part of every cache key of scoped results."""
    return accounts.current_principal().scope.key()


_versions: dict[object, tuple[float, tuple | None]] = {}  # database -> (read at, version)
_VERSION_TTL = 1.0


def _db_version() -> tuple | None:
    """The tables' row counters (queries.data_version, read at most once a second per
    database) and the date, since the 12-month windows move with it; None: unknown."""
    engine = current_app.extensions["geo_engine"]
    t = time.monotonic()
    hit = _versions.get(engine.url)
    if hit is None or t - hit[0] >= _VERSION_TTL:
        with engine.connect() as conn:
            hit = (t, queries.data_version(conn))
        _versions[engine.url] = hit
    return None if hit[1] is None else (*hit[1], now().date())


def data_version() -> tuple | None:
    """What a cached answer is made of, as of now: the rows (_db_version) and the version
    of the scope's compound figures in use, which a background refresh replaces after the
    rows (an answer made in between is made again once the new figures are in). An answer
    past its time to live is kept another one while this has not changed since it was
    made. None (made again, as when it expires) while the server cannot tell or the
    scope's figures are still those of earlier rows."""
    rows = _db_version()
    figures = _metrics_cache.get((current_app.extensions["geo_engine"].url, scope_key()))
    if rows is None or (figures is not None and figures[1] != rows):
        return None  # unknown, or the figures are still those of other rows
    return rows, figures[1] if figures else None


# key -> (expires, version made from, result)
_memo_cache: dict[tuple, tuple[float, tuple | None, object]] = {}
_memo_key_locks: dict[tuple, threading.Lock] = {}
_memo_lock = threading.Lock()  # guards the two dicts, never held while computing
_MEMO_KEEP = 3600.0  # how long an expired entry is kept for data_version() to vouch for


def memo(key: tuple, ttl: float, compute: Callable[[], T], reuse: bool = True) -> T:
    """``compute()`` kept ``ttl`` seconds per database, scope and ``key`` (under row-level
    security a result covers only what the caller may see), and another ``ttl`` each time
    it is asked for again while no table it could be made of has changed (data_version):
    the first visitor after a quiet spell does not wait for the page, the areas and the
    rankings to be made again from the same rows. Concurrent requests for one key wait for
    a single computation; other keys are not held up by it (a Gi* hot-spot run of 999
    permutations must not stall the page or the KPIs). ``reuse=False`` for keys of the
    minute (spikes, KPIs), never asked for again once expired: those are dropped then,
    others _MEMO_KEEP after, when an entry is stored."""
    full = (current_app.extensions["geo_engine"].url, scope_key(), *key)
    with _memo_lock:
        hit = _memo_cache.get(full)
        if hit is not None and time.monotonic() < hit[0]:
            return hit[2]  # type: ignore[return-value]
        key_lock = _memo_key_locks.setdefault(full, threading.Lock())
    with key_lock:
        hit = _memo_cache.get(full)  # made while this request waited for the key
        if hit is not None and time.monotonic() < hit[0]:
            return hit[2]  # type: ignore[return-value]
        # before computing: a change meanwhile is seen next time
        version = data_version() if reuse else None
        if hit is not None and version is not None and hit[1] == version:
            result = hit[2]
        else:
            result = compute()
        with _memo_lock:
            t = time.monotonic()
            for k in [
                k
                for k, (expires, v, _) in _memo_cache.items()
                if expires <= (t if v is None else t - _MEMO_KEEP)
            ]:
                del _memo_cache[k]
                lock = _memo_key_locks.get(k)
                if lock is not None and not lock.locked():  # else being recomputed now
                    del _memo_key_locks[k]
            _memo_cache[full] = (t + ttl, version, result)
            _memo_key_locks.setdefault(full, key_lock)
        return result  # type: ignore[return-value]


def cached_metrics() -> Figures:
    """Per-compound figures, checked at most once a minute per database and scope (the
    figures count only rows the principal may see): the page, the KPIs, the compound
    tiles and the panel all read them. They are made again only when rows have changed
    or the day has (_db_version): an idle district's (or city's) aggregation is not
    repeated every minute. The first computation blocks (concurrent requests wait for it);
    after that a stale copy is served while one background thread recomputes, so no
    request waits for the whole aggregation."""
    engine = db.request_engine()
    key = (engine.url, scope_key())
    with _metrics_lock:
        hit = _metrics_cache.get(key)
        if hit is None:  # the first computation, which every request needs: under the lock
            version = _db_version()
            hit = (time.monotonic(), version, Figures(queries.compound_metrics(get_db(), now())))
            _metrics_cache[key] = hit
            return hit[2]
        if time.monotonic() - hit[0] < _METRICS_TTL or key in _refreshing:
            return hit[2]
        _refreshing.add(key)  # this request checks; others meanwhile take the copy
    try:
        version = _db_version()
    except sa.exc.SQLAlchemyError:
        version = None  # the refresh will fail too, and the copy stays
    if version is not None and version == hit[1]:
        with _metrics_lock:
            _metrics_cache[key] = (time.monotonic(), version, hit[2])  # still true
            _refreshing.discard(key)
    else:
        threading.Thread(
            target=_refresh_metrics, args=(engine, key, now(), version), daemon=True
        ).start()
    return hit[2]


def metrics_in_tile(z: int, x: int, y: int) -> list[dict]:
    """The cached figures of the compounds whose extent meets tile z/x/y (with a margin)."""
    lon0, lat1 = tile_point(z, x, y)
    lon1, lat0 = tile_point(z, x + 1, y + 1)
    pad = (lon1 - lon0) * 0.05 + 0.01  # tile margin, and the GCJ-02 shift (< 0.01°)
    figures = cached_metrics()
    b = figures.boxes
    meets = (
        (b[:, 0] <= lon1 + pad)
        & (b[:, 2] >= lon0 - pad)
        & (b[:, 1] <= lat1 + pad)
        & (b[:, 3] >= lat0 - pad)
    )
    return [figures[i] for i in np.flatnonzero(meets)]


def compound_figures(compound_id: int) -> dict:
    """One compound's figures (from the minute's cache), or 404."""
    figures = cached_metrics().by_id.get(compound_id)
    if figures is not None:
        return figures
    abort(404, description=f"no compound {compound_id}")


def _cached(body: bytes, mimetype: str, max_age: int, gzipped: bytes | None = None) -> Response:
    """``body`` with an ETag, private caching and Vary; ``gzipped`` is the same body already
    compressed (tiles keep it in their cache), sent as is to clients that accept gzip."""
    etag = hashlib.blake2b(body, digest_size=16).hexdigest()
    if gzipped is not None and request.accept_encodings["gzip"]:
        resp = Response(gzipped, mimetype=mimetype)
        resp.headers["Content-Encoding"] = "gzip"  # flask-compress leaves it alone
        etag += "-gzip"  # another representation, another strong ETag
    else:
        resp = Response(body, mimetype=mimetype)
    resp.vary.add("Accept-Encoding")
    resp.set_etag(etag)
    # private: what a response holds depends on who asked (their area scope)
    resp.cache_control.private = True
    resp.cache_control.max_age = max_age
    resp.vary.add("Cookie")
    resp.vary.add("Authorization")
    return resp.make_conditional(request)


@bp.get("/api/compounds/metrics")
def compound_metrics() -> Response:
    body = current_app.json.dumps(
        {"as_of": now().isoformat(), "compounds": cached_metrics()}
    ).encode()
    return _cached(body, "application/json", 60)


@bp.get("/api/compounds/<int:compound_id>")
def compound_summary(compound_id: int) -> Response:
    return jsonify(compound_figures(compound_id))


class _TileCache:
    """Encoded tiles (at most TILE_CACHE_SIZE) kept TILE_TTL seconds, and another TILE_TTL
    each time one is asked for while data_version() has not changed since it was made:
    compound tiles carry the figures, so they are made again when new figures are in."""

    def __init__(self, size: int, ttl: float) -> None:
        self.size, self.ttl = size, ttl
        self._data: OrderedDict[tuple, tuple[float, tuple | None, tuple[bytes, bytes | None]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, bytes | None] | None:
        with self._lock:
            hit = self._data.get(key)
        if hit is None:
            return None
        if time.monotonic() - hit[0] >= self.ttl:
            version = data_version()
            if version is None or version != hit[1]:
                return None
            self.put(key, version, hit[2])
        else:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
        return hit[2]

    def put(self, key: tuple, version: tuple | None, body: tuple[bytes, bytes | None]) -> None:
        with self._lock:
            self._data[key] = (time.monotonic(), version, body)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


TILE_TTL = _METRICS_TTL
_tile_cache = _TileCache(size=4096, ttl=TILE_TTL)


def metric_classes(metric: str) -> dict:
    """Quintile class breaks of a choropleth metric over all compounds."""
    values = sorted(
        m[metric]
        for m in cached_metrics()
        if isinstance(m[metric], int | float) and not isinstance(m[metric], bool)
    )
    breaks: list[float] = []
    for q in (0.2, 0.4, 0.6, 0.8):
        if values:
            v = values[min(int(q * len(values)), len(values) - 1)]
            if not breaks or v != breaks[-1]:
                breaks.append(v)
    return {"metric": metric, "breaks": breaks, "n": len(values)}


@bp.get("/api/compounds/classes")
def compound_classes() -> Response:
    """Class breaks of a choropleth metric over all compounds (quintiles)."""
    metric = validation.choice(
        request.args, "metric", tuple(queries.TILE_METRICS), "complaints_per_100hh"
    )
    return jsonify(metric_classes(metric))


@bp.get("/api/compounds/search")
def compound_search() -> Response:
    """Compounds by name (``q``) and/or community (``community``), with their extents."""
    q = (request.args.get("q") or "").strip() or None
    if q is not None and len(q) > 50:
        raise BadParameter("q", "at most 50 characters")
    community = request.args.get("community") or None
    if community is not None and not (community.isdigit() and len(community) == 12):
        raise BadParameter("community", "a 12-digit community code")
    if q is None and community is None:
        raise BadParameter("q", "give a name to search for (q) or a community code (community)")
    limit = validation.integer(request.args, "limit", default=10, lo=1, hi=500)
    return jsonify({"compounds": queries.search_compounds(get_db(), q, community, limit)})


@bp.get("/api/kpis")
def kpis() -> Response:
    # Of the minute, like the figures they sum (the map asks on every load).
    minute = now().replace(second=0, microsecond=0)
    kpis = memo(
        ("kpis", minute),
        _METRICS_TTL,
        lambda: queries.district_kpis(get_db(), cached_metrics(), minute),
        reuse=False,
    )
    return jsonify({"as_of": minute.isoformat(), "kpis": kpis})


@bp.get("/api/areas")
def areas() -> Response:
    body = memo(
        ("areas",),
        _METRICS_TTL,
        lambda: current_app.json.dumps(queries.area_index(get_db())).encode(),
    )
    return _cached(body, "application/json", 300)


@bp.get("/api/heat/<layer_id>")
def heat(layer_id: str) -> Response:
    if layer_id not in ("petitions", "elevator_retrofits"):
        abort(404, description=f"no heat overlay {layer_id!r}; petitions or elevator_retrofits")
    bbox = validation.bbox(request.args)
    if bbox is None:
        raise BadParameter("bbox", "required: minLon,minLat,maxLon,maxLat")
    zoom = validation.integer(request.args, "zoom", default=13, lo=0, hi=22)
    today = now().date()
    if layer_id == "elevator_retrofits":
        d0, d1 = dt.date(2000, 1, 1), today
        if request.args.get("window"):
            d0, d1 = validation.window(request.args, today)
    else:
        d0, d1 = validation.window(request.args, today)
    stage = validation.choice(request.args, "stage", ("all", "completed", "pipeline"), "all")
    cells = queries.heat_grid(get_db(), layer_id, bbox, zoom, d0, d1, stage)
    body = current_app.json.dumps(
        {
            "layer": layer_id,
            "zoom": zoom,
            "from": d0.isoformat(),
            "to": d1.isoformat(),
            "cell_px": queries.HEAT_CELL_PX,
            "max": max((c[2] for c in cells), default=0),
            "cells": cells,
        }  # fmt: skip
    ).encode()
    return _cached(body, "application/json", 60)


@bp.get("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer_id: str, z: int, x: int, y: int) -> Response:
    _tile_layer(layer_id)
    validation.tile_address(z, x, y)
    filters, gcj02 = _tile_query(layer_id)
    hit = _tile(layer_id, z, x, y, _offset(gcj02, z, x, y), filters)
    return _cached(hit[0], "application/vnd.mapbox-vector-tile", 300, gzipped=hit[1])


@bp.get("/tiles/<layer_id>/<int:z>/block")
def tile_block(layer_id: str, z: int) -> Response:
    """The tiles of columns x0..x1 and rows y0..y1 in one response, for a page opening on
    a view to fetch at once instead of one request per tile: the byte length of each tile
    (unsigned 32-bit little-endian), row by row and west to east in each row, then the
    tiles themselves in that order (an empty tile is 0 bytes)."""
    _tile_layer(layer_id)
    x0, y0, x1, y1 = validation.tile_block(request.args, z)
    filters, gcj02 = _tile_query(layer_id)
    key = ("block", layer_id, z, x0, y0, x1, y1, gcj02, tuple(sorted(filters.items())))
    hit = _tile_cache.get(_cache_key(key))
    if hit is None:
        version = data_version()
        tiles = [
            _tile(layer_id, z, x, y, _offset(gcj02, z, x, y), filters)[0]
            for y in range(y0, y1 + 1)
            for x in range(x0, x1 + 1)
        ]
        body = struct.pack(f"<{len(tiles)}I", *map(len, tiles)) + b"".join(tiles)
        hit = (body, gzip.compress(body, compresslevel=6, mtime=0))
        _tile_cache.put(_cache_key(key), version, hit)
    return _cached(hit[0], "application/octet-stream", 300, gzipped=hit[1])


def _tile_layer(layer_id: str) -> None:
    if layer_id not in queries.TILE_LAYERS and layer_id not in queries.TILE_BUNDLES:
        names = ", ".join((*queries.TILE_LAYERS, *queries.TILE_BUNDLES))
        abort(404, description=f"no tile layer {layer_id!r}; one of {names}")


def _tile_query(layer_id: str) -> tuple[dict[str, object], bool]:
    """A tile request's filters (complaints only) and whether it asks for GCJ-02."""
    filters: dict[str, object] = {}
    if layer_id == "complaints":
        days = validation.integer(request.args, "days", default=90, lo=1, hi=3660)
        filters = {
            "since": now().replace(second=0, microsecond=0) - dt.timedelta(days=days),
            "status": validation.choice(request.args, "status", ("all", "open", "closed"), "all"),
            "category": validation.choice(request.args, "category", COMPLAINT_CATEGORIES, "all"),
        }
    return filters, validation.choice(request.args, "crs", ("wgs84", "gcj02"), "wgs84") == "gcj02"


def _offset(gcj02: bool, z: int, x: int, y: int) -> tuple[float, float]:
    """What a tile's features are shifted by: the GCJ-02 offset at its centre, if asked."""
    return gcj02_offset(*tile_centre(z, x, y)) if gcj02 else (0.0, 0.0)


def _cache_key(key: tuple) -> tuple:
    """``key`` for the tile cache: tiles of another database or area scope are others."""
    return (current_app.extensions["geo_engine"].url, scope_key(), *key)


def _tile(
    layer_id: str, z: int, x: int, y: int, offset: tuple[float, float], filters: dict
) -> tuple[bytes, bytes | None]:
    """A tile's bytes and their gzip (None when small), from the cache or made; a bundle
    is its layers' tiles (each cached too) one after the other."""
    key = _cache_key((layer_id, z, x, y, offset, tuple(sorted(filters.items()))))
    hit = _tile_cache.get(key)
    if hit is None:
        version = data_version()  # before making it: a change meanwhile is seen next time
        if layer_id in queries.TILE_BUNDLES:
            body = b"".join(
                _tile(part, z, x, y, offset, {})[0] for part in queries.TILE_BUNDLES[layer_id]
            )
        else:
            if layer_id == "compounds":  # the minute's figures (the cache expires with them)
                filters = queries.tile_metric_params(metrics_in_tile(z, x, y))
            body = queries.vector_tile(get_db(), layer_id, z, x, y, offset, **filters)
        # compressed once, when made: a dense building tile costs more to gzip than to serve
        hit = (body, gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= 1024 else None)
        _tile_cache.put(key, version, hit)
    return hit
