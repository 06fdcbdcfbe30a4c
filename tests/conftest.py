"""Shared fixtures: a real HTTP server on 127.0.0.1 and a real database per test.

The ``store`` fixture (and everything built on it) runs twice: on a SQLite file and on a
PostgreSQL database of a private server started for the session (tests/support/postgres.py).
Where no PostgreSQL can be started the PostgreSQL half is skipped with the reason, except
under CI (``CI`` set), where that is an error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from digests.ingest.fetch import Fetcher
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings, PollSettings
from digests.store import Store
from digests.store.database import sqlite_url
from tests.support.feedserver import FeedServer
from tests.support.postgres import PostgresServer, PostgresUnavailable

DATA = Path(__file__).parent / "data"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def poll_settings() -> PollSettings:
    # Every fixture feed lives on 127.0.0.1, so the per-host limit is raised for the tests.
    return PollSettings(
        timeout_seconds=2.0, max_response_kb=256, full_content_min_chars=150, per_host_concurrency=8
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One private PostgreSQL server for the whole session (started on first use)."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A store on each backend in turn (see the module docstring)."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "test.sqlite3")
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = server.migrated_database()
        url = server.url(name)
        request.addfinalizer(lambda: server.drop_database(name))
    db = await Store.open(url)
    yield db
    await db.close()


class Harness:
    """A store, a fetcher and a pipeline over the fixture server, as the service wires them
    (with ``admin.allow_private_feed_urls`` on: the fixture server is on 127.0.0.1)."""

    def __init__(self, store: Store, fetcher: Fetcher, server: FeedServer, settings: PollSettings):
        self.store = store
        self.fetcher = fetcher
        self.server = server
        self.settings = settings
        self.pipeline = Pipeline(store, fetcher, settings)

    async def add_feeds(self, *paths: str) -> None:
        from digests.clock import utcnow

        await self.store.feeds.sync_config(
            [FeedSettings(url=self.server.url(p), name=p.strip("/")) for p in paths], utcnow()
        )

    async def feed(self, path: str):  # type: ignore[no-untyped-def]
        feeds = await self.store.feeds.all()
        url = self.server.url(path)
        return next(f for f in feeds if f.url == url or f.name == path.strip("/"))


@pytest.fixture
async def harness(
    store: Store, feed_server: FeedServer, poll_settings: PollSettings
) -> AsyncIterator[Harness]:
    async with Fetcher(poll_settings, allow_private=True) as fetcher:
        yield Harness(store, fetcher, feed_server, poll_settings)


@contextlib.asynccontextmanager
async def other_instance(store: Store) -> AsyncIterator[Store]:
    """Another instance's connection pool on the same database (on SQLite, where one process
    owns the file, the same store)."""
    if store.single_instance:
        yield store
        return
    other = await Store.open(store.engine.url.render_as_string(hide_password=False))
    try:
        yield other
    finally:
        await other.close()
