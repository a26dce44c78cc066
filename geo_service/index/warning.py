"""Early warning (突发情况预警): complaint spikes per compound and petition hot spots.

Complaint spikes
    Each compound's complaints in the last ``days`` (7) against its own baseline, the
    ``baseline_days`` (84, twelve weeks) just before. Model: complaints arrive as a
    Poisson process whose rate is constant over the 13 weeks under H0. Given the total
    n = recent + baseline, the recent count is then Binomial(n, days / (days +
    baseline_days)) whatever the unknown rate (the exact conditional test for comparing
    two Poisson counts), so the one-sided p-value is P(X >= recent). It needs no rate
    estimate, so a compound with an empty baseline is handled exactly. A compound is
    flagged when recent >= ``min_count`` and p < 0.05; levels 3/2/1 for p < 0.001 / 0.01 /
    0.05. Benjamini-Hochberg q-values over all compounds are reported alongside, for
    readers who want the false-discovery rate across the whole district.

Petition hot spots
    Getis-Ord Gi* (esda.G_Local, star=True) of petitions per 1,000 households over the
    last 12 months per compound, with k-nearest-neighbour weights (libpysal KNN, k = 8,
    on compound centres in a local metric frame, row-standardised) and 999 conditional
    permutations with a fixed seed, so results are reproducible. esda's ``p_sim`` is
    one-sided in the direction of the deviation; the confidence reported is two-sided,
    1 - 2 p_sim (as in ArcGIS hot-spot classes): hot/cold at 99% (p_sim <= 0.005), 95%
    (<= 0.025) and 90% (<= 0.05), else not significant. The sign comes from Gi* against its
    permutation mean.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import queries

SPIKE_LEVELS = ((0.001, 3, "严重"), (0.01, 2, "较重"), (0.05, 1, "一般"))
HOT_SPOT_CLASSES = {
    "hot_99": "热点（99%置信）",
    "hot_95": "热点（95%置信）",
    "hot_90": "热点（90%置信）",
    "not_significant": "不显著",
    "cold_90": "冷点（90%置信）",
    "cold_95": "冷点（95%置信）",
    "cold_99": "冷点（99%置信）",
}
PERMUTATION_SEED = 20261122


@dataclass(frozen=True)
class SpikeModel:
    days: int = 7
    baseline_days: int = 84
    min_count: int = 3

    def describe(self) -> str:
        return (
            f"近{self.days}天投诉数与此前{self.baseline_days}天基线比较：泊松到达、速率不变的原假设下，"
            f"近期件数服从二项分布 B(n, {self.days}/{self.days + self.baseline_days})，单侧检验；"
            f"近期至少{self.min_count}件且 p<0.05 时预警"
        )


def spike_p_value(recent: int, baseline: int, days: int, baseline_days: int) -> float:
    """One-sided p-value of ``recent`` complaints in ``days`` against ``baseline`` in the
    ``baseline_days`` before, under a constant Poisson rate (conditional binomial test)."""
    if recent <= 0:
        return 1.0
    share = days / (days + baseline_days)
    return float(stats.binom.sf(recent - 1, recent + baseline, share))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values of p-values ``p``."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def spike_level(recent: int, p: float, model: SpikeModel) -> tuple[int, str | None]:
    if recent < model.min_count:
        return 0, None
    for alpha, level, label in SPIKE_LEVELS:
        if p < alpha:
            return level, label
    return 0, None


def complaint_spikes(
    conn: queries.Conn, now: dt.datetime, model: SpikeModel | None = None
) -> list[dict]:
    """Every compound's spike test, most significant first (``flagged`` marks warnings)."""
    model = model or SpikeModel()
    rows = queries.complaint_windows(conn, now, model.days, model.baseline_days)
    p = np.array([spike_p_value(r["recent"], r["baseline"], model.days, model.baseline_days)
                  for r in rows])  # fmt: skip
    q = benjamini_hochberg(p)
    out = []
    for r, pi, qi in zip(rows, p, q, strict=True):
        expected = r["baseline"] * model.days / model.baseline_days
        level, label = spike_level(r["recent"], float(pi), model)
        out.append(
            {
                **r,
                "expected": round(expected, 3),
                "ratio": round(r["recent"] / expected, 2) if expected > 0 else None,
                "p_value": float(f"{pi:.4g}"),
                "q_value": float(f"{qi:.4g}"),
                "level": level,
                "level_label": label,
                "flagged": level > 0,
            }
        )
    out.sort(key=lambda r: (r["p_value"], -r["recent"], r["compound_id"]))
    return out


def _local_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Metres in a local equirectangular frame (good to a fraction of a percent over a
    district)."""
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    r = 6_371_000.0
    return np.column_stack(
        [np.radians(lon) * r * math.cos(math.radians(lat0)), np.radians(lat) * r]
    )


def gi_star(
    xy: np.ndarray,
    values: np.ndarray,
    k: int = 8,
    permutations: int = 999,
    seed: int = PERMUTATION_SEED,
) -> list[dict]:
    """Getis-Ord Gi* of ``values`` at points ``xy`` (metres) with KNN weights: per point
    the z-score, the pseudo p-value, the two-sided confidence and the class."""
    import esda
    from libpysal.weights import KNN

    n = len(values)
    if n < 3:
        return [{"z": None, "p_sim": None, "confidence": None, "class": "not_significant"}] * n
    w = KNN.from_array(np.asarray(xy, dtype=float), k=min(k, n - 1))
    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda notes how it infers the Gi* self-weight
        g = esda.G_Local(
            y, w, transform="R", permutations=permutations, star=1.0, seed=seed, n_jobs=1
        )
    out = []
    for i in range(n):
        p = float(g.p_sim[i])
        z = float(g.Zs[i]) if np.isfinite(g.Zs[i]) else 0.0
        high = g.Gs[i] > g.EG_sim[i]
        cls = "not_significant"
        for conf, cut in ((99, 0.005), (95, 0.025), (90, 0.05)):
            if p <= cut and y.std() > 0:
                cls = f"{'hot' if high else 'cold'}_{conf}"
                break
        out.append({"z": round(z, 4), "p_sim": p, "confidence": round(1 - 2 * p, 4), "class": cls})
    return out


def petition_hot_spots(
    conn: queries.Conn, today: dt.date, days: int = 365, k: int = 8, permutations: int = 999
) -> dict:
    """Gi* of petitions per 1,000 households over the last ``days`` up to ``today``, per
    compound: rows with the class, the window and the model parameters."""
    d0 = today - dt.timedelta(days=days - 1)
    rows = queries.petition_counts(conn, d0, today)
    lon = np.array([r["lon"] for r in rows], dtype=float)
    lat = np.array([r["lat"] for r in rows], dtype=float)
    rate = np.array(
        [1000.0 * r["petitions"] / r["households"] if r["households"] else 0.0 for r in rows]
    )
    gi = gi_star(_local_xy(lon, lat), rate, k=k, permutations=permutations)
    out = [
        {**r, "per_1000hh": round(float(v), 3), **g, "class_label": HOT_SPOT_CLASSES[g["class"]]}
        for r, v, g in zip(rows, rate, gi, strict=True)
    ]
    return {
        "from": d0.isoformat(),
        "to": today.isoformat(),
        "statistic": "Getis-Ord Gi* (esda.G_Local, star=True)",
        "variable": "petitions per 1,000 households",
        "weights": f"KNN k={k}, row-standardised",
        "permutations": permutations,
        "seed": PERMUTATION_SEED,
        "compounds": out,
    }
