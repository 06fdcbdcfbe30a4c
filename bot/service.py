"""The long-running service: one asyncio loop, one scheduler, started and stopped in order.

Start: open the store (migrations run), sync the configured feeds, open the fetcher, start an
APScheduler ``AsyncIOScheduler`` with a short polling tick (due feeds are data:
``next_check_at``) and one cron job per destination. Stop (SIGINT/SIGTERM): the scheduler
takes no new jobs and the chat side (``bot.chat``) stops sending and receiving at the same
moment; running jobs, sends in flight and the update being handled get one ``grace_seconds``
together and are then cancelled (every write is one transaction, so the database stays
consistent; a send cut short stays in the outbox), then the fetcher and the store close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.chat import Chat
from bot.config import Settings, check_chat
from bot.ops import OpsServer
from bot.web import WebServer
from digests import metrics
from digests.clock import utcnow
from digests.compose.destination import MAX_LOOKBACK_HOURS, Destination
from digests.deliver.alerts import queue_alerts
from digests.deliver.queue import ConsoleSender, post_digest
from digests.deliver.updates import queue_updates
from digests.errors import ConfigError, StoreError
from digests.ingest.fetch import Fetcher
from digests.ingest.health import FeedHealthMonitor
from digests.ingest.pipeline import Pipeline
from digests.store import Store
from digests.store.backup import service_lock, sqlite_file
from digests.store.housekeeping import Housekeeping, Retention
from digests.store.instances import Instances, LeaderLock
from digests.text.enrich import Enricher, taxonomy_rows
from digests.text.taxonomy import Taxonomy

__all__ = [
    "App",
    "Service",
    "load_taxonomy",
    "open_app",
    "retention",
    "run_service",
    "scheduled_time",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# How late a scheduled digest may still run (the scheduler was busy or the process paused).
_MISFIRE_GRACE = timedelta(minutes=15)
# The retention job runs daily, the first time this long after the start (not during it).
_HOUSEKEEPING_EVERY = timedelta(days=1)
_HOUSEKEEPING_FIRST = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class App:
    """The collaborators every command needs, opened together and closed together."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    pipeline: Pipeline
    taxonomy: Taxonomy


def load_taxonomy(settings: Settings) -> Taxonomy:
    """Read the topic taxonomy and check that every topic a destination names exists in it."""
    path = settings.topics.taxonomy_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the topic taxonomy ({exc.strerror})") from None
    taxonomy = Taxonomy.from_toml(text, source=str(path))
    for index, destination in enumerate(settings.destinations):
        for key in ("topics", "exclude_topics", "breaking_topics"):
            for slug in getattr(destination, key):
                if slug not in taxonomy:
                    raise ConfigError(
                        f"destinations[{index}].{key} = {slug!r}: no topic with that slug in {path}"
                    )
    return taxonomy


@contextlib.asynccontextmanager
async def open_app(settings: Settings, *, polling: bool = True) -> AsyncIterator[App]:
    """Open the store (applying migrations), sync feeds and topics, open the fetcher; with
    ``polling`` also rebuild the story index new articles are clustered against (commands that
    only read the store skip that work)."""
    taxonomy = load_taxonomy(settings)
    store = await Store.open(settings.database_url)
    try:
        now = utcnow()
        await store.feeds.sync_config(settings.feeds, now)
        await store.topics.sync(taxonomy_rows(taxonomy), now)
        enricher = None
        if polling:
            enricher = Enricher(taxonomy, settings.topics)
            enricher.restore(await store.topics.index_rows(now - settings.topics.related_window))
        fetcher = Fetcher(settings.poll, allow_private=settings.admin.allow_private_feed_urls)
        async with fetcher, httpx.AsyncClient() as llm_client:
            llm = (llm_client, settings.summary.llm) if settings.summary.llm else None
            pipeline = Pipeline(
                store,
                fetcher,
                settings.poll,
                enricher=enricher,
                llm=llm,
                keep_articles=retention(settings).keep_articles,
            )
            yield App(settings, store, fetcher, pipeline, taxonomy)
    finally:
        await store.close()


class Service:
    """The scheduler and its jobs over an open ``App``."""

    def __init__(
        self,
        app: App,
        *,
        sender: ConsoleSender | None = None,
        messaging: Chat | None = None,
    ) -> None:
        self._app = app
        self._sender = sender or ConsoleSender()
        self._messaging = messaging
        self._health = (
            FeedHealthMonitor(app.store, app.settings.health, messaging.notify_admins)
            if messaging is not None
            else None
        )
        tick = app.settings.poll.tick_seconds
        self._instances = Instances(app.store.db, live_for=timedelta(seconds=3 * tick + 10))
        self._housekeeper = LeaderLock(app.store.db, "housekeeping")
        self._retention = Housekeeping(app.store.db)
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._tasks: set[asyncio.Task[None]] = set()
        # One digest at a time per destination: a scheduled digest and the breaking lane must
        # not both compose before either marks its stories sent.
        self._posting: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._first_tick_done = False

    @property
    def running(self) -> bool:
        """Whether the scheduler is running (for /healthz)."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Schedule the polling tick (first one now) and each destination's digests."""
        settings = self._app.settings
        self._scheduler.add_job(
            self._tracked(self._tick),
            IntervalTrigger(seconds=settings.poll.tick_seconds),
            id="poll-tick",
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
        )
        # Its own job, so a long polling pass never makes this instance look dead to the others.
        self._scheduler.add_job(
            self._tracked(self._heartbeat),
            IntervalTrigger(seconds=settings.poll.tick_seconds),
            id="heartbeat",
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.add_job(
            self._tracked(self._housekeeping),
            IntervalTrigger(seconds=_HOUSEKEEPING_EVERY.total_seconds()),
            id="housekeeping",
            next_run_time=utcnow() + _HOUSEKEEPING_FIRST,
            max_instances=1,
            coalesce=True,
        )
        for destination in settings.destinations:
            trigger = CronTrigger.from_crontab(
                destination.schedule, timezone=ZoneInfo(destination.timezone)
            )
            self._scheduler.add_job(
                self._tracked(self._digest_job(destination, trigger=trigger)),
                trigger,
                id=f"digest-{destination.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(_MISFIRE_GRACE.total_seconds()),
            )
        self._scheduler.start()
        log.info(
            "service started: %d feeds configured, %d destinations",
            len(settings.feeds),
            len(settings.destinations),
        )

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop scheduling, let in-flight work finish within ``grace_seconds``, then cancel it."""
        self._scheduler.shutdown(wait=False)
        pending = {task for task in self._tasks if not task.done()}
        if pending:
            log.info("waiting up to %gs for %d running jobs", grace_seconds, len(pending))
            _, late = await asyncio.wait(pending, timeout=grace_seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
                log.warning("abandoned %d jobs at shutdown; they resume on restart", len(late))
        await self._stage("leaving", self._instances.leave())
        await self._stage("housekeeping lock", self._housekeeper.release())
        log.info("service stopped")

    def _tracked(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.create_task(self._guarded(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.shield(task)

        return run

    @staticmethod
    async def _guarded(job: Callable[[], Awaitable[None]]) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:  # a job's failure is logged; the service goes on
            log.exception("scheduled job failed")

    async def _tick(self) -> None:
        """Poll what is due, then the housekeeping; each stage's failure is logged and the
        others still run (one bad input must not starve the breaking lane or the cleanup)."""
        outcomes = await self._stage("poll", self._app.pipeline.poll_due()) or []
        if self._health is not None and outcomes:
            await self._stage("feed health", self._health.after_poll(outcomes, utcnow()))
        leading = await self._stage("housekeeping lock", self._housekeeper.lead())
        if leading:
            # One instance completes what others left behind (else all would fetch it again).
            await self._stage("pending articles", self._app.pipeline.complete_pending())
            await self._stage("search index", self._reindex())
        if outcomes:
            failed = sum(1 for o in outcomes if o.status == "error")
            new = sum(o.new_articles for o in outcomes)
            log.info("polled %d feeds: %d new articles, %d failed", len(outcomes), new, failed)
        first = not self._first_tick_done
        self._first_tick_done = True
        if self._messaging is not None and leading:
            await self._stage(
                "keyword alerts",
                queue_alerts(
                    self._app.store,
                    self._app.settings.alerts,
                    utcnow(),
                    bot_username=self._messaging.bot_username,
                ),
            )
        if self._messaging is not None:
            dropped = await self._stage("stale messages", self._messaging.drop_stale())
            metrics.record_dropped_stale(dropped or 0)
            await self._stage("personal digests", self._messaging.personal_digests())
        for destination in self._app.settings.destinations:
            if destination.breaking_topics:
                await self._breaking_job(destination)()
            if self._messaging is not None and destination.chat is not None:
                await self._stage("live updates", self._updates(destination))
            if first and destination.digest_on_start:
                await self._digest_job(destination)()

    async def _reindex(self) -> None:
        """One step of re-keying the search index and keyphrase topics after the matching
        layer changed (nothing to do, and one quick query, the rest of the time)."""
        step = await self._app.store.reindex_step()
        if step is not None:
            log.info(
                "search index: %d articles re-indexed%s",
                step.articles,
                "; done" if step.done else "",
            )

    async def _housekeeping(self) -> None:
        """The daily retention run (``[storage]`` keep_*_days), on the leading instance."""
        if not await self._housekeeper.lead():
            return
        cleaned = await self._retention.run(utcnow(), retention(self._app.settings))
        log.info(
            "housekeeping: %d texts, %d articles, %d sent records, %d outbox rows and %d "
            "archived digests removed, %d pages freed; longest batch %.0f ms",
            cleaned.texts,
            cleaned.articles,
            cleaned.sent,
            cleaned.outbox,
            cleaned.archived,
            cleaned.pages_freed,
            cleaned.longest_batch * 1000,
        )

    async def _heartbeat(self) -> None:
        """Tell the other instances this one is alive, and keep to this instance's share of
        the platforms' bot-wide rate limits."""
        live = await self._instances.heartbeat()
        if self._messaging is not None:
            self._messaging.share_limits(live)

    @staticmethod
    async def _stage(name: str, work: Awaitable[T]) -> T | None:
        try:
            return await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; the rest of the tick goes on", name)
            return None

    def _digest_job(
        self,
        destination: Destination,
        *,
        breaking: bool = False,
        trigger: CronTrigger | None = None,
    ) -> Callable[[], Awaitable[None]]:
        """The job posting ``destination``'s digest; with its cron ``trigger``, the digest is
        keyed by the scheduled time it is for, so every instance queues the same one."""

        async def job() -> None:
            messaging = self._messaging
            if messaging is not None and await messaging.stopped(destination.name):
                return
            now = utcnow()
            period = scheduled_time(trigger, now) if trigger is not None else None
            try:
                async with self._posting[destination.name]:
                    await post_digest(
                        self._app.store,
                        destination,
                        self._sender,
                        now,
                        breaking=breaking,
                        bot_username=messaging.bot_username if messaging else None,
                        period=period,
                        web_base_url=self._app.settings.web.base_url,
                    )
            except asyncio.CancelledError:
                raise
            except Exception:  # one destination's failure never stops the others
                log.exception("posting failed", extra={"destination": destination.name})

        return job

    def _breaking_job(self, destination: Destination) -> Callable[[], Awaitable[None]]:
        return self._digest_job(destination, breaking=True)

    async def _updates(self, destination: Destination) -> None:
        """Queue the edits of ``destination``'s posts whose stories grew (``deliver.updates``)."""
        messaging = self._messaging
        if messaging is None or await messaging.stopped(destination.name):
            return
        async with self._posting[destination.name]:
            await queue_updates(
                self._app.store,
                destination,
                utcnow(),
                window=self._app.settings.topics.story_window,
                bot_username=messaging.bot_username,
                web_base_url=self._app.settings.web.base_url,
            )


def retention(settings: Settings) -> Retention:
    """What the housekeeping keeps, from ``[storage]``; ``protect`` is the longest a digest
    may look back plus the story window: articles (and sent records of stories) that recent
    are never removed, so no digest can pick an article or story it already sent."""
    storage = settings.storage
    return Retention(
        keep_text=timedelta(days=storage.keep_text_days),
        keep_articles=(
            timedelta(days=storage.keep_articles_days) if storage.keep_articles_days else None
        ),
        keep_delivery=timedelta(days=storage.keep_delivery_days),
        protect=timedelta(hours=MAX_LOOKBACK_HOURS) + settings.topics.story_window,
    )


def scheduled_time(
    trigger: CronTrigger, now: datetime, grace: timedelta = _MISFIRE_GRACE
) -> datetime | None:
    """The latest time ``trigger`` fired at or before ``now`` (looking back ``grace``, the
    longest a digest job may run late); None when it did not fire in that span."""
    last = None
    fire = trigger.get_next_fire_time(None, now - grace)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


async def run_service(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set), then shut down cleanly within
    ``[delivery] shutdown_grace_seconds`` (plus a few seconds to close connections).

    Refuses to start (``ConfigError``) when a configured chat platform lacks a secret it
    needs (``bot.config.check_chat``)."""
    check_chat(settings)
    grace = settings.delivery.shutdown_grace_seconds
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with _owning(settings.database_url), open_app(settings) as app:
        messaging = Chat(settings, app.store, app.fetcher, app.taxonomy)
        service = Service(app, messaging=messaging)
        ops = OpsServer(
            settings.ops,
            store=app.store,
            outbox=messaging.outbox,
            scheduler_running=lambda: service.running,
            last_poll=metrics.last_successful_poll,
        )
        web = WebServer(settings.web, settings.destinations, app.store)
        try:
            await messaging.start()
            await ops.start()
            await web.start()
            service.start()
            await stop.wait()
            log.info("shutdown requested")
            # One grace for the whole shutdown: running jobs, sends in flight and the update
            # being handled get it together, not one after another.
            await asyncio.gather(service.stop(grace), messaging.stop(grace))
        finally:
            await web.stop()
            await ops.stop()
            await messaging.stop(grace)  # when starting failed (no-op after a clean stop)


@contextlib.asynccontextmanager
async def _owning(url: str) -> AsyncIterator[None]:
    """On SQLite, hold the lock saying this process owns the database file for as long as
    the service runs (``restore`` refuses while it is held); refuse to start when another
    service holds it. Nothing on PostgreSQL, where instances share the database."""
    try:
        database = sqlite_file(url)
    except StoreError:  # not SQLite
        yield
        return
    with service_lock(database) as owned:
        if not owned:
            raise StoreError(f"another newsdigest service is running on {database}")
        yield
