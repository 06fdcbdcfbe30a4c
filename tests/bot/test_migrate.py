"""``newsdigest migrate``: the schema brought to this release's newest version, with the
versions before and after printed, on SQLite and on PostgreSQL; running it again changes
nothing; a schema a newer release migrated is left alone (older instances keep running on it
during a rolling upgrade) and ``migrate`` of the older release refuses to touch it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from digests.store import Store
from digests.store.database import POOL_OVERFLOW, POOL_SIZE, migrate, schema_head, sqlite_url
from tests.support.postgres import PostgresServer

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
DOCS = Path(__file__).parents[2] / "docs"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no schema yet, on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "data" / "newsdigest.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def run_migrate(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    config = tmp_path / "newsdigest.toml"
    config.write_text(f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", url)
    code = main(["--config", str(config), "migrate"])
    out, err = capsys.readouterr()
    return code, out, err


def version(url: str) -> list[str]:
    async def read() -> list[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                return [str(row[0]) for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migrate_brings_the_schema_to_the_newest_version_once(
    empty_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    head = schema_head()
    asyncio.run(migrate(empty_database, revision="0011"))  # an installation of an older release
    assert version(empty_database) == ["0011"]

    code, out, _ = run_migrate(tmp_path, empty_database, monkeypatch, capsys)
    assert (code, out) == (0, f"migrated the database schema from 0011 to {head}\n")
    assert version(empty_database) == [head]

    code, out, _ = run_migrate(tmp_path, empty_database, monkeypatch, capsys)
    assert (code, out) == (0, f"the database schema is at {head} already: nothing to do\n")
    assert version(empty_database) == [head]


def test_migrate_creates_the_schema_of_an_empty_database(
    empty_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_migrate(tmp_path, empty_database, monkeypatch, capsys)
    assert (code, out) == (0, f"created the database schema at {schema_head()}\n")


def test_a_schema_from_a_newer_release_is_left_alone(
    empty_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """During a rolling upgrade an instance of the older release may (re)start after the newer
    one migrated: it runs on the newer schema (migrations only add), and its ``migrate``
    refuses."""
    asyncio.run(migrate(empty_database))
    newer = "9999"

    async def stamp() -> None:
        engine = create_async_engine(empty_database)
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"UPDATE alembic_version SET version_num = '{newer}'"))
        await engine.dispose()

    asyncio.run(stamp())
    with caplog.at_level(logging.WARNING, logger="digests.store.database"):
        store = asyncio.run(Store.open(empty_database))
        asyncio.run(store.close())
    assert f"schema is at {newer}" in caplog.text
    code, out, err = run_migrate(tmp_path, empty_database, monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert f"the database schema is at {newer}, newer than this release's {schema_head()}" in err
    assert version(empty_database) == [newer]


def test_connection_counts_per_instance_are_the_documented_ones() -> None:
    """PostgreSQL connections per instance: the pool's size plus its overflow, as documented."""
    deployment = (DOCS / "deployment.md").read_text(encoding="utf-8")
    assert f"pool of {POOL_SIZE} connections" in deployment
    assert f"up to {POOL_OVERFLOW} more" in deployment
    assert f"**instances × {POOL_SIZE + POOL_OVERFLOW}**" in deployment
