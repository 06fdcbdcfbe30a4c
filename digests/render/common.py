"""What the three renderers (text, Telegram, Slack) share: the digest made ready for display.

Pure: a ``Digest`` and display settings in, plain strings and small frozen records out; no
I/O, no clock (times come from the digest, converted to the destination's time zone; an
item's age is counted from the digest's ``created_at``, the composer's injected clock).

``prepare`` does everything that is the same on every surface, so the surfaces cannot drift:

* **order and numbering**: the composer's order is kept (sections in order, items in order
  within a section, empty sections skipped); items are numbered 1…N across the whole digest.
  A section heading is attached to the first item of its section, so a message split between
  items never ends on a heading. The catch-all section (``topic=None``) is headed
  "أخبار أخرى" only when other sections have topics.
* **hygiene**: every dynamic string goes through ``bidi.clean`` (bidi controls and control
  characters removed); titles, sources and topic names are made one line; URLs that are not
  plain ``http(s)`` URLs (``javascript:``, ``data:``, with spaces, longer than
  ``MAX_URL_CHARS``) become ``None`` and are shown without a link, or not at all.
* **bounds**: titles, source names, link titles and topic names are clipped (word boundary,
  "…"), at most ``MAX_ALSO_REPORTED`` other sources are named ("و3 غيرها" counts the rest),
  ``MAX_RELATED`` related stories and ``MAX_TOPICS`` topics. With these bounds every part of
  an item except its summary is small enough that shortening the summary always makes the
  item fit a Telegram message or a Slack section.
* **wording**: the heading, the overview line, each item's age («منذ ساعتين», «أمس 18:40»,
  «3 ديسمبر 2024»: ``i18n.format_age``), "أيضاً في: …", "ذات صلة: …" and hashtags, as
  ``Span`` sequences (text, optional link) that each renderer marks up in its own syntax.
* **bidi**: ``line_is_rtl`` and ``isolated_text`` decide, per line, which isolates the chat
  renderers add around each span (the text renderer adds none).

``shorten`` is the one way text is cut to fit: at a sentence boundary
(``arabic.split_sentences``), else a word boundary, else a character, always marked with "…";
the caller says what fits (characters, UTF-16 units of the rendered markup …).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from digests.compose.i18n import (
    Language,
    direction,
    format_age,
    format_datetime,
    plural_items,
    t,
)
from digests.compose.reply import Span
from digests.models import Digest, DigestItem, Link, TopicRef
from digests.text.arabic import split_sentences
from digests.text.bidi import base_direction, clean, has_ltr, has_rtl, isolate, isolate_ltr_runs

__all__ = [
    "ELLIPSIS",
    "MAX_ALSO_REPORTED",
    "MAX_LINK_TITLE_CHARS",
    "MAX_RELATED",
    "MAX_SOURCE_CHARS",
    "MAX_TITLE_CHARS",
    "MAX_TOPICS",
    "MAX_TOPIC_CHARS",
    "MAX_URL_CHARS",
    "DisplayDigest",
    "DisplayItem",
    "DisplayLink",
    "also_reported_spans",
    "clip",
    "digest_heading",
    "hashtag",
    "isolated_text",
    "line_is_rtl",
    "plain",
    "prepare",
    "related_spans",
    "safe_url",
    "section_heading",
    "shorten",
    "source_spans",
    "utf16_len",
]

ELLIPSIS = "…"
MAX_TITLE_CHARS = 300
MAX_SOURCE_CHARS = 80
MAX_LINK_TITLE_CHARS = 150
MAX_TOPIC_CHARS = 60
MAX_URL_CHARS = 2048
MAX_ALSO_REPORTED = 5
MAX_RELATED = 2
MAX_TOPICS = 5

_SECTION_MARK = "◆"
_CUT_TRIM = " \n،,؛;:-–—"
_SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class DisplayLink:
    """A cleaned link: its text (a headline or a source name), safe URL or None, source."""

    text: str
    url: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DisplayItem:
    """One story, cleaned, bounded and numbered, ready for any renderer."""

    number: int
    section: str | None
    title: str
    url: str | None
    source: str
    time: str  # how old the story is when the digest is composed (``i18n.format_age``)
    summary: str
    also_reported_by: tuple[DisplayLink, ...]
    more_reporters: int
    related: tuple[DisplayLink, ...]
    topics: tuple[TopicRef, ...]


@dataclass(frozen=True, slots=True)
class DisplayDigest:
    """The heading, the overview line (None for an empty digest) and the numbered items."""

    heading: str
    overview: str | None
    items: tuple[DisplayItem, ...]


def prepare(digest: Digest, *, language: Language, timezone: str) -> DisplayDigest:
    """``digest`` made ready for display in ``language`` with times in ``timezone``."""
    zone = ZoneInfo(timezone)
    now = _local(digest.created_at, zone)
    heading = digest_heading(digest.kind, digest.created_at, language=language, timezone=timezone)
    any_topic = any(section.topic is not None for section in digest.sections if section.items)
    items: list[DisplayItem] = []
    for section in digest.sections:
        if section.topic is not None:
            title: str | None = _topic_name(section.topic)
        else:
            title = t("other_news", language) if any_topic else None
        for index, item in enumerate(section.items):
            heading_here = section_heading(title) if index == 0 and title else None
            number = len(items) + 1
            items.append(_display_item(item, number, heading_here, language, zone, now))
    note = _one_line(digest.note, 400)
    if not items:
        return DisplayDigest(heading=heading, overview=note or None, items=())
    names = [item.source for item in digest.items]
    names += [link.source for item in digest.items for link in item.also_reported_by]
    sources = {_one_line(name, MAX_SOURCE_CHARS) for name in names} - {""}
    overview = f"{plural_items(len(items), language)} · {t('sources', language)}: {len(sources)}"
    if note:
        overview = f"{overview} · {note}"
    return DisplayDigest(heading=heading, overview=overview, items=tuple(items))


def digest_heading(kind: str, created_at: datetime, *, language: Language, timezone: str) -> str:
    """A digest's heading: its kind and when it was composed, in ``timezone``, e.g. «موجز
    الأخبار — الأحد 29 نوفمبر 2026، 20:00» (``kind``: digest, breaking or alert)."""
    key = {"breaking": "breaking_title", "alert": "alert_title"}.get(kind, "digest_title")
    return (
        f"{t(key, language)} — {format_datetime(_local(created_at, ZoneInfo(timezone)), language)}"
    )


def _display_item(
    item: DigestItem,
    number: int,
    section: str | None,
    language: Language,
    zone: ZoneInfo,
    now: datetime,
) -> DisplayItem:
    title = _one_line(item.title, MAX_TITLE_CHARS) or t("untitled", language)
    summary = _paragraphs(item.summary)
    also = tuple(_display_link(link, language) for link in item.also_reported_by)
    topics = tuple(
        TopicRef(slug=topic.slug, name=_topic_name(topic)) for topic in item.topics[:MAX_TOPICS]
    )
    return DisplayItem(
        number=number,
        section=section,
        title=title,
        url=safe_url(item.url),
        source=_one_line(item.source, MAX_SOURCE_CHARS) or t("unknown_source", language),
        time=format_age(_local(item.published_at, zone), now, language),
        summary="" if summary == title else summary,
        also_reported_by=also[:MAX_ALSO_REPORTED],
        more_reporters=max(0, len(also) - MAX_ALSO_REPORTED),
        related=tuple(_display_link(link, language) for link in item.related[:MAX_RELATED]),
        topics=tuple(topic for topic in topics if topic.name),
    )


def _display_link(link: Link, language: Language) -> DisplayLink:
    source = _one_line(link.source, MAX_SOURCE_CHARS) or t("unknown_source", language)
    return DisplayLink(
        text=_one_line(link.title, MAX_LINK_TITLE_CHARS) or source,
        url=safe_url(link.url),
        source=source,
    )


def _local(when: datetime, zone: ZoneInfo) -> datetime:
    # A naive timestamp is UTC by the project's convention; never the machine's local time.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone)


def _topic_name(topic: TopicRef) -> str:
    return _one_line(topic.name, MAX_TOPIC_CHARS) or _one_line(topic.slug, MAX_TOPIC_CHARS)


def _one_line(text: str, max_chars: int) -> str:
    return clip(" ".join(clean(text).split()), max_chars)


def _paragraphs(text: str) -> str:
    lines = (" ".join(line.split()) for line in clean(text).split("\n"))
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- wording


def section_heading(name: str) -> str:
    """The heading line of a section, e.g. «◆ اقتصاد»."""
    return f"{_SECTION_MARK} {name}"


def hashtag(name: str) -> str:
    """A topic as a tag that every surface reads as one hashtag: ``#`` and the name's words
    joined by ``_`` («#الطاقة_المتجددة»).

    A tag holds only what Telegram takes into a hashtag (letters, decimal digits, ``_``,
    ZWNJ): combining marks such as tashkeel are left out («عُمان» → «#عمان») and any other
    character (punctuation, symbols, emoji) parts words like a space («Islamic State (ISIS)»
    → «#Islamic_State_ISIS»), so each ``_`` stands between two letters or digits, where Slack
    does not take it for a style marker. A name without a letter cannot be a hashtag: it is
    shown as it is.
    """
    kept = []
    for char in name:
        kind = unicodedata.category(char)
        if kind[0] == "L" or kind == "Nd" or char == "\u200c":
            kept.append(char)
        elif kind[0] != "M":
            kept.append(" ")
    words = "".join(kept).split()
    if not any(unicodedata.category(char)[0] == "L" for word in words for char in word):
        return " ".join(name.split())
    return "#" + "_".join(words)


def source_spans(item: DisplayItem) -> list[Span]:
    """«— المصدر · منذ ساعتين» (the item's age, ``DisplayItem.time``)."""
    return [Span("— "), Span(item.source), Span(f" · {item.time}")]


def also_reported_spans(
    links: Sequence[DisplayLink], more: int, language: Language, *, linked: bool = True
) -> list[Span]:
    """«أيضاً في: المصدر1، المصدر2 و3 غيرها», each source a link when ``linked``."""
    spans = [Span(f"{t('also_in', language)}: ")]
    for index, link in enumerate(links):
        if index:
            spans.append(Span(t("list_separator", language)))
        spans.append(Span(link.source, link.url if linked else None))
    if more:
        spans.append(Span(" " + t("and_more", language, count=more)))
    return spans


def related_spans(link: DisplayLink, language: Language, *, linked: bool = True) -> list[Span]:
    """«ذات صلة: العنوان — المصدر», the headline a link when ``linked``."""
    return [
        Span(f"{t('related', language)}: "),
        Span(link.text, link.url if linked else None),
        Span(" — "),
        Span(link.source),
    ]


def plain(spans: Sequence[Span]) -> str:
    """The text of a line of spans, without links or isolates."""
    return "".join(span.text for span in spans)


def line_is_rtl(spans: Sequence[Span], language: Language) -> bool:
    """True when the line is laid out right to left, so its Latin runs need isolating.

    That is a line holding right-to-left letters in a right-to-left digest (isolating its
    Latin runs also stops a headline that starts with "SpaceX" from turning the whole line
    left to right), or, in a left-to-right digest, a line whose first strong letter is
    right-to-left (an Arabic headline). «Also in: الجزيرة» in an English digest stays as is.
    """
    text = plain(spans)
    if not has_rtl(text):
        return False
    return direction(language) == "rtl" or base_direction(text) == "rtl"


def isolated_text(span: Span, rtl: bool) -> str:
    """The span's text with the bidi isolates its line needs (``rtl``: see ``line_is_rtl``).

    In a right-to-left line: its Latin runs and numbers (or, for a ``whole`` span, the span
    itself when it has any). In a left-to-right line: the span itself when it holds
    right-to-left letters, so that an Arabic source name in an English line keeps its
    numbers and does not swallow the neutral punctuation around it.
    """
    if not rtl:
        return isolate(span.text) if has_rtl(span.text) else span.text
    if span.whole:
        return isolate(span.text) if has_ltr(span.text) else span.text
    return isolate_ltr_runs(span.text, rtl=True)


# --------------------------------------------------------------------------- bounds


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute ``http(s)`` URL fit to be a link, else None.

    Rejected: other schemes (``javascript:``, ``data:``, ``tg:`` …), URLs without a host,
    with whitespace or control characters (``urlsplit`` would silently drop some), and URLs
    longer than ``MAX_URL_CHARS``.
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_CHARS or clean(url) != url:
        return None
    if any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def utf16_len(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (how Telegram and Slack count; emoji = 2)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, at a word boundary, with "…"."""
    return shorten(text, lambda candidate: len(candidate) <= max_chars, max_chars=max_chars)


def shorten(text: str, fits: Callable[[str], bool], *, max_chars: int | None = None) -> str:
    """The longest cut of ``text`` for which ``fits`` holds, ended with "…"; ``text`` if it fits.

    Preference: whole sentences (``s1 s2 …``), unless that keeps less than half of what a
    cut at a word boundary keeps; else a word boundary; else a character (a single huge
    word). Returns "" when not even "…" fits. Only candidates checked with ``fits`` are ever
    returned, so the result always fits. ``fits`` must be monotone (a longer text never fits
    better) for the cut to be the longest. ``max_chars``, when given, promises that nothing
    longer than that fits, which spares work on long texts.
    """
    if fits(text):
        return text
    if max_chars is not None:
        text = text[: max_chars + 1]
    first = next((i for i, char in enumerate(text) if char not in _CUT_TRIM), len(text))
    spaces = [match.start() for match in _SPACE.finditer(text, first + 1)]
    by_word = _longest(spaces, lambda end: text[:end].rstrip(_CUT_TRIM) + ELLIPSIS, fits)
    sentences = split_sentences(text)
    if len(sentences) > 1:
        by_sentence = _longest(
            range(1, len(sentences)), lambda k: " ".join(sentences[:k]) + " " + ELLIPSIS, fits
        )
        if by_sentence and (not by_word or 2 * len(by_sentence) >= len(by_word)):
            return by_sentence
    if by_word:
        return by_word
    by_char = _longest(range(1, len(text)), lambda end: text[:end] + ELLIPSIS, fits)
    if by_char:
        return by_char
    return ELLIPSIS if fits(ELLIPSIS) else ""


def _longest(
    ends: Sequence[int], candidate: Callable[[int], str], fits: Callable[[str], bool]
) -> str | None:
    """The fitting ``candidate(end)`` with the largest ``end`` (``ends`` ascending), bisecting."""
    low, high, best = 0, len(ends) - 1, None
    while low <= high:
        middle = (low + high) // 2
        text = candidate(ends[middle])
        if fits(text):
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best
