"""The geo-service command: --help everywhere, demo load, errors."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from geo_service import db
from geo_service.cli import main

from .conftest import AS_OF, new_database


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


ALL = _commands(main)


def test_every_command_is_listed() -> None:
    names = {" ".join(c) for c in ALL}
    assert {
        "serve",
        "db start",
        "db stop",
        "db status",
        "db upgrade",
        "demo load",
        "layers",
        "users add",
        "users list",
        "users token create",
        "users token list",
        "users token revoke",
        "export",
    } <= names


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "geo-service")
def test_help_everywhere(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # Every command explains itself in a sentence.
    assert len(result.output.splitlines()) >= 3


def test_demo_load_prints_counts_and_time(cluster) -> None:
    name = new_database(cluster, "cli")
    env = {"DATABASE_URL": cluster.url(name)}
    runner = CliRunner()
    r = runner.invoke(
        main,
        ["demo", "load", "--scale", "tiny", "--seed", "3", "--as-of", str(AS_OF), "-q"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    assert "compound" in r.output and "resident" in r.output and "rows/s" in r.output
    assert "total" in r.output and "scale tiny, seed 3" in r.output
    # A second load refuses to overwrite...
    r = runner.invoke(main, ["demo", "load", "--scale", "tiny", "-q"], env=env)
    assert r.exit_code == 1 and "--replace" in r.output
    # ...and --if-empty leaves the data alone.
    r = runner.invoke(main, ["demo", "load", "--scale", "tiny", "--if-empty", "-q"], env=env)
    assert r.exit_code == 0 and "already holds data" in r.output
    r = runner.invoke(main, ["db", "status"], env=env)
    assert r.exit_code == 0 and f"schema revision: {db.head_revision()}" in r.output
    cluster.drop_database(name)


def test_bad_options_are_rejected_with_a_reason() -> None:
    r = CliRunner().invoke(main, ["demo", "load", "--scale", "galaxy"])
    assert r.exit_code == 2 and "galaxy" in r.output
    r = CliRunner().invoke(main, ["demo", "load", "--as-of", "yesterday"])
    assert r.exit_code == 2 and "--as-of" in r.output
    r = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert r.exit_code == 2 and "--port" in r.output


def test_db_commands_refuse_embedded_actions_with_database_url(cluster) -> None:
    r = CliRunner().invoke(main, ["db", "stop"], env={"DATABASE_URL": cluster.url("postgres")})
    assert r.exit_code == 1 and "DATABASE_URL" in r.output


def test_unreachable_database_url_is_reported(tmp_path) -> None:
    url = f"postgresql://nobody@/nothing?host={tmp_path}"
    r = CliRunner().invoke(main, ["db", "status"], env={"DATABASE_URL": url})
    assert r.exit_code == 1 and "cannot connect" in r.output


def test_layers_command_lists_registry() -> None:
    import layers

    r = CliRunner().invoke(main, ["layers"])
    assert r.exit_code == 0
    for layer_id in layers.REGISTRY:
        assert layer_id in r.output
    assert "personal=name, phone" in r.output


def test_upgrade_is_idempotent(cluster) -> None:
    name = new_database(cluster, "up")
    env = {"DATABASE_URL": cluster.url(name)}
    for _ in range(2):
        r = CliRunner().invoke(main, ["db", "upgrade"], env=env)
        assert r.exit_code == 0, r.output
    assert (
        db.current_revision(__import__("sqlalchemy").create_engine(cluster.url(name)))
        == db.head_revision()
    )
    cluster.drop_database(name)
