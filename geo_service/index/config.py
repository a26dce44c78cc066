"""The index configuration (indicators.toml): indicators, normalisation and weights.

An official reviews and edits the TOML file; this module reads and checks it, and turns
raw indicator values into scores. Nothing here queries the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).with_name("indicators.toml")
# The five dimensions are columns of compound_index: the configuration must name them all.
DIMENSIONS = ("leadership", "cohesion", "coordination", "property", "satisfaction")
METHODS = ("boolean", "minmax", "target")
DIRECTIONS = ("higher_better", "lower_better")
MISSING = ("zero", "exclude")
_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")


class ConfigError(ValueError):
    """The configuration file is not valid (the message names the place)."""


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    dimension: str
    source: str
    definition: str
    direction: str
    method: str
    params: dict
    weight: float
    missing: str
    unit: str = ""

    def score(self, value: float | bool | None) -> float | None:
        """0-100 score of a raw value; None when missing and excluded."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return 0.0 if self.missing == "zero" else None
        v = float(value)
        if self.method == "boolean":
            s = 1.0 if v else 0.0
        elif self.method == "minmax":
            lo, hi = float(self.params["low"]), float(self.params["high"])
            s = (v - lo) / (hi - lo)
            if self.direction == "lower_better":
                s = 1.0 - s
        else:  # target
            t = float(self.params["target"])
            if self.direction == "higher_better":
                s = v / t if t > 0 else float(v >= t)
            else:
                limit = float(self.params["limit"])
                s = (limit - v) / (limit - t)
        return round(100.0 * min(1.0, max(0.0, s)), 4)


@dataclass(frozen=True)
class IndexConfig:
    name: str
    version: str
    dimensions: dict[str, tuple[str, float]]  # key -> (Chinese name, normalised weight)
    indicators: tuple[Indicator, ...]
    sha: str  # first 12 hex digits of the file's SHA-256, stored with each score
    path: Path

    def of(self, dimension: str) -> list[Indicator]:
        return [i for i in self.indicators if i.dimension == dimension]

    def score(self, values: dict[str, float | bool | None]) -> dict:
        """Scores of one compound from its raw values (indicator source -> value):
        ``{"dimensions": {key: score}, "total": score, "indicators": {key: {value, score}}}``."""
        ind: dict[str, dict] = {}
        dims: dict[str, float] = {}
        for d in self.dimensions:
            num = den = 0.0
            for i in self.of(d):
                v = values.get(i.source)
                s = i.score(v)
                ind[i.key] = {"value": _plain(v), "score": s}
                if s is not None:
                    num += i.weight * s
                    den += i.weight
            dims[d] = round(num / den, 2) if den > 0 else 0.0
        total = sum(w * dims[d] for d, (_, w) in self.dimensions.items())
        return {"dimensions": dims, "total": round(total, 2), "indicators": ind}

    def describe(self) -> dict:
        """The configuration as JSON for the API and the map (names, weights, methods)."""
        return {
            "name": self.name,
            "version": self.version,
            "sha": self.sha,
            "dimensions": [
                {"key": k, "name": n, "weight": round(w, 6)} for k, (n, w) in self.dimensions.items()
            ],
            "indicators": [
                {
                    "key": i.key, "name": i.name, "dimension": i.dimension, "unit": i.unit,
                    "definition": i.definition, "direction": i.direction, "method": i.method,
                    "params": i.params, "weight": i.weight, "missing": i.missing,
                }
                for i in self.indicators
            ],
        }  # fmt: skip


def _plain(v: object) -> object:
    if v is None or isinstance(v, bool):
        return v
    f = float(v)  # type: ignore[arg-type]
    return None if math.isnan(f) else round(f, 6)


def _need(table: dict, key: str, where: str, kind: type | tuple) -> object:
    if key not in table:
        raise ConfigError(f"{where}: missing '{key}'")
    v = table[key]
    if not isinstance(v, kind) or isinstance(v, bool) and kind in (int, float, (int, float)):
        raise ConfigError(f"{where}: '{key}' has the wrong type ({type(v).__name__})")
    return v


def load_config(path: Path | str | None = None) -> IndexConfig:
    """Read and check the configuration (default: the packaged indicators.toml)."""
    from .queries import SOURCES

    p = Path(path) if path else DEFAULT_CONFIG
    raw = p.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: {e}") from None
    head = data.get("index", {})
    dims_raw = data.get("dimensions", {})
    if sorted(dims_raw) != sorted(DIMENSIONS):
        raise ConfigError(f"{p}: [dimensions] must be exactly {', '.join(DIMENSIONS)}")
    weights = {}
    names = {}
    for k in DIMENSIONS:
        where = f"{p}: [dimensions.{k}]"
        names[k] = str(_need(dims_raw[k], "name", where, str))
        w = float(_need(dims_raw[k], "weight", where, (int, float)))  # type: ignore[arg-type]
        if w < 0:
            raise ConfigError(f"{where}: weight must not be negative")
        weights[k] = w
    wsum = sum(weights.values())
    if wsum <= 0:
        raise ConfigError(f"{p}: the dimension weights add up to 0")
    indicators = []
    seen: set[str] = set()
    for n, t in enumerate(data.get("indicator", []), start=1):
        where = f"{p}: indicator #{n}"
        key = str(_need(t, "key", where, str))
        where = f"{p}: indicator '{key}'"
        if key in seen:
            raise ConfigError(f"{where}: duplicate key")
        seen.add(key)
        dim = str(_need(t, "dimension", where, str))
        if dim not in DIMENSIONS:
            raise ConfigError(f"{where}: unknown dimension '{dim}'")
        source = str(t.get("source", key))
        if source not in SOURCES:
            raise ConfigError(f"{where}: unknown source '{source}'; one of {', '.join(SOURCES)}")
        direction = str(t.get("direction", "higher_better"))
        if direction not in DIRECTIONS:
            raise ConfigError(f"{where}: direction must be one of {', '.join(DIRECTIONS)}")
        norm = dict(_need(t, "normalise", where, dict))  # type: ignore[call-overload]
        method = norm.pop("method", None)
        if method not in METHODS:
            raise ConfigError(f"{where}: normalise.method must be one of {', '.join(METHODS)}")
        need = {"boolean": (), "minmax": ("low", "high"), "target": ("target",)}[method]
        if method == "target" and direction == "lower_better":
            need = ("target", "limit")
        for k in need:
            if not isinstance(norm.get(k), int | float) or isinstance(norm.get(k), bool):
                raise ConfigError(f"{where}: normalise.{k} must be a number")
        if method == "minmax" and norm["high"] == norm["low"]:
            raise ConfigError(f"{where}: normalise.low and high must differ")
        if method == "target" and direction == "lower_better" and norm["limit"] <= norm["target"]:
            raise ConfigError(f"{where}: normalise.limit must exceed target")
        weight = float(_need(t, "weight", where, (int, float)))  # type: ignore[arg-type]
        if weight < 0:
            raise ConfigError(f"{where}: weight must not be negative")
        missing = str(t.get("missing", "zero"))
        if missing not in MISSING:
            raise ConfigError(f"{where}: missing must be one of {', '.join(MISSING)}")
        indicators.append(
            Indicator(
                key=key,
                name=str(_need(t, "name", where, str)),
                dimension=dim,
                source=source,
                definition=str(t.get("definition", "")),
                direction=direction,
                method=method,
                params=norm,
                weight=weight,
                missing=missing,
                unit=str(t.get("unit", "")),
            )
        )
    for d in DIMENSIONS:
        if not any(i.dimension == d and i.weight > 0 for i in indicators):
            raise ConfigError(f"{p}: dimension '{d}' has no indicator with a positive weight")
    return IndexConfig(
        name=str(head.get("name", "三方强基指数")),
        version=str(head.get("version", "")),
        dimensions={k: (names[k], weights[k] / wsum) for k in DIMENSIONS},
        indicators=tuple(indicators),
        sha=hashlib.sha256(raw).hexdigest()[:12],
        path=p,
    )


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """``2026Q3`` -> (2026-07-01, 2026-10-01): the quarter's first day and the next's."""
    m = _QUARTER.match(text.strip())
    if not m:
        raise ValueError(f"quarter must look like 2026Q3, got {text!r}")
    year, q = int(m.group(1)), int(m.group(2))
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, end


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarter(quarter: str) -> str:
    start, _ = parse_quarter(quarter)
    return quarter_of(start - dt.timedelta(days=1))


def last_complete_quarter(today: dt.date) -> str:
    """The latest quarter that ended before ``today``."""
    return previous_quarter(quarter_of(today))
