"""Database access: the one module that owns engines and connections.

``database_url(settings)`` resolves where the data lives (``DATABASE_URL`` or the embedded
cluster, started on demand); the command line uses it as the owner of the tables.
The web application connects as the application role ``geo_app`` instead (``app_engine``:
directly on the embedded cluster, or by ``SET ROLE`` on each new connection when
``DATABASE_URL`` names another user), so row-level security applies to every query.
``get_db()`` hands a request its connection on ``flask.g``, its transaction already
scoped to the request's principal (``SET LOCAL``, see ``geo_service.rls``);
``ScopedEngine`` does the same for connections opened outside the request (streamed
exports, background refreshes). ``upgrade``/``downgrade`` run the Alembic migrations.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g

from . import rls
from .cluster import Cluster
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def cluster_for(settings: Settings) -> Cluster:
    return Cluster(settings.home, settings.db_name)


def database_url(settings: Settings, start: bool = True) -> str:
    """URL of the service database; starts the embedded cluster when it is the store."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    cluster = cluster_for(settings)
    if start:
        cluster.start()
    return cluster.url()


@lru_cache(maxsize=8)
def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def engine_for(settings: Settings) -> sa.Engine:
    return _engine(database_url(settings))


class NotMigrated(RuntimeError):
    """The database has no application role yet: its migrations have not run."""


def _become_app_role(dbapi_conn: psycopg.Connection, _record: object) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute("SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
                    (rls.APP_ROLE,))  # fmt: skip
        user, exists = cur.fetchone()
        if user != rls.APP_ROLE:
            if not exists:
                raise NotMigrated(
                    f"the database has no role {rls.APP_ROLE!r}: run `geo-service db upgrade`"
                )
            cur.execute(f"SET ROLE {rls.APP_ROLE}")
    dbapi_conn.commit()


@lru_cache(maxsize=8)
def app_engine(url: str) -> sa.Engine:
    """The web application's engine: every connection acts as ``geo_app``. Connections
    fail fast (3 s) when the server is down, and are checked before use, so the service
    answers 503 during an outage and recovers by itself."""
    engine = sa.create_engine(
        url,
        pool_size=8,
        max_overflow=8,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": 3},
    )
    sa.event.listen(engine, "connect", _become_app_role)
    return engine


def app_url(settings: Settings) -> str:
    """Where the web application connects: ``DATABASE_URL`` (switched to the application
    role on connect) or the embedded cluster as ``geo_app`` itself."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    cluster = cluster_for(settings)
    cluster.start()
    return cluster.url(user=rls.APP_ROLE)


class ScopedEngine:
    """Opens connections whose first transaction is scoped like a request's (the
    ``geo.*`` settings); for work that outlives the request or runs beside it."""

    def __init__(self, engine: sa.Engine, settings: Mapping[str, str]) -> None:
        self.engine = engine
        self.settings = dict(settings)
        self.url = engine.url

    def connect(self) -> sa.Connection:
        conn = self.engine.connect()
        try:
            rls.set_local(conn, self.settings)
        except BaseException:
            conn.close()
            raise
        return conn


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        has = conn.execute(
            sa.text("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        ).scalar()
        if not has:
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def request_engine() -> ScopedEngine:
    """The application engine scoped to the current request's principal (no rows at all
    for a request without one)."""
    return ScopedEngine(current_app.extensions["geo_engine"], g.get("db_scope") or {})


def get_db() -> sa.Connection:
    """The request's connection (opened on first use, closed at teardown), in a
    transaction scoped to the request's principal."""
    if "db" not in g:
        g.db = request_engine().connect()
    return g.db


def commit() -> None:
    """Commit the request's transaction; the next one is scoped again."""
    conn = get_db()
    conn.commit()
    rls.set_local(conn, g.get("db_scope") or {})


def _close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask, engine: sa.Engine) -> None:
    app.extensions["geo_engine"] = engine
    app.teardown_appcontext(_close_db)
