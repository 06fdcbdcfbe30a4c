"""A destination's digests as feeds: Atom 1.0 (built by feedgen) and JSON Feed 1.1.

Pure apart from feedgen's XML: entries in, a document out. One entry per archived digest,
newest first; an entry's id and link are the digest page's absolute URL, its content the
digest as the page shows it (HTML, escaped by the templates), its summary the overview line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from digests.compose.i18n import Language

__all__ = ["JSON_FEED_VERSION", "FeedEntry", "FeedInfo", "atom_feed", "json_feed"]

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself: title, the archive page, its own URL, language,
    author, and when it last changed."""

    title: str
    home_url: str
    feed_url: str
    language: Language
    author: str
    updated: datetime


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One digest: its page (id and link), title, times, overview and content (HTML)."""

    url: str
    title: str
    published: datetime
    updated: datetime
    summary: str
    content_html: str


def atom_feed(info: FeedInfo, entries: Sequence[FeedEntry]) -> bytes:
    """The Atom 1.0 document (UTF-8) of ``entries``, in their order."""
    generator = FeedGenerator()
    generator.id(info.feed_url)
    generator.title(info.title)
    generator.author({"name": info.author})
    generator.link(href=info.home_url, rel="alternate", type="text/html")
    generator.link(href=info.feed_url, rel="self", type="application/atom+xml")
    generator.language(info.language)
    generator.updated(info.updated)
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(entry.url)
        item.title(entry.title)
        item.link(href=entry.url, rel="alternate", type="text/html")
        item.published(entry.published)
        item.updated(entry.updated)
        item.summary(entry.summary)
        item.content(entry.content_html, type="html")
    document: bytes = generator.atom_str(pretty=False, encoding="UTF-8")
    return document


def json_feed(info: FeedInfo, entries: Sequence[FeedEntry]) -> str:
    """The JSON Feed 1.1 document of ``entries``, in their order."""
    return json.dumps(
        {
            "version": JSON_FEED_VERSION,
            "title": info.title,
            "home_page_url": info.home_url,
            "feed_url": info.feed_url,
            "language": info.language,
            "authors": [{"name": info.author}],
            "items": [
                {
                    "id": entry.url,
                    "url": entry.url,
                    "title": entry.title,
                    "summary": entry.summary,
                    "content_html": entry.content_html,
                    "date_published": entry.published.isoformat(),
                    "date_modified": entry.updated.isoformat(),
                }
                for entry in entries
            ],
        },
        ensure_ascii=False,
    )
