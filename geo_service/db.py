"""Database access: the one module that owns engines and connections.

``database_url(settings)`` resolves where the data lives (``DATABASE_URL`` or the embedded
cluster, started on demand); ``get_db()`` hands a request its connection on ``flask.g``;
``upgrade``/``downgrade`` run the Alembic migrations.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g

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


def get_db() -> sa.Connection:
    """The request's connection (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = current_app.extensions["geo_engine"].connect()
    return g.db


def _close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask, engine: sa.Engine) -> None:
    app.extensions["geo_engine"] = engine
    app.teardown_appcontext(_close_db)
