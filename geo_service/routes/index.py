"""三方强基指数 and early warning (issue 8): the index per compound, rankings, complaint
spikes and petition hot spots (GeoJSON with significance classes)."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, Response, abort, jsonify, request

from .. import validation
from ..db import get_db
from ..errors import BadParameter
from ..index import queries as iq
from ..index import warning
from ..index.config import IndexConfig, load_config, parse_quarter
from .maps import memo, now

bp = Blueprint("index", __name__, url_prefix="/api")

_HOT_SPOT_TTL = 600.0
_SPIKE_TTL = 60.0
_RANKING_TTL = 60.0


@cache
def index_config() -> IndexConfig:
    """The packaged configuration (scores are stored with its SHA, so a changed file shows)."""
    return load_config()


def _quarter(name: str = "quarter") -> str | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        parse_quarter(raw)
    except ValueError:
        raise BadParameter(name, "a quarter like 2026Q3") from None
    return raw


def _code(name: str, digits: int) -> str | None:
    raw = request.args.get(name) or None
    if raw is not None and not (raw.isdigit() and len(raw) == digits):
        raise BadParameter(name, f"a {digits}-digit code")
    return raw


@bp.get("/index/config")
def config() -> Response:
    """Indicators, normalisation and weights (from indicators.toml)."""
    return jsonify(index_config().describe())


@bp.get("/index/compounds/<int:compound_id>")
def compound_index(compound_id: int) -> Response:
    """A compound's latest index (dimensions, indicators, ranks) and its quarterly trend."""
    history = iq.compound_history(get_db(), compound_id)
    if not history:
        abort(404, description=f"no index for compound {compound_id}")
    cfg = index_config()
    latest = history[-1]
    names = {i.key: i for i in cfg.indicators}
    latest["indicators"] = [
        {"key": k, "name": names[k].name if k in names else k,
         "dimension": names[k].dimension if k in names else None,
         "unit": names[k].unit if k in names else "", **v}
        for k, v in latest["indicators"].items()
    ]  # fmt: skip
    order = {i.key: n for n, i in enumerate(cfg.indicators)}
    latest["indicators"].sort(key=lambda r: order.get(r["key"], 999))
    trend = [
        {"quarter": h["quarter"], "total": h["total"], **{d: h[d] for d in iq.DIMENSION_COLUMNS}}
        for h in history
    ]
    return jsonify(
        {
            "compound_id": compound_id,
            "dimensions": [{"key": k, "name": n} for k, (n, _) in cfg.dimensions.items()],
            "latest": latest,
            "trend": trend,
        }
    )


@bp.get("/index/rankings")
def rankings() -> Response:
    """Streets, communities or compounds ranked by (mean) index for a quarter."""
    level = validation.choice(request.args, "level", ("street", "community", "compound"), "street")
    street = _code("street", 9)
    community = _code("community", 12)
    limit = validation.integer(request.args, "limit", default=500, lo=1, hi=20000)
    asked = _quarter()

    def compute() -> dict:
        conn = get_db()
        quarter = asked or iq.latest_quarter(conn)
        if quarter is None:
            return {"level": level, "quarter": None, "rows": []}
        rows = iq.rankings(conn, level, quarter, street, community, limit)
        return {"level": level, "quarter": quarter, "rows": rows}

    # The quarter's figures change when the index is recomputed; the map asks on every load.
    return jsonify(
        memo(("rankings", level, street, community, limit, asked), _RANKING_TTL, compute)
    )


@bp.get("/warnings/spikes")
def spikes() -> Response:
    """Complaint spikes: GeoJSON points at the flagged compounds (``all=true``: every
    compound) with counts, expected count, p- and q-value and level."""
    show_all = validation.choice(request.args, "all", ("true", "false"), "false") == "true"
    model = warning.SpikeModel()
    # The 7-day window barely moves in a minute; the map asks for it on every load.
    minute = now().replace(second=0, microsecond=0)
    at, rows = memo(
        ("spikes", minute),
        _SPIKE_TTL,
        lambda: (minute, warning.complaint_spikes(get_db(), minute, model)),
        reuse=False,
    )
    feats = [
        {
            "type": "Feature",
            "id": r["compound_id"],
            "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
            "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
        }
        for r in rows
        if show_all or r["flagged"]
    ]
    return jsonify(
        {
            "type": "FeatureCollection",
            "as_of": at.isoformat(),
            "model": {
                "days": model.days,
                "baseline_days": model.baseline_days,
                "min_count": model.min_count,
                "test": "conditional binomial test of two Poisson counts, one-sided",
                "levels": [{"p_below": a, "level": lv, "label": lb} for a, lv, lb in warning.SPIKE_LEVELS],
                "description": model.describe(),
            },
            "flagged": sum(1 for r in rows if r["flagged"]),
            "features": feats,
        }
    )  # fmt: skip


def _hot_spots(window_days: int) -> dict:
    """Gi* results, kept ten minutes per database, scope and day (999 permutations take a
    while). Under row-level security Gi* runs over the compounds the caller may see."""
    today = now().date()
    return memo(
        ("hot_spots", today, window_days),
        _HOT_SPOT_TTL,
        lambda: warning.petition_hot_spots(get_db(), today, days=window_days),
    )


@bp.get("/warnings/hotspots")
def hot_spots() -> Response:
    """Petition hot spots (Gi*): GeoJSON compound polygons with their class; only the
    significant ones unless ``all=true``."""
    window_days = int(validation.choice(request.args, "window", ("90", "180", "365"), "365"))
    show_all = validation.choice(request.args, "all", ("true", "false"), "false") == "true"
    res = _hot_spots(window_days)
    rows = [r for r in res["compounds"] if show_all or r["class"] != "not_significant"]
    geoms = iq.compound_geometries(get_db(), [r["compound_id"] for r in rows])
    counts: dict[str, int] = dict.fromkeys(warning.HOT_SPOT_CLASSES, 0)
    for r in res["compounds"]:
        counts[r["class"]] += 1
    feats = [
        {
            "type": "Feature",
            "id": r["compound_id"],
            "geometry": geoms[r["compound_id"]],
            "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
        }
        for r in rows
        if r["compound_id"] in geoms
    ]
    meta = {k: v for k, v in res.items() if k != "compounds"}
    return jsonify(
        {
            "type": "FeatureCollection",
            **meta,
            "classes": [
                {"class": k, "label": v, "count": counts[k]}
                for k, v in warning.HOT_SPOT_CLASSES.items()
            ],
            "features": feats,
        }
    )
