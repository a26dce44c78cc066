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
                _demo_logins(url)
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
    _demo_logins(url)


def _demo_logins(url: str) -> None:
    """Make sure the demo accounts exist and say how to log in with them."""
    import sqlalchemy as sa

    from .accounts import DEMO_PASSWORD, demo_accounts

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            rows = demo_accounts(conn, _settings().district_code)
    finally:
        engine.dispose()
    if not rows:
        return
    click.echo(f"\ndemo accounts (password {DEMO_PASSWORD!r}; disable them on a real install "
               "with: geo-service users disable NAME):")  # fmt: skip
    for r in rows:
        click.echo(f"  {r['username']:<20} {r['role']:<20} {r['area']}")


@demo.command("files")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Directory to write the files into.")  # fmt: skip
@click.option("--scale", type=click.Choice(["tiny", "district", "city"]), default="district",
              show_default=True, help="Same scale, seed and date as 'demo load'.")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the demo.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the demo's history ends on [default: today].")  # fmt: skip
@click.option("--records", type=click.IntRange(1), default=None,
              help="Keep about this many records (whole households) [default: all].")  # fmt: skip
@click.option("--xlsx", is_flag=True, help="Write the floating-population list as XLSX.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def demo_files(
    out: str, scale: str, seed: int, as_of: dt.datetime | None, records: int | None,
    xlsx: bool, quiet: bool,
) -> None:  # fmt: skip
    """Write the demo's department lists (产权/户籍/流口) with clerks' addresses and a truth file.

    owner_previous.csv is the owner list of a year before --as-of: import it first, then
    owner.csv, and the ownership changes of that year are recorded.
    """
    from pathlib import Path

    from tqdm import tqdm

    from .demo.departments import write_department_files
    from .demo.scales import SCALES

    bar = tqdm(total=SCALES[scale].residents, unit="rows", unit_scale=True, disable=quiet)
    res = write_department_files(
        Path(out), scale, seed, as_of.date() if as_of else None, records, xlsx, bar.update
    )
    bar.close()
    for stem, path in res.files.items():
        click.echo(f"{path}  {res.rows[stem]:>10,} rows  list date {res.list_dates[stem]}")
    click.echo(f"{res.truth}  (household of every row)")


# -- residents -------------------------------------------------------------------------
@main.group()
def residents() -> None:
    """Department resident records (产权/户籍/流口) matched to households."""


@residents.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", type=click.Choice(list(enums.RESIDENT_SOURCE)), required=True,
              help="owner 产权, registered 户籍 or floating 流口.")  # fmt: skip
@click.option("--report", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the match report (CSV, one line per row, no personal fields).")  # fmt: skip
@click.option("--list-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date of the list (dates ownership changes without a registration date) "
                   "[default: today].")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def residents_import(
    file: str, source: str, report: str | None, list_date: dt.datetime | None, quiet: bool
) -> None:
    """Import FILE (CSV in UTF-8 or GB18030, or XLSX) in one transaction and match its
    addresses to households; re-importing the same file changes nothing."""
    from pathlib import Path

    import psycopg
    import sqlalchemy as sa
    from tqdm import tqdm

    from . import db as dbm
    from .residents import ImportFailed, import_records

    url = dbm.database_url(_settings())
    dbm.upgrade(url)
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if quiet:
            return
        if stage not in bars:
            labels = {"read": "读取", "match": "匹配", "write": "写入"}
            bars[stage] = tqdm(total=total, unit="rows", unit_scale=True, desc=labels[stage])
        bars[stage].update(done)

    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            res = import_records(
                conn, Path(file), source, _settings().district_code,
                list_date.date() if list_date else None,
                Path(report) if report else None, progress,
            )  # fmt: skip
    except ImportFailed as e:
        raise _fail(e) from None
    finally:
        for b in bars.values():
            b.close()
    click.echo(res.table())
    if report:
        click.echo(f"match report: {report}")


@residents.command("changes")
@click.option("--compound", "compound_id", type=int, default=None, help="Only this compound (id).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only changes on or after this date.")  # fmt: skip
def residents_changes(compound_id: int | None, since: dt.datetime | None) -> None:
    """List ownership changes (业主变动) found by owner-list imports, newest first."""
    import psycopg
    import sqlalchemy as sa

    from . import db as dbm
    from .residents import ownership_changes

    url = dbm.database_url(_settings())
    dbm.upgrade(url)
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        rows = ownership_changes(conn, compound_id, since.date() if since else None)
    click.echo(f"{'changed on':<12}{'compound':>9}{'household':>11}  {'address':<16}{'owners':>10}")
    for r in rows:
        where = f"{r['building']}幢{r['unit']}单元{r['room']}室"
        owners = f"{r['previous_owners']}→{r['new_owners']}"
        click.echo(
            f"{r['changed_on']!s:<12}{r['compound_id']:>9}{r['household_id']:>11}  {where:<16}{owners:>10}"
        )
    click.echo(f"{len(rows)} change(s)")


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


def _area_options(f):  # noqa: ANN001, ANN202
    for opt in reversed([
        click.option("--street", "streets", multiple=True, metavar="CODE",
                     help="Limit the account to this street (9-digit code); repeatable."),
        click.option("--community", "communities", multiple=True, metavar="CODE",
                     help="Limit the account to this community (12-digit code); repeatable."),
        click.option("--compound", "compounds", multiple=True, metavar="ID",
                     help="Limit the account to this compound (id or 15-digit code); repeatable."),
    ]):  # fmt: skip
        f = opt(f)
    return f


def _area(streets: tuple, communities: tuple, compounds: tuple) -> tuple[str, tuple]:
    given = [(k, v) for k, v in (("street", streets), ("community", communities), ("compounds", compounds)) if v]  # fmt: skip
    if len(given) > 1:
        raise click.UsageError("give one of --street, --community or --compound")
    return given[0] if given else ("district", ())


def _new_password() -> str:
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(enums.ACCOUNT_ROLE)),
              help="The account's role.")  # fmt: skip
@_area_options
@click.option("--password", "with_password", is_flag=True,
              help="Ask for a password (needed to log in to the web pages; API tokens need none).")  # fmt: skip
def users_add(
    username: str, role: str, streets: tuple, communities: tuple, compounds: tuple,
    with_password: bool,
) -> None:  # fmt: skip
    """Create an account; without an area option it sees the whole district."""
    from .accounts import add_account, set_password

    kind, codes = _area(streets, communities, compounds)
    password = _new_password() if with_password else None
    with _connection(write=True) as conn:
        account_id = add_account(
            conn, username, role, kind, codes, district_code=_settings().district_code
        )
        if password is not None:
            set_password(conn, username, password)
    area = "the whole district" if kind == "district" else f"{kind} {', '.join(codes)}"
    click.echo(f"user {username} (id {account_id}, {role}) sees {area}")


@users.command("passwd")
@click.argument("username")
def users_passwd(username: str) -> None:
    """Set USERNAME's password (asked twice, never echoed)."""
    from .accounts import set_password

    password = _new_password()
    with _connection(write=True) as conn:
        set_password(conn, username, password)
    click.echo(f"password of {username} set")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable USERNAME: their sessions and API tokens stop working at once."""
    from .accounts import set_disabled

    with _connection(write=True) as conn:
        set_disabled(conn, username, True)
    click.echo(f"user {username} disabled")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled account again."""
    from .accounts import set_disabled

    with _connection(write=True) as conn:
        set_disabled(conn, username, False)
    click.echo(f"user {username} enabled")


@users.command("set-role")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(enums.ACCOUNT_ROLE)),
              help="The new role.")  # fmt: skip
@_area_options
def users_set_role(
    username: str, role: str, streets: tuple, communities: tuple, compounds: tuple
) -> None:
    """Change USERNAME's role and area (whole district without an area option); their
    open sessions end."""
    from .accounts import set_role

    kind, codes = _area(streets, communities, compounds)
    with _connection(write=True) as conn:
        set_role(conn, username, role, kind, codes)
    area = "the whole district" if kind == "district" else f"{kind} {', '.join(codes)}"
    click.echo(f"user {username} is now {role} and sees {area}")


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


# -- index (issue 8) -------------------------------------------------------------------
@main.group("index")
def index_group() -> None:
    """三方强基指数: compute quarterly scores, rank areas, early warnings."""


def _index_config(path: str | None):  # noqa: ANN202
    from .index.config import ConfigError, load_config

    try:
        return load_config(path)
    except (ConfigError, OSError) as e:
        raise _fail(e) from None


@index_group.command("compute")
@click.option("--quarter", "quarters", multiple=True, metavar="YYYYQn",
              help="Quarter to compute, e.g. 2026Q3; repeatable.")  # fmt: skip
@click.option("--all", "all_", is_flag=True,
              help="Every complete quarter of the event history.")  # fmt: skip
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Indicator configuration [default: the packaged indicators.toml].")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def index_compute(quarters: tuple, all_: bool, config_path: str | None, quiet: bool) -> None:
    """Compute and store the index of the given quarters (replacing stored scores)."""
    from tqdm import tqdm

    from .index.compute import complete_quarters, compute_quarters
    from .index.config import parse_quarter

    if bool(quarters) == all_:
        raise click.UsageError("give --quarter (one or more) or --all")
    for q in quarters:
        try:
            parse_quarter(q)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--quarter") from None
    config = _index_config(config_path)
    with _connection(write=True) as conn:
        todo = list(quarters) or complete_quarters(conn, dt.date.today())
        bar = tqdm(total=len(todo), unit="quarter", disable=quiet, file=sys.stderr)
        n = compute_quarters(conn, todo, config, tick=lambda q: bar.update(1))
        bar.close()
    click.echo(f"{n:,} scores for {len(todo)} quarter(s) ({', '.join(todo)}), config {config.sha}")


@index_group.command("rank")
@click.option("--quarter", default=None, metavar="YYYYQn", help="[default: the latest stored]")
@click.option("--level", type=click.Choice(["street", "community", "compound"]), default="street",
              show_default=True, help="What to rank.")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
def index_rank(quarter: str | None, level: str, limit: int) -> None:
    """Print streets, communities or compounds ranked by their index."""
    from .index import queries as iq

    with _connection() as conn:
        quarter = quarter or iq.latest_quarter(conn)
        if quarter is None:
            raise click.ClickException("no index stored yet: run 'geo-service index compute'")
        rows = iq.rankings(conn, level, quarter, limit=limit)
    click.echo(f"{quarter}  {'rank':>4}  {'total':>6}  {'change':>7}  {'n':>4}  name")
    for r in rows:
        ch = "-" if r["change"] is None else f"{r['change']:+.2f}"
        click.echo(
            f"{'':6}  {r['rank']:>4}  {r['total']:>6.2f}  {ch:>7}  {r['compounds']:>4}  {r['name']}"
        )


@index_group.command("warnings")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), default=None,
              help="End of the 7-day window [default: now].")  # fmt: skip
def index_warnings(at: dt.datetime | None) -> None:
    """Print complaint spikes (last 7 days vs the 12 weeks before) and petition hot spots."""
    from zoneinfo import ZoneInfo

    from .index import warning

    tz = ZoneInfo("Asia/Shanghai")
    now = at.replace(tzinfo=tz) if at else dt.datetime.now(tz)
    with _connection() as conn:
        spikes = [s for s in warning.complaint_spikes(conn, now) if s["flagged"]]
        hot = warning.petition_hot_spots(conn, now.date())
    click.echo(f"complaint spikes up to {now:%Y-%m-%d %H:%M}: {len(spikes)}")
    for s in spikes:
        click.echo(
            f"  {s['level_label']}  {s['name']} ({s['community_name']}): {s['recent']} in 7 days, "
            f"expected {s['expected']:.1f}, p={s['p_value']:.2g}, q={s['q_value']:.2g}"
        )
    counts: dict[str, int] = {}
    for c in hot["compounds"]:
        counts[c["class"]] = counts.get(c["class"], 0) + 1
    click.echo(f"petition hot spots {hot['from']}..{hot['to']} (Gi*): " + ", ".join(
        f"{warning.HOT_SPOT_CLASSES[k]} {v}" for k, v in sorted(counts.items())))  # fmt: skip


# -- boundaries (issue 3) --------------------------------------------------------------
@main.group("boundaries")
def boundaries_group() -> None:
    """Compound boundaries: draw them from housing, check their topology, import
    hand-drawn ones. Every change is a new dated version; old ones are kept."""


def _compound_id(conn, value: str | None) -> int | None:  # noqa: ANN001
    """A compound given as id or 15-digit code."""
    from .boundary_queries import compound_id_of

    if value is None:
        return None
    if not value.isdigit():
        raise click.BadParameter("an id or a 15-digit code", param_hint="--compound")
    found = compound_id_of(conn, value)
    if found is None:
        raise click.BadParameter(f"no compound {value}", param_hint="--compound")
    return found


@boundaries_group.command("draw")
@click.option("--compound", "compound", default=None, metavar="ID",
              help="Only this compound (id or 15-digit code).")  # fmt: skip
@click.option("--community", default=None, metavar="CODE",
              help="Only the compounds of this community (12 digits).")  # fmt: skip
@click.option("--date", "date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the new versions [default: today].")  # fmt: skip
@click.option("--buffer", "buffer_m", type=click.FloatRange(0, 100), default=8.0,
              show_default=True, help="Metres kept around each footprint.")  # fmt: skip
@click.option("--close", "close_m", type=click.FloatRange(0, 200), default=30.0,
              show_default=True,
              help="Footprints less than twice this many metres apart are joined.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def boundaries_draw(
    compound: str | None,
    community: str | None,
    date: dt.datetime | None,
    buffer_m: float,
    close_m: float,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Derive compound boundaries from their buildings' footprints, clipped to the
    community and never overlapping a neighbour; each change is a new version."""
    from tqdm import tqdm

    from . import boundaries as bd

    if compound and community:
        raise click.UsageError("give --compound or --community, not both")
    engine = _engine()
    try:
        with engine.connect() as conn, conn.begin() as tx:
            cid = _compound_id(conn, compound)
            total = len(bd.q.compounds_to_draw(conn, cid, community))
            with tqdm(total=total, unit=" compounds", disable=quiet, file=sys.stderr) as bar:
                results = bd.draw(
                    conn, cid, community, date.date() if date else None,
                    bd.DrawSettings(buffer_m=buffer_m, close_m=close_m), bar.update,
                )  # fmt: skip
            if dry_run:
                tx.rollback()
    except bd.BoundaryError as e:
        raise _fail(e) from None
    finally:
        engine.dispose()
    click.echo(f"{'id':>5}  {'code':<17}{'status':<11}{'version':>8}{'area m²':>12}  note")
    for r in results:
        area = f"{r.area_m2:,.0f}" if r.area_m2 is not None else "-"
        click.echo(
            f"{r.compound_id:>5}  {r.code:<17}{r.status:<11}{(r.version or ''):>8}{area:>12}  "
            f"{r.name} {r.note}"
        )
    counts = {s: sum(1 for r in results if r.status == s) for s in ("new", "unchanged", "skipped")}
    click.echo(
        f"{len(results)} compounds: {counts['new']} new versions, {counts['unchanged']} unchanged, "
        f"{counts['skipped']} skipped" + (" (dry run: nothing written)" if dry_run else "")
    )


@boundaries_group.command("check")
@click.option("--kind", type=click.Choice(list(enums.BOUNDARY_PROBLEM)), default=None,
              help="Print only problems of this kind (all are stored).")  # fmt: skip
@click.option("--limit", type=click.IntRange(0), default=50, show_default=True,
              help="Problems printed per kind (0: only the counts).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def boundaries_check(kind: str | None, limit: int, quiet: bool) -> None:
    """Check the topology of compound boundaries (overlaps, buildings in no compound or
    in two, crossing community or street lines, invalid geometry, slivers, gaps); print
    the problems and store them for GET /api/boundaries/problems."""
    from tqdm import tqdm

    from . import boundaries as bd

    engine = _engine()
    try:
        with engine.begin() as conn:
            with tqdm(total=len(bd.q.CHECK_STEPS), unit=" steps", disable=quiet, file=sys.stderr) as bar:  # fmt: skip
                counts = bd.check(conn, progress=bar.update)
            rows = bd.problems(conn, kind=kind)
    finally:
        engine.dispose()
    click.echo(f"{'kind':<20}{'问题':<18}{'count':>7}")
    for k, n in counts.items():
        label = enums.BOUNDARY_PROBLEM[k]
        click.echo(f"{k:<20}{label:<{20 - len(label)}}{n:>7}")
    click.echo(f"{'total':<20}{'':<20}{sum(counts.values()):>7}")
    if limit:
        shown: dict[str, int] = {}
        for r in rows:
            shown[r["kind"]] = shown.get(r["kind"], 0) + 1
            if shown[r["kind"]] > limit:
                continue
            where = r["compound_code"] or r["community_code"] or "-"
            click.echo(f"  {r['kind']:<20}{where:<17}{r['detail']}")
        for k, n in shown.items():
            if n > limit:
                click.echo(f"  ... {n - limit} more {k} (see /api/boundaries/problems?kind={k})")


@boundaries_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", default=None, metavar="CRS",
              help="Coordinates of the file: EPSG:4326, EPSG:4490, EPSG:3857 or gcj02 (Amap). "
                   "Required when the file has none; overrides the file's.")  # fmt: skip
@click.option("--date", "date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the new versions [default: today].")  # fmt: skip
@click.option("--invalid", "on_invalid", type=click.Choice(["repair", "reject"]),
              default="repair", show_default=True,
              help="Invalid geometry: repair with ST_MakeValid (flagged) or reject.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Import nothing if any feature is rejected.")
@click.option("--code-field", default=None, help="Field holding the compound code.")
@click.option("--name-field", default=None, help="Field holding the compound name.")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def boundaries_import(
    file: str,
    crs: str | None,
    date: dt.datetime | None,
    on_invalid: str,
    strict: bool,
    code_field: str | None,
    name_field: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Import hand-drawn compound boundaries from FILE (GeoJSON, zipped shapefile or
    GeoPackage), matched to compounds by code or name. Lands whole or not at all."""
    from tqdm import tqdm

    from . import boundaries as bd

    engine = _engine()
    try:
        with engine.connect() as conn, conn.begin() as tx:
            with tqdm(unit=" features", disable=quiet, file=sys.stderr) as bar:
                report = bd.import_file(
                    conn, file, crs=crs, valid_from=date.date() if date else None,
                    on_invalid=on_invalid, strict=strict, code_field=code_field,
                    name_field=name_field, dry_run=dry_run, progress=bar.update,
                )  # fmt: skip
            if dry_run:
                tx.rollback()
    except bd.BoundaryError as e:
        raise _fail(e) from None
    finally:
        engine.dispose()
    click.echo(report.table())
    if report.rejected:
        sys.exit(2 if len(report.rejected) < len(report.outcomes) else 1)


@boundaries_group.command("history")
@click.argument("compound")
def boundaries_history(compound: str) -> None:
    """List the boundary versions of COMPOUND (id or 15-digit code)."""
    from . import boundaries as bd

    with _connection() as conn:
        rows = bd.boundary_history(conn, _compound_id(conn, compound))
    click.echo(f"{'version':>7}  {'from':<12}{'to':<12}{'source':<22}{'area m²':>12}  note")
    for r in rows:
        src = bd._pad(f"{r['source']}/{r['source_label']}", 22)
        click.echo(
            f"{r['version']:>7}  {r['valid_from']!s:<12}{(str(r['valid_to'] or '-')):<12}"
            f"{src}{r['area_m2'] or 0:>12,.0f}  {r['note'] or ''}"
        )


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
@main.command("audit")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              help="Only entries at or after this date (YYYY-MM-DD[THH:MM], server time).")  # fmt: skip
@click.option("--user", "username", metavar="USERNAME", help="Only this user's entries.")
@click.option("--action", help="Only this action (login, logout, export, ogc_items, personal_read, ...).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="How many of the newest entries.")  # fmt: skip
def audit_cmd(since, username: str | None, action: str | None, limit: int) -> None:  # noqa: ANN001
    """List the audit log (newest first): logins, exports and unmasked personal-data reads."""
    from .audit import entries

    with _connection() as conn:
        rows = entries(conn, since, username, action, limit)
    click.echo(f"{'at':<20} {'user':<20} {'role':<18} {'action':<14} {'outcome':<8} {'rows':>7}  target")
    for r in rows:
        at = r["at"].astimezone().strftime("%Y-%m-%d %H:%M:%S")
        rows_ = "" if r["rows"] is None else str(r["rows"])
        click.echo(
            f"{at:<20} {(r['username'] or '-'):<20} {(r['role'] or '-'):<18} {r['action']:<14} "
            f"{r['outcome']:<8} {rows_:>7}  {r['target']}"
        )
    if not rows:
        click.echo("(no entries)")


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
