"""The chat side of the service, wired: the chat adapters that are configured, and the sender
that delivers the outbox through them.

``Chat`` is started after the store and before the scheduler, and stopped within one grace:
the sender stops claiming and polling stops taking updates at once, the parts in flight and
the update in hand finish or are cut short at the grace (parts cut short go back to the
outbox; a crash is covered by their leases), then the adapters close. With no chat platform
configured it holds only the outbox and does nothing.

It also owns what happens around delivery: personal digests for subscribers at their chosen
time, deactivating a subscriber who blocked the bot or a destination the bot was removed from
(with a notice to the admins), and posting admin notices.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta

from bot.commands import Commands
from bot.config import Settings
from bot.slack_bot import SlackBot, SlackTransport
from bot.telegram_bot import TelegramBot, TelegramTransport
from digests.clock import utcnow
from digests.compose.reply import Reply, paragraph
from digests.compose.stopped import stopped_notice
from digests.deliver.queue import queue_personal_digests
from digests.deliver.ratelimit import RateLimiter
from digests.deliver.sender import Sender, Transport
from digests.ingest.fetch import Fetcher
from digests.models import ChatPlatform
from digests.render import slack, telegram
from digests.store import Store
from digests.store.instances import LeaderLock
from digests.store.outbox import OutboxMessage
from digests.text.taxonomy import Taxonomy
from digests.text.topic_lookup import TopicLookup

__all__ = ["Chat"]

log = logging.getLogger(__name__)

_CLOSING_SECONDS = 2.0  # after the grace: for each adapter to close its connections


class Chat:
    """The outbox, the sender, and the Telegram and Slack apps whose tokens are set."""

    def __init__(
        self, settings: Settings, store: Store, fetcher: Fetcher, taxonomy: Taxonomy
    ) -> None:
        self._settings = settings
        self._store = store
        self.outbox = store.outbox
        self._stopped = store.stopped
        self.commands = Commands(
            store,
            settings,
            fetcher,
            TopicLookup(taxonomy),
            allow_private=settings.admin.allow_private_feed_urls,
        )
        self.telegram: TelegramBot | None = None
        transports: dict[str, Transport] = {}
        limiters: dict[str, RateLimiter] = {}
        token = settings.secrets.telegram_bot_token
        if token is not None:
            limiter = RateLimiter.telegram()
            secret = settings.secrets.telegram_webhook_secret
            self.telegram = TelegramBot(
                token.get_secret_value(),
                settings.telegram,
                self.commands,
                limiter=limiter,
                webhook_secret=secret.get_secret_value() if secret else None,
            )
            transports["telegram"] = TelegramTransport(self.telegram.application)
            limiters["telegram"] = limiter
        self.slack: SlackBot | None = None
        slack_token = settings.secrets.slack_bot_token
        if slack_token is not None:
            app_token, signing = (
                settings.secrets.slack_app_token,
                settings.secrets.slack_signing_secret,
            )
            self.slack = SlackBot(
                slack_token.get_secret_value(),
                settings.slack,
                self.commands,
                app_token=app_token.get_secret_value() if app_token else None,
                signing_secret=signing.get_secret_value() if signing else None,
            )
            transports["slack"] = SlackTransport(self.slack.client)
            limiters["slack"] = RateLimiter.slack()
        self._limiters = limiters
        self.sender = Sender(
            self.outbox,
            transports,
            limiters,
            on_gone=self._gone,
            lease=timedelta(seconds=settings.delivery.lease_seconds),
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Telegram allows one getUpdates caller per bot: with several instances, the holder of
        # this lock (PostgreSQL advisory lock) polls; on SQLite this process always holds it.
        self.telegram_leader = LeaderLock(store.db, "telegram-polling")
        self._leading: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def bot_username(self) -> str | None:
        """The Telegram bot's @username (for deep links), once started."""
        return self.telegram.username if self.telegram else None

    async def start(self) -> None:
        """Start the chat adapters, then the sender loop (after handing back parts a killed
        run left in flight, when this is the database's only instance)."""
        if self._store.single_instance:
            await self.outbox.release_in_flight()
        resumed = await self._stopped.clear()
        if resumed:
            log.info("%d destinations stopped by a platform are tried again", resumed)
        if self.telegram is not None:
            elect = self._settings.telegram.mode == "polling" and not self._store.single_instance
            await self.telegram.start(poll=not elect)
            if elect:
                self._leading = asyncio.create_task(self._lead_telegram(self.telegram))
        if self.slack is not None:
            await self.slack.start()
        if self.telegram is not None or self.slack is not None:
            self._task = asyncio.create_task(self.sender.run(self._stop))

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop within ``grace_seconds`` in all (no-op once stopped): claiming parts and
        receiving updates stop at once; the parts in flight and the update being handled get
        the grace together, and so does the getUpdates call in flight when another instance
        takes over polling (the lock is released only after it); what is left is cancelled
        (a part cut short is given back to the outbox, an update not handled comes again).
        Then the adapters close, each within a few seconds."""
        if self._stopping:
            return
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        self._stop.set()
        if self._leading is not None:
            self._leading.cancel()
            await asyncio.gather(self._leading, return_exceptions=True)
        remaining = max(0.0, deadline - loop.time())
        receiving: list[Awaitable[None]] = []
        if self.telegram is not None:
            # Another instance may take over polling: its call must not overlap ours.
            hand_over = not self._store.single_instance and self.telegram_leader.held
            receiving.append(self.telegram.stop_polling(remaining, hand_over=hand_over))
        await asyncio.gather(self._stop_sender(remaining), *receiving)
        closing = max(deadline - loop.time(), _CLOSING_SECONDS)
        if self.telegram is not None:
            await self.telegram.stop(closing)
            await self.telegram_leader.release(within=_CLOSING_SECONDS)
        if self.slack is not None:
            try:
                await asyncio.wait_for(self.slack.stop(), _CLOSING_SECONDS)
            except TimeoutError:
                log.warning("the Slack connection did not close in time")

    async def _stop_sender(self, grace_seconds: float) -> None:
        """Let the parts in flight finish within the grace; cancel the sender after it (it
        gives back the parts it had not finished)."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, grace_seconds)
        except TimeoutError:
            log.warning("sends still in flight at shutdown were cut short; they are due again")

    async def stopped(self, destination: str) -> bool:
        """Whether a platform refused ``destination`` for good (until the service restarts)."""
        return destination in await self._stopped.names()

    def share_limits(self, instances: int) -> None:
        """Keep to ``1/instances`` of each platform's bot-wide rate limit (the instances alive
        share one bot token)."""
        for limiter in self._limiters.values():
            limiter.share(instances)

    async def _lead_telegram(self, telegram: TelegramBot) -> None:
        """Poll Telegram while this instance holds the leader lock; try to take it over every
        ``leader_retry_seconds`` when another instance holds it (it died: the lock is free)."""
        every = self._settings.telegram.leader_retry_seconds
        lock = self.telegram_leader
        while True:
            try:
                if telegram.polling:
                    if not await lock.alive(within=every):
                        # Stop polling before the lock goes: another instance takes over only
                        # then, and its getUpdates never overlaps ours (409 Conflict).
                        await telegram.stop_polling(
                            self._settings.telegram.poll_timeout_seconds + every, hand_over=True
                        )
                        await lock.release(within=every)
                elif await lock.acquire():
                    await telegram.start_polling()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database or Telegram hiccuped: try again next round
                log.exception("telegram leadership round failed")
                if lock.held and not telegram.polling:
                    await lock.release()
            await asyncio.sleep(every)

    async def drop_stale(self, now: datetime | None = None) -> int:
        """Drop queued messages older than ``[delivery] max_age_minutes``: late news is no news."""
        now = now or utcnow()
        limit = timedelta(minutes=self._settings.delivery.max_age_minutes)
        return await self.outbox.drop_stale(now - limit)

    async def personal_digests(self, now: datetime | None = None) -> int:
        """Queue the personal digest of every subscriber whose time has come; returns how many.

        Only on the platforms that run here with their switch on (``telegram.personal_digests``,
        ``slack.personal_digests``): each switch governs its own platform's subscribers.
        """
        platforms: list[ChatPlatform] = []
        if self.telegram is not None and self._settings.telegram.personal_digests:
            platforms.append("telegram")
        if self.slack is not None and self._settings.slack.personal_digests:
            platforms.append("slack")
        if not platforms:
            return 0
        return await queue_personal_digests(
            self._store, now or utcnow(), bot_username=self.bot_username, platforms=platforms
        )

    async def notify_admins(self, text: str) -> None:
        """Post a notice to the admin chat (Telegram) and admin channel (Slack) configured,
        marked up and escaped by each platform's renderer, as a command reply is."""
        now = utcnow()
        key = f"admin|{now.isoformat()}"
        notice = Reply((paragraph(text),))
        told = False
        chat = self._settings.telegram.admin_chat_id
        if self.telegram is not None and chat is not None:
            html = telegram.render_reply(notice)
            payload = json.dumps({"text": html, "disable_preview": True}, ensure_ascii=False)
            await self.outbox.enqueue("admin", "telegram", str(chat), None, key, [payload], now)
            told = True
        channel = self._settings.slack.admin_channel
        if self.slack is not None and channel is not None:
            if len(text) > slack.MAX_TEXT:  # a long notice: a section per line, none cut
                notice = Reply(tuple(paragraph(line) for line in text.splitlines() if line))
            payload = json.dumps(
                {"text": slack.reply_text(notice), "blocks": slack.render_reply(notice)},
                ensure_ascii=False,
            )
            await self.outbox.enqueue("admin", "slack", channel, None, key + "|s", [payload], now)
            told = True
        if not told:
            log.warning("admin notice (no admin chat configured): %s", text)

    async def _gone(self, message: OutboxMessage, error: str) -> None:
        if message.destination.startswith(("personal:", "alert:")):
            count = await self.commands.subscriptions.deactivate(message.platform, message.chat)
            log.info("subscriber deactivated (%s): %d", error, count)
            return
        if message.destination == "admin":
            return
        if not await self._stopped.stop(message.destination, error, utcnow()):
            return  # already stopped, and the admins told, by another instance
        # In the destination's language: the one its team reads.
        configured = {d.name: d for d in self._settings.destinations}
        destination = configured.get(message.destination)
        language = destination.language if destination is not None else "ar"
        await self.notify_admins(
            stopped_notice(message.destination, message.platform, message.chat, error, language)
        )
