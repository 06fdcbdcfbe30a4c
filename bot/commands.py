"""The chat commands, platform-neutral: a ``Caller`` and arguments in, a ``Reply`` (data) out.

The Telegram and Slack adapters parse an update into a call here and turn the ``Reply`` into
platform messages; nothing in this module knows a chat SDK. Contracts:

* **Replies are data.** ``Reply.paragraphs`` are runs of ``Span`` (text, bold, link); the
  adapter escapes and isolates them (``digests.bidi``), and splits long replies only between
  paragraphs. ``Reply.digest`` carries a composed ``Digest`` that the adapter renders with
  the existing renderers (``render_telegram`` / ``render_slack``) in ``Reply.language`` and
  ``Reply.timezone``. ``Reply.ephemeral`` marks what concerns only the caller (errors,
  refusals, personal settings, admin output): Slack shows it to them alone; Telegram ignores it.
* **Buttons are short data.** ``Button.data`` is ``<action code>:<value>`` — at most 62 ASCII
  bytes, within Telegram's 64-byte ``callback_data`` (Slack puts it in the button's
  ``value``). The adapter hands it back to ``Commands.press``. Values are topic slugs or
  ``page:<n>:<key>``, where ``key`` (12 hex digits of a hash of the query) names the search
  text in a small in-memory LRU (``search_cache_size``, default 512 queries). A restart, or a
  press that lands on another instance, finds no text: the caller is asked to search again.
* **Language.** Text comes from ``digests.i18n``: Arabic by default, English when asked. A
  known subscriber's stored language (``/lang``) wins; otherwise ``Caller.language`` (which a
  new subscriber starts with).
* **Subscribers** are created only by commands that change their state (start, follow,
  schedule, lang); reading commands never write.
* **Admins.** An admin command from a non-admin gets a polite refusal and changes nothing
  (no subscriber row either). Every admin change is logged with
  ``extra={"admin": user_id, "platform": platform}`` and names the admin in the message.
* **Adding a feed** fetches and parses it first, and refuses hosts that resolve to private,
  loopback, link-local or otherwise non-global addresses (also the final URL after
  redirects) unless ``allow_private``. The check runs before the request and on the final
  URL; a redirect to an internal address is therefore refused after that request was made
  (its body is neither shown nor stored), and DNS may change between check and fetch: the
  check keeps admins from adding internal URLs by mistake, it is not a network sandbox.
* **Topics** are the taxonomy's (stable slugs; keyphrase topics come and go). A user names
  one by slug, Arabic or English name or any alias of the taxonomy, in any spelling variant
  (ايران = إيران, الإيرانية, Iran, #إيران); an unknown name gets close matches.
* **Digests on request** (``/digest``) use a per-subscriber destination named
  ``personal:<platform>:<user>`` (``personal_destination``; the colon keeps it apart from
  configured names) with the followed topics as its filter; the stories shown are marked
  sent, so the scheduled personal digest does not repeat them.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import ipaddress
import logging
import re
import socket
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.config import DestinationSettings, Settings
from bot.delivery import build_digest
from digests.arabic import normalise
from digests.errors import FetchError, ParseError, StoreError
from digests.fetch import Fetcher
from digests.finder import find
from digests.i18n import Language, format_datetime, plural_items, t
from digests.models import Digest, Feed, FetchResult
from digests.opml import LISTED_TWICE, NOT_HTTP, OpmlFeed, OpmlFeeds, export_opml, parse_opml
from digests.parse import parse_feed
from digests.pipeline import utcnow
from digests.render_telegram import parse_topic_payload
from digests.search import MAX_QUERY_CHARS, QueryError, SearchHit
from digests.store import Store, TopicRow
from digests.subscriptions import DEFAULT_TIMEZONE, Platform, Subscriber, Subscriptions
from digests.topics import Taxonomy

__all__ = [
    "MAX_BUTTON_VALUE",
    "Action",
    "Button",
    "Caller",
    "Commands",
    "OpmlImport",
    "Reply",
    "Span",
    "TopicLookup",
    "TopicMatch",
    "import_opml_feeds",
    "parse_button_data",
    "personal_destination",
]

log = logging.getLogger(__name__)

Action = Literal["follow", "unfollow", "search_page", "topic_latest"]
MAX_BUTTON_VALUE = 60

_ACTION_CODES: dict[Action, str] = {
    "follow": "f",
    "unfollow": "u",
    "search_page": "s",
    "topic_latest": "t",
}
_ACTIONS_BY_CODE: dict[str, Action] = {code: action for action, code in _ACTION_CODES.items()}
_BUTTON_VALUE = re.compile(rf"[!-~]{{1,{MAX_BUTTON_VALUE}}}")  # printable ASCII, no spaces
_SEARCH_PAGE = re.compile(r"page:(\d{1,4}):([0-9a-f]{12})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_OFF = frozenset({"off", "stop", "none", "ايقاف", "الغاء", "لا", "توقف"})
_LANGUAGE_NAMES: dict[str, Language] = {
    "ar": "ar",
    "arabic": "ar",
    "عربي": "ar",
    "العربيه": "ar",
    "عربيه": "ar",
    "en": "en",
    "english": "en",
    "انجليزي": "en",
    "الانجليزيه": "en",
    "انكليزي": "en",
    "الانكليزيه": "en",
}
_PER_PAGE = 5
_TOPICS_SHOWN = 10
_FEEDS_SHOWN = 25
_LATEST_ITEMS = 5
_LATEST_LOOKBACK_HOURS = 72
_SUGGESTIONS = 5
_OPML_MAX_FEEDS = 200  # more in one chat import: use the CLI
_OPML_MAX_CHARS = 3500  # an exported OPML longer than this is not sent (chat limit ~4000)
_OPML_LINES_SHOWN = 15


# --------------------------------------------------------------------------- reply data


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text, perhaps bold, perhaps a link (an http(s) URL)."""

    text: str
    bold: bool = False
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a reply; pressing it sends ``data`` back to ``Commands.press``.

    ``value`` is printable ASCII without spaces, at most ``MAX_BUTTON_VALUE`` characters.
    """

    label: str
    action: Action
    value: str

    def __post_init__(self) -> None:
        if self.action not in _ACTION_CODES:
            raise ValueError(f"unknown button action {self.action!r}")
        if not _BUTTON_VALUE.fullmatch(self.value):
            raise ValueError(f"button value must be 1-{MAX_BUTTON_VALUE} ASCII: {self.value!r}")

    @property
    def data(self) -> str:
        """``<code>:<value>``, at most 62 bytes (Telegram's callback_data allows 64)."""
        return f"{_ACTION_CODES[self.action]}:{self.value}"


def parse_button_data(data: str) -> tuple[Action, str] | None:
    """The action and value of a ``Button.data`` string, or None when it is not one."""
    code, _, value = data.partition(":")
    action = _ACTIONS_BY_CODE.get(code)
    if action is None or not _BUTTON_VALUE.fullmatch(value):
        return None
    return action, value


Paragraph = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: paragraphs, rows of buttons, perhaps a digest (see module doc)."""

    paragraphs: tuple[Paragraph, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    ephemeral: bool = False
    digest: Digest | None = None
    language: Language = "ar"
    timezone: str = DEFAULT_TIMEZONE

    @property
    def text(self) -> str:
        """The paragraphs as plain text, separated by blank lines (for consoles and tests)."""
        return "\n\n".join("".join(span.text for span in p) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command and what the adapter knows of them.

    ``chat_id`` is where this user's personal digest would go: their private chat with the bot
    (Telegram: the private chat id; Slack: the IM channel), also when the command came from a
    group. ``is_admin`` is the adapter's decision (configured admin ids); ``language`` its
    guess (e.g. the client's language), used until the user picks one with ``/lang``.
    """

    platform: Platform
    user_id: str
    chat_id: str
    is_admin: bool = False
    language: Language = "ar"


# --------------------------------------------------------------------------- topic lookup


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """The topic a user meant, or (``topic`` None) the topics they may have meant:
    ``ambiguous`` when the text is a name of each of them, else names spelt close to it."""

    topic: TopicRow | None
    candidates: tuple[TopicRow, ...] = ()
    ambiguous: bool = False


class TopicLookup:
    """Finds the topic a user names, among the topics given. Pure.

    In order: the slug; the Arabic or English name, normalised (ايران = إيران, Iran = iran,
    «#الولايات_المتحدة» = الولايات المتحدة); any alias of the taxonomy with its proclitics and
    inflections (الإيرانية → iran). One hit is the answer; several are all candidates (عمان is
    Oman and Amman). Otherwise the candidates are names that contain the text or are spelt
    close to it.
    """

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self._taxonomy = taxonomy

    def resolve(self, text: str, topics: Sequence[TopicRow]) -> TopicMatch:
        """The topic of ``topics`` that ``text`` names (see the class doc)."""
        key = _topic_key(text)
        if not key:
            return TopicMatch(None)
        by_slug = {row.slug: row for row in topics}
        slug = key.replace(" ", "-")
        if slug in by_slug:
            return TopicMatch(by_slug[slug])
        named = [row for row in topics if key in _names(row)]
        if not named and self._taxonomy is not None:
            slugs = self._taxonomy.lookup(text.strip().lstrip("#").replace("_", " "))
            named = [by_slug[s] for s in slugs if s in by_slug]
        if len(named) == 1:
            return TopicMatch(named[0])
        if named:
            return TopicMatch(None, tuple(named), ambiguous=True)
        return TopicMatch(None, _close(key, topics))


def _topic_key(text: str) -> str:
    return normalise(text.strip().lstrip("#").replace("_", " ").strip("«»\"'“”"))


def _names(row: TopicRow) -> tuple[str, ...]:
    return (normalise(row.name_ar), normalise(row.name_en), row.slug)


def _close(key: str, topics: Sequence[TopicRow]) -> tuple[TopicRow, ...]:
    found: dict[str, TopicRow] = {}
    if len(key) >= 3:
        for row in topics:
            if any(key in name for name in _names(row)):
                found.setdefault(row.slug, row)
    by_name: dict[str, list[TopicRow]] = {}
    for row in topics:
        for name in _names(row):
            by_name.setdefault(name, []).append(row)
    for name in difflib.get_close_matches(key, list(by_name), n=_SUGGESTIONS, cutoff=0.7):
        for row in by_name[name]:
            found.setdefault(row.slug, row)
    return tuple(found.values())[:_SUGGESTIONS]


def personal_destination(subscriber: Subscriber, slugs: Iterable[str]) -> DestinationSettings:
    """The destination of ``subscriber``'s personal digest: only ``slugs``, in their language
    and time zone, named ``personal:<platform>:<user>`` (names with a colon can never be a
    configured destination's, whose pattern forbids it; the name is set after validation)."""
    base = DestinationSettings(
        name="personal",
        topics=tuple(slugs),
        language=subscriber.language,
        timezone=subscriber.timezone,
    )
    return base.model_copy(update={"name": f"personal:{subscriber.platform}:{subscriber.user_id}"})


# --------------------------------------------------------------------------- the commands


class Commands:
    """Every chat command, as async methods returning ``Reply`` (see the module doc)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        fetcher: Fetcher,
        topics: TopicLookup,
        clock: Callable[[], datetime] = utcnow,
        *,
        allow_private: bool = False,
        search_cache_size: int = 512,
    ) -> None:
        self._store = store
        self._settings = settings
        self._fetcher = fetcher
        self._topics = topics
        self._clock = clock
        self._allow_private = allow_private
        self._subs = Subscriptions(store)
        self._searches: OrderedDict[str, str] = OrderedDict()
        self._search_cache_size = max(1, search_cache_size)

    @property
    def subscriptions(self) -> Subscriptions:
        """The subscriptions these commands keep (for the scheduler and the adapters)."""
        return self._subs

    # -- everyone ------------------------------------------------------------------------

    async def start(self, caller: Caller, payload: str | None = None) -> Reply:
        """Welcome; a topic deep link (``t-<slug>``) also shows that topic's latest stories."""
        sub = await self._subscriber(caller)
        lang = sub.language
        paragraphs = [
            (Span(t("cmd_welcome_title", lang), bold=True),),
            _plain(t("cmd_welcome", lang)),
            *self._help_lines(caller, lang),
        ]
        buttons: tuple[tuple[Button, ...], ...] = ()
        if payload:
            rows = await self._taxonomy_topics()
            slug = parse_topic_payload(payload, [row.slug for row in rows])
            topic = next((row for row in rows if row.slug == slug), None)
            if topic is not None:
                latest = await self.latest(caller, topic.slug)
                paragraphs += latest.paragraphs
                buttons = latest.buttons
        return self._reply(lang, sub.timezone, paragraphs, buttons)

    async def help(self, caller: Caller) -> Reply:
        """The commands, with the admin ones for admins."""
        sub, lang = await self._known(caller)
        title = (Span(t("cmd_help_title", lang), bold=True),)
        paragraphs = [title, *self._help_lines(caller, lang)]
        return self._reply(lang, _tz(sub), paragraphs, ephemeral=True)

    async def search(self, caller: Caller, query: str, page: int = 1) -> Reply:
        """One page of search results, a button for the next (and previous) page."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        try:
            found = await find(
                self._store, query, now=self._clock(), page=max(1, page), per_page=_PER_PAGE
            )
        except QueryError as error:
            key = {"empty": "cmd_search_empty", "stopwords_only": "cmd_search_stopwords"}.get(
                error.reason, "cmd_search_too_long"
            )
            return self._say(lang, tz, t(key, lang, max=MAX_QUERY_CHARS), ephemeral=True)
        if found.total == 0:
            return self._say(lang, tz, t("cmd_search_none", lang, query=found.query))
        if not found.hits:
            return self._say(lang, tz, t("cmd_search_past_end", lang, query=found.query))
        header = t(
            "cmd_search_header",
            lang,
            query=found.query,
            total=found.total,
            page=found.page,
            pages=found.pages,
        )
        paragraphs: list[Paragraph] = [(Span(header, bold=True),)]
        if found.broadened:
            paragraphs.append(_plain(t("cmd_search_broadened", lang)))
        first = (found.page - 1) * found.per_page
        for number, hit in enumerate(found.hits, start=first + 1):
            paragraphs.append(_hit(number, hit, lang, tz))
        key = self._remember(found.query)
        row: list[Button] = []
        if found.page > 1:
            row.append(
                Button(t("cmd_previous", lang), "search_page", f"page:{found.page - 1}:{key}")
            )
        if found.page < found.pages:
            row.append(Button(t("cmd_more", lang), "search_page", f"page:{found.page + 1}:{key}"))
        return self._reply(lang, tz, paragraphs, (tuple(row),) if row else ())

    async def topics(self, caller: Caller) -> Reply:
        """The taxonomy topics with the most stories, each with follow and latest buttons."""
        sub, lang = await self._known(caller)
        counted = await self._store.topic_counts(origin="taxonomy", limit=_TOPICS_SHOWN)
        if not counted:
            return self._say(lang, _tz(sub), t("cmd_topics_none", lang))
        following = {row.slug for row in await self._subs.followed(sub)} if sub else set()
        paragraphs: list[Paragraph] = [(Span(t("cmd_topics_title", lang), bold=True),)]
        lines = [f"• {_name(row, lang)} — {plural_items(count, lang)}" for row, count in counted]
        paragraphs.append(_plain("\n".join(lines)))
        paragraphs.append(_plain(t("cmd_topics_hint", lang)))
        buttons = tuple(
            (_follow_button(row, lang, row.slug in following), _latest_button(row, lang))
            for row, _ in counted
            if _BUTTON_VALUE.fullmatch(row.slug)
        )
        return self._reply(lang, _tz(sub), paragraphs, buttons)

    async def follow(self, caller: Caller, topic: str) -> Reply:
        """Follow a topic named by slug, Arabic or English name; unknown → close matches."""
        sub = await self._subscriber(caller)
        lang, tz = sub.language, sub.timezone
        if not topic.strip():
            return self._say(lang, tz, t("cmd_follow_usage", lang), ephemeral=True)
        rows = await self._taxonomy_topics()
        match = self._topics.resolve(topic, rows)
        if match.topic is None:
            return self._no_topic(lang, tz, topic, match, following=False)
        name = _name(match.topic, lang)
        if await self._subs.follow(sub, match.topic.slug, self._clock()):
            lines = [t("cmd_followed", lang, topic=name)]
            if sub.digest_time is None:
                lines.append(t("cmd_followed_schedule_hint", lang))
        else:
            lines = [t("cmd_already_following", lang, topic=name)]
        buttons = ((_latest_button(match.topic, lang), _follow_button(match.topic, lang, True)),)
        return self._reply(lang, tz, [_plain(line) for line in lines], buttons, ephemeral=True)

    async def unfollow(self, caller: Caller, topic: str) -> Reply:
        """Stop following a topic named like ``follow`` does; a name is first matched among
        the caller's own topics (عمان unfollows the one of Oman and Amman they follow)."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not topic.strip():
            return self._say(lang, tz, t("cmd_unfollow_usage", lang), ephemeral=True)
        mine = self._topics.resolve(topic, await self._subs.followed(sub) if sub else [])
        if sub is not None and mine.topic is not None:
            await self._subs.unfollow(sub, mine.topic.slug)
            return self._reply(
                lang,
                tz,
                [_plain(t("cmd_unfollowed", lang, topic=_name(mine.topic, lang)))],
                ((_follow_button(mine.topic, lang, False),),),
                ephemeral=True,
            )
        if not mine.ambiguous:
            named = self._topics.resolve(topic, await self._taxonomy_topics()).topic
            if named is not None:
                text = t("cmd_not_following", lang, topic=_name(named, lang))
                return self._say(lang, tz, text, ephemeral=True)
        return self._no_topic(lang, tz, topic, mine, following=True)

    async def mytopics(self, caller: Caller) -> Reply:
        """The topics the caller follows (unfollow buttons) and their personal digest time."""
        sub, lang = await self._known(caller)
        followed = await self._subs.followed(sub) if sub else []
        if not followed:
            return self._say(lang, _tz(sub), t("cmd_mytopics_none", lang), ephemeral=True)
        paragraphs: list[Paragraph] = [
            (Span(t("cmd_mytopics_title", lang), bold=True),),
            _plain("\n".join(f"• {_name(row, lang)}" for row in followed)),
            _plain(self._schedule_line(sub, lang)),
        ]
        buttons = tuple(
            (_follow_button(row, lang, True),)
            for row in followed
            if _BUTTON_VALUE.fullmatch(row.slug)
        )
        return self._reply(lang, _tz(sub), paragraphs, buttons, ephemeral=True)

    async def digest(self, caller: Caller) -> Reply:
        """The stories on the caller's topics that are new to them, as a ``Reply.digest``."""
        sub, lang = await self._known(caller)
        followed = await self._subs.followed(sub) if sub else []
        if sub is None or not followed:
            return self._say(lang, _tz(sub), t("cmd_digest_no_topics", lang), ephemeral=True)
        now = self._clock()
        destination = personal_destination(sub, [row.slug for row in followed])
        prepared = await build_digest(self._store, destination, now)
        if not prepared.digest.items:
            return self._say(lang, sub.timezone, t("cmd_digest_empty", lang), ephemeral=True)
        await self._store.mark_sent(destination.name, prepared.article_ids, now)
        return Reply((), digest=prepared.digest, language=lang, timezone=sub.timezone)

    async def schedule(self, caller: Caller, text: str) -> Reply:
        """Set the daily personal digest: «08:00», «08:00 Africa/Cairo», «off» (or show it)."""
        sub = await self._subscriber(caller)
        lang = sub.language
        words = text.split()
        if not words:
            lines = [self._schedule_line(sub, lang), t("cmd_schedule_usage", lang)]
            return self._reply(lang, sub.timezone, [_plain(x) for x in lines], ephemeral=True)
        if len(words) == 1 and normalise(words[0]) in _OFF:
            sub = await self._subs.set_schedule(sub, None)
            return self._say(lang, sub.timezone, t("cmd_schedule_off", lang), ephemeral=True)
        if len(words) > 2:
            return self._say(lang, sub.timezone, t("cmd_schedule_usage", lang), ephemeral=True)
        at = _parse_time(words[0])
        if at is None:
            problem = t("cmd_schedule_bad_time", lang, value=words[0])
            lines = [problem, t("cmd_schedule_usage", lang)]
            return self._reply(lang, sub.timezone, [_plain(x) for x in lines], ephemeral=True)
        zone = sub.timezone
        if len(words) == 2:
            found = _zone_name(words[1])
            if found is None:
                problem = t("cmd_schedule_bad_zone", lang, value=words[1])
                return self._say(lang, sub.timezone, problem, ephemeral=True)
            zone = found
        sub = await self._subs.set_schedule(sub, at, zone)
        lines = [t("cmd_schedule_set", lang, time=at, timezone=zone)]
        if not await self._subs.followed(sub):
            lines.append(t("cmd_schedule_no_topics", lang))
        return self._reply(lang, zone, [_plain(x) for x in lines], ephemeral=True)

    async def lang(self, caller: Caller, code: str) -> Reply:
        """Choose the language of replies and digests: ar (العربية) or en (English)."""
        sub = await self._subscriber(caller)
        chosen = _LANGUAGE_NAMES.get(normalise(code.strip()))
        if chosen is None:
            key = "cmd_lang_usage" if code.strip() else "cmd_lang_current"
            return self._say(sub.language, sub.timezone, t(key, sub.language), ephemeral=True)
        sub = await self._subs.set_language(sub, chosen)
        return self._say(chosen, sub.timezone, t("cmd_lang_set", chosen), ephemeral=True)

    async def run(self, caller: Caller, name: str, args: str) -> Reply:
        """Run the command ``name`` with its argument text: what every adapter calls.

        ``name`` is the command without its slash (Telegram) or the /news subcommand (Slack);
        an empty name is help. Unknown names get the ``unknown`` reply.
        """
        words = args.split()
        first = words[0] if words else ""
        match name:
            case "start":
                return await self.start(caller, first or None)
            case "" | "help":
                return await self.help(caller)
            case "search":
                return await self.search(caller, args)
            case "topics":
                return await self.topics(caller)
            case "follow":
                return await self.follow(caller, args)
            case "unfollow":
                return await self.unfollow(caller, args)
            case "mytopics":
                return await self.mytopics(caller)
            case "digest":
                return await self.digest(caller)
            case "schedule":
                return await self.schedule(caller, args)
            case "lang":
                return await self.lang(caller, first)
            case "addfeed":
                return await self.addfeed(caller, first, " ".join(words[1:]) or None)
            case "removefeed":
                return await self.removefeed(caller, args)
            case "pausefeed":
                return await self.pausefeed(caller, args)
            case "resumefeed":
                return await self.resumefeed(caller, args)
            case "feeds":
                return await self.feeds(caller)
            case "destinations":
                return await self.destinations(caller)
            case "stats":
                return await self.stats(caller)
            case "importopml":
                return await self.importopml(caller, first)
            case "exportopml":
                return await self.exportopml(caller)
            case _:
                return await self.unknown(caller, name)

    async def unknown(self, caller: Caller, command: str) -> Reply:
        """A command the bot does not have: say so and point at /help."""
        sub, lang = await self._known(caller)
        name = command.strip().lstrip("/")[:40]
        return self._say(lang, _tz(sub), t("cmd_unknown", lang, command=name), ephemeral=True)

    async def latest(self, caller: Caller, slug: str) -> Reply:
        """The latest stories on topic ``slug`` (the last three days), with a follow button."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        topic = next((row for row in await self._taxonomy_topics() if row.slug == slug), None)
        if topic is None:
            return self._say(lang, tz, t("cmd_button_expired", lang), ephemeral=True)
        name = _name(topic, lang)
        base = DestinationSettings(
            name="latest",
            topics=(topic.slug,),
            max_items=_LATEST_ITEMS,
            lookback_hours=_LATEST_LOOKBACK_HOURS,
            language=lang,
        )
        # Never marked sent: every call sees the topic's whole recent window.
        destination = base.model_copy(update={"name": f"latest:{topic.slug}"})
        items = (await build_digest(self._store, destination, self._clock())).digest.items
        paragraphs: list[Paragraph] = [(Span(t("cmd_latest_title", lang, topic=name), bold=True),)]
        if not items:
            paragraphs.append(_plain(t("cmd_latest_none", lang, topic=name)))
        for number, item in enumerate(items, start=1):
            when = _when(item.published_at, lang, tz)
            paragraphs.append(
                (
                    Span(f"{number}. "),
                    Span(item.title, bold=True, url=item.url),
                    Span(f"\n— {item.source} · {when}"),
                )
            )
        followed = await self._subs.followed(sub) if sub is not None else []
        following = topic.slug in {row.slug for row in followed}
        return self._reply(lang, tz, paragraphs, ((_follow_button(topic, lang, following),),))

    async def press(self, caller: Caller, data: str) -> Reply:
        """Act on a pressed button's ``Button.data``."""
        parsed = parse_button_data(data)
        if parsed is not None:
            action, value = parsed
            if action == "follow":
                return await self.follow(caller, value)
            if action == "unfollow":
                return await self.unfollow(caller, value)
            if action == "topic_latest":
                return await self.latest(caller, value)
            page = _SEARCH_PAGE.fullmatch(value)
            query = self._searches.get(page.group(2)) if page else None
            if page is not None and query is not None:
                self._searches.move_to_end(page.group(2))
                return await self.search(caller, query, int(page.group(1)))
        sub, lang = await self._known(caller)
        return self._say(lang, _tz(sub), t("cmd_button_expired", lang), ephemeral=True)

    # -- admins --------------------------------------------------------------------------

    async def addfeed(self, caller: Caller, url: str, name: str | None = None) -> Reply:
        """Fetch and parse a feed, and add it when it is a usable, public feed."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "addfeed")
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return self._say(lang, tz, t("cmd_addfeed_usage", lang), ephemeral=True)
        existing = await self._store.find_feed(url)
        if existing is not None:
            text = t("cmd_feed_exists", lang, id=existing.id, name=existing.name)
            return self._say(lang, tz, text, ephemeral=True)
        fetched = await self._fetch_checked(url, lang)
        if isinstance(fetched, str):
            return self._say(lang, tz, fetched, ephemeral=True)
        result = fetched
        try:
            parsed = parse_feed(result.body, result.final_url, result.headers)
        except ParseError:
            return self._say(lang, tz, t("cmd_addfeed_not_feed", lang), ephemeral=True)
        title = parsed.title.strip() if parsed.title and parsed.title.strip() else None
        feed_url = result.permanent_redirect or url
        feed_name = (name or "").strip() or title or parts.hostname
        try:
            feed = await self._store.add_feed(feed_url, feed_name, self._clock(), title=title)
        except StoreError:
            return self._say(lang, tz, t("cmd_feed_exists_url", lang), ephemeral=True)
        self._audit(caller, "added feed #%d %s (%s)", feed.id, feed.name, feed.url)
        lines = [
            t(
                "cmd_addfeed_done",
                lang,
                name=feed.name,
                id=feed.id,
                title=title or "—",
                items=plural_items(len(parsed.entries), lang),
            )
        ]
        if parsed.problem:
            lines.append(t("cmd_addfeed_malformed", lang))
        return self._reply(lang, tz, [_plain(x) for x in lines], ephemeral=True)

    async def importopml(self, caller: Caller, url: str) -> Reply:
        """Fetch an OPML file and add the feeds it lists that are not there yet.

        The OPML URL gets the private-address check of ``addfeed`` (before the request and
        on the final URL), and so does the host of every listed feed. The listed feeds are
        not fetched here (a long list would take minutes): the next polls try them, and the
        feed-health notices report the ones that keep failing.
        """
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "importopml")
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return self._say(lang, tz, t("cmd_importopml_usage", lang), ephemeral=True)
        fetched = await self._fetch_checked(url, lang)
        if isinstance(fetched, str):
            return self._say(lang, tz, fetched, ephemeral=True)
        result = fetched
        try:
            found = parse_opml(result.body, "the file")
        except ParseError as error:
            text = t("cmd_importopml_not_opml", lang, reason=str(error)[:300])
            return self._say(lang, tz, text, ephemeral=True)
        if len(found) > _OPML_MAX_FEEDS:
            text = t("cmd_importopml_too_many", lang, count=len(found), limit=_OPML_MAX_FEEDS)
            return self._say(lang, tz, text, ephemeral=True)

        async def check(feed_url: str) -> str | None:
            problem = await self._host_problem(feed_url, lang)
            if problem is None:
                return None
            private = problem != t("feed_error_dns", lang)
            return t("opml_refused_private" if private else "opml_refused_dns", lang)

        done = await import_opml_feeds(self._store, found, self._clock(), check=check)
        for feed in done.added:
            self._audit(
                caller, "added feed #%d %s (%s) from OPML %s", feed.id, feed.name, feed.url, url
            )
        return self._reply(lang, tz, _import_paragraphs(done, lang), ephemeral=True)

    async def exportopml(self, caller: Caller) -> Reply:
        """The feeds as an OPML 2.0 document in a plain-text reply (no link spans); when it
        would be too long for a chat message, the count and the CLI command instead."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "exportopml")
        every = await self._store.list_feeds()
        document = export_opml(every, "newsdigest feeds")
        if len(document) > _OPML_MAX_CHARS:
            text = t("cmd_exportopml_too_long", lang, count=len(every))
            return self._say(lang, tz, text, ephemeral=True)
        title = (Span(t("cmd_exportopml_title", lang, count=len(every)), bold=True),)
        return self._reply(lang, tz, [title, _plain(document.rstrip("\n"))], ephemeral=True)

    async def removefeed(self, caller: Caller, feed: str) -> Reply:
        """Remove an admin-added feed (its articles stay); configured feeds are refused."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "removefeed")
        found = await self._store.find_feed(feed) if feed.strip() else None
        if found is None:
            return self._say(lang, tz, t("cmd_feed_not_found", lang, feed=feed), ephemeral=True)
        try:
            removed = await self._store.remove_feed(found.id)
        except StoreError:
            text = t("cmd_removefeed_config", lang, name=found.name)
            return self._say(lang, tz, text, ephemeral=True)
        if not removed:
            return self._say(lang, tz, t("cmd_feed_not_found", lang, feed=feed), ephemeral=True)
        self._audit(caller, "removed feed #%d %s (%s)", found.id, found.name, found.url)
        text = t("cmd_removefeed_done", lang, name=found.name, id=found.id)
        return self._say(lang, tz, text, ephemeral=True)

    async def pausefeed(self, caller: Caller, feed: str) -> Reply:
        """Stop polling a feed until it is resumed."""
        return await self._set_paused(caller, feed, paused=True)

    async def resumefeed(self, caller: Caller, feed: str) -> Reply:
        """Poll a paused feed again, at once."""
        return await self._set_paused(caller, feed, paused=False)

    async def feeds(self, caller: Caller) -> Reply:
        """Every feed's health: failing ones first, then by id."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "feeds")
        every = await self._store.list_feeds()
        if not every:
            return self._say(lang, tz, t("cmd_feeds_none", lang), ephemeral=True)
        ordered = sorted(every, key=lambda f: (f.paused, -f.error_count, f.id))
        failing = sum(1 for f in every if f.error_count and not f.paused)
        title = t("cmd_feeds_title", lang, count=len(every), failing=failing)
        paragraphs: list[Paragraph] = [(Span(title, bold=True),)]
        paragraphs += [_feed_paragraph(feed, lang, tz) for feed in ordered[:_FEEDS_SHOWN]]
        if len(ordered) > _FEEDS_SHOWN:
            paragraphs.append(_plain(t("and_more", lang, count=len(ordered) - _FEEDS_SHOWN)))
        return self._reply(lang, tz, paragraphs, ephemeral=True)

    async def destinations(self, caller: Caller) -> Reply:
        """The configured destinations with their schedules and filters."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "destinations")
        configured = self._settings.destinations
        if not configured:
            return self._say(lang, tz, t("cmd_destinations_none", lang), ephemeral=True)
        paragraphs: list[Paragraph] = [(Span(t("cmd_destinations_title", lang), bold=True),)]
        for destination in configured:
            topics = ", ".join(destination.topics) or t("cmd_all_topics", lang)
            detail = t(
                "cmd_destination_line",
                lang,
                platform=destination.platform,
                schedule=destination.schedule,
                timezone=destination.timezone,
                topics=topics,
                lang_code=destination.language,
            )
            paragraphs.append((Span(destination.name, bold=True), Span("\n" + detail)))
        return self._reply(lang, tz, paragraphs, ephemeral=True)

    async def stats(self, caller: Caller) -> Reply:
        """Counts: feeds, articles, stories today (caller's time zone), subscribers, topics."""
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "stats")
        every = await self._store.list_feeds()
        local = self._clock().astimezone(ZoneInfo(tz))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        articles_today, stories_today = await self._store.arrivals_since(midnight)
        lines = [
            t(
                "cmd_stats_feeds",
                lang,
                count=len(every),
                paused=sum(1 for f in every if f.paused),
                failing=sum(1 for f in every if f.error_count and not f.paused),
            ),
            t(
                "cmd_stats_articles",
                lang,
                count=await self._store.count_articles(),
                today=articles_today,
            ),
            t("cmd_stats_stories", lang, count=stories_today),
            t(
                "cmd_stats_subscribers",
                lang,
                count=await self._subs.count(),
                active=await self._subs.count(active=True),
            ),
            t(
                "cmd_stats_topics",
                lang,
                taxonomy=len(await self._store.list_topics(origin="taxonomy")),
                keyphrases=len(await self._store.list_topics(origin="keyphrase")),
            ),
        ]
        paragraphs = [(Span(t("cmd_stats_title", lang), bold=True),), _plain("\n".join(lines))]
        return self._reply(lang, tz, paragraphs, ephemeral=True)

    # -- helpers -------------------------------------------------------------------------

    async def _subscriber(self, caller: Caller) -> Subscriber:
        return await self._subs.get_or_create(
            caller.platform, caller.user_id, caller.chat_id, self._clock(), language=caller.language
        )

    async def _known(self, caller: Caller) -> tuple[Subscriber | None, Language]:
        """The caller's subscriber if any (never created here) and the language to answer in."""
        sub = await self._subs.get(caller.platform, caller.user_id)
        return sub, sub.language if sub is not None else caller.language

    async def _taxonomy_topics(self) -> list[TopicRow]:
        return await self._store.list_topics(origin="taxonomy")

    async def _set_paused(self, caller: Caller, feed: str, *, paused: bool) -> Reply:
        sub, lang = await self._known(caller)
        tz = _tz(sub)
        if not caller.is_admin:
            return self._refuse(caller, lang, tz, "pausefeed" if paused else "resumefeed")
        found = await self._store.find_feed(feed) if feed.strip() else None
        changed = await self._store.set_paused(found.id, paused) if found else None
        if changed is None:
            return self._say(lang, tz, t("cmd_feed_not_found", lang, feed=feed), ephemeral=True)
        verb = "paused" if paused else "resumed"
        self._audit(caller, "%s feed #%d %s", verb, changed.id, changed.name)
        key = "cmd_pausefeed_done" if paused else "cmd_resumefeed_done"
        return self._say(lang, tz, t(key, lang, name=changed.name, id=changed.id), ephemeral=True)

    def _refuse(self, caller: Caller, lang: Language, tz: str, command: str) -> Reply:
        log.info(
            "refused /%s from non-admin %s:%s",
            command,
            caller.platform,
            caller.user_id,
            extra={"admin": caller.user_id, "platform": caller.platform},
        )
        return self._say(lang, tz, t("cmd_admin_only", lang), ephemeral=True)

    def _audit(self, caller: Caller, message: str, *args: object) -> None:
        log.info(
            "admin %s:%s " + message,
            caller.platform,
            caller.user_id,
            *args,
            extra={"admin": caller.user_id, "platform": caller.platform},
        )

    async def _fetch_checked(self, url: str, lang: Language) -> FetchResult | str:
        """Fetch ``url`` once it (and where it redirected to) is known not to be a private
        address; returns the response, or the problem to tell the admin."""
        problem = await self._host_problem(url, lang)
        if problem is not None:
            return problem
        try:
            result = await self._fetcher.fetch(url)
        except FetchError as error:
            return _fetch_problem(error, lang)
        if result.final_url != url:
            problem = await self._host_problem(result.final_url, lang)
            if problem is not None:
                return problem
        return result

    async def _host_problem(self, url: str, lang: Language) -> str | None:
        """Why ``url``'s host may not be fetched (private address, no DNS answer), or None."""
        if self._allow_private:
            return None
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            async with asyncio.timeout(self._settings.poll.timeout_seconds):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except (OSError, TimeoutError, UnicodeError):  # no answer, or a name IDNA refuses
            return t("feed_error_dns", lang)
        for info in infos:
            address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone ("fe80::1%eth0")
            if not _is_public(address):
                return t("cmd_addfeed_private", lang, host=host)
        return None

    def _remember(self, query: str) -> str:
        key = hashlib.blake2b(query.encode("utf-8"), digest_size=6).hexdigest()
        self._searches[key] = query
        self._searches.move_to_end(key)
        while len(self._searches) > self._search_cache_size:
            self._searches.popitem(last=False)
        return key

    def _help_lines(self, caller: Caller, lang: Language) -> list[Paragraph]:
        paragraphs = [_plain(t("cmd_help_commands", lang))]
        if caller.is_admin:
            paragraphs.append(_plain(t("cmd_help_admin", lang)))
        return paragraphs

    def _schedule_line(self, sub: Subscriber | None, lang: Language) -> str:
        if sub is None or sub.digest_time is None:
            return t("cmd_schedule_none", lang)
        return t("cmd_schedule_current", lang, time=sub.digest_time, timezone=sub.timezone)

    def _no_topic(
        self, lang: Language, tz: str, text: str, match: TopicMatch, *, following: bool
    ) -> Reply:
        shown = text.strip()[:60]
        if not match.candidates:
            key = "cmd_not_following" if following else "cmd_topic_unknown"
            return self._say(lang, tz, t(key, lang, topic=shown), ephemeral=True)
        key = "cmd_topic_ambiguous" if match.ambiguous else "cmd_did_you_mean"
        names = t("list_separator", lang).join(_name(row, lang) for row in match.candidates)
        buttons = tuple(
            (_follow_button(row, lang, following),)
            for row in match.candidates
            if _BUTTON_VALUE.fullmatch(row.slug)
        )
        return self._reply(
            lang, tz, [_plain(t(key, lang, topic=shown, names=names))], buttons, ephemeral=True
        )

    def _say(self, lang: Language, tz: str, text: str, *, ephemeral: bool = False) -> Reply:
        return Reply((_plain(text),), ephemeral=ephemeral, language=lang, timezone=tz)

    def _reply(
        self,
        lang: Language,
        tz: str,
        paragraphs: Sequence[Paragraph],
        buttons: tuple[tuple[Button, ...], ...] = (),
        *,
        ephemeral: bool = False,
    ) -> Reply:
        return Reply(tuple(paragraphs), buttons, ephemeral, language=lang, timezone=tz)


# --------------------------------------------------------------------------- OPML import


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What an OPML import did: the feeds added, the listed feeds already present (with
    the stored feed), and the refused ones as (URL, reason)."""

    added: list[Feed]
    present: list[tuple[OpmlFeed, Feed | None]]
    refused: list[tuple[str, str]]


async def import_opml_feeds(
    store: Store,
    found: OpmlFeeds,
    now: datetime,
    *,
    check: Callable[[str], Awaitable[str | None]] | None = None,
) -> OpmlImport:
    """Add the feeds of ``found`` that are not stored yet, as admin feeds (``add_feed``).

    A feed already stored (same URL in canonical form) is left alone and counted present;
    ``check`` (when given) returns why a URL may not be added, or None; the outlines the
    parser skipped are refused with the parser's reason (``NOT_HTTP``, ``LISTED_TWICE``).
    """
    added: list[Feed] = []
    present: list[tuple[OpmlFeed, Feed | None]] = []
    refused = [(skipped.url, skipped.reason) for skipped in found.skipped]
    for listed in found:
        existing = await store.find_feed(listed.url)
        if existing is not None:
            present.append((listed, existing))
            continue
        problem = await check(listed.url) if check is not None else None
        if problem is not None:
            refused.append((listed.url, problem))
            continue
        try:
            added.append(await store.add_feed(listed.url, listed.name, now))
        except StoreError:  # the same feed under another spelling of its URL
            present.append((listed, None))
    return OpmlImport(added, present, refused)


def _import_paragraphs(done: OpmlImport, lang: Language) -> list[Paragraph]:
    summary = t(
        "cmd_importopml_done",
        lang,
        added=len(done.added),
        present=len(done.present),
        refused=len(done.refused),
    )
    paragraphs: list[Paragraph] = [(Span(summary, bold=True),)]
    if done.added:
        lines = [f"#{feed.id} {feed.name}" for feed in done.added[:_OPML_LINES_SHOWN]]
        if len(done.added) > _OPML_LINES_SHOWN:
            lines.append(t("and_more", lang, count=len(done.added) - _OPML_LINES_SHOWN))
        paragraphs.append(_plain(t("cmd_importopml_added", lang) + "\n" + "\n".join(lines)))
    if done.refused:
        reasons = {
            NOT_HTTP: t("opml_refused_scheme", lang),
            LISTED_TWICE: t("opml_refused_twice", lang),
        }
        lines = [
            f"{url[:120]} — {reasons.get(reason, reason)}"
            for url, reason in done.refused[:_OPML_LINES_SHOWN]
        ]
        if len(done.refused) > _OPML_LINES_SHOWN:
            lines.append(t("and_more", lang, count=len(done.refused) - _OPML_LINES_SHOWN))
        paragraphs.append(_plain(t("cmd_importopml_refused", lang) + "\n" + "\n".join(lines)))
    return paragraphs


# --------------------------------------------------------------------------- pure helpers


def _plain(text: str) -> Paragraph:
    return (Span(text),)


def _tz(sub: Subscriber | None) -> str:
    return sub.timezone if sub is not None else DEFAULT_TIMEZONE


def _name(row: TopicRow, lang: Language) -> str:
    return row.name_ar if lang == "ar" else row.name_en


def _follow_button(row: TopicRow, lang: Language, following: bool) -> Button:
    name = _name(row, lang)
    if following:
        return Button(t("cmd_unfollow_button", lang, topic=name), "unfollow", row.slug)
    return Button(t("follow_topic", lang, topic=name), "follow", row.slug)


def _latest_button(row: TopicRow, lang: Language) -> Button:
    return Button(t("topic_more", lang, topic=_name(row, lang)), "topic_latest", row.slug)


def _when(moment: datetime | None, lang: Language, tz: str) -> str:
    if moment is None:
        return "—"
    return format_datetime(moment.astimezone(ZoneInfo(tz)), lang)


def _hit(number: int, hit: SearchHit, lang: Language, tz: str) -> Paragraph:
    spans = [Span(f"{number}. "), *_marked(hit.title, hit.title_marks, url=hit.url, bold=True)]
    spans.append(Span(f"\n— {hit.source} · {_when(hit.published_at, lang, tz)}\n"))
    spans += _marked(hit.snippet.text, hit.snippet.marks)
    return tuple(spans)


def _marked(
    text: str, marks: Sequence[tuple[int, int]], *, url: str | None = None, bold: bool = False
) -> list[Span]:
    """``text`` cut into spans, the marked ranges bold (a title is bold throughout)."""
    spans: list[Span] = []
    at = 0
    for start, end in marks:
        if start < at or end <= start:
            continue
        if start > at:
            spans.append(Span(text[at:start], bold=bold, url=url))
        spans.append(Span(text[start:end], bold=True, url=url))
        at = end
    if at < len(text):
        spans.append(Span(text[at:], bold=bold, url=url))
    return spans


def _parse_time(word: str) -> str | None:
    """«8:00», «08:30», «٨:٠٠» or «20.15» as ``HH:MM``; None when it is not a time of day."""
    match = _TIME.fullmatch(word.translate(_DIGITS))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _zone_name(word: str) -> str | None:
    """The IANA name ``word`` spells (case-insensitively), or None when there is none."""
    try:
        ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        return _zones_by_folded_name().get(word.casefold())
    return _zones_by_folded_name().get(word.casefold(), word)


def _is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _fetch_problem(error: FetchError, lang: Language) -> str:
    if error.kind == "http" and error.status is not None:
        return t("feed_error_http", lang, status=error.status)
    known = {"timeout", "dns", "connect", "too_large", "invalid_url"}
    if error.kind in known:
        return t(f"feed_error_{error.kind}", lang)
    return t("feed_error_other", lang, detail=str(error)[:200])


def _feed_paragraph(feed: Feed, lang: Language, tz: str) -> Paragraph:
    if feed.paused:
        state = t("cmd_feed_paused", lang)
    elif feed.error_count:
        state = t("cmd_feed_failing", lang, count=feed.error_count)
    else:
        state = t("cmd_feed_ok", lang)
    lines = [
        t("cmd_feed_state", lang, state=state),
        t("cmd_feed_last_success", lang, when=_when(feed.last_success_at, lang, tz)),
    ]
    if feed.last_error and feed.error_count:
        lines.append(t("cmd_feed_last_error", lang, error=feed.last_error[:160]))
    if not feed.paused:
        lines.append(t("cmd_feed_next_check", lang, when=_next_check(feed, lang, tz)))
    return (
        Span(f"#{feed.id} "),
        Span(feed.name, bold=True),
        Span(f"\n{feed.url}\n" + "\n".join(lines)),
    )


def _next_check(feed: Feed, lang: Language, tz: str) -> str:
    if feed.next_check_at is None:
        return t("cmd_feed_due_now", lang)
    return _when(feed.next_check_at, lang, tz)
