#!/usr/bin/env python3
"""Benchmark: import and match the department lists of the district-scale demo.

Loads the demo district into a throwaway embedded cluster (or uses --home, a
GEO_SERVICE_HOME whose database already holds the same demo), writes the department
files (``geo-service demo files``: owner list of a year before, owner, registered,
floating; about 2.6 million records with clerks' addresses and a truth file), then
imports each with ``residents.import_records`` (read, match, COPY, ownership changes,
match report, one transaction each) and compares every row's outcome with the truth.
Reference: a bare ``COPY`` of the same file's rows into a scratch table with no index,
in the same process.

Targets (issue 3): 2,000,000 records imported and matched in under 2 minutes on 2 cores;
at least 99% matched correctly and no wrong household reported as matched.

Usage: scripts/bench_residents.py [--scale district] [--seed 1] [--home DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from geo_service import db  # noqa: E402
from geo_service.cluster import Cluster  # noqa: E402
from geo_service.demo.departments import FILES, write_department_files  # noqa: E402
from geo_service.demo.load import is_empty, load_demo  # noqa: E402
from geo_service.residents import import_records  # noqa: E402

AS_OF = dt.date(2026, 11, 22)
TARGET_RECORDS, TARGET_SECONDS = 2_000_000, 120.0


def _reference_copy(conn: psycopg.Connection, path: Path, encoding: str) -> float:
    """Seconds to COPY the file's rows, as they are, into a scratch table."""
    conn.execute("DROP TABLE IF EXISTS bench_scratch")
    conn.execute(
        "CREATE UNLOGGED TABLE bench_scratch (name text, id_number text, phone text, "
        "address text, registered_on text)"
    )
    t = time.perf_counter()
    enc = {"utf-8-sig": "UTF8", "utf-8": "UTF8", "gb18030": "GB18030"}[encoding]
    with (
        conn.cursor() as cur,
        cur.copy(
            f"COPY bench_scratch FROM STDIN (FORMAT csv, HEADER true, ENCODING '{enc}')"
        ) as copy,
        open(path, "rb") as f,
    ):
        head = f.read(3)
        if head != b"\xef\xbb\xbf":
            copy.write(head)
        while block := f.read(1 << 20):
            copy.write(block)
    seconds = time.perf_counter() - t
    conn.execute("DROP TABLE bench_scratch")
    return seconds


def _accuracy(report: Path, truth: dict[int, int]) -> tuple[int, int, int, int]:
    """(rows, matched to the true household, matched to another household, not matched)."""
    n = right = wrong = other = 0
    with open(report, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            n += 1
            true = truth[int(r["行号"])]
            if r["结果"] == "已匹配":
                if int(r["户编号"]) == true:
                    right += 1
                else:
                    wrong += 1
            else:
                other += 1
    return n, right, wrong, other


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", default="district", choices=["tiny", "district", "city"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--home", type=Path, default=None, help="use this GEO_SERVICE_HOME's cluster")
    args = ap.parse_args()

    own = args.home is None
    home = Path(tempfile.mkdtemp(prefix="gsr-", dir="/tmp")) if own else args.home
    cluster = Cluster(home)
    work = Path(tempfile.mkdtemp(prefix="gsr-files-", dir="/tmp"))
    try:
        cluster.start()
        name = "bench_residents"
        cluster.ensure_database(name)
        db.upgrade(cluster.url(name))
        ci = cluster.conninfo(name)
        with psycopg.connect(ci) as conn:
            empty = is_empty(conn)
        t = time.perf_counter()
        if empty:
            load_demo(ci, args.scale, args.seed, AS_OF, progress=True)
        load_s = time.perf_counter() - t
        with psycopg.connect(ci, autocommit=True) as conn:
            conn.execute("TRUNCATE resident_import, resident_record, ownership_change")
        t = time.perf_counter()
        files = write_department_files(work, args.scale, args.seed, AS_OF)
        files_s = time.perf_counter() - t
        truth: dict[str, dict[int, int]] = {stem: {} for stem in FILES}
        with open(files.truth, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                truth[r["file"]][int(r["row"])] = int(r["household_id"])

        lines = []
        tot = {"n": 0, "s": 0.0, "ref": 0.0, "right": 0, "wrong": 0, "other": 0}
        with psycopg.connect(ci, autocommit=True) as conn:
            for stem, (source, enc, _) in FILES.items():
                path = files.files[stem]
                ref = _reference_copy(conn, path, enc)
                report = work / f"{stem}.report.csv"
                t = time.perf_counter()
                res = import_records(conn, path, source, "330105", files.list_dates[stem], report)
                s = time.perf_counter() - t
                n, right, wrong, other = _accuracy(report, truth[stem])
                lines.append((stem, n, s, ref, right, wrong, other, res))
                for k, v in (("n", n), ("s", s), ("ref", ref), ("right", right),
                             ("wrong", wrong), ("other", other)):  # fmt: skip
                    tot[k] += v
            changes = conn.execute("SELECT count(*) FROM ownership_change").fetchone()[0]
            # The demo's truth: households sold between the two owner lists (a new owner
            # registered after the earlier list, whose previous owner was on it).
            d0 = files.list_dates["owner_previous"]
            true_changes = conn.execute(
                """SELECT count(DISTINCT n.household_id) FROM resident n JOIN resident p
                   ON p.household_id = n.household_id AND p.source = 'owner'
                   AND p.valid_from <= %(d0)s AND p.valid_to >= %(d0)s AND p.valid_to < %(d1)s
                   WHERE n.source = 'owner' AND n.valid_from > %(d0)s AND n.valid_to IS NULL""",
                {"d0": d0, "d1": AS_OF},
            ).fetchone()[0]
            real = conn.execute(
                """SELECT count(*) FROM ownership_change oc WHERE EXISTS (
                     SELECT 1 FROM resident n WHERE n.household_id = oc.household_id
                     AND n.source = 'owner' AND n.valid_from = oc.changed_on
                     AND n.valid_from > %s)""",
                (d0,),
            ).fetchone()[0]

        print()
        print(f"resident import, scale {args.scale}, seed {args.seed}: ours = read + match + "
              "COPY + ownership changes + report, one transaction per file; "
              "reference = bare COPY of the file into a scratch table")  # fmt: skip
        print(f"{'file':<16}{'records':>10}{'ours s':>8}{'rec/s':>10}{'ref s':>7}{'ref rec/s':>11}"
              f"{'ours/ref':>9}{'correct':>9}{'wrong':>7}{'not matched':>12}")  # fmt: skip
        for stem, n, s, ref, right, wrong, other, _ in lines:
            print(f"{stem:<16}{n:>10,}{s:>8.1f}{n / s:>10,.0f}{ref:>7.1f}{n / ref:>11,.0f}"
                  f"{s / ref:>9.1f}{right / n:>9.2%}{wrong:>7}{other:>12,}")  # fmt: skip
        n, s = tot["n"], tot["s"]
        print(f"{'total':<16}{n:>10,}{s:>8.1f}{n / s:>10,.0f}{tot['ref']:>7.1f}"
              f"{n / tot['ref']:>11,.0f}{s / tot['ref']:>9.1f}{tot['right'] / n:>9.2%}"
              f"{tot['wrong']:>7}{tot['other']:>12,}")  # fmt: skip
        for stem, *_, res in lines:
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in res.seconds.items())
            print(f"  {stem}: {steps}")
        print(f"ownership changes: {changes:,} recorded, {real:,} of them true and correctly "
              f"dated; the demo sold {true_changes:,} households between the lists")  # fmt: skip
        print(f"demo load {load_s:.0f} s, "
              f"writing the files {files_s:.0f} s (not counted)")  # fmt: skip
        per_2m = s / n * TARGET_RECORDS
        print(f"target: {TARGET_RECORDS:,} records in under {TARGET_SECONDS:.0f} s -> "
              f"{per_2m:.0f} s at the measured rate "
              f"({'met' if per_2m < TARGET_SECONDS else 'MISSED'}); "
              f"correct {tot['right'] / n:.2%} (target >= 99%: "
              f"{'met' if tot['right'] / n >= 0.99 else 'MISSED'}), wrong matches {tot['wrong']} "
              f"(target 0: {'met' if tot['wrong'] == 0 else 'MISSED'})")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if own:
            cluster.destroy()
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
