"""What each page of the web archive shows, read from the store: ``Site``.

Each page method returns a ``View`` (its template, language and values), or None when the
page does not exist: a destination that is unknown or not ``public``, a digest, story or
topic the store does not hold, a page number past the end. The server answers 404 then.
Only destinations with ``public = true`` are served; while none is, every page is 404.

A destination's pages (its archive, its digests, its feeds) are in its language and time
zone; the others (home, stories, topics, search) in ``[web] language`` and ``timezone``.
Digests are shown exactly as they were composed (``store.archive``), through the chat
renderers' ``render.common.prepare``: the same cleaning, bounds, wording and numbering.
Stories are shown through the same composer as alerts (``deliver.queue.alert_items``), and
search is the chat commands' ``store.search.Search.find`` with its marked snippets.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sections import WebSettings
from bot.web.chart import DAYS, stories_per_day
from bot.web.templates import bidi, isolated
from digests.clock import utcnow
from digests.compose.archive import DAY, SLOT, DigestAddress
from digests.compose.destination import Destination
from digests.compose.i18n import Language, format_datetime, t
from digests.compose.reply import marked
from digests.deliver.queue import alert_items
from digests.models import Article, Digest, DigestSection
from digests.render.common import (
    MAX_TITLE_CHARS,
    DisplayDigest,
    DisplayItem,
    DisplayLink,
    clip,
    digest_heading,
    prepare,
    safe_url,
)
from digests.store import Store
from digests.store.archive import ArchiveEntry
from digests.text.bidi import clean
from digests.text.query import MAX_QUERY_CHARS, QueryError

__all__ = ["DigestView", "EntryView", "HitView", "Piece", "Site", "View"]

ARCHIVE_PAGE = 20  # digests per archive page
FEED_ENTRIES = 10  # digests per feed (each its first page)
SEARCH_PAGE = 10  # results per search page
STORY_ARTICLES = 30  # reports shown on a story page (the rest are counted)
TOPIC_STORIES = 20  # stories listed on a topic page
_RELATED = 5
PAGE_BYTES = 80_000  # a digest page's items; with the page around them, under 100 KB
_ITEM_MARKUP = 700  # the tags and labels of one item
_PART_MARKUP = 160  # of one link or topic in it
_STORY_SUMMARY_SENTENCES = 3
_STORY_SUMMARY_CHARS = 480


@dataclass(frozen=True, slots=True)
class View:
    """A page: its template, language, title and the template's values."""

    template: str
    language: Language
    title: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntryView:
    """An archived digest in a list: its page, heading, story count and first headlines."""

    path: str
    heading: str
    count: int
    headlines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestView:
    """One page of a digest made ready for a page or a feed: ``shown`` by ``prepare``, the
    page's items with the story of each (None when its article is gone), and which page of
    how many it is (a long digest is split between items to keep each page small)."""

    shown: DisplayDigest
    items: tuple[tuple[DisplayItem, int | None], ...]
    page: int = 1
    pages: int = 1


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of a search result's text: marked (a matched word) or not."""

    text: str
    marked: bool = False


@dataclass(frozen=True, slots=True)
class HitView:
    """A search result: headline and snippet as pieces, link, source, time, story page."""

    number: int
    title: tuple[Piece, ...]
    url: str | None
    source: str
    time: str
    snippet: tuple[Piece, ...]
    story: int | None


class Site:
    """The pages of the public destinations of ``destinations`` over ``store``."""

    def __init__(
        self,
        settings: WebSettings,
        destinations: Sequence[Destination],
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.public = {d.name: d for d in destinations if d.public}
        self._store = store
        self._clock = clock

    @property
    def language(self) -> Language:
        """The language of the pages that belong to no destination."""
        return self.settings.language

    def not_found(self) -> View:
        """The 404 page."""
        return View("not_found.html", self.language, t("web_not_found_title", self.language))

    async def home(self) -> View | None:
        """Every public destination with its latest digest."""
        if not self.public:
            return None
        latest = await self._store.archive.latest(list(self.public))
        cards = [
            (destination, _entry_view(latest[name], destination) if name in latest else None)
            for name, destination in self.public.items()
        ]
        language = self.language
        return View("home.html", language, t("web_site_title", language), {"cards": cards})

    async def archive(self, name: str, page: int) -> View | None:
        """One page of a public destination's archive, newest first."""
        destination = self.public.get(name)
        if destination is None or page < 1:
            return None
        entries, total = await self._store.archive.page(name, page=page, per_page=ARCHIVE_PAGE)
        pages = max(1, -(-total // ARCHIVE_PAGE))
        if page > pages:
            return None
        language = destination.language
        return View(
            "archive.html",
            language,
            t("web_archive_title", language, name=name),
            {
                "destination": destination,
                "entries": [_entry_view(entry, destination) for entry in entries],
                "page": page,
                "pages": pages,
            },
        )

    async def digest(self, name: str, day: str, slot: str, page: int = 1) -> View | None:
        """One digest of a public destination, as it was posted (one page of it)."""
        destination = self.public.get(name)
        if destination is None or not DAY.fullmatch(day) or not SLOT.fullmatch(slot):
            return None
        archived = await self._store.archive.find(DigestAddress(name, day, slot))
        if archived is None:
            return None
        view = await self.digest_view(archived.digest, destination, page)
        if view is None:
            return None
        return View(
            "digest.html",
            destination.language,
            view.shown.heading,
            {"destination": destination, "digest": view, "page": page, "pages": view.pages},
        )

    async def digest_view(
        self, digest: Digest, destination: Destination, page: int = 1
    ) -> DigestView | None:
        """Page ``page`` of ``digest`` ready to show in ``destination``'s language and time
        zone (None past the last page). Pages are cut between items so that the text of one
        page stays under ``PAGE_BYTES`` once escaped and isolated."""
        language = destination.language
        shown = prepare(digest, language=language, timezone=destination.timezone)
        bounds = _pages(shown.items, language)
        if not 1 <= page <= len(bounds):
            return None
        start, end = bounds[page - 1]
        articles = [item.article_id for item in digest.items[start:end]]
        stories = await self._store.archive.stories_of(articles)
        items = tuple(
            (display, stories.get(article))
            for display, article in zip(shown.items[start:end], articles, strict=True)
        )
        return DigestView(shown, items, page, len(bounds))

    async def story(self, story_id: int) -> View | None:
        """Every outlet's report of a story with its summary and topics, and related earlier
        stories."""
        if not self.public:
            return None
        articles = await self._store.archive.story(story_id)
        if not articles:
            return None
        language, zone = self.language, self.settings.timezone
        reader = Destination(
            name="web",
            language=language,
            timezone=zone,
            summary_sentences=_STORY_SUMMARY_SENTENCES,
            summary_chars=_STORY_SUMMARY_CHARS,
        )
        shown = articles[:STORY_ARTICLES]
        items = await alert_items(self._store, reader, [a.id for a in shown])
        digest = Digest(
            destination="web",
            created_at=self._clock(),
            sections=(DigestSection(None, tuple(items[a.id] for a in shown if a.id in items)),),
        )
        reports = prepare(digest, language=language, timezone=zone).items
        lead = articles[0]
        related = (await self._store.topics.related_of([lead.id])).get(lead.id, [])
        earlier = [(self._link(a), a.story) for a in related if a.story != story_id][:_RELATED]
        return View(
            "story.html",
            language,
            reports[0].title if reports else t("web_story_title", language),
            {
                "reports": reports,
                "more": len(articles) - len(shown),
                "related": earlier,
            },
        )

    async def topic(self, slug: str) -> View | None:
        """A topic: its stories per day over the last 30 days, and its latest stories."""
        row = await self._store.archive.topic(slug)
        if row is None or not self.public:
            return None
        language = self.language
        zone = ZoneInfo(self.settings.timezone)
        now = self._clock()
        starts = await self._store.archive.topic_story_starts(slug, now - timedelta(days=DAYS + 1))
        chart = stories_per_day(starts, now.astimezone(zone).date(), zone, rtl=language == "ar")
        lines = await self._store.archive.topic_stories(slug, limit=TOPIC_STORIES)
        name = clip(row.name_ar if language == "ar" else row.name_en, 120) or slug
        stories = [
            (self._link_of(x.title, x.url, x.source), x.story_id, self._time(x.published_at))
            for x in lines
        ]
        values = {"chart": chart, "stories": stories, "name": name}
        return View("topic.html", language, name, values)

    async def search(self, query: str, page: int) -> View | None:
        """Search results for ``query`` (the chat's search), or the empty form."""
        if not self.public or page < 1:
            return None
        language = self.language
        values: dict[str, Any] = {"query": query, "hits": [], "error": None, "found": None}
        title = t("web_search", language)
        if not query.strip():
            return View("search.html", language, title, values)
        try:
            found = await self._store.search.find(
                query, now=self._clock(), page=page, per_page=SEARCH_PAGE
            )
        except QueryError as error:
            key = {"empty": "web_search_label", "stopwords_only": "cmd_search_stopwords"}.get(
                error.reason, "cmd_search_too_long"
            )
            values["error"] = t(key, language, max=MAX_QUERY_CHARS)
            return View("search.html", language, title, values)
        if found.total and not found.hits:
            return None  # a page past the end
        stories = await self._store.archive.stories_of([hit.article_id for hit in found.hits])
        first = (found.page - 1) * found.per_page
        values["found"] = found
        values["hits"] = [
            HitView(
                number=number,
                title=_pieces(hit.title, hit.title_marks, MAX_TITLE_CHARS, language),
                url=safe_url(hit.url),
                source=clip(hit.source, 80),
                time=self._time(hit.published_at),
                snippet=_pieces(hit.snippet.text, hit.snippet.marks, 400, language),
                story=stories.get(hit.article_id),
            )
            for number, hit in enumerate(found.hits, start=first + 1)
        ]
        return View("search.html", language, f"{title}: {clip(found.query, 60)}", values)

    async def feed_digests(
        self, name: str
    ) -> tuple[Destination, list[tuple[ArchiveEntry, DigestView]]] | None:
        """A public destination and its newest digests, ready for its feeds."""
        destination = self.public.get(name)
        if destination is None:
            return None
        recent = await self._store.archive.recent(name, limit=FEED_ENTRIES)
        views = []
        for archived in recent:
            view = await self.digest_view(archived.digest, destination)
            if view is not None:
                views.append((archived.entry, view))
        return destination, views

    def _time(self, when: datetime) -> str:
        return format_datetime(when.astimezone(ZoneInfo(self.settings.timezone)), self.language)

    def _link(self, article: Article) -> DisplayLink:
        return self._link_of(article.title, article.url, article.source)

    def _link_of(self, title: str, url: str, source: str) -> DisplayLink:
        source = clip(" ".join(source.split()), 80) or t("unknown_source", self.language)
        title = clip(" ".join(title.split()), MAX_TITLE_CHARS) or source
        return DisplayLink(title, safe_url(url), source)


def _pages(items: Sequence[DisplayItem], language: Language) -> list[tuple[int, int]]:
    """``items`` cut into pages (start, end) of at most ``PAGE_BYTES`` each (a single item
    bigger than that is a page of its own); one empty page for no items."""
    bounds: list[tuple[int, int]] = []
    start, size = 0, 0
    for index, item in enumerate(items):
        weight = _weight(item, language)
        if index > start and size + weight > PAGE_BYTES:
            bounds.append((start, index))
            start, size = index, 0
        size += weight
    bounds.append((start, len(items)))
    return bounds


def _weight(item: DisplayItem, language: Language) -> int:
    """About how many bytes ``item`` takes on a page: its texts escaped and isolated as the
    template prints them, and the markup around each part."""
    texts = [item.title, item.summary, item.source, item.time, item.url or "", item.section or ""]
    links = [*item.also_reported_by, *item.related]
    texts += [part for link in links for part in (link.text, link.url or "", link.source)]
    texts += [part for topic in item.topics for part in (topic.name, topic.slug)]
    size = sum(len(html.escape(bidi(text, language)).encode()) for text in texts)
    return size + _ITEM_MARKUP + _PART_MARKUP * (len(links) + len(item.topics))


def _entry_view(entry: ArchiveEntry, destination: Destination) -> EntryView:
    language = destination.language
    heading = digest_heading(
        entry.kind, entry.composed_at, language=language, timezone=destination.timezone
    )
    headlines = tuple(clip(" ".join(h.split()), 160) for h in entry.headlines)
    return EntryView(entry.address.path, heading, entry.items, headlines)


def _pieces(
    text: str, marks: Sequence[tuple[int, int]], limit: int, language: Language
) -> tuple[Piece, ...]:
    """``text`` (at most ``limit`` characters, then "…") as pieces, its ``marks`` marked,
    each cleaned and isolated as its whole line needs (as a chat reply's runs are)."""
    if len(text) > limit:
        text = text[:limit] + "…"
        marks = [(a, b) for a, b in marks if b <= limit]
    line = clean(" ".join(text.split()))
    return tuple(
        Piece(isolated(clean(span.text), language, line), span.bold) for span in marked(text, marks)
    )
