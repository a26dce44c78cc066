"""Compute the 三方强基指数 for a quarter: raw values by SQL (queries.py), scores by the
configuration (config.py), stored in ``compound_index``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from . import queries
from .config import IndexConfig, load_config, parse_quarter, quarter_of


def score_quarter(conn: queries.Conn, quarter: str, config: IndexConfig) -> list[dict]:
    """One row per compound: area keys, dimension scores, total and indicators."""
    q0, q1 = parse_quarter(quarter)
    out = []
    for v in queries.indicator_values(conn, quarter, q0, q1):
        s = config.score(v)
        out.append(
            {
                "district_code": v["district_code"],
                "street_code": v["street_code"],
                "community_code": v["community_code"],
                "compound_id": v["compound_id"],
                "quarter": quarter,
                **s["dimensions"],
                "total": s["total"],
                "indicators": s["indicators"],
                "config_sha": config.sha,
            }
        )
    return out


def compute_quarters(
    conn: queries.Conn,
    quarters: list[str],
    config: IndexConfig | None = None,
    tick: Callable[[str], None] | None = None,
) -> int:
    """Compute and store each quarter (replacing what was stored); returns rows written."""
    config = config or load_config()
    n = 0
    for q in quarters:
        rows = score_quarter(conn, q, config)
        queries.replace_quarter(conn, q, rows)
        n += len(rows)
        if tick:
            tick(q)
    return n


def complete_quarters(conn: queries.Conn, today: dt.date) -> list[str]:
    """Every quarter wholly inside the event history that has ended before ``today``."""
    first, _ = queries.history_span(conn)
    if first is None:
        return []
    start, _ = parse_quarter(quarter_of(first))
    if start < first:  # the first quarter is partly before the history: skip it
        start = parse_quarter(quarter_of(first))[1]
    out = []
    q = quarter_of(start)
    while parse_quarter(q)[1] <= today:
        out.append(q)
        q = quarter_of(parse_quarter(q)[1])
    return out


def demo_index(cur: queries.Conn, as_of: dt.date, quarters: int = 4) -> int:
    """The demo loader's step: the last ``quarters`` complete quarters before ``as_of``."""
    qs = complete_quarters(cur, as_of)[-quarters:]
    return compute_quarters(cur, qs)
