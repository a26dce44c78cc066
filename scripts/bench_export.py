#!/usr/bin/env python3
"""Benchmark: full-layer GeoJSON export over HTTP beside ogr2ogr reading PostGIS directly.

Creates a throwaway embedded cluster (never the user's data), loads the demo district at
district scale, creates a planner account and token, and starts ``geo-service serve``
(waitress) in a subprocess. Then, for the complaint layer (150,000 points, the largest
point layer of the demo district) and for buildings (12,000 polygons):

- ours: ``GET /export/{layer}.geojson`` read to a file by an HTTP client;
- reference: ``ogr2ogr -f GeoJSON`` reading the same table directly (``PG:`` with the same
  public columns), in the same run.

It prints features/s of both and the ratio (target: ours >= 2x), the serving process's
memory growth during each export from /proc (VmRSS sampled every 10 ms; target <= 100 MB
whatever the layer size), and OAPIF paging throughput: features/s walking ``next`` links
with limit=10000, and GDAL's OAPIF driver copying the layer (``-oo PAGE_SIZE=10000``).
Each timing is the median of ``--runs`` runs; ours and ogr2ogr alternate run by run.

Usage: scripts/bench_export.py [--scale district] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import layers  # noqa: E402
from geo_service import accounts, db  # noqa: E402
from geo_service.cluster import Cluster  # noqa: E402
from geo_service.demo.load import load_demo  # noqa: E402

LAYERS = ("complaints", "buildings")
TARGET_RATIO = 2.0
TARGET_GROWTH_MB = 100


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class RssSampler:
    """Peak VmRSS of a process while the block runs (sampled every 10 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_kb(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> RssSampler:
        self.peak = _rss_kb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_kb(self.pid))


def _get(url: str, token: str, out: Path | None = None) -> bytes | int:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        if out is None:
            return resp.read()
        n = 0
        with out.open("wb") as f:
            while chunk := resp.read(1 << 20):
                f.write(chunk)
                n += len(chunk)
        return n


def _features(path: Path) -> int:
    return len(json.loads(path.read_bytes())["features"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", default="district", choices=["tiny", "district", "city"])
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median is reported)")
    args = ap.parse_args()
    ogr2ogr = shutil.which("ogr2ogr")
    if not ogr2ogr:
        raise SystemExit("ogr2ogr not found: install gdal-bin (scripts/setup does)")

    home = Path(tempfile.mkdtemp(prefix="gsx-", dir="/tmp"))
    work = Path(tempfile.mkdtemp(prefix="gsx-out-"))
    cluster = Cluster(home)
    server = None
    try:
        cluster.start()
        url = cluster.url()
        db.upgrade(url)
        print(f"loading the demo district ({args.scale}) into a throwaway cluster ...", flush=True)
        load_demo(cluster.conninfo(), args.scale, 1, dt.date(2026, 11, 22), progress=False)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            accounts.add_account(conn, "bench-planner", "planner")
            token = accounts.create_token(conn, "bench-planner", days=1)[1]
            counts = {
                lid: conn.execute(
                    sa.text(f"SELECT count(*) FROM {layers.REGISTRY[lid].table}")
                ).scalar()
                for lid in LAYERS
            }
        engine.dispose()

        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "GEO_SERVICE_HOME": str(home)}
        server = subprocess.Popen(
            [sys.executable, "-m", "geo_service.cli", "serve", "--port", str(port)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/ogc/conformance", token)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the service did not start") from None
                time.sleep(0.3)
        # warm up: a page of each layer and a small export, then take the baseline
        for lid in LAYERS:
            _get(f"{base}/ogc/collections/{lid}/items?limit=100", token)
        _get(f"{base}/export/petitions.geojson", token)
        baseline_kb = _rss_kb(server.pid)

        results = {}
        for lid in LAYERS:
            layer = layers.REGISTRY[lid]
            ours, growth, theirs = [], [], []
            out = work / f"{lid}.geojson"
            ref = work / f"{lid}.ref.geojson"
            cols = ", ".join(["id", *layer.public_field_names, "geom"])
            pg = f"PG:{cluster.conninfo()}"
            for _ in range(args.runs):  # alternate, so that other load on the machine hits both
                with RssSampler(server.pid) as rss:
                    t0 = time.perf_counter()
                    _get(f"{base}/export/{lid}.geojson", token, out)
                    ours.append(time.perf_counter() - t0)
                growth.append((rss.peak - baseline_kb) / 1024)
                ref.unlink(missing_ok=True)
                t0 = time.perf_counter()
                subprocess.run([ogr2ogr, "-f", "GeoJSON", str(ref), pg, "-sql",
                                f"SELECT {cols} FROM {layer.table}", "-nln", lid], check=True)  # fmt: skip
                theirs.append(time.perf_counter() - t0)
            n_ours = _features(out)
            n_ref = _features(ref)
            assert n_ours == n_ref == counts[lid], (lid, n_ours, n_ref, counts[lid])
            results[lid] = (n_ours, statistics.median(ours), statistics.median(theirs), max(growth))
            print(f"  {lid}: ours {[round(t, 2) for t in ours]} s, ogr2ogr {[round(t, 2) for t in theirs]} s, "
                  f"growth {[round(g, 1) for g in growth]} MB", flush=True)  # fmt: skip

        # OAPIF paging through next links
        paging = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            nxt, n_pages, n_feats = f"{base}/ogc/collections/complaints/items?limit=10000", 0, 0
            with RssSampler(server.pid) as rss:
                while nxt:
                    page = json.loads(_get(nxt, token))
                    n_feats += len(page["features"])
                    n_pages += 1
                    nxt = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
            paging.append(
                (time.perf_counter() - t0, n_pages, n_feats, (rss.peak - baseline_kb) / 1024)
            )
        assert paging[0][2] == counts["complaints"]
        # the same through a real client: GDAL's OAPIF driver following the next links
        gdal_env = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}"}
        via_gdal = []
        for _ in range(args.runs):
            dst = work / "oapif.geojson"
            dst.unlink(missing_ok=True)
            t0 = time.perf_counter()
            subprocess.run([ogr2ogr, "-f", "GeoJSON", str(dst), f"OAPIF:{base}/ogc", "complaints",
                            "-oo", "PAGE_SIZE=10000"], check=True, env=gdal_env)  # fmt: skip
            via_gdal.append(time.perf_counter() - t0)
        assert _features(work / "oapif.geojson") == counts["complaints"]

        print()
        print(f"full GeoJSON export, scale {args.scale}, median of {args.runs} runs: ours = "
              "GET /export/{layer}.geojson over HTTP (waitress); reference = ogr2ogr -f GeoJSON "
              "reading the PostGIS table directly (same columns)")  # fmt: skip
        print(f"{'layer':<12}{'features':>10}{'ours s':>9}{'ours f/s':>11}{'ogr2ogr s':>11}"
              f"{'ogr2ogr f/s':>13}{'ratio':>8}{'RSS growth MB':>15}")  # fmt: skip
        ok_ratio = ok_mem = True
        for lid, (n, s_ours, s_ref, grow) in results.items():
            ratio = s_ref / s_ours
            ok_ratio &= ratio >= TARGET_RATIO
            ok_mem &= grow <= TARGET_GROWTH_MB
            print(f"{lid:<12}{n:>10,}{s_ours:>9.2f}{n / s_ours:>11,.0f}{s_ref:>11.2f}"
                  f"{n / s_ref:>13,.0f}{ratio:>8.2f}{grow:>15.1f}")  # fmt: skip
        t, pages, feats, grow = sorted(paging)[len(paging) // 2]
        print(f"OAPIF paging (complaints, limit=10000, {pages} pages via next links): "
              f"{feats:,} features in {t:.2f} s = {feats / t:,.0f} features/s, RSS growth {grow:.1f} MB")  # fmt: skip
        t = statistics.median(via_gdal)
        print(f"ogr2ogr from OAPIF (complaints, PAGE_SIZE=10000): {counts['complaints']:,} features "
              f"in {t:.2f} s = {counts['complaints'] / t:,.0f} features/s")  # fmt: skip
        print(f"serving process RSS at baseline {baseline_kb / 1024:.1f} MB")
        print(
            f"target: ours >= {TARGET_RATIO:.0f}x ogr2ogr features/s -> {'met' if ok_ratio else 'MISSED'}"
        )
        print(f"target: RSS growth <= {TARGET_GROWTH_MB} MB -> {'met' if ok_mem else 'MISSED'}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
