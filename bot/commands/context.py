"""What every command handler gets: who called, the collaborators, and the ways to answer.

A handler is ``async def handler(ctx: Context, caller: Caller, args: str) -> Reply``. It reads
and writes through ``ctx.store``, words its answer with ``ctx.t`` (the caller's language, and
commands spelt as the caller's platform writes them: ``/follow`` on Telegram, ``/news follow``
on Slack) and answers with ``ctx.say`` or ``ctx.reply``.

Language: a known subscriber's stored language (``/lang``) wins; otherwise
``Caller.language`` (which a new subscriber starts with). Subscribers are created only by
commands that change their state (start, follow, schedule, lang): ``ctx.subscriber``;
reading commands use ``ctx.known``, which never writes.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from digests.clock import Clock
from digests.compose.destination import DEFAULT_TIMEZONE
from digests.compose.i18n import Language, format_datetime, t
from digests.compose.reply import Button, Paragraph, Reply, paragraph
from digests.ingest.fetch import Fetcher
from digests.models import ChatPlatform, TopicRow
from digests.render import slack, telegram
from digests.store import Store
from digests.store.subscriptions import Subscriber
from digests.text.topic_lookup import TopicLookup

__all__ = ["Caller", "Context", "moment_text", "spelling", "timezone_of"]

log = logging.getLogger("bot.commands")

Buttons = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command and what the adapter knows of them.

    ``chat_id`` is where this user's personal digest would go: their private chat with the bot
    (Telegram: the private chat id; Slack: the IM channel), also when the command came from a
    group. ``is_admin`` is the adapter's decision (configured admin ids); ``language`` its
    guess (e.g. the client's language), used until the user picks one with ``/lang``.
    """

    platform: ChatPlatform
    user_id: str
    chat_id: str
    is_admin: bool = False
    language: Language = "ar"


def spelling(platform: ChatPlatform) -> Callable[[str], str]:
    """How ``platform`` writes a command: ``/follow`` (Telegram), ``/news follow`` (Slack)."""
    return slack.command if platform == "slack" else telegram.command


class Context:
    """The collaborators of the commands, and the helpers they answer with."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        fetcher: Fetcher,
        topics: TopicLookup,
        clock: Clock,
        *,
        allow_private: bool,
        search_cache_size: int,
    ) -> None:
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.topics = topics
        self.clock = clock
        self.allow_private = allow_private
        self._searches: OrderedDict[str, str] = OrderedDict()
        self._search_cache_size = max(1, search_cache_size)

    # -- who is asking -------------------------------------------------------------------

    async def subscriber(self, caller: Caller) -> Subscriber:
        """The caller's subscriber, created (in the caller's language) if new."""
        return await self.store.subscriptions.get_or_create(
            caller.platform, caller.user_id, caller.chat_id, self.clock(), language=caller.language
        )

    async def known(self, caller: Caller) -> tuple[Subscriber | None, Language]:
        """The caller's subscriber if any (never created here) and the language to answer in."""
        sub = await self.store.subscriptions.get(caller.platform, caller.user_id)
        return sub, sub.language if sub is not None else caller.language

    async def taxonomy_topics(self) -> list[TopicRow]:
        """The taxonomy's topics (the ones users follow), by slug."""
        return await self.store.topics.all(origin="taxonomy")

    # -- answering -----------------------------------------------------------------------

    def t(self, caller: Caller, key: str, lang: Language, **fields: object) -> str:
        """``i18n.t`` with commands spelt for the caller's platform."""
        return t(key, lang, spell=spelling(caller.platform), **fields)

    def say(self, lang: Language, tz: str, text: str, *, ephemeral: bool = False) -> Reply:
        """A reply of one plain paragraph."""
        return Reply((paragraph(text),), ephemeral=ephemeral, language=lang, timezone=tz)

    def reply(
        self,
        lang: Language,
        tz: str,
        paragraphs: Sequence[Paragraph],
        buttons: Buttons = (),
        *,
        ephemeral: bool = False,
    ) -> Reply:
        """A reply of paragraphs and rows of buttons."""
        return Reply(tuple(paragraphs), buttons, ephemeral, language=lang, timezone=tz)

    def refuse(self, caller: Caller, lang: Language, tz: str, command: str) -> Reply:
        """The polite refusal of an admin command to a non-admin (logged; nothing changes)."""
        log.info(
            "refused /%s from non-admin %s:%s",
            command,
            caller.platform,
            caller.user_id,
            extra={"admin": caller.user_id, "platform": caller.platform},
        )
        return self.say(lang, tz, self.t(caller, "cmd_admin_only", lang), ephemeral=True)

    def audit(self, caller: Caller, message: str, *args: object) -> None:
        """Log an admin's change, naming the admin."""
        log.info(
            "admin %s:%s " + message,
            caller.platform,
            caller.user_id,
            *args,
            extra={"admin": caller.user_id, "platform": caller.platform},
        )

    # -- search pages --------------------------------------------------------------------

    def remember(self, query: str) -> str:
        """A 12-hex-digit key for ``query`` that a page button carries (small in-memory LRU:
        a restart, or a press that lands on another instance, finds no text)."""
        key = hashlib.blake2b(query.encode("utf-8"), digest_size=6).hexdigest()
        self._searches[key] = query
        self._searches.move_to_end(key)
        while len(self._searches) > self._search_cache_size:
            self._searches.popitem(last=False)
        return key

    def recall(self, key: str) -> str | None:
        """The query ``remember`` gave ``key`` to, if it is still remembered."""
        query = self._searches.get(key)
        if query is not None:
            self._searches.move_to_end(key)
        return query


def timezone_of(sub: Subscriber | None) -> str:
    """The subscriber's time zone, else the default."""
    return sub.timezone if sub is not None else DEFAULT_TIMEZONE


def moment_text(moment: datetime | None, lang: Language, tz: str) -> str:
    """A date and time for the reader, in their time zone («—» when there is none)."""
    if moment is None:
        return "—"
    return format_datetime(moment.astimezone(ZoneInfo(tz)), lang)
