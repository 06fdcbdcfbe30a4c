"""Render a digest as Telegram messages in the Bot API's HTML parse mode.

Pure: a ``Digest`` in, ``TelegramMessage`` values out; no I/O, no clock, no SDK import.

Contract of ``render_telegram``:

* **Markup**: only ``<b>``, ``<i>`` and ``<a href="…">``, properly nested. Every dynamic
  string is ``bidi.clean``-ed and ``html.escape``-d (``quote=True`` in attributes), so a
  title can never open a tag or an entity. Links only to ``http(s)`` URLs
  (``render.common.safe_url``); anything else is shown as plain text without a link.
* **Bidi**: in every right-to-left line (``render.common.line_is_rtl``: in an Arabic
  digest, any line holding Arabic letters) Latin runs and numbers are wrapped in FSI … PDI
  (``bidi.isolate_ltr_runs``) and Latin hashtags are isolated whole; in a left-to-right line
  of an English digest, an Arabic piece (a source name, a headline) is isolated whole.
* **Length**: each message has at most ``MAX_MESSAGE_UNITS`` (4096) characters *after entity
  parsing*, counted as UTF-16 code units (Telegram's unit: an emoji counts 2) over the
  visible text: tags removed, entities unescaped, isolates included.
* **Splitting**: the heading and overview go on the first message. Items are packed in
  order, separated by a blank line; a new message starts only between two items, never
  inside one (a section heading travels with its section's first item). An item too long
  for a message of its own (for the first item: a message after the heading) has its
  summary shortened at a sentence boundary, else a word boundary, with "…"
  (``render.common.shorten``); the cut is made on the text before escaping, so a tag or an
  entity is never cut. Everything else in an item is bounded by ``render.common``, so that
  shortening the summary always suffices.
* **Archive**: with ``archive_url`` (the digest's page in the web archive), a link line
  «افتح الموجز في المتصفح» follows the overview on the first message (an http(s) URL only).
* **Topics**: with ``bot_username``, each topic tag is a deep link
  ``https://t.me/<bot_username>?start=<payload>`` that the bot's ``/start`` handler reads
  back with ``parse_topic_payload``; without it, tags are plain text (Telegram makes
  ``#name`` a hashtag itself).

Payloads (Telegram allows ``[A-Za-z0-9_-]{1,64}``): ``t-<slug>`` when the slug is made of
those characters and at most 62 long (the normal case: keep taxonomy slugs ``[a-z0-9-]``);
otherwise ``h-`` and the first 16 hex digits of the slug's SHA-256, stable across runs and
versions. A hashed payload cannot be read back without the list of slugs: pass the
taxonomy's slugs as ``known_slugs`` to ``parse_topic_payload``.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from digests.compose.i18n import Language, t
from digests.compose.reply import Reply, Span
from digests.models import Digest
from digests.render.common import (
    ELLIPSIS,
    DisplayItem,
    also_reported_spans,
    hashtag,
    isolated_text,
    line_is_rtl,
    prepare,
    related_spans,
    safe_url,
    shorten,
    source_spans,
    utf16_len,
)
from digests.text.bidi import clean, isolate_ltr_runs

__all__ = [
    "MAX_BUTTON_LABEL",
    "MAX_CAPTION_UNITS",
    "MAX_MESSAGE_UNITS",
    "TelegramMessage",
    "command",
    "fits_caption",
    "parse_topic_payload",
    "render_reply",
    "render_telegram",
    "reply_keyboard",
    "topic_payload",
    "visible_text",
]

MAX_MESSAGE_UNITS = 4096
"""Telegram's limit on a message's text after entity parsing, in UTF-16 code units."""
MAX_BUTTON_LABEL = 64
MAX_CAPTION_UNITS = 1024
"""Telegram's limit on a photo's caption after entity parsing, in UTF-16 code units."""

_SEP = "\n\n"  # between the heading and items, and between items
_DIRECT_SLUG = re.compile(r"[A-Za-z0-9_-]{1,62}")
_HASHED_PAYLOAD = re.compile(r"h-[0-9a-f]{16}")
_BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One ``sendMessage`` call's text and options."""

    text: str
    parse_mode: Literal["HTML"] = "HTML"
    disable_web_page_preview: bool = True


def render_telegram(
    digest: Digest,
    *,
    language: Language,
    timezone: str,
    bot_username: str | None = None,
    archive_url: str | None = None,
) -> list[TelegramMessage]:
    """The digest as one or more HTML messages, split only between items (see module doc)."""
    bot = _bot_username(bot_username)
    shown = prepare(digest, language=language, timezone=timezone)
    heading = _line([Span(shown.heading)], language, bold=True)
    if shown.overview is None:
        return [TelegramMessage(heading + "\n" + _line([Span(t("no_news", language))], language))]
    messages = [heading + "\n" + _line([Span(shown.overview)], language)]
    archive = safe_url(archive_url) if archive_url else None
    if archive:
        messages[0] += "\n" + _line([Span(t("open_archive", language), archive)], language)
    for index, item in enumerate(shown.items):
        if index == 0:  # shares the first message with the heading
            room = MAX_MESSAGE_UNITS - _units(messages[0] + _SEP)
            messages[0] += _SEP + _item_block(item, language, bot, room)
            continue
        block = _item_block(item, language, bot, MAX_MESSAGE_UNITS)
        if _units(messages[-1] + _SEP + block) <= MAX_MESSAGE_UNITS:
            messages[-1] += _SEP + block
        else:
            messages.append(block)
    return [TelegramMessage(text) for text in messages]


def _item_block(item: DisplayItem, language: Language, bot: str | None, room: int) -> str:
    """The item's HTML, its summary shortened if needed so that it shows in ``room`` units."""

    def block(summary: str) -> str:
        return _item_html(item, summary, language, bot)

    summary = shorten(
        item.summary, lambda candidate: _units(block(candidate)) <= room, max_chars=room
    )
    return block(summary)


def _item_html(item: DisplayItem, summary: str, language: Language, bot: str | None) -> str:
    lines: list[str] = []
    if item.section:
        lines.append(_line([Span(item.section)], language, bold=True))
    headline = [Span(f"{item.number}. "), Span(item.title, item.url)]
    lines.append(_line(headline, language, bold=True))
    lines += [_line([Span(line)], language) for line in summary.split("\n") if line]
    lines.append(_line(source_spans(item), language, italic=True))
    if item.also_reported_by or item.more_reporters:
        also = also_reported_spans(item.also_reported_by, item.more_reporters, language)
        lines.append(_line(also, language))
    lines += [_line(related_spans(link, language), language) for link in item.related]
    if item.topics:
        tags: list[Span] = []
        for topic in item.topics:
            if tags:
                tags.append(Span(" "))
            url = f"https://t.me/{bot}?start={topic_payload(topic.slug)}" if bot else None
            tags.append(Span(hashtag(topic.name), url, whole=True))
        lines.append(_line(tags, language))
    return "\n".join(lines)


def _line(
    spans: Sequence[Span], language: Language, *, bold: bool = False, italic: bool = False
) -> str:
    """One line of HTML: each span escaped, isolated as the line needs, linked if it has a URL."""
    rtl = line_is_rtl(spans, language)
    parts: list[str] = []
    for span in spans:
        text = html.escape(isolated_text(span, rtl), quote=False)
        if span.url:
            text = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
        parts.append(text)
    out = "".join(parts)
    if italic:
        out = f"<i>{out}</i>"
    if bold:
        out = f"<b>{out}</b>"
    return out


def command(name: str) -> str:
    """A bot command as Telegram users type it: ``/name``."""
    return f"/{name}"


def render_reply(reply: Reply) -> str:
    """A command reply's paragraphs as Telegram HTML: every span cleaned, isolated and
    escaped, bold and links marked up (links only to http(s) URLs).

    Neighbouring spans with the same link are one link, and neighbouring bold spans one
    ``<b>``: a search result's headline is one link with its marked words inside it.
    """
    paragraphs = []
    for paragraph in reply.paragraphs:
        parts = []
        for url, linked in groupby(paragraph, key=lambda span: _reply_link(span.url)):
            text = "".join(
                _reply_run("".join(span.text for span in run), bold)
                for bold, run in groupby(linked, key=lambda span: span.bold)
            )
            if url:
                text = f'<a href="{html.escape(url, quote=True)}">{text}</a>'
            parts.append(text)
        paragraphs.append("".join(parts))
    return _SEP.join(paragraphs) or ELLIPSIS


def _reply_link(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def _reply_run(text: str, bold: bool) -> str:
    escaped = html.escape(isolate_ltr_runs(clean(text)), quote=False)
    return f"<b>{escaped}</b>" if bold else escaped


def reply_keyboard(reply: Reply) -> list[list[tuple[str, str]]]:
    """The reply's buttons as rows of (label, callback data), labels cleaned and cut to
    Telegram's limit."""
    return [[(clean(b.label)[:MAX_BUTTON_LABEL], b.data) for b in row] for row in reply.buttons]


def visible_text(message: str) -> str:
    """What Telegram shows of ``message`` (HTML this module made): tags out, entities in."""
    return html.unescape(_TAG.sub("", message))


def fits_caption(message: str) -> bool:
    """Whether ``message`` (HTML this module made) may be a photo's caption."""
    return _units(message) <= MAX_CAPTION_UNITS


def _units(message: str) -> int:
    return utf16_len(visible_text(message))


def _bot_username(name: str | None) -> str | None:
    if name is None:
        return None
    bare = name.removeprefix("@")
    if not _BOT_USERNAME.fullmatch(bare):
        raise ValueError(f"not a Telegram bot username: {name!r}")
    return bare


# --------------------------------------------------------------------------- deep-link payloads


def topic_payload(slug: str) -> str:
    """The ``/start`` payload for a topic: ``t-<slug>``, or ``h-<hash>`` (see module doc)."""
    if _DIRECT_SLUG.fullmatch(slug):
        return "t-" + slug
    return "h-" + hashlib.sha256(slug.encode("utf-8")).hexdigest()[:16]


def parse_topic_payload(payload: str, known_slugs: Iterable[str] = ()) -> str | None:
    """The slug a ``/start`` payload stands for, or None when it is not a topic payload.

    ``t-<slug>`` gives the slug itself; ``h-<hash>`` is looked up among ``known_slugs``.
    """
    if payload.startswith("t-") and _DIRECT_SLUG.fullmatch(payload[2:]):
        return payload[2:]
    if _HASHED_PAYLOAD.fullmatch(payload):
        return next((slug for slug in known_slugs if topic_payload(slug) == payload), None)
    return None
