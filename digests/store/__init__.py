"""The database, one repository per aggregate.

``Store`` opens the database (``store.database``: engine, SQLite's single write path,
migrations) and holds a repository for each aggregate, each in a module of its own:

    feeds          feeds and their polling and health state          (store.feeds)
    articles       articles, their texts and summaries, what was sent (store.articles)
    topics         topics, article topics, related links, story ids  (store.topics)
    search         the full-text index and search as users see it    (store.search)
    outbox         message parts waiting for or past delivery        (store.outbox)
    subscriptions  chat users and the topics they follow             (store.subscriptions)

Instances and leadership of several processes sharing PostgreSQL are in ``store.instances``
(built by the service with its own timings). The tables are in ``store.schema``.
"""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from digests.store.articles import Articles
from digests.store.database import Database
from digests.store.feeds import Feeds
from digests.store.outbox import Outbox
from digests.store.search import Search
from digests.store.subscriptions import Subscriptions
from digests.store.topics import Topics

__all__ = ["Store"]


class Store:
    """Every repository over one open ``Database``; create with ``await Store.open(url)``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.feeds = Feeds(db)
        self.articles = Articles(db)
        self.topics = Topics(db)
        self.search = Search(db)
        self.outbox = Outbox(db)
        self.subscriptions = Subscriptions(db)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to ``url`` and apply the migrations (see ``Database.open``)."""
        return cls(await Database.open(url))

    async def close(self) -> None:
        """Release every connection."""
        await self.db.close()

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self.db.ping()

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for reads outside the repositories (tests, benchmarks, ops)."""
        return self.db.engine

    @property
    def single_instance(self) -> bool:
        """True for SQLite: one process owns the database."""
        return self.db.single_instance

    def write(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """A write transaction on the database's single write path (see ``Database.write``)."""
        return self.db.write()
