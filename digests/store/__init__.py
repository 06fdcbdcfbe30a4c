"""The database, one repository per aggregate.

``Store`` opens the database (``store.database``: engine, SQLite's single write path,
migrations) and holds a repository for each aggregate, each in a module of its own:

    feeds          feeds and their polling and health state          (store.feeds)
    articles       articles, their texts and summaries, what was sent (store.articles)
    topics         topics, article topics, related links, story ids  (store.topics)
    search         the full-text index and search as users see it    (store.search)
    meta           small named values: the search index's version     (store.meta)
    outbox         message parts waiting for or past delivery        (store.outbox)
    posts          the messages that told a story, for live updates  (store.posts)
    stopped        destinations a platform refused for good          (store.stopped)
    subscriptions  chat users and the topics they follow             (store.subscriptions)
    alerts         subscribers' keyword alerts                        (store.alerts)
    archive        digests as posted, and the web pages' reads          (store.archive)

Instances and leadership of several processes sharing PostgreSQL are in ``store.instances``
(built by the service with its own timings). Retention (the daily housekeeping) and the
database's statistics are in ``store.housekeeping``; SQLite backups and restores in
``store.backup``. The tables are in ``store.schema``.
"""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from digests.store.alerts import Alerts
from digests.store.archive import Archive
from digests.store.articles import Articles
from digests.store.database import Database
from digests.store.feeds import Feeds
from digests.store.meta import Meta
from digests.store.outbox import Outbox
from digests.store.posts import Posts
from digests.store.search import REINDEX_BATCH, Reindexed, Search
from digests.store.stopped import StoppedDestinations
from digests.store.subscriptions import Subscriptions
from digests.store.topics import Topics
from digests.text.enrich import keyphrase_identity
from digests.text.stems import matching_version

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
        self.posts = Posts(db)
        self.stopped = StoppedDestinations(db)
        self.subscriptions = Subscriptions(db)
        self.meta = Meta(db)
        self.alerts = Alerts(db)
        self.archive = Archive(db)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to ``url`` and apply the migrations (see ``Database.open``)."""
        return cls(await Database.open(url))

    async def reindex_step(self, *, batch: int = REINDEX_BATCH) -> Reindexed | None:
        """One step of making what the matching layer keyed (the search index, keyphrase
        topics) agree with today's ``matching_version``; None when it already does. The
        service runs a step per polling tick on one instance; ``newsdigest reindex`` runs them
        all at once."""

        async def rekey() -> None:
            await self.topics.rekey_keyphrases(keyphrase_identity)

        return await self.search.reindex_step(matching_version(), batch=batch, before_first=rekey)

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
