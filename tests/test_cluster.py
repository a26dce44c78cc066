"""The embedded cluster: initdb on first use, start/stop/restart, status, root handling."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from geo_service import db
from geo_service.cluster import Cluster, ClusterError

GEO_SERVICE = str(Path(sys.executable).parent / "geo-service")


@pytest.fixture()
def home():  # noqa: ANN201
    d = Path(tempfile.mkdtemp(prefix="gsc-", dir="/tmp"))
    yield d
    Cluster(d).stop()
    shutil.rmtree(d, ignore_errors=True)


def _server_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


def test_start_stop_restart(home: Path) -> None:
    c = Cluster(home)
    assert not c.initialized() and c.status() is None
    assert c.start() is True
    pid = c.status()
    assert pid is not None
    assert c.start() is False  # already running: no second server
    with psycopg.connect(c.conninfo()) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    # No TCP port: the server listens on the socket in the home directory only.
    with psycopg.connect(c.conninfo("postgres")) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
    assert (c.socket_dir / ".s.PGSQL.5432").exists()
    assert c.stop() is True
    assert c.status() is None
    assert c.stop() is False
    assert c.start() is True  # restart keeps the data
    assert c.status() not in (None, pid)
    with psycopg.connect(c.conninfo()) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone()[0] == 42
    c.stop()


def test_server_never_runs_as_root(home: Path) -> None:
    c = Cluster(home)
    c.start()
    uid = _server_uid(c.status())
    assert uid != 0
    if os.geteuid() == 0:
        # Started as root: the server runs as an unprivileged user who owns the data.
        assert c.data_dir.stat().st_uid == uid
        assert pwd.getpwuid(uid).pw_name == c.run_user().pw_name
    else:
        assert uid == os.geteuid()
    c.stop()


def test_stale_pid_file_after_crash_is_recovered(home: Path) -> None:
    c = Cluster(home)
    c.start()
    pid = c.status()
    os.kill(pid, 9)  # postmaster killed: a stale postmaster.pid remains
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists():
            break
        import time

        time.sleep(0.05)
    assert c.status() is None
    assert c.start() is True
    with psycopg.connect(c.conninfo()) as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1
    c.stop()


def test_unreachable_home_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        locked = Path(tempfile.mkdtemp(prefix="gsl-", dir="/tmp"))
        locked.chmod(0o700)  # the unprivileged server user cannot traverse it
        try:
            with pytest.raises(ClusterError, match="GEO_SERVICE_HOME"):
                Cluster(locked / "home").start()
        finally:
            shutil.rmtree(locked, ignore_errors=True)
    else:
        with pytest.raises(ClusterError, match="too long"):
            Cluster(tmp_path / ("x" * 120))


def test_too_long_socket_path_is_a_clear_error() -> None:
    with pytest.raises(ClusterError, match="GEO_SERVICE_HOME"):
        Cluster(Path("/tmp") / ("deep" * 30))


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["GEO_SERVICE_HOME"] = str(home)
    return subprocess.run(
        [GEO_SERVICE, *args], env=env, capture_output=True, text=True, timeout=120, cwd="/tmp"
    )


def test_cli_db_start_status_stop(home: Path) -> None:
    r = _cli(["db", "status"], home)
    assert r.returncode == 3 and "stopped" in r.stdout
    r = _cli(["db", "start"], home)
    assert r.returncode == 0, r.stderr
    assert "started" in r.stdout
    r = _cli(["db", "start"], home)
    assert "already running" in r.stdout
    r = _cli(["db", "upgrade"], home)
    assert r.returncode == 0, r.stderr
    r = _cli(["db", "status"], home)
    assert (
        r.returncode == 0
        and "running" in r.stdout
        and f"schema revision: {db.head_revision()}" in r.stdout
    )
    r = _cli(["db", "stop"], home)
    assert r.returncode == 0 and "stopped" in r.stdout
    assert Cluster(home).status() is None


def _as_user(user: pwd.struct_passwd, args: list[str], home: Path) -> int:
    """Run ``geo-service ARGS`` in a forked child that has dropped root for ``user``.

    Forking keeps the already-loaded interpreter, so this works even where the
    virtualenv's Python lives under a directory the user cannot read (e.g. /root)."""
    from click.testing import CliRunner

    from geo_service.cli import main

    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            os.chdir("/tmp")
            result = CliRunner().invoke(main, args, env={"GEO_SERVICE_HOME": str(home)})
            sys.stdout.write(result.output)
            code = result.exit_code
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_cli_as_ordinary_user_and_then_root(home: Path) -> None:
    """A normal user runs the cluster as themself; root later manages the same cluster
    by running the server as the data's owner."""
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid())
        assert _cli(["db", "start"], home).returncode == 0
    else:
        user = pwd.getpwnam("nobody")
        os.chown(home, user.pw_uid, user.pw_gid)
        assert _as_user(user, ["db", "start"], home) == 0
        assert _server_uid(Cluster(home).status()) == user.pw_uid
        assert Cluster(home).data_dir.stat().st_uid == user.pw_uid
        assert _as_user(user, ["db", "stop"], home) == 0
        assert Cluster(home).status() is None
        r = _cli(["db", "start"], home)  # as root now
        assert r.returncode == 0, r.stderr
    assert _server_uid(Cluster(home).status()) == user.pw_uid
    r = _cli(["db", "stop"], home)
    assert r.returncode == 0, r.stderr
