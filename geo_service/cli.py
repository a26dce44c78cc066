"""The ``geo-service`` command: serve the map, manage the database, load the demo."""

from __future__ import annotations

import datetime as dt
import sys

import click

from .settings import Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as e:
        raise click.ClickException(str(e)) from None


def _fail(e: Exception) -> click.ClickException:
    return click.ClickException(str(e))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="geo-service")
def main() -> None:
    """Compound-governance map service (小区治理一张图) for a city district.

    Without DATABASE_URL it keeps its own PostgreSQL/PostGIS cluster in
    $GEO_SERVICE_HOME (default: var/ in the project), started on demand.
    """


# -- db --------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Manage the database: the embedded cluster and the schema migrations."""


def _embedded_cluster():  # noqa: ANN202
    from .cluster import Cluster

    s = _settings()
    if not s.embedded:
        raise click.ClickException("DATABASE_URL is set: the embedded cluster is not in use")
    return Cluster(s.home, s.db_name)


@db.command("start")
def db_start() -> None:
    """Start the embedded cluster (initialising it on first use)."""
    from .cluster import ClusterError

    c = _embedded_cluster()
    try:
        started = c.start()
    except ClusterError as e:
        raise _fail(e) from None
    click.echo(
        f"{'started' if started else 'already running'}: pid {c.status()}, socket in {c.socket_dir}"
    )


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster cleanly."""
    from .cluster import ClusterError

    c = _embedded_cluster()
    try:
        stopped = c.stop()
    except ClusterError as e:
        raise _fail(e) from None
    click.echo("stopped" if stopped else "not running")


@db.command("status")
def db_status() -> None:
    """Say where the data lives, whether the server runs and the schema revision."""
    import sqlalchemy as sa

    from . import db as dbm
    from .cluster import Cluster

    s = _settings()
    if s.embedded:
        c = Cluster(s.home, s.db_name)
        pid = c.status()
        click.echo(f"embedded cluster: {c.data_dir}")
        click.echo(f"server: {'running, pid ' + str(pid) if pid else 'stopped'}")
        if not pid:
            sys.exit(3)
        url = c.url()
    else:
        url = dbm.normalise_url(s.database_url or "")
        click.echo(f"database: {sa.make_url(url).render_as_string(hide_password=True)}")
    try:
        rev = dbm.current_revision(sa.create_engine(url))
    except sa.exc.OperationalError as e:
        raise click.ClickException(f"cannot connect: {e.orig}") from None
    click.echo(f"schema revision: {rev or 'none (run: geo-service db upgrade)'}")


@db.command("upgrade")
@click.option(
    "--revision", default="head", show_default=True, help="Alembic revision to upgrade to."
)
def db_upgrade(revision: str) -> None:
    """Apply schema migrations (starts the embedded cluster if needed)."""
    from . import db as dbm

    dbm.upgrade(dbm.database_url(_settings()), revision)
    click.echo(f"schema at {revision}")


@db.command("downgrade")
@click.option(
    "--revision", default="base", show_default=True, help="Alembic revision to go back to."
)
@click.confirmation_option(prompt="This drops tables and their data. Continue?")
def db_downgrade(revision: str) -> None:
    """Revert schema migrations (base drops every table of the service)."""
    from . import db as dbm

    dbm.downgrade(dbm.database_url(_settings()), revision)
    click.echo(f"schema at {revision}")


# -- demo ------------------------------------------------------------------------------
@main.group()
def demo() -> None:
    """The generated demo district (Gongshu, 330105)."""


@demo.command("load")
@click.option("--scale", type=click.Choice(["tiny", "district", "city"]), default="district", show_default=True,
              help="tiny loads in seconds; district matches Gongshu's published figures; city is ~15x.")  # fmt: skip
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Same seed and date give the same data."
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the history ends on [default: today].",
)
@click.option("--replace", is_flag=True, help="Overwrite data already in the database.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (exit 0) when the database already holds data."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def demo_load(
    scale: str, seed: int, as_of: dt.datetime | None, replace: bool, if_empty: bool, quiet: bool
) -> None:
    """Generate the demo district and bulk-load it with COPY in one transaction."""
    import psycopg
    import sqlalchemy as sa

    from . import db as dbm
    from .demo.load import is_empty, load_demo

    url = dbm.database_url(_settings())
    dbm.upgrade(url)
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    if if_empty:
        with psycopg.connect(conninfo) as conn:
            if not is_empty(conn):
                click.echo("database already holds data; demo not loaded")
                return
    try:
        report = load_demo(
            conninfo,
            scale,
            seed,
            as_of.date() if as_of else None,
            replace=replace,
            progress=not quiet,
        )
    except (RuntimeError, ValueError) as e:
        raise _fail(e) from None
    click.echo(report.table())


# -- layers ----------------------------------------------------------------------------
@main.command("layers")
def layers_cmd() -> None:
    """List the registered map layers and their fields."""
    import layers

    for layer in layers.REGISTRY.values():
        personal = ", ".join(layer.personal_field_names) or "-"
        click.echo(
            f"{layer.id:<20} {layer.title:<10} {layer.geometry_type:<13} table={layer.table:<18} personal={personal}"
        )


# -- serve -----------------------------------------------------------------------------
@main.command("serve")
@click.option(
    "--host", default=None, help="Address to listen on [default: $GEO_SERVICE_HOST or 127.0.0.1]."
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port [default: $GEO_SERVICE_PORT or 5000].",
)
@click.option(
    "--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Worker threads."
)
def serve(host: str | None, port: int | None, threads: int) -> None:
    """Serve the map and API (starts the embedded database and migrates it first)."""
    import waitress

    from . import db as dbm
    from .app import create_app
    from .assets import MissingAssetsError

    s = _settings()
    url = dbm.database_url(s)
    dbm.upgrade(url)
    try:
        app = create_app(s)
    except MissingAssetsError as e:
        raise _fail(e) from None
    host, port = host or s.host, port or s.port
    click.echo(f"serving http://{host}:{port}/ (Ctrl-C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="geo-service")


if __name__ == "__main__":
    main()
