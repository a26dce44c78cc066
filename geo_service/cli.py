"""The ``geo-service`` command: serve the map, manage the database, load the demo."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from . import enums
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


# -- users -----------------------------------------------------------------------------
def _engine():  # noqa: ANN202
    import sqlalchemy as sa

    from . import db as dbm

    url = dbm.database_url(_settings())
    dbm.upgrade(url)
    return sa.create_engine(url)


@contextmanager
def _connection(write: bool = False) -> Iterator:
    """A connection to the (migrated) service database; a transaction when ``write``;
    an AccountError becomes a clean CLI error."""
    from .accounts import AccountError

    engine = _engine()
    try:
        with engine.begin() if write else engine.connect() as conn:
            yield conn
    except AccountError as e:
        raise _fail(e) from None
    finally:
        engine.dispose()


@main.group()
def users() -> None:
    """Accounts and the API tokens GIS clients (QGIS, GDAL) send as Bearer tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(enums.ACCOUNT_ROLE)),
              help="The account's role.")  # fmt: skip
@click.option("--street", "streets", multiple=True, metavar="CODE",
              help="Limit the account to this street (9-digit code); repeatable.")  # fmt: skip
@click.option("--community", "communities", multiple=True, metavar="CODE",
              help="Limit the account to this community (12-digit code); repeatable.")  # fmt: skip
@click.option("--compound", "compounds", multiple=True, metavar="ID",
              help="Limit the account to this compound (id or 15-digit code); repeatable.")  # fmt: skip
def users_add(
    username: str, role: str, streets: tuple, communities: tuple, compounds: tuple
) -> None:
    """Create an account; without an area option it sees the whole district."""
    from .accounts import add_account

    given = [(k, v) for k, v in (("street", streets), ("community", communities), ("compounds", compounds)) if v]  # fmt: skip
    if len(given) > 1:
        raise click.UsageError("give one of --street, --community or --compound")
    kind, codes = given[0] if given else ("district", ())
    with _connection(write=True) as conn:
        account_id = add_account(
            conn, username, role, kind, codes, district_code=_settings().district_code
        )
    area = "the whole district" if kind == "district" else f"{kind} {', '.join(codes)}"
    click.echo(f"user {username} (id {account_id}, {role}) sees {area}")


@users.command("list")
def users_list() -> None:
    """List the accounts with their role, area and usable tokens."""
    from .accounts import list_accounts

    with _connection() as conn:
        rows = list_accounts(conn)
    click.echo(f"{'id':>4}  {'username':<20}{'role':<20}{'area':<32}{'tokens':>7}  disabled")
    for r in rows:
        area = r["area_kind"] + (" " + ",".join(r["area_codes"]) if r["area_codes"] else "")
        click.echo(
            f"{r['id']:>4}  {r['username']:<20}{r['role']:<20}{area:<32}{r['active_tokens']:>7}  "
            f"{'yes' if r['disabled'] else 'no'}"
        )


@users.group("token")
def users_token() -> None:
    """Create, list and revoke API tokens."""


@users_token.command("create")
@click.argument("username")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True,
              help="Days until the token expires.")  # fmt: skip
@click.option("--label", default=None, help="A note on what the token is for (e.g. QGIS).")
def users_token_create(username: str, days: int, label: str | None) -> None:
    """Issue a token for USERNAME and print it (once: only its hash is stored)."""
    from .accounts import create_token

    with _connection(write=True) as conn:
        token_id, token, expires = create_token(conn, username, days, label)
    click.echo(token)
    click.echo(
        f"token {token_id} for {username}, expires {expires:%Y-%m-%d %H:%M} UTC; "
        "it is shown only now: send it as 'Authorization: Bearer <token>'",
        err=True,
    )


@users_token.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def users_token_list(username: str | None) -> None:
    """List tokens (never their secrets): owner, label, dates."""
    from .accounts import list_tokens

    with _connection() as conn:
        rows = list_tokens(conn, username)

    def d(v) -> str:  # noqa: ANN001
        return f"{v:%Y-%m-%d}" if v else "-"

    click.echo(
        f"{'id':>4}  {'user':<20}{'label':<16}{'created':<12}{'expires':<12}{'revoked':<12}last used"
    )
    for r in rows:
        click.echo(
            f"{r['id']:>4}  {r['username']:<20}{(r['label'] or '-'):<16}{d(r['created_at']):<12}"
            f"{d(r['expires_at']):<12}{d(r['revoked_at']):<12}{d(r['last_used_at'])}"
        )


@users_token.command("revoke")
@click.argument("token_id", type=int)
def users_token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (see 'users token list'); it stops working at once."""
    from .accounts import revoke_token

    with _connection(write=True) as conn:
        done = revoke_token(conn, token_id)
    if not done:
        raise click.ClickException(f"no active token {token_id}")
    click.echo(f"token {token_id} revoked")


# -- export ----------------------------------------------------------------------------
@main.command("export")
@click.argument("layer_id", metavar="LAYER")
@click.option("--format", "fmt", type=click.Choice(["geojson", "gpkg", "csv"]), default="geojson",
              show_default=True, help="File format.")  # fmt: skip
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write ('-' for standard output; not for gpkg).")  # fmt: skip
@click.option("--bbox", default=None, metavar="MINLON,MINLAT,MAXLON,MAXLAT",
              help="Only features intersecting this box (CRS84).")  # fmt: skip
@click.option(
    "--street", default=None, metavar="CODE", help="Only this street (9 digits; comma list)."
)
@click.option("--community", default=None, metavar="CODE",
              help="Only this community (12 digits; comma list).")  # fmt: skip
@click.option("--compound", default=None, metavar="ID",
              help="Only this compound (id or 15-digit code; comma list).")  # fmt: skip
@click.option(
    "--datetime", "when", default=None, help="RFC 3339 instant or interval, e.g. 2026-01-01/.."
)
@click.option(
    "--filter", "cql", default=None, help='CQL2 text, e.g. "floors >= 7 AND has_elevator = false".'
)
@click.option("--crs", default=None, help="Output CRS: CRS84 (default), EPSG:4490 or EPSG:3857.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def export_cmd(
    layer_id: str,
    fmt: str,
    out: str,
    bbox: str | None,
    street: str | None,
    community: str | None,
    compound: str | None,
    when: str | None,
    cql: str | None,
    crs: str | None,
    quiet: bool,
) -> None:
    """Export LAYER (public fields only) as GeoJSON, GeoPackage or CSV, streamed."""
    from pathlib import Path

    from tqdm import tqdm

    import layers as registry

    from . import export, feature_queries, ogc
    from .accounts import Principal, Scope
    from .errors import BadParameter

    if layer_id not in registry.REGISTRY:
        raise click.BadParameter(f"no layer {layer_id!r}; one of {', '.join(registry.REGISTRY)}")
    if fmt == "gpkg" and out == "-":
        raise click.BadParameter("a GeoPackage needs a file", param_hint="--out")
    args = {"bbox": bbox, "street": street, "community": community, "compound": compound,
            "datetime": when, "filter": cql, "crs": crs}  # fmt: skip
    args = {k: v for k, v in args.items() if v is not None}
    layer = registry.REGISTRY[layer_id]
    district = _settings().district_code
    local = Principal(0, "local", "admin", Scope("district", (), district))
    try:
        q = ogc.parse_query(layer, local, args, paging=False, axis_order=False)
    except BadParameter as e:
        raise click.BadParameter(e.reason, param_hint=f"--{e.parameter}") from None
    engine = _engine()
    try:
        with engine.connect() as conn:
            total = feature_queries.count(conn, q)
        bar = tqdm(total=total, unit=" features", disable=quiet, file=sys.stderr)
        if fmt == "gpkg":
            n = export.write_gpkg(engine, q, Path(out), bar.update)
        else:
            n = 0
            with click.open_file(out, "wb") as f:
                for chunk in export.chunks(engine, q, fmt, bar.update):
                    f.write(chunk)
            n = bar.n
        bar.close()
    finally:
        engine.dispose()
    click.echo(f"{n:,} features of {layer_id} written to {out}", err=out == "-")


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
