#!/usr/bin/env python3
"""Load and fault test: 50 users for 60 s against the service under gunicorn (loopback).

Sets up a throwaway embedded cluster with the demo district (never the user's data),
starts gunicorn on 127.0.0.1 serving ``geo_service.wsgi:app`` (the embedded default: the
app connects as the application role), and runs locust headless in this process. Each
simulated user logs in through the form (CSRF token and all) and then mixes: the map page,
compound metrics and KPIs, vector tiles at zooms 14-16, petition heat grids, the JSON
feature API and OGC API items. It prints requests/s, p50/p95/p99 and failures per kind,
and exits non-zero on any 5xx that is not an announced outage.

``--restart-db-at S`` restarts PostgreSQL S seconds into the run (down for
``--down-for`` seconds): while it is down requests must fail fast with 503 (the time to
each 503 is printed), afterwards the service must answer again without being restarted,
and no partial write may remain (every login session has its successful login attempt:
both are written in one transaction).

Usage: scripts/load_test.py [--users 50] [--seconds 60] [--scale tiny|district]
                            [--workers 2] [--restart-db-at 20 --down-for 5]
"""

from __future__ import annotations

# locust patches the standard library with gevent: it must be imported first
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from geo_service import db  # noqa: E402
from geo_service.accounts import DEMO_PASSWORD, demo_accounts  # noqa: E402
from geo_service.cluster import Cluster  # noqa: E402
from geo_service.demo.load import load_demo  # noqa: E402
from geo_service.queries import TILE_ZOOM_OFFSET  # noqa: E402

TILE_LAYERS = ["compounds", "buildings", "party_members", "complaints"]
OUTAGE: dict[str, float] = {"start": 0.0, "end": 0.0}
FAIL_FAST: list[float] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


class MapUser(HttpUser):
    """A district leader browsing the one-screen map (and a GIS client's OGC calls)."""

    wait_time = between(0.2, 1.0)
    bbox: tuple[float, float, float, float] = (120.10, 30.27, 120.20, 30.34)

    logged_in = False

    def on_start(self) -> None:
        self.login()

    def _outage(self) -> bool:
        return OUTAGE["start"] <= time.time() <= OUTAGE["end"] + 10

    def login(self) -> None:
        with self.client.get("/login", name="/login", catch_response=True) as r:
            if r.status_code != 200:
                return
            token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
        with self.client.post(
            "/login",
            data={"username": "demo-leader", "password": DEMO_PASSWORD, "csrf_token": token},
            name="/login POST",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 303:
                self.logged_in = True
            elif r.status_code == 503 and self._outage():
                r.success()  # logs in again after the outage
            else:
                r.failure(f"login: status {r.status_code}")

    def _get(self, path: str, name: str) -> None:
        if not self.logged_in:
            self.login()
            if not self.logged_in:
                return
        started = time.monotonic()
        with self.client.get(path, name=name, catch_response=True) as r:
            if r.status_code == 503 and self._outage():
                FAIL_FAST.append(time.monotonic() - started)
                r.success()  # an announced outage: 503 is the right answer
            elif r.status_code >= 500:
                r.failure(f"server error {r.status_code}")
            elif r.status_code not in (200, 304):
                r.failure(f"status {r.status_code}")

    @task(2)
    def page(self) -> None:
        self._get("/", "/ (map page)")

    @task(3)
    def metrics(self) -> None:
        self._get("/api/compounds/metrics", "/api/compounds/metrics")
        self._get("/api/kpis", "/api/kpis")

    @task(10)
    def tiles(self) -> None:
        z = random.choice([14, 15, 16])
        lon = random.uniform(self.bbox[0], self.bbox[2])
        lat = random.uniform(self.bbox[1], self.bbox[3])
        x, y = lonlat_to_tile(lon, lat, z - TILE_ZOOM_OFFSET)  # 512-px tiles: one zoom up
        layer = random.choice(TILE_LAYERS)
        self._get(f"/tiles/{layer}/{z - TILE_ZOOM_OFFSET}/{x}/{y}.pbf", f"/tiles/{layer}")

    @task(4)
    def heat(self) -> None:
        zoom = random.choice([14, 15, 16])
        w = random.choice(["30", "90", "365"])
        d = 0.02 * 2 ** (15 - zoom)
        lon = random.uniform(self.bbox[0], self.bbox[2] - d)
        lat = random.uniform(self.bbox[1], self.bbox[3] - d)
        box = f"{lon:.5f},{lat:.5f},{lon + d:.5f},{lat + d:.5f}"
        self._get(f"/api/heat/petitions?bbox={box}&zoom={zoom}&window={w}", "/api/heat/petitions")

    @task(2)
    def features(self) -> None:
        self._get("/api/layers/complaints/features?limit=200", "/api/layers/complaints/features")

    @task(2)
    def ogc(self) -> None:
        self._get("/ogc/collections/buildings/items?limit=100", "/ogc/collections/buildings/items")


def wait_for(url: str, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"service did not come up at {url}")


def partial_writes(conninfo: str, since: float) -> int:
    """Login sessions without their successful attempt (written in one transaction)."""
    with psycopg.connect(conninfo) as conn:
        sessions, attempts = conn.execute(
            """SELECT (SELECT count(*) FROM login_session WHERE created_at >= to_timestamp(%s)),
                      (SELECT count(*) FROM login_attempt WHERE ok AND at >= to_timestamp(%s))""",
            (since, since),
        ).fetchone()
    return abs(sessions - attempts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--scale", choices=["tiny", "district"], default="tiny")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    ap.add_argument("--restart-db-at", type=float, default=None, metavar="S")
    ap.add_argument("--down-for", type=float, default=5.0, metavar="S")
    args = ap.parse_args()
    if not (1 <= args.users <= 200 and 5 <= args.seconds <= 600):
        ap.error("--users 1..200 and --seconds 5..600 (bounded, loopback only)")

    home = Path(tempfile.mkdtemp(prefix="gsl-", dir="/tmp"))
    cluster = Cluster(home)
    gunicorn = None
    try:
        print(f"loading the {args.scale} demo into a throwaway cluster in {home} ...", flush=True)
        cluster.start()
        cluster.ensure_database()
        db.upgrade(cluster.url())
        load_demo(cluster.conninfo(), args.scale, 1, None, progress=False)
        import sqlalchemy as sa

        engine = sa.create_engine(cluster.url())
        with engine.begin() as conn:
            demo_accounts(conn)
        engine.dispose()

        port = free_port()
        env = {**os.environ, "GEO_SERVICE_HOME": str(home), "GEO_SERVICE_SECRET_KEY": "load-test"}
        env.pop("DATABASE_URL", None)
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--threads", str(args.threads),
             "--worker-class", "gthread", "--timeout", "60", "--log-level", "warning",
             "geo_service.wsgi:app"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        host = f"http://127.0.0.1:{port}"
        wait_for(host + "/api/health")
        started = time.time()

        environment = Environment(user_classes=[MapUser], host=host)
        runner = environment.create_local_runner()
        runner.start(args.users, spawn_rate=max(1, args.users / 5))
        if args.restart_db_at is not None:

            def outage() -> None:
                OUTAGE["start"] = time.time()
                OUTAGE["end"] = time.time() + 3600
                print(f"\n[{time.time() - started:5.1f}s] stopping PostgreSQL", flush=True)
                cluster.stop()
                gevent.sleep(args.down_for)
                cluster.start()
                OUTAGE["end"] = time.time()
                print(f"[{time.time() - started:5.1f}s] PostgreSQL is back", flush=True)

            gevent.spawn_later(args.restart_db_at, outage)
        gevent.spawn_later(args.seconds, runner.quit)
        runner.greenlet.join()
        elapsed = time.time() - started

        stats = environment.stats
        print(f"\n{args.users} users, {elapsed:.0f} s, gunicorn {args.workers}x{args.threads} "
              f"threads, {args.scale} demo\n")  # fmt: skip
        print(f"{'request':<36}{'n':>7}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        rows = sorted(stats.entries.values(), key=lambda e: e.name)
        for e in [*rows, stats.total]:
            print(f"{e.name:<36}{e.num_requests:>7}{e.num_failures:>6}"
                  f"{e.get_response_time_percentile(0.5):>9.0f}"
                  f"{e.get_response_time_percentile(0.95):>9.0f}"
                  f"{e.get_response_time_percentile(0.99):>9.0f}")  # fmt: skip
        total = stats.total
        print(f"\nrequests/s: {total.num_requests / elapsed:.1f}")
        for e in stats.errors.values():
            print(f"  failure: {e.method} {e.name}: {e.error} x{e.occurrences}")
        server_errors = sum(
            v.occurrences for v in stats.errors.values() if "server error" in str(v.error)
        )
        print(f"server errors (5xx outside an announced outage): {server_errors}")
        ok = server_errors == 0 and total.num_failures == 0
        if args.restart_db_at is not None:
            after = _after_outage(host)
            partial = partial_writes(cluster.conninfo(), started)
            slowest = max(FAIL_FAST, default=float("nan"))
            print(f"503s during the outage: {len(FAIL_FAST)}, slowest {slowest * 1000:.0f} ms")
            print(f"answers after the restart without restarting the service: {after}")
            print(f"partial writes (sessions without their login attempt): {partial}")
            ok = ok and after and partial == 0 and len(FAIL_FAST) > 0
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


def _after_outage(host: str) -> bool:
    """A fresh user can log in and read the KPIs after the restart."""
    import requests

    s = requests.Session()
    page = s.get(host + "/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    s.post(host + "/login", data={"username": "demo-leader", "password": DEMO_PASSWORD,
                                  "csrf_token": token}, timeout=10)  # fmt: skip
    return s.get(host + "/api/kpis", timeout=10).status_code == 200


if __name__ == "__main__":
    sys.exit(main())
