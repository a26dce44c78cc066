"""Demo rows for the 三方强基指数 inputs (issue 8): volunteers, deliberation and tripartite
meetings, disputes with their mediation outcome, quarterly satisfaction surveys, and a
few planted complaint bursts in the last days (so the early warning has something to show).

Every compound gets a latent governance quality ``q`` in [0, 1], derived from its
governance facts plus noise and drifting slowly over the quarters; the rates of the
inputs follow it, so the index has a plausible spread. Deterministic for (seed, as_of):
each step draws from its own generator (``_rng(seed, label)``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from .generate import Dataset, _area_keys, _building_points, _pick_buildings, _rng

DISPUTE_CATEGORIES = np.array(
    ["property_fee", "parking", "renovation", "noise", "leak", "public_space", "other"]
)
DISPUTE_CATEGORY_P = np.array([0.24, 0.2, 0.12, 0.14, 0.12, 0.1, 0.08])
# Planted complaint bursts: compounds per scale-thousand compounds, complaints per burst.
BURSTS_PER_1000_COMPOUNDS = 6
BURST_SIZE = (9, 16)


def quarter_start(d: dt.date) -> dt.date:
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _next_quarter(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 10), (d.month + 2) % 12 + 1, 1)


def history_quarters(ds: Dataset) -> list[tuple[dt.date, dt.date]]:
    """[start, end) of every quarter overlapping the demo history, oldest first (the
    last one is the current, incomplete quarter)."""
    first = quarter_start(ds.as_of - dt.timedelta(days=ds.scale.years * 365))
    out = []
    q = first
    while q <= ds.as_of:
        out.append((q, _next_quarter(q)))
        q = _next_quarter(q)
    return out


def quarter_label(start: dt.date) -> str:
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def _quality(ds: Dataset, nq: int) -> np.ndarray:
    """Latent governance quality per (compound, quarter), in [0, 1]."""
    cmp = ds.tables["compound"]
    rng = _rng(ds.seed, "index-quality")
    n = len(cmp["id"])
    stars = np.array([s or 0 for s in cmp["star_rating"]], dtype=float)
    fee = np.array([float(f) if f is not None else 0.5 for f in cmp["fee_collection_rate"]])
    base = (
        0.25 * np.asarray(cmp["oc_formed"], dtype=float)
        + 0.2 * (np.asarray(cmp["property_service"]) == "professional")
        + 0.08 * stars / 5
        + 0.2 * (fee - 0.5)
        + 0.1 * np.asarray(cmp["income_disclosed"], dtype=float)
        + rng.normal(0, 0.12, n)
    )
    base = (base - base.min()) / max(base.max() - base.min(), 1e-9)
    drift = rng.normal(0, 0.02, n)
    t = np.arange(nq) - (nq - 1)
    return np.clip(base[:, None] + drift[:, None] * t[None, :], 0, 1)


def _households_per_compound(ds: Dataset) -> np.ndarray:
    n = len(ds.tables["compound"]["id"])
    return np.bincount(ds.tables["household"]["compound_id"] - 1, minlength=n)


def _dates_in(rng: np.random.Generator, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A uniform day in [start, end) for each pair (datetime64[D] arrays)."""
    span = (ends - starts).astype(int)
    return starts + (rng.random(len(starts)) * span).astype(int)


def governance(ds: Dataset) -> None:
    """Fill the tables of the index inputs."""
    quarters = history_quarters(ds)
    nq = len(quarters)
    q = _quality(ds, nq)
    _volunteers(ds, q[:, -1])
    _meetings(ds, q, quarters)
    _disputes(ds, q, quarters)
    _surveys(ds, q, quarters)


def _volunteers(ds: Dataset, q: np.ndarray) -> None:
    rng = _rng(ds.seed, "volunteers")
    hh = _households_per_compound(ds)
    rate = 0.015 + 0.07 * q  # volunteers per household ever registered
    per = rng.poisson(hh * rate)
    c = np.repeat(np.arange(len(per)), per)
    m = len(c)
    end = np.datetime64(ds.as_of)
    registered = end - rng.integers(1, 6 * 365, m)
    stay = rng.exponential(3 * 365, m).astype(int)
    left = registered + stay
    gone = left < end
    ds.tables["volunteer"] = {
        "id": np.arange(1, m + 1),
        **_area_keys(ds, compound=c),
        "registered_on": registered.astype("datetime64[D]"),
        "left_on": np.where(gone, left, np.datetime64("NaT")).astype("datetime64[D]"),
        "is_party_member": rng.random(m) < 0.35,
    }


def _per_quarter_events(
    rng: np.random.Generator,
    lam: np.ndarray,
    quarters: list[tuple[dt.date, dt.date]],
    as_of: dt.date,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson counts per (compound, quarter) of rate ``lam`` placed on uniform days of the
    quarter, none after ``as_of``: (compound index, quarter index, day)."""
    counts = rng.poisson(lam)
    ci, qi = np.nonzero(counts)
    k = counts[ci, qi]
    ci, qi = np.repeat(ci, k), np.repeat(qi, k)
    starts = np.array([np.datetime64(s) for s, _ in quarters])[qi]
    ends = np.minimum(
        np.array([np.datetime64(e) for _, e in quarters])[qi], np.datetime64(as_of) + 1
    )
    day = _dates_in(rng, starts, ends)
    return ci, qi, day


def _meetings(ds: Dataset, q: np.ndarray, quarters: list[tuple[dt.date, dt.date]]) -> None:
    rng = _rng(ds.seed, "meetings")
    oc = np.asarray(ds.tables["compound"]["oc_formed"], dtype=float)[:, None]
    c1, _, d1 = _per_quarter_events(rng, 0.2 + 2.6 * q, quarters, ds.as_of)
    c2, _, d2 = _per_quarter_events(rng, (0.15 + 2.2 * q) * (0.35 + 0.65 * oc), quarters, ds.as_of)
    c = np.concatenate([c1, c2])
    kind = np.array(["deliberation"] * len(c1) + ["tripartite"] * len(c2))
    day = np.concatenate([d1, d2])
    order = np.lexsort((c, day))
    c, kind, day = c[order], kind[order], day[order]
    m = len(c)
    ds.tables["governance_meeting"] = {
        "id": np.arange(1, m + 1),
        **_area_keys(ds, compound=c),
        "kind": kind,
        "held_on": day.astype("datetime64[D]"),
        "attendees": np.where(kind == "tripartite", rng.integers(5, 16, m), rng.integers(8, 45, m)),
        "resolutions": rng.integers(0, 5, m),
    }


def _disputes(ds: Dataset, q: np.ndarray, quarters: list[tuple[dt.date, dt.date]]) -> None:
    rng = _rng(ds.seed, "disputes")
    hh = _households_per_compound(ds)[:, None]
    c, qi, day = _per_quarter_events(rng, hh / 100 * 0.5 * (1.4 - 0.8 * q), quarters, ds.as_of)
    order = np.lexsort((c, day))
    c, qi, day = c[order], qi[order], day[order]
    m = len(c)
    qq = q[c, qi]
    closed = day + rng.lognormal(np.log(18), 0.7, m).astype(int)
    pending = closed > np.datetime64(ds.as_of)
    u = rng.random(m)
    p_ok = 0.5 + 0.45 * qq
    outcome = np.where(
        pending,
        "pending",
        np.where(u < p_ok, "mediated", np.where(u < p_ok + (1 - p_ok) * 0.6, "failed", "referred")),
    )
    ds.tables["dispute"] = {
        "id": np.arange(1, m + 1),
        **_area_keys(ds, compound=c),
        "category": DISPUTE_CATEGORIES[
            rng.choice(len(DISPUTE_CATEGORIES), m, p=DISPUTE_CATEGORY_P)
        ],
        "reported_on": day.astype("datetime64[D]"),
        "closed_on": np.where(pending, np.datetime64("NaT"), closed).astype("datetime64[D]"),
        "outcome": outcome,
    }


def _surveys(ds: Dataset, q: np.ndarray, quarters: list[tuple[dt.date, dt.date]]) -> None:
    """One survey per compound and complete quarter (about 4% not surveyed)."""
    rng = _rng(ds.seed, "surveys")
    complete = [i for i, (_, e) in enumerate(quarters) if e <= ds.as_of + dt.timedelta(days=1)]
    n = q.shape[0]
    ci = np.repeat(np.arange(n), len(complete))
    qi = np.tile(np.array(complete, dtype=int), n)
    done = rng.random(len(ci)) >= 0.04
    ci, qi = ci[done], qi[done]
    m = len(ci)
    ends = np.array([np.datetime64(e) for _, e in quarters])[qi]
    score = np.clip(rng.normal(58 + 36 * q[ci, qi], 4.0), 0, 100)
    ds.tables["satisfaction_survey"] = {
        "id": np.arange(1, m + 1),
        **_area_keys(ds, compound=ci),
        "quarter": [quarter_label(quarters[i][0]) for i in qi],
        "surveyed_on": (ends - rng.integers(3, 25, m)).astype("datetime64[D]"),
        "respondents": rng.integers(20, 200, m),
        "score": [f"{s:.2f}" for s in score],
    }


def complaint_bursts(ds: Dataset) -> None:
    """Append a few bursts of complaints in the last days to some compounds (a broken
    lift, a water outage...), the kind of 突发情况 the early warning should flag."""
    rng = _rng(ds.seed, "complaint-bursts")
    cq = ds.tables["complaint"]
    nc = len(ds.tables["compound"]["id"])
    k = max(1, round(nc * BURSTS_PER_1000_COMPOUNDS / 1000))
    where = np.sort(rng.choice(nc, k, replace=False))
    sizes = rng.integers(BURST_SIZE[0], BURST_SIZE[1], k)
    c = np.repeat(where, sizes)
    m = len(c)
    end = np.datetime64(dt.datetime.combine(ds.as_of, dt.time(0)), "s") + np.timedelta64(
        20 * 3600, "s"
    )
    created = end - rng.integers(3600, 5 * 86400, m).astype("timedelta64[s]")
    created = np.sort(created)
    first = created + rng.integers(600, 12 * 3600, m).astype("timedelta64[s]")
    first = np.where(first <= end, first, np.datetime64("NaT"))
    category = np.repeat(rng.choice(["facilities", "property_service", "sanitation"], k), sizes)
    b = _pick_buildings(ds, c, rng)
    xy = _building_points(ds, b, rng)
    keys = _area_keys(ds, compound=c)
    n0 = len(cq["id"])
    new = {
        "id": np.arange(n0 + 1, n0 + m + 1),
        **keys,
        "building_id": [int(x) + 1 for x in b],
        "geom": shapely.points(xy),
        "channel": np.array(["mashangban"] * m),
        "category": category,
        "created_at": created,
        "first_response_at": first,
        "resolved_at": np.full(m, np.datetime64("NaT"), dtype="datetime64[s]"),
        "satisfaction": [None] * m,
    }
    for col, v in new.items():
        old = cq[col]
        if isinstance(old, str):
            continue
        if isinstance(old, list):
            cq[col] = old + list(v)
        else:
            cq[col] = np.concatenate([old, np.asarray(v, dtype=old.dtype)])
