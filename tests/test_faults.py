"""Faults (issue 7): PostgreSQL restarting under the service, and an import killed midway.

Both run on a cluster of their own (the shared test cluster is never stopped)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from geo_service.cluster import Cluster
from geo_service.settings import Settings

from .conftest import NOW, demo_cluster
from .ogc_support import bearer, make_token

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "geo_service.cli"]  # the tree under test
COUNTED = ("compound", "building", "household", "resident", "party_member", "complaint", "petition")


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Cluster]:
    with demo_cluster("gsf-", 5) as c:
        yield c


def _counts(c: Cluster) -> dict[str, int]:
    with psycopg.connect(c.conninfo()) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}


def test_restart_gives_503_then_recovers_without_a_restart(own_cluster: Cluster) -> None:
    from geo_service.app import create_app

    app = create_app(Settings(home=own_cluster.home))  # the embedded default: connects as geo_app
    app.config.update(TESTING=True, FIXED_NOW=NOW)
    import sqlalchemy as sa

    token = make_token(sa.create_engine(own_cluster.url()), "district_leader")
    client = app.test_client()
    assert client.get("/api/kpis", headers=bearer(token)).status_code == 200
    own_cluster.stop()
    try:
        for path in ("/api/kpis", "/api/compounds/metrics", "/api/health"):
            r = client.get(path, headers=bearer(token))
            assert r.status_code == 503, path
            assert r.headers["Retry-After"] == "5" and "database" in r.json["reason"]
    finally:
        own_cluster.start()
    # the pool notices the dead connections and reconnects by itself
    r = client.get("/api/kpis", headers=bearer(token))
    assert r.status_code == 200 and len(r.json["kpis"]) == 9


def test_an_import_killed_midway_changes_nothing(own_cluster: Cluster) -> None:
    before = _counts(own_cluster)
    env = {**os.environ, "GEO_SERVICE_HOME": str(own_cluster.home)}
    env.pop("DATABASE_URL", None)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (read after the process is killed)
    proc = subprocess.Popen(
        [*CLI, "demo", "load", "--scale", "tiny", "--seed", "9", "--replace", "--quiet"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    copying = False
    deadline = time.monotonic() + 120
    with psycopg.connect(own_cluster.conninfo(), autocommit=True) as conn:
        while time.monotonic() < deadline and proc.poll() is None:
            n = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY resident%%' AND state = 'active'"
            ).fetchone()[0]
            if n:
                copying = True
                break
            time.sleep(0.05)
        if not copying:
            log.seek(0)
            pytest.fail(
                "the import never reached the resident COPY:\n" + log.read().decode()[-2000:]
            )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # the server aborts the orphaned transaction once it sees the client gone
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY %%' AND pid <> pg_backend_pid()"
                " AND state <> 'idle'"
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(0.1)
    assert _counts(own_cluster) == before
