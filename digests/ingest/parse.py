"""Feed documents into ``ParsedFeed``: RSS 0.9x/1.0/2.0 and Atom through feedparser.

Pure: takes bytes and the response headers, returns data. Encodings declared in the HTTP
Content-Type or the XML prolog (windows-1256 and ISO-8859-6 included) come out as Unicode.
A malformed feed is read as far as feedparser gets, and the problem is reported on the result;
only a document with nothing feed-like in it raises ``ParseError``.

Hostile documents (each case is covered end to end in ``tests/test_hostile.py``):

* **Entity declarations are refused.** Feeds have no use for ``<!ENTITY``, and expat's own
  amplification guard (expat >= 2.4) trips only after megabytes of expansion (seconds of
  feedparser callbacks for a "billion laughs"). A document whose DOCTYPE declares entities
  has that DOCTYPE cut out before feedparser sees it; references to the removed entities
  are then simply undefined. The problem is recorded as ``"entity declarations refused"``.
  External entities (``SYSTEM "file:..."`` or ``"http://..."``) are therefore never
  resolved either; expat as used by feedparser does not fetch them anyway. A document in a
  multi-byte encoding (UTF-16/32: NUL bytes) that declares entities cannot be cut safely on
  bytes and raises ``ParseError``.
* **Undeclared windows-1256**: a document that declares no encoding at all (no HTTP charset,
  no XML ``encoding``, no BOM) and is not UTF-8 is read as windows-1256 or ISO-8859-6 when
  that gives Arabic text (``charset.legacy_arabic_encoding``). Recorded as
  ``"no encoding declared; read as windows-1256"``.
* **Invalid UTF-8**: otherwise, a document declared UTF-8 (by the HTTP charset or the XML
  prolog, and neither names another encoding; XML's default counts) whose bytes are not valid
  UTF-8 has the bad sequences replaced by U+FFFD, instead of feedparser's fallback to
  windows-1252 that would turn every Arabic letter into mojibake. Recorded as
  ``"invalid UTF-8 bytes replaced"``.
* **At most ``MAX_ENTRIES`` (2,000) entries** are parsed: a larger document is cut, on
  bytes and before parsing, after the 2,000th ``<item>``/``<entry>`` in document order
  (feeds list newest first), keeping the document's tail so it stays well-formed. Measured:
  feedparser needs about 0.25 ms per item, in the event loop's thread, so 100,000 items
  would block every other feed for ~25 s; 2,000 cost ~0.5 s and are far more than any real
  feed carries. Recorded as
  ``"feed has more than 2000 entries; only the first 2000 were read"``.
* **Entries need a word or a link**: an entry with no link whose title holds no word of two
  letters or more (``a``, ``7 ..``) is debris of a broken document, not news, and is skipped.
  Recorded as ``"2 entries with neither a title nor a link skipped"``.
* **Display text**: titles (feed and entry), snippets and content are plain text: markup is
  removed (``<script>``/``<style>`` with their content), entities decoded, and terminal
  escape sequences (whole), C0/C1 controls and bidi embeddings/overrides/isolates/marks
  removed (``bidi.clean``); titles are one line. Text that a feed escaped to be shown
  literally (``&amp;lt;b&amp;gt;``) stays literal text; renderers escape it.

When several problems apply, they are joined with "; ".

An entry's image (``Entry.image``) is its first image enclosure, image ``media:content`` or
``media:thumbnail`` with an http(s) URL; the pipeline checks it before storing it.
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
from digests.ingest.charset import legacy_arabic_encoding
from digests.models import Entry, ParsedFeed
from digests.text.arabic import normalise
from digests.text.bidi import clean

__all__ = ["MAX_ENTRIES", "html_to_text", "parse_feed"]

MAX_ENTRIES = 2000
"""Most entries read from one feed document; the rest of a longer document is cut unread."""

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
# A word: two letters in a row, any script (tashkeel and tatweel removed first by normalise).
_A_WORD = re.compile(r"[^\W\d_]{2}")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_ITEM_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")
_PROLOG_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse one feed document fetched from ``url``.

    ``headers`` are the HTTP response headers (lower-case keys); their Content-Type charset is
    honoured. Raises ``ParseError`` when the document is not a feed at all.
    """
    problems: list[str] = []
    body = _refuse_entities(body, url, problems)
    body = _repair_utf8(body, headers, problems)
    body = _cap_entries(body, problems)
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
    if parsed.bozo:
        problems.append(str(parsed.get("bozo_exception") or "malformed feed"))
    if not parsed.entries and not parsed.feed.get("title") and not parsed.get("version"):
        found = _short("; ".join(problems)) if problems else "no channel or entries found"
        raise ParseError(url, f"not a feed: {found}")
    entries = tuple(e for e in (_entry(raw) for raw in parsed.entries) if e is not None)
    if skipped := len(parsed.entries) - len(entries):
        noun = "entry" if skipped == 1 else "entries"
        problems.append(f"{skipped} {noun} with neither a title nor a link skipped")
    problem = _short("; ".join(problems)) if problems else None
    ttl = parsed.feed.get("ttl")
    ttl_seconds = int(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    title = _one_line(parsed.feed.get("title") or "") or None
    return ParsedFeed(title=title, entries=entries, ttl_seconds=ttl_seconds, problem=problem)


def _entry(raw: Any) -> Entry | None:
    link = (raw.get("link") or "").strip()
    title = _one_line(raw.get("title") or "")
    if not link and not _A_WORD.search(normalise(title)):
        return None  # nothing a reader could recognise or open: debris of a broken document
    guid = (raw.get("id") or "").strip() or link
    if not guid:
        guid = "sha1:" + hashlib.sha1(title.encode()).hexdigest()
    snippet = clean(html_to_text(raw.get("summary") or ""))
    content = None
    for part in raw.get("content") or ():
        text = clean(html_to_text(part.get("value") or ""))
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
        image=_image(raw),
    )


def _image(raw: Any) -> str | None:
    """The entry's image: an image enclosure, else an image ``media:content``, else its
    ``media:thumbnail``; only an http(s) URL (it is checked before anyone sees it)."""
    found = [e.get("href") for e in raw.get("enclosures") or () if _is_image(e)]
    found += [m.get("url") for m in raw.get("media_content") or () if _is_image(m)]
    found += [m.get("url") for m in raw.get("media_thumbnail") or ()]
    for url in found:
        url = (url or "").strip()
        if url.startswith(("http://", "https://")) and len(url) <= 2048:
            return url
    return None


def _is_image(media: Any) -> bool:
    kind = str(media.get("type") or "")
    return kind.startswith("image/") or (not kind and media.get("medium") == "image")


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
    Text without markup is returned unescaped and tidied the same way. Controls, terminal
    escape sequences and bidi controls are removed first (``bidi.clean``: lxml refuses
    controls, and an escape sequence must go whole); entities may bring more, so callers
    ``clean`` the result too.
    """
    if not fragment:
        return ""
    fragment = clean(fragment)
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


def _one_line(fragment: str) -> str:
    """Display text of a title: plain, clean (no controls, no bidi overrides), one line."""
    return " ".join(clean(html_to_text(fragment)).split())


def _refuse_entities(body: bytes, url: str, problems: list[str]) -> bytes:
    """``body`` without its DOCTYPE when that declares entities (see the module docstring)."""
    if b"\x00" in body[:4096]:  # UTF-16/32: look at the ASCII letters only
        if _ENTITY_DECLARATION.search(body.replace(b"\x00", b"")):
            raise ParseError(url, "entity declarations refused (multi-byte encoding)")
        return body
    if not _ENTITY_DECLARATION.search(body):
        return body
    problems.append("entity declarations refused")
    start = _DOCTYPE.search(body)
    end = _doctype_end(body, start.end()) if start else None
    if start is None or end is None:
        raise ParseError(url, "entity declarations refused (no well-formed DOCTYPE)")
    # "<!ENTITY" left elsewhere (in CDATA, say) is text or a syntax error, never a declaration.
    return body[: start.start()] + body[end:]


def _doctype_end(body: bytes, index: int) -> int | None:
    """The index just past the ``>`` closing a DOCTYPE whose name starts at ``index``.

    Quoted strings and the bracketed internal subset are skipped, so a ``>`` inside an entity
    value does not end the DOCTYPE.
    """
    depth = 0
    quote: int | None = None
    for position in range(index, len(body)):
        byte = body[position]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in (0x22, 0x27):  # " '
            quote = byte
        elif byte == 0x5B:  # [
            depth += 1
        elif byte == 0x5D:  # ]
            depth = max(0, depth - 1)
        elif byte == 0x3E and depth == 0:  # >
            return position + 1
    return None


def _repair_utf8(body: bytes, headers: Mapping[str, str] | None, problems: list[str]) -> bytes:
    """Replace invalid bytes in a document whose effective encoding is UTF-8; a document
    that declares no encoding at all and is Arabic in windows-1256 or ISO-8859-6 is
    transcoded to UTF-8 instead (``charset.legacy_arabic_encoding``)."""
    if body.startswith(_BOMS[1:]) or (body[:4].count(b"\x00") and not body.startswith(_BOMS[0])):
        return body  # UTF-16/32
    match = _PROLOG_ENCODING.match(body.removeprefix(_BOMS[0]))
    http = _http_charset(headers)
    prolog = match.group(1).decode("ascii").lower() if match else None
    if not {http or "utf-8", prolog or "utf-8"} <= _UTF8_NAMES:
        return body  # another encoding is declared somewhere: feedparser reconciles them
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        undeclared = http is None and prolog is None and not body.startswith(_BOMS[0])
        if undeclared and (legacy := legacy_arabic_encoding(body)):
            problems.append(f"no encoding declared; read as {legacy}")
            return body.decode(legacy).encode("utf-8")
        problems.append("invalid UTF-8 bytes replaced")
        return body.decode("utf-8", "replace").encode("utf-8")
    return body


def _http_charset(headers: Mapping[str, str] | None) -> str | None:
    for part in (headers or {}).get("content-type", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value.strip('"').strip():
            return value.strip('"').strip().lower()
    return None


def _cap_entries(body: bytes, problems: list[str]) -> bytes:
    """Cut a document after its ``MAX_ENTRIES``-th item, keeping the tail after its last one."""
    starts = _ITEM_START.finditer(body)
    for count, match in enumerate(starts, start=1):
        if count > MAX_ENTRIES:
            cut = match.start()
            break
    else:
        return body
    ends = list(_ITEM_END.finditer(body, 0, cut))
    last = None
    for last in _ITEM_END.finditer(body, cut):  # noqa: B007 (only the last match is wanted)
        pass
    if not ends or last is None:
        return body  # no closing tags to cut at: let the parser read it (it is bounded in size)
    problems.append(
        f"feed has more than {MAX_ENTRIES} entries; only the first {MAX_ENTRIES} were read"
    )
    return body[: ends[-1].end()] + body[last.end() :]


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."
