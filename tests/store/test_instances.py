"""Several instances on one database: heartbeats, the leader lock, digests queued once, and
the migrations of instances starting together. Each test runs on SQLite (one instance: always
the leader, always alone) and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger

import digests.store
from bot.service import scheduled_time
from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.deliver.queue import ConsoleSender, post_digest
from digests.ingest.settings import FeedSettings
from digests.models import Entry, TopicRow
from digests.store import Store
from digests.store.database import advisory_key, sqlite_url
from digests.store.instances import Instances, LeaderLock
from digests.store.schema import instances
from digests.text.enrich import Enrichment
from tests.compose.test_digest import NOW, seed_two_outlets
from tests.conftest import other_instance
from tests.support.postgres import PostgresServer

LIVE = timedelta(seconds=30)


def test_advisory_keys_are_stable_and_distinct() -> None:
    assert advisory_key("telegram-polling") == advisory_key("telegram-polling")
    assert advisory_key("telegram-polling") != advisory_key("other")
    assert -(2**63) <= advisory_key("x") < 2**63


async def test_on_sqlite_the_process_is_the_only_instance_and_always_leads(
    tmp_path: Path,
) -> None:
    store = await Store.open(sqlite_url(tmp_path / "one.sqlite3"))
    try:
        assert store.single_instance
        assert await Instances(store.db, live_for=LIVE).heartbeat() == 1
        for name in ("telegram-polling", "housekeeping"):
            lock = LeaderLock(store.db, name)
            assert await lock.acquire() and await lock.check() and await lock.lead()
            assert lock.held
    finally:
        await store.close()


async def test_heartbeats_count_the_live_instances_on_the_databases_clock(store: Store) -> None:
    """Heartbeats are stamped and compared on the database's clock, so an instance whose own
    clock is off is counted like the others (its clock is never asked)."""
    if store.single_instance:
        pytest.skip("SQLite serves one process: there is no other instance to count")
    live = timedelta(milliseconds=300)
    one = Instances(store.db, live_for=live)
    async with other_instance(store) as other_store:
        two = Instances(other_store.db, live_for=live)
        assert await one.heartbeat() == 1
        assert await two.heartbeat() == 2
        # The first one stops beating: after ``live`` it no longer counts.
        await asyncio.sleep(0.4)
        assert await two.heartbeat() == 1
        await two.leave()
        assert await one.heartbeat() == 1
        # A row silent for ten times ``live`` (an instance killed an hour ago) is deleted by
        # the next heartbeat.
        async with store.db.write() as conn:
            await conn.execute(
                instances.insert().values(
                    id="gone",
                    host="h",
                    pid=1,
                    started_at=NOW,
                    seen_at=utcnow() - timedelta(hours=1),
                )
            )
        assert await one.heartbeat() == 1
        async with store.engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT id FROM instances"))).scalars().all()
        assert rows == [one.id]


async def test_one_leader_at_a_time_and_a_new_one_when_it_dies(store: Store) -> None:
    if store.single_instance:
        pytest.skip("SQLite serves one process: it always leads")
    mine = LeaderLock(store.db, "telegram-polling")
    assert await mine.acquire() and await mine.check()
    async with other_instance(store) as other_store:
        theirs = LeaderLock(other_store.db, "telegram-polling")
        assert not await theirs.acquire()
        assert not theirs.held
        # The leader's session dies (as when its process is killed): the server frees the lock.
        async with other_store.engine.connect() as conn:
            await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid != pg_backend_pid()"
                )
            )
        assert not await mine.check()
        assert not mine.held
        assert await theirs.acquire()
        assert not await mine.acquire()  # the old leader, back, waits its turn
        await theirs.release()
        assert await mine.acquire()
        await mine.release()


async def test_the_same_scheduled_digest_from_two_instances_is_queued_once(store: Store) -> None:
    """Two instances run the 18:00 schedule, one at 18:07 (it was busy): the second finds the
    18:00 digest queued, even though a story arrived in between that it would have posted."""
    await seed_two_outlets(store)
    destination = Destination(name="ch", platform="telegram", chat="-100123")
    period = NOW  # 18:00, the cron time both instances' jobs are for
    async with other_instance(store) as other_store:
        first = await post_digest(
            store,
            destination,
            ConsoleSender(io.StringIO()),
            NOW,
            period=period,
        )
        feed = (await store.feeds.all())[0]
        [late] = await store.articles.insert_entries(
            feed,
            [Entry("3", "https://a.example/3", "خبر وصل متأخرا", NOW, "")],
            NOW + timedelta(minutes=5),
            dedup_window=timedelta(hours=1),
        )
        await store.topics.save_enrichments(
            [Enrichment(late.article.id, late.article.id)], NOW + timedelta(minutes=5)
        )
        second = await post_digest(
            other_store,
            destination,
            ConsoleSender(io.StringIO()),
            NOW + timedelta(minutes=7),
            period=period,
        )
        assert (first, second) == (1, 0)
        async with store.engine.connect() as conn:
            keys = (await conn.execute(sa.text("SELECT DISTINCT digest_key FROM outbox"))).all()
        assert [k[0] for k in keys] == ["ch|digest|2026-11-29T18:00"]
        # Without the period (say, clocks apart) it would have been a digest of its own.
        assert (
            await post_digest(
                other_store,
                destination,
                ConsoleSender(io.StringIO()),
                NOW + timedelta(minutes=7),
            )
            == 1
        )


async def test_a_story_is_never_queued_twice_to_a_destination(store: Store) -> None:
    """Digests for different minutes (a breaking lane and a schedule, or clocks apart) that
    were composed at the same time: the story goes out in one of them only."""
    await seed_two_outlets(store)
    destination = Destination(name="ch", platform="telegram", chat="-100123")
    async with other_instance(store) as other_store:
        results = await asyncio.gather(
            post_digest(store, destination, ConsoleSender(io.StringIO()), NOW),
            post_digest(
                other_store,
                destination,
                ConsoleSender(io.StringIO()),
                NOW + timedelta(minutes=3),
            ),
        )
        assert sorted(results) == [0, 1]
        async with store.engine.connect() as conn:
            keys = (await conn.execute(sa.text("SELECT DISTINCT digest_key FROM outbox"))).all()
            sent = (await conn.execute(sa.text("SELECT count(*) FROM sent_items"))).scalar_one()
        assert len(keys) == 1 and sent == 2  # one story of two outlets, recorded once each


async def test_instances_starting_together_migrate_once(
    store: Store, request: pytest.FixtureRequest
) -> None:
    """Three instances opening an empty PostgreSQL database at once: the advisory lock makes
    them migrate one after another. (SQLite serves one process, which opens it once.)"""
    if store.single_instance:
        pytest.skip("SQLite serves one process, which opens it once")
    postgres_server: PostgresServer = request.getfixturevalue("postgres_server")
    fresh = postgres_server.create_database()
    try:
        url = postgres_server.url(fresh)
        opened = await asyncio.gather(*(Store.open(url) for _ in range(3)))
        for other in opened:
            await other.close()
        check = await Store.open(url)
        async with check.engine.connect() as conn:
            version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).all()
        await check.close()
    finally:
        postgres_server.drop_database(fresh)
    migrations = Path(digests.store.__file__).with_name("migrations") / "versions"
    latest = max(p.name.split("_")[0] for p in migrations.glob("0*.py"))
    assert [v[0] for v in version] == [latest]  # one row: the head, applied once


async def test_instances_starting_together_sync_the_configuration_once(store: Store) -> None:
    """Every instance syncs the configured feeds and topics at start-up, at the same moment."""
    configured = [FeedSettings(url=f"https://x{n}.example/rss", name=f"م{n}") for n in range(50)]
    topics = [TopicRow(f"t{n}", f"موضوع {n}", f"Topic {n}", "theme") for n in range(50)]
    async with other_instance(store) as second, other_instance(store) as third:
        stores = [store, second, third]
        await asyncio.gather(*(s.feeds.sync_config(configured, NOW) for s in stores))
        await asyncio.gather(*(s.topics.sync(topics, NOW) for s in stores))
    assert len(await store.feeds.all()) == 50
    async with store.engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM topics"))).scalar_one() == 50


def test_a_digest_is_keyed_by_the_scheduled_time_it_is_for() -> None:
    daily = CronTrigger.from_crontab("0 7,19 * * *", timezone="Asia/Riyadh")
    late = datetime(2026, 11, 29, 4, 3, 59, tzinfo=UTC)  # 07:03:59 in Riyadh
    assert scheduled_time(daily, late) == datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
    assert scheduled_time(daily, late + timedelta(minutes=20)) is None  # past the grace
    minutely = CronTrigger.from_crontab("* * * * *", timezone=UTC)
    assert scheduled_time(minutely, late) == datetime(2026, 11, 29, 4, 3, tzinfo=UTC)


async def test_a_refused_destination_is_stopped_once_for_every_instance(store: Store) -> None:
    async with other_instance(store) as other_store:
        mine, theirs = store.stopped, other_store.stopped
        firsts = await asyncio.gather(
            mine.stop("news", "Forbidden: bot was kicked", NOW),
            theirs.stop("news", "Forbidden: bot was kicked", NOW),
        )
        assert sorted(firsts) == [False, True]  # one of them tells the admins
        assert await theirs.names() == {"news"} == await mine.names()
        assert await mine.clear() == 1  # a service start tries it again
        assert await theirs.names() == set()


async def test_leading_confirms_a_held_lock_or_takes_a_free_one(store: Store) -> None:
    if store.single_instance:
        pytest.skip("SQLite serves one process: it always leads")
    mine = LeaderLock(store.db, "housekeeping")
    assert await mine.lead() and await mine.lead()
    async with other_instance(store) as other_store:
        theirs = LeaderLock(other_store.db, "housekeeping")
        assert not await theirs.lead()
        await mine.release()
        assert await theirs.lead()
        assert not await mine.lead()
        await theirs.release()
