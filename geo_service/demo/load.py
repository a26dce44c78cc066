"""Bulk-load the demo district with COPY, in one transaction, with a progress bar.

The load lands whole or not at all: tables are emptied and filled inside a single
transaction, so a failure (or Ctrl-C) leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import psycopg
import shapely
from tqdm import tqdm

from ..boundary_queries import seed_initial_history
from ..index.compute import demo_index
from ..models import BOUNDARY_TABLES, DATA_TABLES, PATCH_TABLES, RESIDENT_IMPORT_TABLES
from .generate import Columns, Dataset, generate, resident_chunks
from .scales import SCALES

NULL = "\\N"
BATCH_ROWS = 50_000
# Order respects foreign keys.
LOAD_ORDER = [
    "district", "street", "community", "commissioner", "compound", "compound_alias", "grid",
    "building", "unit",
    "household", "resident", "party_member", "building_captain", "complaint", "petition",
    "elevator_retrofit", "volunteer", "governance_meeting", "dispute", "satisfaction_survey",
]  # fmt: skip
# Not generated: filled from the loaded rows (issue 3: boundary history; problems by a check).
DERIVED_TABLES = list(BOUNDARY_TABLES)
DERIVED_TABLES += RESIDENT_IMPORT_TABLES  # issue 3: emptied with the housing they point at
DERIVED_TABLES += ["compound_index"]  # issue 8: the last quarters' index, from the loaded rows
DERIVED_TABLES += PATCH_TABLES  # issue 6: complaint marks and /patch visits, emptied on reload
assert sorted(LOAD_ORDER) == sorted(t for t in DATA_TABLES if t not in DERIVED_TABLES)
CODE_KEYED = {"district", "street", "community"}  # primary key is an area code, no sequence


@dataclass
class LoadReport:
    scale: str
    seed: int
    as_of: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    generate_seconds: float = 0.0
    total_seconds: float = 0.0

    def table(self) -> str:
        """Counts and rates per table, as printed by ``geo-service demo load``."""
        lines = [f"{'table':<20}{'rows':>12}{'seconds':>10}{'rows/s':>12}"]
        for t in LOAD_ORDER:
            if t in self.rows:
                s = self.seconds.get(t, 0.0)
                rate = self.rows[t] / s if s > 0 else float("inf")
                lines.append(f"{t:<20}{self.rows[t]:>12,}{s:>10.2f}{rate:>12,.0f}")
        lines.append(f"{'total':<20}{sum(self.rows.values()):>12,}{self.total_seconds:>10.2f}")
        lines.append(
            f"(generation {self.generate_seconds:.1f} s of the total; scale {self.scale}, seed {self.seed}, as of {self.as_of})"
        )
        return "\n".join(lines)


def _text(values: object, n: int) -> list[str]:
    """COPY text representation of one column."""
    if isinstance(values, str):
        return [values] * n
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            out = np.datetime_as_string(values).astype(object)
            if values.dtype == np.dtype("datetime64[s]"):
                out = np.char.add(out.astype(str), "+08").astype(object)  # Asia/Shanghai
            out[np.isnat(values)] = NULL
            return out.tolist()
        if values.dtype.kind == "b":
            return np.where(values, "t", "f").tolist()
        if values.dtype == object and len(values) and isinstance(values[0], shapely.Geometry):
            return _geoms(values)
        return values.astype(str).tolist()
    seq = list(values)  # type: ignore[call-overload]
    if seq and isinstance(seq[0], shapely.Geometry):
        return _geoms(np.asarray(seq, dtype=object))
    return [NULL if v is None else str(v) for v in seq]


def _geoms(geoms: np.ndarray) -> list[str]:
    geoms = shapely.set_srid(np.asarray(geoms, dtype=object), 4326)
    return shapely.to_wkb(geoms, hex=True, include_srid=True).tolist()


def _copy_columns(
    cur: psycopg.Cursor, table: str, cols: Columns, tick: Callable[[int], None]
) -> int:
    names = [c for c in cols if not c.startswith("_")]
    n = len(next(v for v in cols.values() if not isinstance(v, str)))  # type: ignore[arg-type]
    with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for lo in range(0, n, BATCH_ROWS):
            hi = min(n, lo + BATCH_ROWS)
            parts = []
            for c in names:
                v = cols[c]
                parts.append(_text(v if isinstance(v, str) else v[lo:hi], hi - lo))  # type: ignore[index]
            copy.write("".join(f"{row}\n" for row in map("\t".join, zip(*parts, strict=True))))
            tick(hi - lo)
    return n


def _chunks_of(ds: Dataset, table: str) -> Iterable[Columns]:
    return resident_chunks(ds) if table == "resident" else [ds.tables[table]]


def is_empty(conn: psycopg.Connection) -> bool:
    """True when no area or housing has been loaded yet."""
    return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM district)").fetchone()[0]


def load_demo(
    conninfo: str,
    scale: str = "tiny",
    seed: int = 1,
    as_of: dt.date | None = None,
    replace: bool = False,
    progress: bool = True,
) -> LoadReport:
    """Generate the demo district and load it; refuse to overwrite data unless ``replace``."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    as_of = as_of or dt.date.today()
    report = LoadReport(scale=scale, seed=seed, as_of=as_of)
    t0 = time.perf_counter()
    with psycopg.connect(conninfo) as conn:
        if not is_empty(conn) and not replace:
            raise RuntimeError(
                "the database already holds data: pass --replace to overwrite it with the demo district"
            )
        ds = generate(SCALES[scale], seed, as_of)
        report.generate_seconds = time.perf_counter() - t0
        total = sum(ds.count(t) for t in LOAD_ORDER)
        bar = tqdm(
            total=total,
            unit="rows",
            unit_scale=True,
            disable=not progress,
            desc="loading",
            leave=True,
        )
        with conn.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(
                f"TRUNCATE {', '.join(LOAD_ORDER + DERIVED_TABLES)} RESTART IDENTITY CASCADE"
            )
            for t in LOAD_ORDER:
                bar.set_postfix_str(t)
                ts = time.perf_counter()
                n = 0
                for chunk in _chunks_of(ds, t):
                    n += _copy_columns(cur, t, chunk, bar.update)
                report.rows[t] = n
                report.seconds[t] = time.perf_counter() - ts
            # Rows were copied with their ids: move identity sequences past them.
            for t in LOAD_ORDER:
                if t not in CODE_KEYED:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), greatest((SELECT max(id) FROM {t}), 1))"
                    )
            seed_initial_history(cur, as_of)  # issue 3: each compound's boundary, version 1
            ts = time.perf_counter()
            report.rows["compound_index"] = demo_index(cur, as_of)  # issue 8
            report.seconds["compound_index"] = time.perf_counter() - ts
        conn.commit()
        bar.close()
        conn.autocommit = True
        ts = time.perf_counter()
        # VACUUM as well as ANALYZE: the freshly copied tables get their visibility maps
        # now, instead of autovacuum working through millions of rows while the map is
        # first used (at city scale, minutes of slower tiles).
        conn.execute("VACUUM (ANALYZE)")
        report.seconds["analyze"] = time.perf_counter() - ts
    report.total_seconds = time.perf_counter() - t0
    return report
