"""Feed documents into ``ParsedFeed``: RSS 0.9x/1.0/2.0 and Atom through feedparser.

Pure: takes bytes and the response headers, returns data. Encodings declared in the HTTP
Content-Type or the XML prolog (windows-1256 and ISO-8859-6 included) come out as Unicode.
A malformed feed is read as far as feedparser gets, and the problem is reported on the result;
only a document with nothing feed-like in it raises ``ParseError``.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html
from lxml import etree

from digests.errors import ParseError
from digests.models import Entry, ParsedFeed

__all__ = ["html_to_text", "parse_feed"]

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "section",
        "article",
        "figcaption",
        "pre",
        "ul",
        "ol",
    ]
)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
# C0 controls other than tab/newline/CR, and DEL: never text, and lxml refuses them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse one feed document fetched from ``url``.

    ``headers`` are the HTTP response headers (lower-case keys); their Content-Type charset is
    honoured. Raises ``ParseError`` when the document is not a feed at all.
    """
    response_headers = {"content-location": url}
    if headers and "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    # feedparser's HTML sanitiser is skipped: every fragment becomes plain text below, and
    # renderers escape all text, so no markup from a feed ever reaches a reader.
    parsed: Any = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = None
    if parsed.bozo:
        problem = _short(str(parsed.get("bozo_exception") or "malformed feed"))
    if not parsed.entries and not parsed.feed.get("title") and not parsed.get("version"):
        raise ParseError(url, f"not a feed: {problem or 'no channel or entries found'}")
    entries = tuple(e for e in (_entry(raw) for raw in parsed.entries) if e is not None)
    ttl = parsed.feed.get("ttl")
    ttl_seconds = int(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    title = html_to_text(parsed.feed.get("title", "")) or None
    return ParsedFeed(title=title, entries=entries, ttl_seconds=ttl_seconds, problem=problem)


def _entry(raw: Any) -> Entry | None:
    link = (raw.get("link") or "").strip()
    title = html_to_text(raw.get("title") or "").replace("\n", " ")
    if not link and not title:
        return None
    guid = (raw.get("id") or "").strip() or link
    if not guid:
        guid = "sha1:" + hashlib.sha1(title.encode()).hexdigest()
    snippet = html_to_text(raw.get("summary") or "")
    content = None
    for part in raw.get("content") or ():
        text = html_to_text(part.get("value") or "")
        if len(text) > len(content or ""):
            content = text
    if content and content == snippet:
        snippet = content
    return Entry(
        guid=guid[:2048],
        link=link,
        title=title or link,
        published=_when(raw.get("published_parsed") or raw.get("updated_parsed")),
        snippet=snippet,
        content=content,
    )


def _when(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: block elements become line breaks, entities decoded.

    Lines are stripped and empty lines dropped, so the result is paragraphs separated by "\\n".
    Text without markup is returned unescaped and tidied the same way.
    """
    if not fragment:
        return ""
    fragment = _CONTROLS.sub("", fragment)
    if "<" not in fragment:
        text = html.unescape(fragment)
    else:
        try:
            root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        except (etree.ParserError, ValueError):
            text = html.unescape(re.sub(r"<[^>]*>", " ", fragment))
        else:
            for bad in root.xpath("//script|//style"):
                bad.drop_tree()
            for element in root.iter():
                if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
                    element.tail = "\n" + (element.tail or "")
                    if element.tag.lower() != "br":
                        element.text = "\n" + (element.text or "")
            text = root.text_content()
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."
