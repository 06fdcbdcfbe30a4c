"""OPML feed lists: write the stored feeds as OPML 2.0, read the feeds of an OPML 1.0/2.0 file.

Reading and writing are pure: bytes and feeds in, text and ``OpmlFeed`` out, no network.
``import_opml_feeds`` adds what an OPML file lists to the store (the CLI's ``feeds import``
and the admins' ``importopml``).

Safety: an OPML file comes from anywhere, so a document that declares a DTD or an entity
(``<!DOCTYPE``, ``<!ENTITY``: external-entity reads, "billion laughs" expansion) is refused
before it is parsed. It is then parsed with ``defusedxml`` when that is installed (refusing
DTDs, entities and external references a second time), else with the standard library's
ElementTree, which never fetches external entities.
"""

from __future__ import annotations

import importlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from digests.errors import ParseError, StoreError
from digests.models import Feed
from digests.store import Store

__all__ = [
    "LISTED_TWICE",
    "NOT_HTTP",
    "OpmlFeed",
    "OpmlFeeds",
    "OpmlImport",
    "SkippedOutline",
    "export_opml",
    "import_opml_feeds",
    "parse_opml",
]

# The reasons ``SkippedOutline.reason`` gives.
NOT_HTTP = "not an http(s) URL"
LISTED_TWICE = "listed twice"

# Characters XML 1.0 cannot carry at all (escaping does not help): drop them from names.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """A feed an OPML file lists: its URL (``xmlUrl``) and name (``text``, else ``title``)."""

    url: str
    name: str


@dataclass(frozen=True, slots=True)
class SkippedOutline:
    """An outline with an ``xmlUrl`` that was not taken, and why (for the import summary)."""

    url: str
    name: str
    reason: str


class OpmlFeeds(list[OpmlFeed]):
    """The feeds of an OPML document, in document order; ``skipped`` holds the outlines that
    were not taken (a URL that is not http(s), or a URL listed twice)."""

    def __init__(self, feeds: Sequence[OpmlFeed] = (), skipped: Sequence[SkippedOutline] = ()):
        super().__init__(feeds)
        self.skipped: list[SkippedOutline] = list(skipped)


def export_opml(feeds: Sequence[Feed], title: str, *, created: datetime | None = None) -> str:
    """``feeds`` as an OPML 2.0 document (UTF-8 text with its XML declaration).

    One ``<outline type="rss" text=… title=… xmlUrl=…>`` per feed, in the order given; names
    are written as they are (Arabic stays Arabic), with XML's special characters escaped.
    ``created`` (timezone-aware) becomes ``<dateCreated>`` when given.
    """
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _clean(title)
    if created is not None:
        ET.SubElement(head, "dateCreated").text = format_datetime(created)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = _clean(feed.name)
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=_clean(feed.url))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def parse_opml(data: bytes, source: str = "OPML") -> OpmlFeeds:
    """The feeds an OPML 1.0 or 2.0 document lists, nested outlines (folders) flattened.

    An outline is a feed when it has an ``xmlUrl`` attribute (any letter case); its name is
    its ``text``, else its ``title``, else the URL's host. URLs that are not http(s) and URLs
    listed a second time are left out and reported in ``OpmlFeeds.skipped``. A document that
    is not XML, is not OPML, or declares a DTD or entities raises ``ParseError`` (``source``
    names the document in the message).
    """
    root = _parse_xml(data, source)
    if _local(root.tag) != "opml":
        raise ParseError(
            source, f"{source} is not an OPML document (its root element is <{_local(root.tag)}>)"
        )
    found = OpmlFeeds()
    seen: set[str] = set()
    for outline in root.iter():
        if _local(outline.tag) != "outline":
            continue
        attrs = {key.lower(): value for key, value in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if not url:
            continue  # a folder or a plain outline
        parts = urlsplit(url)
        name = (attrs.get("text") or "").strip() or (attrs.get("title") or "").strip()
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            found.skipped.append(SkippedOutline(url, name, NOT_HTTP))
            continue
        if url in seen:
            found.skipped.append(SkippedOutline(url, name, LISTED_TWICE))
            continue
        seen.add(url)
        found.append(OpmlFeed(url=url, name=name or parts.hostname))
    return found


def _parse_xml(data: bytes, source: str) -> ET.Element:
    text: bytes | str = data
    if data.startswith(_BOMS) or data[:2].count(0):  # UTF-16: check the decoded text
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError(source, f"{source} is not valid XML (bad UTF-16)") from None
    probe = text.encode("utf-8") if isinstance(text, str) else text
    if _DECLARATION.search(probe):
        raise ParseError(
            source,
            f"{source} declares a DTD or entities (<!DOCTYPE>/<!ENTITY>); "
            "OPML needs neither, and they are refused for safety",
        )
    try:
        return _fromstring()(text)
    except ET.ParseError as exc:
        raise ParseError(source, f"{source} is not valid XML: {exc}") from None
    except ValueError as exc:  # defusedxml's DTDForbidden, EntitiesForbidden, …
        raise ParseError(source, f"{source} was refused: {exc}") from None


def _fromstring() -> Callable[[bytes | str], ET.Element]:
    """defusedxml's ``fromstring`` when installed (it is optional), else ElementTree's."""
    try:
        module: Any = importlib.import_module("defusedxml.ElementTree")
    except ImportError:
        return ET.fromstring
    defused: Callable[..., ET.Element] = module.fromstring

    def parse(text: bytes | str) -> ET.Element:
        return defused(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)

    return parse


def _local(tag: object) -> str:
    """An element's name without its namespace (``{ns}outline`` → ``outline``)."""
    return str(tag).rsplit("}", 1)[-1]


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


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
        existing = await store.feeds.find(listed.url)
        if existing is not None:
            present.append((listed, existing))
            continue
        problem = await check(listed.url) if check is not None else None
        if problem is not None:
            refused.append((listed.url, problem))
            continue
        try:
            added.append(await store.feeds.add(listed.url, listed.name, now))
        except StoreError:  # the same feed under another spelling of its URL
            present.append((listed, None))
    return OpmlImport(added, present, refused)
