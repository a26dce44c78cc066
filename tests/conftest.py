"""Shared fixtures: a throwaway PostGIS cluster, a migrated database with the tiny demo
district, the Flask app and a client. The user's own data (var/ or $GEO_SERVICE_HOME,
DATABASE_URL) is never touched: the environment is cleared of them for the session."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy as sa
from waitress.server import create_server

from geo_service import db
from geo_service.cluster import Cluster
from geo_service.settings import Settings

from .chromium import CHROMIUM, CHROMIUM_ARGS

AS_OF = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 7
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Never reach the user's database or data directory from a test.
os.environ.pop("DATABASE_URL", None)
os.environ.pop("GEO_SERVICE_HOME", None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a failure: CI must run everything."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"FAILED: {skipped} test(s) skipped; skipped tests fail this suite", red=True
        )
        session.exitstatus = 1


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """A throwaway embedded cluster in a short temporary directory."""
    home = Path(tempfile.mkdtemp(prefix="gst-", dir="/tmp"))
    c = Cluster(home)
    c.start()
    yield c
    c.destroy()
    shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def demo_cluster(prefix: str, seed: int) -> Iterator[Cluster]:
    """A cluster of its own with the migrated tiny demo (for tests that stop the server or
    change data the shared demo database must keep)."""
    from geo_service.demo.load import load_demo

    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    c = Cluster(home)
    try:
        c.start()
        c.ensure_database()
        db.upgrade(c.url())
        load_demo(c.conninfo(), "tiny", seed, AS_OF, progress=False)
        yield c
    finally:
        c.destroy()
        shutil.rmtree(home, ignore_errors=True)


def new_database(cluster: Cluster, prefix: str = "t") -> str:
    """Create an empty database in the test cluster and return its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    cluster.ensure_database(name)
    return name


def conninfo(cluster: Cluster, name: str) -> str:
    return cluster.conninfo(name)


@pytest.fixture(scope="session")
def demo_db(cluster: Cluster) -> str:
    """Name of a migrated database holding the tiny demo district (seed SEED, AS_OF)."""
    from geo_service.demo.load import load_demo

    name = new_database(cluster, "demo")
    db.upgrade(cluster.url(name))
    load_demo(cluster.conninfo(name), "tiny", SEED, AS_OF, progress=False)
    return name


@pytest.fixture(scope="session")
def demo_engine(cluster: Cluster, demo_db: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(cluster.url(demo_db))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_conn(cluster: Cluster, demo_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(cluster.conninfo(demo_db), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def app(cluster: Cluster, demo_db: str):  # noqa: ANN201
    from geo_service.app import create_app

    settings = Settings(database_url=cluster.url(demo_db), home=cluster.home)
    application = create_app(settings)
    # The demo history ends on AS_OF: pin the service's clock to that evening.
    application.config.update(TESTING=True, FIXED_NOW=NOW)
    return application


PASSWORD = "correct horse battery"


def add_user(engine: sa.Engine, role: str, kind: str = "district", codes: tuple = ()) -> str:
    """A fresh account (unique name) with a password (PASSWORD); returns its username."""
    from geo_service import accounts

    username = f"{role[:10]}-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        accounts.add_account(conn, username, role, kind, codes)
        accounts.set_password(conn, username, PASSWORD)
    return username


def session_cookie(app, engine: sa.Engine, username: str) -> str:  # noqa: ANN001
    """The value of a session cookie for ``username`` (logged in without the form)."""
    from geo_service import accounts

    _, sid = accounts.login(engine, username, PASSWORD, None)
    return app.session_interface.get_signing_serializer(app).dumps({accounts.SESSION_KEY: sid})


def logged_in(app, engine: sa.Engine, username: str):  # noqa: ANN001, ANN201
    """A test client with a session of ``username``."""
    c = app.test_client()
    c.set_cookie("geo_session", session_cookie(app, engine, username))
    return c


# -- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():  # noqa: ANN201
    """Debian's chromium, one for the whole session (Playwright's sync API cannot be
    started twice); Playwright gives every launch a fresh temporary profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class LoggedIn:
    """Opens pages in fresh browser contexts carrying a session cookie (the loopback
    host's, so it holds for every test server)."""

    def __init__(self, chromium, cookie: str) -> None:  # noqa: ANN001
        self.chromium = chromium
        self.cookie = cookie

    def new_page(self, **kwargs: object):  # noqa: ANN201
        # The contexts of pages closed since are closed first: each keeps its connections
        # to the test servers open otherwise, and waitress takes 100 at most.
        for old in self.chromium.contexts:
            if not old.pages:
                old.close()
        ctx = self.chromium.new_context(**kwargs)
        ctx.add_cookies([{
            "name": "geo_session", "value": self.cookie,
            "domain": "127.0.0.1", "path": "/", "httpOnly": True, "sameSite": "Lax",
        }])  # fmt: skip
        return ctx.new_page()


@pytest.fixture(scope="session")
def browser(chromium, app, demo_engine: sa.Engine, leader: str) -> LoggedIn:  # noqa: ANN001
    """Pages logged in as a district leader."""
    return LoggedIn(chromium, session_cookie(app, demo_engine, leader))


@pytest.fixture(scope="session")
def leader(demo_engine: sa.Engine) -> str:
    """A district leader (whole district)."""
    return add_user(demo_engine, "district_leader")


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:  # noqa: ANN001
    """The test app served by waitress on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture()
def client(app, demo_engine: sa.Engine, leader: str):  # noqa: ANN001, ANN201
    """A test client logged in as a district leader."""
    return logged_in(app, demo_engine, leader)


@pytest.fixture()
def anon(app):  # noqa: ANN001, ANN201
    """A test client that has not logged in."""
    return app.test_client()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
