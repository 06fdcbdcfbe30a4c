"""Render a digest as plain text for a terminal, a log or the CLI.

Pure: a ``Digest`` in, one string out; no I/O, no clock. The content is that of the Telegram
and Slack renderings (``render.common.prepare`` decides it) without any markup: links are
written out as URLs after the line they belong to, and only ``http(s)`` URLs are shown.

No bidi isolates here, unlike the chat renderers: most terminals do not run the bidi
algorithm at all (isolates would only be invisible noise, or boxes), and text output is also
grepped and diffed. Dynamic text is still ``bidi.clean``-ed, so a hostile U+202E cannot flip
a terminal that does run it.

Layout::

    موجز الأخبار — الأحد 29 نوفمبر 2026، 20:00
    3 أخبار · المصادر: 4

    ◆ اقتصاد

    1. العنوان
       الملخص
       — المصدر · 14:30 · https://…
       أيضاً في: المصدر2، المصدر3
       ذات صلة: عنوان آخر — المصدر · https://…
       #اقتصاد #COP28
"""

from __future__ import annotations

from digests.compose.i18n import Language, t
from digests.models import Digest
from digests.render.common import (
    DisplayItem,
    also_reported_spans,
    hashtag,
    plain,
    prepare,
    related_spans,
    source_spans,
)

__all__ = ["render_text"]

_INDENT = "   "


def render_text(digest: Digest, *, language: Language, timezone: str) -> str:
    """The digest as plain text: a heading, an overview line, then one block per story."""
    shown = prepare(digest, language=language, timezone=timezone)
    if shown.overview is None:
        return f"{shown.heading}\n{t('no_news', language)}\n"
    lines = [shown.heading, shown.overview, ""]
    for item in shown.items:
        if item.section:
            lines += [item.section, ""]
        lines += _item_lines(item, language)
        lines.append("")
    return "\n".join(lines)


def _item_lines(item: DisplayItem, language: Language) -> list[str]:
    lines = [f"{item.number}. {item.title}"]
    lines += [_INDENT + line for line in item.summary.split("\n") if line]
    lines.append(_INDENT + plain(source_spans(item)) + _url(item.url))
    if item.also_reported_by or item.more_reporters:
        spans = also_reported_spans(item.also_reported_by, item.more_reporters, language)
        lines.append(_INDENT + plain(spans))
    for link in item.related:
        lines.append(_INDENT + plain(related_spans(link, language)) + _url(link.url))
    if item.topics:
        lines.append(_INDENT + " ".join(hashtag(topic.name) for topic in item.topics))
    return lines


def _url(url: str | None) -> str:
    return f" · {url}" if url else ""
