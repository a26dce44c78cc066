"""The embedded PostgreSQL/PostGIS cluster: a data directory the project manages itself.

Without ``DATABASE_URL`` the service keeps its own cluster in ``$GEO_SERVICE_HOME`` (by
default ``var/`` in the project): ``initdb`` on first use, ``pg_ctl`` to start and stop,
a Unix socket in the home directory and no TCP port. PostgreSQL refuses to run as root,
so when this runs as root the server runs as an unprivileged user (the data directory's
owner, else ``postgres``, else ``nobody``) and root connects through the socket.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER = "postgres"
PORT = 5432
# Settings for a single-machine service that also bulk-loads the demo district.
SERVER_CONF = {
    "listen_addresses": "''",
    "max_connections": "60",
    "shared_buffers": "'256MB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "jit": "off",
    "timezone": "'Asia/Shanghai'",
    "log_timezone": "'Asia/Shanghai'",
    "logging_collector": "off",
    "log_min_duration_statement": "2000",
}


class ClusterError(RuntimeError):
    """The embedded cluster cannot be set up, started or stopped; the message says why."""


def find_bindir() -> Path:
    """Directory holding initdb/pg_ctl: $PG_BINDIR, PATH, pg_config, or Debian's layout."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return Path(env)
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += debian
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise ClusterError(
        "PostgreSQL server programs (initdb, pg_ctl) not found: install postgresql-15 and "
        "postgresql-15-postgis-3 (scripts/setup does), or set PG_BINDIR"
    )


def _traversable(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether ``user`` may traverse every directory from / down to ``path``."""
    gids = {user.pw_gid} | set(os.getgrouplist(user.pw_name, user.pw_gid))
    for p in [*reversed(path.parents), path]:
        if not p.exists():
            break
        st = p.stat()
        if st.st_uid == user.pw_uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid in gids:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            return False
    return True


@dataclass
class Cluster:
    """A project-managed PostgreSQL cluster living under ``home``."""

    home: Path
    db_name: str = "geo_service"

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()
        self.data_dir = self.home / "pgdata"
        self.socket_dir = self.home / "run"
        self.log_file = self.home / "log" / "postgresql.log"
        if len(str(self.socket_dir / f".s.PGSQL.{PORT}")) > 100:
            raise ClusterError(
                f"socket path under {self.home} is too long for a Unix socket (max ~100 "
                "characters): set GEO_SERVICE_HOME to a shorter directory"
            )

    # -- who runs the server -------------------------------------------------------
    def run_user(self) -> pwd.struct_passwd | None:
        """The unprivileged user the server runs as when we are root, else ``None``."""
        if os.geteuid() != 0:
            if self.data_dir.exists() and self.data_dir.stat().st_uid != os.geteuid():
                owner = self.data_dir.stat().st_uid
                raise ClusterError(
                    f"{self.data_dir} belongs to uid {owner}; run as that user or as root"
                )
            return None
        if self.data_dir.exists() and self.data_dir.stat().st_uid != 0:
            return pwd.getpwuid(self.data_dir.stat().st_uid)
        for name in (os.environ.get("GEO_SERVICE_PG_USER"), SUPERUSER, "nobody"):
            if not name:
                continue
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise ClusterError("running as root but no unprivileged user (postgres, nobody) exists")

    def _run(self, args: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
        user = self.run_user()
        extra: dict = {}
        env = dict(os.environ)
        if user is not None:
            extra = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
        env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("PGDATA", None)
        proc = subprocess.run(
            args, cwd=self.home, env=env, capture_output=True, text=True, **extra, **kw
        )
        if check and proc.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc

    # -- lifecycle -----------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _prepare_dirs(self) -> None:
        user = self.run_user()
        for d in (self.home, self.socket_dir, self.log_file.parent):
            d.mkdir(parents=True, exist_ok=True)
        if user is not None:
            if not _traversable(self.home.parent, user):
                raise ClusterError(
                    f"the server runs as {user.pw_name!r} (PostgreSQL refuses root), but that "
                    f"user cannot reach {self.home}: set GEO_SERVICE_HOME to a directory it "
                    "can reach, e.g. /var/lib/geo-service"
                )
            for d in (self.home, self.socket_dir, self.log_file.parent):
                os.chown(d, user.pw_uid, user.pw_gid)
            if self.log_file.exists():
                os.chown(self.log_file, user.pw_uid, user.pw_gid)
        os.chmod(self.home, 0o755)
        os.chmod(self.socket_dir, 0o700)

    def init(self) -> None:
        """Run ``initdb`` if the data directory does not exist yet."""
        self._prepare_dirs()
        if self.initialized():
            return
        bindir = find_bindir()
        self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=reject",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        )
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as f:
            f.write("\n# geo-service: settings managed by geo_service/cluster.py\n")
            f.write("include_if_exists = 'geo_service.conf'\n")

    def _write_conf(self) -> None:
        lines = [f"{k} = {v}" for k, v in SERVER_CONF.items()]
        lines.append(f"unix_socket_directories = '{self.socket_dir}'")
        lines.append(f"port = {PORT}")
        path = self.data_dir / "geo_service.conf"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        user = self.run_user()
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)

    def status(self) -> int | None:
        """PID of the running server, or ``None`` when it is stopped."""
        if not self.initialized():
            return None
        proc = self._run(
            [str(find_bindir() / "pg_ctl"), "status", "-D", str(self.data_dir)], check=False
        )
        if proc.returncode != 0:
            return None
        pid_file = self.data_dir / "postmaster.pid"
        try:
            return int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def start(self, timeout: int = 60) -> bool:
        """Start the server (initialising it first); returns False if it was running."""
        self.init()
        if self.status() is not None:
            self.ensure_database()
            return False
        self._prepare_dirs()
        self._write_conf()
        proc = self._run(
            [
                str(find_bindir() / "pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(timeout),
            ],
            check=False,
        )
        if proc.returncode != 0:
            tail = ""
            if self.log_file.exists():
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
            raise ClusterError(
                f"the embedded PostgreSQL did not start:\n{proc.stderr.strip()}\n{tail}"
            )
        self.ensure_database()
        return True

    def stop(self, timeout: int = 60) -> bool:
        """Stop the server cleanly (fast shutdown); returns False if it was not running."""
        if self.status() is None:
            return False
        self._run(
            [
                str(find_bindir() / "pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                str(timeout),
            ]
        )
        return True

    def destroy(self) -> None:
        """Stop the server and delete the whole home directory (used by tests)."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- connections ----------------------------------------------------------------
    def conninfo(self, dbname: str | None = None) -> str:
        return (
            f"host={self.socket_dir} port={PORT} user={SUPERUSER} dbname={dbname or self.db_name}"
        )

    def url(self, dbname: str | None = None, user: str = SUPERUSER) -> str:
        """SQLAlchemy URL for a database of this cluster (psycopg 3 over the socket)."""
        return f"postgresql+psycopg://{user}@/{dbname or self.db_name}?host={self.socket_dir}&port={PORT}"

    def ensure_database(self, dbname: str | None = None) -> None:
        """Create the database if it does not exist."""
        name = dbname or self.db_name
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(self.conninfo("postgres"), autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self, dbname: str) -> None:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
