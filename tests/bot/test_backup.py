"""``newsdigest stats``, ``backup`` and ``restore`` as an operator runs them, on a real SQLite
file: a backup taken while articles are being written, restore refusing a corrupt copy and a
running service, and a restore drill."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from digests.errors import StoreError
from digests.ingest.settings import FeedSettings
from digests.models import Entry
from digests.store import Store
from digests.store.articles import ArticleText
from digests.store.backup import backup, check_copy, restore
from digests.store.database import schema_head, sqlite_url
from tests.bot.test_cli import config_for
from tests.support.feedserver import FeedServer

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TEXT = "أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفية. " * 60


async def write_articles(store: Store, first: int, count: int) -> list[int]:
    """Articles ``first``… stored one transaction each, as a poll stores a feed's items."""
    [feed] = await store.feeds.all()
    ids = []
    for n in range(first, first + count):
        [new] = await store.articles.insert_entries(
            feed,
            [Entry(f"g{n}", f"https://a.example/{n}", f"خبر رقم {n} عن الزراعة", NOW, "مقتطف")],
            NOW,
            dedup_window=timedelta(0),
        )
        await store.articles.set_texts([ArticleText(new.article.id, TEXT, "page")])
        ids.append(new.article.id)
    return ids


def stored_ids(path: Path) -> set[int]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM articles")}


async def test_a_backup_taken_while_articles_are_written_is_whole_and_consistent(
    tmp_path: Path,
) -> None:
    database = tmp_path / "newsdigest.sqlite3"
    store = await Store.open(sqlite_url(database))
    try:
        await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="أ")], NOW)
        await write_articles(store, 0, 1500)
        during: list[int] = []
        running = asyncio.Event()
        finished = asyncio.Event()

        async def writer() -> None:
            n = 10_000
            while not finished.is_set():
                ids = await write_articles(store, n, 1)
                n += 1
                if running.is_set():
                    during.extend(ids)

        task = asyncio.create_task(writer())
        await write_articles(store, 5000, 1)  # the writer is going
        committed = stored_ids(database)  # read on a connection of its own
        running.set()
        copy = await asyncio.to_thread(backup, database, tmp_path / "copy.sqlite3")
        finished.set()
        await task
    finally:
        await store.close()

    assert during, "the writer committed nothing while the backup ran"
    assert check_copy(copy.path).schema == schema_head()  # opens, integrity ok
    in_copy = stored_ids(copy.path)
    assert committed <= in_copy  # every article committed before the backup began
    assert copy.rows["articles"] == len(in_copy)
    assert len(stored_ids(database)) > len(committed)  # and the service's writes went on


def test_stats_backup_and_restore_drill(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, feed_server)
    database = tmp_path / "data" / "newsdigest.sqlite3"

    async def seed(first: int, count: int) -> None:
        store = await Store.open(sqlite_url(database))
        try:
            await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="أ")], NOW)
            await write_articles(store, first, count)
        finally:
            await store.close()

    asyncio.run(seed(0, 3))
    assert main(["--config", str(config), "stats"]) == 0
    out = capsys.readouterr().out
    assert "articles" in out and "article_search" in out
    assert "auto_vacuum incremental" in out
    assert f"article          {NOW:%Y-%m-%d %H:%M} UTC" in out
    assert "sent record      none" in out

    target = tmp_path / "backups" / "monday.sqlite3"
    target.parent.mkdir()
    assert main(["--config", str(config), "backup", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {target}: ")
    assert f"schema {schema_head()}, integrity ok" in out
    assert "  articles                          3\n" in out
    assert main(["--config", str(config), "backup", str(target)]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err

    asyncio.run(seed(100, 2))  # written after the backup: the restore drill takes them away
    assert len(stored_ids(database)) == 5
    assert main(["--config", str(config), "restore", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"restored {target} to {database}" in out
    assert len(stored_ids(database)) == 3
    assert len(stored_ids(database.with_name("newsdigest.sqlite3.before-restore"))) == 5


def test_restore_refuses_a_corrupt_copy_and_leaves_the_database_alone(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, feed_server)
    database = tmp_path / "data" / "newsdigest.sqlite3"
    assert main(["--config", str(config), "migrate"]) == 0
    copy = tmp_path / "copy.sqlite3"
    assert main(["--config", str(config), "backup", str(copy)]) == 0
    data = bytearray(copy.read_bytes())
    data[4096 * 2 : 4096 * 4] = b"\xff" * 8192  # two pages of the copy overwritten
    copy.write_bytes(bytes(data))
    before = database.read_bytes()
    capsys.readouterr()

    assert main(["--config", str(config), "restore", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "integrity check failed" in err or "not a newsdigest database" in err, err
    assert database.read_bytes() == before
    assert not database.with_name("newsdigest.sqlite3.before-restore").exists()

    assert main(["--config", str(config), "restore", str(tmp_path / "nothing.sqlite3")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_restore_refuses_while_the_service_runs(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, feed_server)
    copy = tmp_path / "copy.sqlite3"
    assert main(["--config", str(config), "migrate"]) == 0
    assert main(["--config", str(config), "backup", str(copy)]) == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=tmp_path,
    )
    assert process.stderr is not None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line or "service started" in line:
                break
        capsys.readouterr()
        assert main(["--config", str(config), "restore", str(copy)]) == 2
        err = capsys.readouterr().err
        assert "the service is running on" in err and "nothing done" in err
        # A second service on the same file is refused too.
        second = subprocess.run(
            [sys.executable, "-m", "bot.cli", "--config", str(config), "run"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert second.returncode != 0
        assert "another newsdigest service is running" in second.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
    assert main(["--config", str(config), "restore", str(copy)]) == 0  # stopped: it may


def test_backup_and_restore_refuse_postgresql(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = config_for(tmp_path, feed_server)
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1:1/x")
    assert main(["--config", str(config), "backup", str(tmp_path / "b")]) == 2
    assert main(["--config", str(config), "restore", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("on PostgreSQL use pg_dump and pg_restore") == 2


async def test_restore_refuses_while_another_process_reads_and_loses_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "newsdigest.sqlite3"
    store = await Store.open(sqlite_url(database))
    reader = sqlite3.connect(database)
    try:
        await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="أ")], NOW)
        await write_articles(store, 0, 3)
        copy = await asyncio.to_thread(backup, database, tmp_path / "copy.sqlite3")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM articles").fetchone()  # a snapshot held open
        written = await write_articles(store, 100, 5)  # WAL frames the reader still needs
        with pytest.raises(StoreError, match=r"another process has .* open"):
            await asyncio.to_thread(restore, copy.path, database)
        assert set(written) <= stored_ids(database)  # nothing lost, nothing replaced
        assert not database.with_name(database.name + ".restoring").exists()
        assert not database.with_name(database.name + ".before-restore").exists()
    finally:
        reader.close()
        await store.close()

    restored = restore(copy.path, database)  # nobody has it open now
    assert stored_ids(database) == stored_ids(copy.path) and restored.rows["articles"] == 3
    assert set(written) <= stored_ids(database.with_name(database.name + ".before-restore"))


def test_restore_over_a_damaged_database_keeps_it_aside(tmp_path: Path) -> None:
    database = tmp_path / "newsdigest.sqlite3"

    async def make() -> None:
        store = await Store.open(sqlite_url(database))
        try:
            await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="أ")], NOW)
            await write_articles(store, 0, 2)
        finally:
            await store.close()

    asyncio.run(make())
    copy = backup(database, tmp_path / "copy.sqlite3")
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    damaged = b"\x00" * 4096 * 3  # not a database any more
    database.write_bytes(damaged)

    restore(copy.path, database)
    assert stored_ids(database) == stored_ids(copy.path)
    assert database.with_name(database.name + ".before-restore").read_bytes() == damaged
