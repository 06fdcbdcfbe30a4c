"""Compose a digest from new articles and render it as terminal text.

Pure: takes articles and settings, returns a ``Digest`` or text. Which articles are new for a
destination is the store's business (``Store.unsent_articles``); this module only chooses,
orders and words them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from digests.i18n import Language, format_datetime, plural_items, t
from digests.models import Article, Digest, DigestItem, DigestSection


def lead(title: str, text: str, *, max_chars: int) -> str:  # TEMPORARY until summarise lands
    first = text.split("\n")[0].strip()
    return first if len(first) <= max_chars else first[: first.rfind(" ", 0, max_chars)] + "…"


__all__ = ["compose", "render_text"]


def compose(
    destination: str,
    articles: Sequence[Article],
    now: datetime,
    *,
    max_items: int,
    summary_chars: int,
) -> Digest:
    """The digest of ``articles`` for ``destination``: newest first, at most ``max_items``.

    Each item's summary is a lead of at most ``summary_chars`` characters made of whole
    sentences of the article's clean text (the snippet when the text is missing).
    """
    chosen = sorted(articles, key=lambda a: (a.published_at, a.id), reverse=True)[:max_items]
    items = tuple(
        DigestItem(
            article_id=a.id,
            title=a.title,
            url=a.url,
            source=a.source,
            published_at=a.published_at,
            summary=lead(a.title, a.text or a.snippet, max_chars=summary_chars),
        )
        for a in chosen
    )
    sections = (DigestSection(topic=None, items=items),) if items else ()
    return Digest(destination=destination, created_at=now, sections=sections)


def render_text(digest: Digest, *, language: Language, timezone: str) -> str:
    """The digest as plain text for a terminal: a heading, then one block per story."""
    zone = ZoneInfo(timezone)
    created = format_datetime(digest.created_at.astimezone(zone), language)
    heading = f"{t('digest_title', language)} — {created}"
    if not digest.items:
        return f"{heading}\n{t('no_news', language)}\n"
    sources = len({item.source for item in digest.items})
    lines = [
        heading,
        f"{plural_items(len(digest.items), language)} · {t('sources', language)}: {sources}",
        "",
    ]
    for number, item in enumerate(digest.items, start=1):
        lines.append(f"{number}. {item.title}")
        if item.summary and item.summary != item.title:
            lines.append(f"   {item.summary}")
        when = item.published_at.astimezone(zone).strftime("%H:%M")
        lines.append(f"   — {item.source} · {when} · {item.url}")
        lines.append("")
    return "\n".join(lines)
