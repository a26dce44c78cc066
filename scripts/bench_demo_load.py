#!/usr/bin/env python3
"""Benchmark: load the demo district and compare each table with a plain psql COPY.

Creates a throwaway embedded cluster (never the user's data), runs the full
``geo-service demo load`` pipeline (generate + COPY + FK/check validation + index
maintenance in one transaction), then dumps every table and reloads the same rows with
``psql \\copy`` into an identical empty table (same columns, indexes and checks; no
foreign keys) as the reference. Prints rows/s per table and the ratio ours/reference.

Target (issue 2): the district scale loads in under 5 minutes on 2 cores.

Usage: scripts/bench_demo_load.py [--scale district] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from geo_service import db  # noqa: E402
from geo_service.cluster import Cluster  # noqa: E402
from geo_service.demo.load import LOAD_ORDER, load_demo  # noqa: E402

TARGET_SECONDS = {"district": 300}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", default="district", choices=["tiny", "district", "city"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="gsb-", dir="/tmp"))
    cluster = Cluster(home)
    try:
        cluster.start()
        db.upgrade(cluster.url())
        report = load_demo(
            cluster.conninfo(), args.scale, args.seed, dt.date(2026, 11, 22), progress=True
        )
        ref: dict[str, float] = {}
        dump = home / "dump"
        dump.mkdir()
        shutil.chown(dump, *(_owner(home)))
        psql = [
            str(shutil.which("psql") or "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            cluster.conninfo(),
        ]
        with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE SCHEMA ref")
            for t in LOAD_ORDER:
                conn.execute(f"CREATE TABLE ref.{t} (LIKE public.{t} INCLUDING ALL)")
        for t in LOAD_ORDER:
            f = dump / f"{t}.copy"
            subprocess.run([*psql, "-c", f"\\copy public.{t} TO '{f}'"], check=True)
            t0 = time.perf_counter()
            subprocess.run([*psql, "-c", f"\\copy ref.{t} FROM '{f}'"], check=True)
            ref[t] = time.perf_counter() - t0

        print()
        print(f"demo load, scale {args.scale}: ours = generate + COPY in one transaction with FKs; "
              "reference = psql \\copy of the same rows into an identical table without FKs")  # fmt: skip
        print(
            f"{'table':<20}{'rows':>11}{'ours s':>9}{'ours rows/s':>13}{'ref s':>8}{'ref rows/s':>12}{'ours/ref':>10}"
        )
        for t in LOAD_ORDER:
            n, s, r = report.rows[t], report.seconds[t], ref[t]
            print(
                f"{t:<20}{n:>11,}{s:>9.2f}{n / s if s else 0:>13,.0f}{r:>8.2f}{n / r if r else 0:>12,.0f}{s / r if r else 0:>10.2f}"
            )
        ours, reft = sum(report.seconds[t] for t in LOAD_ORDER), sum(ref.values())
        print(
            f"{'copy total':<20}{sum(report.rows.values()):>11,}{ours:>9.2f}{'':>13}{reft:>8.2f}{'':>12}{ours / reft:>10.2f}"
        )
        print(f"generation {report.generate_seconds:.1f} s, VACUUM ANALYZE {report.seconds.get('analyze', 0):.1f} s, "
              f"end to end {report.total_seconds:.1f} s")  # fmt: skip
        target = TARGET_SECONDS.get(args.scale)
        if target:
            verdict = "met" if report.total_seconds < target else "MISSED"
            print(
                f"target: under {target} s end to end -> {verdict} ({report.total_seconds / target:.2f} of the budget)"
            )
    finally:
        cluster.destroy()
    return 0


def _owner(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid


if __name__ == "__main__":
    raise SystemExit(main())
