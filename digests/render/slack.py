"""Render a digest as Slack Block Kit messages.

Pure: a ``Digest`` in, ``SlackMessage`` values out; no I/O, no clock, no SDK import.

Contract of ``render_slack`` (limits counted in UTF-16 code units, which is never less than
Slack's "characters", so a rendering within them is within Slack's):

* **Blocks**: a ``header`` (the heading, first message only, at most 150) and a ``context``
  overview line; per item a ``section`` (bold numbered headline linking to the article, then
  the summary; at most 3000), a ``context`` (source and time, "أيضاً في", related stories,
  hashtags: at most 5 of the 10 elements allowed, each at most 3000) and, when the item has
  topics, an ``actions`` block of buttons. A section heading is a bold ``section`` before
  the first item of its section. Block ids: ``heading``, ``overview``, ``section-<n>``,
  ``item-<n>``, ``item-<n>-meta``, ``item-<n>-topics`` (``n``: the item's number).
* **Splitting**: at most ``MAX_BLOCKS`` (50) blocks per message; a new message starts only
  between items. The ``text`` fallback (for notifications) is the heading and the item
  count, with «(الجزء 2 من 3)» when there are several messages.
* **Shortening**: a summary that would take the section past 3000 is shortened
  (``render.common.shorten``: sentence, else word boundary, with "…"). Sources that do not
  fit the "أيضاً في" element are counted in «و3 غيرها». A link whose escaped URL exceeds
  ``MAX_HREF_UNITS`` is shown as text.
* **Escaping**: in mrkdwn, ``&``, ``<`` and ``>`` become entities (Slack's only escapes).
  Slack has no escape for ``* _ ~ ```, so in dynamic text a marker that could open or close
  a style (one not between two letters or digits) is replaced with a look-alike (∗ ˍ ∼ ˋ, as
  jsx-slack does): ``rss_feed``, ``America/New_York`` and ``#الطاقة_المتجددة`` keep their
  underscore and can be copied as they are. A line starting with ``>`` gets a soft hyphen in
  front, so a headline cannot restyle the message or open a quote. Every mrkdwn object is
  ``verbatim``: Slack does not turn bare URLs, ``#channel`` or ``@here`` in a headline into
  links or mentions. Links are ``<url|text>``: ``|`` in the text becomes ``¦``; in the URL,
  ``&`` is escaped and ``| < >`` percent-encoded. Command replies (``render_reply``, and
  ``reply_text`` for a message's notification text) go through the same escaper and link
  builder, without isolates.
* **Bidi**: the same isolates as on Telegram (Latin runs and numbers in right-to-left lines
  wrapped in FSI … PDI, hashtags whole). Slack lays out Arabic paragraphs right to left by
  itself, but the order of Latin and digit runs inside them is still decided by the bidi
  algorithm; isolates are invisible and harmless where not needed, and the two chat
  surfaces stay identical in content.
* **Archive**: with ``archive_url`` (the digest's page in the web archive), the overview
  line gets a second element, the link «افتح الموجز في المتصفح» (an http(s) URL only).
* **Buttons**: for at most the first ``TOPIC_BUTTONS`` (2) topics of an item, «تابع <topic>»
  (``action_id`` ``follow_topic:<n>.<k>``) and «المزيد عن <topic>» (``topic_more:<n>.<k>``),
  ``n`` the item number and ``k`` the topic's position (1-based): unique within a message
  and the whole digest. ``value`` is the topic slug (topics whose slug is empty, longer than
  2000 or not clean get no buttons). The Slack adapter registers its handlers with
  ``FOLLOW_TOPIC_ACTION_ID`` and ``TOPIC_MORE_ACTION_ID`` (``app.action(pattern)``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from digests.compose.i18n import Language, plural_items, t
from digests.compose.reply import Reply, Span
from digests.models import Digest, TopicRef
from digests.render.common import (
    ELLIPSIS,
    DisplayItem,
    DisplayLink,
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
from digests.text.bidi import clean

__all__ = [
    "FOLLOW_TOPIC_ACTION_ID",
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_HEADER_TEXT",
    "MAX_HREF_UNITS",
    "MAX_TEXT",
    "SLASH_COMMAND",
    "TOPIC_BUTTONS",
    "TOPIC_MORE_ACTION_ID",
    "SlackMessage",
    "command",
    "image_block",
    "render_reply",
    "render_slack",
    "reply_text",
]

SLASH_COMMAND = "/news"
"""The app's one slash command; every chat command is a subcommand of it."""
MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_TEXT = 3000  # a section's text, and each context element's
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_HREF_UNITS = 1500  # keeps a link plus its bounded text inside MAX_TEXT
TOPIC_BUTTONS = 2

FOLLOW_TOPIC_ACTION_ID = re.compile(r"^follow_topic:\d+\.\d+$")
"""The ``action_id`` of every «تابع …» button; the button's ``value`` is the topic slug."""
TOPIC_MORE_ACTION_ID = re.compile(r"^topic_more:\d+\.\d+$")
"""The ``action_id`` of every «المزيد عن …» button; the button's ``value`` is the topic slug."""

_LOOKALIKES = {"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}
# A style marker Slack could read as one: not between two letters or digits (any script).
_MARKER = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_SOFT_HYPHEN = "\u00ad"
_QUOTE = re.compile(r"^&gt;", re.MULTILINE)

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One ``chat.postMessage`` call: the notification fallback ``text`` and the blocks."""

    text: str
    blocks: tuple[Block, ...]


def render_slack(
    digest: Digest,
    *,
    language: Language,
    timezone: str,
    threads: bool = False,
    archive_url: str | None = None,
) -> list[SlackMessage]:
    """The digest as one or more Block Kit messages, split only between items.

    With ``threads`` the first message is the heading alone and every item is a message of
    its own (the destination posts those as replies in the heading's thread).
    """
    shown = prepare(digest, language=language, timezone=timezone)
    heading = shorten(
        shown.heading, lambda text: utf16_len(_plain_line(text, language)) <= MAX_HEADER_TEXT
    )
    header: Block = {
        "type": "header",
        "block_id": "heading",
        "text": _plain(_plain_line(heading, language)),
    }
    if shown.overview is None:
        no_news = _section("no-news", _mrkdwn([Span(t("no_news", language))], language))
        fallback = _mrkdwn([Span(f"{shown.heading} · {t('no_news', language)}")], language)
        return [SlackMessage(text=fallback, blocks=(header, no_news))]
    overview_elements = [_mrkdwn([Span(shown.overview)], language)]
    if archive_url and _href(archive_url):
        overview_elements.append(
            _mrkdwn([Span(t("open_archive", language), archive_url)], language)
        )
    overview = _context("overview", overview_elements)
    pages: list[list[Block]] = [[header, overview]]
    for item in shown.items:
        blocks = _item_blocks(item, language)
        if threads or len(pages[-1]) + len(blocks) > MAX_BLOCKS:
            pages.append([])
        pages[-1].extend(blocks)
    count = f"{shown.heading} · {plural_items(len(shown.items), language)}"
    return [
        SlackMessage(
            text=_mrkdwn([Span(count + _part(index, len(pages), language))], language),
            blocks=tuple(blocks),
        )
        for index, blocks in enumerate(pages, start=1)
    ]


def _part(index: int, total: int, language: Language) -> str:
    return " " + t("part_of", language, index=index, total=total) if total > 1 else ""


def _item_blocks(item: DisplayItem, language: Language) -> list[Block]:
    blocks: list[Block] = []
    if item.section:
        blocks.append(
            _section(f"section-{item.number}", _mrkdwn([Span(item.section)], language, bold=True))
        )
    blocks.append(_section(f"item-{item.number}", _item_text(item, language)))
    elements = [_mrkdwn(source_spans(item), language)]
    if item.also_reported_by or item.more_reporters:
        elements.append(_also_reported(item, language))
    elements += [_related(link, language) for link in item.related]
    if item.topics:
        elements.append(_mrkdwn(_tags(item.topics), language))
    blocks.append(_context(f"item-{item.number}-meta", elements))
    buttons = _buttons(item, language)
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"item-{item.number}-topics", "elements": buttons}
        )
    return blocks


def _item_text(item: DisplayItem, language: Language) -> str:
    """The headline line and the summary, shortened to fit ``MAX_TEXT``."""

    def text(summary: str, linked: bool) -> str:
        url = item.url if linked else None
        headline = [Span(f"{item.number}. "), Span(item.title, url)]
        lines = [_mrkdwn(headline, language, bold=True)]
        lines += [_mrkdwn([Span(line)], language) for line in summary.split("\n") if line]
        return "\n".join(lines)

    summary = shorten(
        item.summary, lambda s: utf16_len(text(s, True)) <= MAX_TEXT, max_chars=MAX_TEXT
    )
    if utf16_len(text(summary, True)) <= MAX_TEXT:
        return text(summary, True)
    # Only a URL that escapes to nearly MAX_HREF_UNITS with a title full of "&" gets here.
    summary = shorten(
        item.summary, lambda s: utf16_len(text(s, False)) <= MAX_TEXT, max_chars=MAX_TEXT
    )
    return text(summary, False)


def _also_reported(item: DisplayItem, language: Language) -> str:
    """«أيضاً في: …» with as many source links as fit ``MAX_TEXT``; the rest are counted."""
    links = item.also_reported_by
    for shown in range(len(links), 0, -1):
        more = item.more_reporters + len(links) - shown
        text = _mrkdwn(also_reported_spans(links[:shown], more, language), language)
        if utf16_len(text) <= MAX_TEXT:
            return text
    unlinked = also_reported_spans(links, item.more_reporters, language, linked=False)
    return _mrkdwn(unlinked, language)


def _related(link: DisplayLink, language: Language) -> str:
    text = _mrkdwn(related_spans(link, language), language)
    if utf16_len(text) <= MAX_TEXT:
        return text
    return _mrkdwn(related_spans(link, language, linked=False), language)


def _tags(topics: Sequence[TopicRef]) -> list[Span]:
    spans: list[Span] = []
    for topic in topics:
        if spans:
            spans.append(Span(" "))
        spans.append(Span(hashtag(topic.name), whole=True))
    return spans


def _buttons(item: DisplayItem, language: Language) -> list[Block]:
    buttons: list[Block] = []
    for k, topic in enumerate(item.topics[:TOPIC_BUTTONS], start=1):
        slug = topic.slug
        if not slug or slug != clean(slug).strip() or utf16_len(slug) > MAX_BUTTON_VALUE:
            continue
        for key in ("follow_topic", "topic_more"):
            buttons.append(
                {
                    "type": "button",
                    "text": _plain(_button_label(key, topic.name, language)),
                    "action_id": f"{key}:{item.number}.{k}",
                    "value": slug,
                }
            )
    return buttons


def _button_label(key: str, name: str, language: Language) -> str:
    def label(topic: str) -> str:
        return _plain_line(t(key, language, topic=topic), language)

    return label(shorten(name, lambda topic: utf16_len(label(topic)) <= MAX_BUTTON_TEXT))


# --------------------------------------------------------------------------- replies


def command(name: str) -> str:
    """A chat command as Slack users type it: ``/news name``."""
    return f"{SLASH_COMMAND} {name}"


def render_reply(reply: Reply) -> list[Block]:
    """A command reply as Block Kit: a ``verbatim`` section per paragraph, marked up as a
    digest line is (``_line``: the one escaper and link builder; no isolates), then its
    buttons (``action_id`` ``press:<n>``, ``value`` the button's data)."""
    blocks: list[Block] = []
    for paragraph in reply.paragraphs:
        spans = [Span(clean(span.text), span.url, span.bold) for span in paragraph]
        text = _line(spans).strip() or ELLIPSIS
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _no_quote(text)[:MAX_TEXT], "verbatim": True},
            }
        )
    number = 0
    for row in reply.buttons:
        elements = []
        for button in row[:25]:
            number += 1
            elements.append(
                {
                    "type": "button",
                    "text": _plain(button.label[:MAX_BUTTON_TEXT] or ELLIPSIS),
                    "action_id": f"press:{number}",
                    "value": button.data,
                }
            )
        if elements:
            blocks.append({"type": "actions", "elements": elements})
    return blocks[:MAX_BLOCKS]


def reply_text(reply: Reply) -> str:
    """The reply's paragraphs as the message's ``text`` (what notifications show), escaped
    like its blocks, at most ``MAX_TEXT``; «…» when it has none."""
    text = clean(reply.text).strip()
    fitted = shorten(text, lambda cut: utf16_len(_no_quote(_escape(cut))) <= MAX_TEXT)
    return _no_quote(_escape(fitted)) or ELLIPSIS


# --------------------------------------------------------------------------- mrkdwn


def _mrkdwn(spans: Sequence[Span], language: Language, *, bold: bool = False) -> str:
    """A line of spans as mrkdwn: isolated, then marked up by ``_line``."""
    rtl = line_is_rtl(spans, language)
    isolated = [Span(isolated_text(span, rtl), span.url, span.bold) for span in spans]
    return _no_quote(_line(isolated, bold=bold))


def _line(spans: Sequence[Span], *, bold: bool = False) -> str:
    """Spans as mrkdwn, the one way: text escaped (``_escape``), links as ``<url|text>``
    (``_href``; ``|`` in the text shown as ``¦``), bold spans (or the whole line) in ``*``.

    Neighbouring spans with the same link are one link, and its text is plain (Slack does
    not style inside a link reliably): a link with a bold span in it is bold as a whole,
    ``*<url|text>*``. Neighbouring bold pieces share one pair of ``*`` (``*a**b*`` would show
    its asterisks), with the spaces at their ends outside it.
    """
    pieces: list[tuple[str, bool]] = []  # (mrkdwn, bold)
    for href, linked in groupby(spans, key=lambda span: _href(span.url)):
        group = list(linked)
        if href:
            text = _escape("".join(span.text for span in group)).replace("|", "¦")
            pieces.append((f"<{href}|{text}>", any(span.bold for span in group)))
        else:
            pieces += [
                (_escape("".join(span.text for span in run)), strong)
                for strong, run in groupby(group, key=lambda span: span.bold)
            ]
    parts: list[str] = []
    for strong, run in groupby(pieces, key=lambda piece: piece[1]):
        text = "".join(markup for markup, _ in run)
        core = text.strip()
        if strong and core and not bold:
            start = text.index(core)
            text = f"{text[:start]}*{core}*{text[start + len(core) :]}"
        parts.append(text)
    line = "".join(parts)
    return f"*{line}*" if bold else line


def _no_quote(text: str) -> str:
    """A soft hyphen in front of every line that starts with ``>``, so none opens a quote."""
    return _QUOTE.sub(_SOFT_HYPHEN + "&gt;", text)


def _plain_line(text: str, language: Language) -> str:
    """Plain text with the isolates its line needs (header and button labels)."""
    span = Span(text)
    return isolated_text(span, line_is_rtl([span], language))


def _escape(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKER.sub(lambda m: _LOOKALIKES[m.group()], escaped)


def _href(url: str | None) -> str | None:
    """``url`` as the target of a ``<url|text>`` link; None when it is not a safe http(s) URL
    (``safe_url``) or would be longer than ``MAX_HREF_UNITS`` escaped."""
    url = safe_url(url) if url is not None else None
    if url is None:
        return None
    href = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return href if utf16_len(href) <= MAX_HREF_UNITS else None


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(block_id: str, text: str) -> Block:
    return {
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": text, "verbatim": True},
    }


def _context(block_id: str, texts: Sequence[str]) -> Block:
    elements = [{"type": "mrkdwn", "text": text, "verbatim": True} for text in texts]
    return {"type": "context", "block_id": block_id, "elements": elements}


def image_block(url: str, alt_text: str) -> dict[str, str]:
    """An image block showing ``url`` (a checked lead image) with ``alt_text`` (the story's
    headline), within Slack's limits (alt text at most 2000 characters)."""
    return {"type": "image", "image_url": url, "alt_text": clean(alt_text)[:2000] or "image"}
