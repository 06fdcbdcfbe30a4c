"""A destination's digests as feeds: Atom 1.0 and JSON Feed 1.1, checked against what the
specifications require, read back by feedparser, and served only for public destinations."""

from __future__ import annotations

import json
from datetime import datetime

import aiohttp
import feedparser
from lxml import etree

from bot.web.feeds import JSON_FEED_VERSION
from digests.store import Store
from tests.support.fixtures import STORIES
from tests.web.conftest import HOSTILE_TITLE, NOW, SATELLITE_AGAIN, Site, start_web

ATOM = "{http://www.w3.org/2005/Atom}"
DIGEST = "/d/channel/2026-11-29/21-00"


async def fetch(site: Site, path: str) -> tuple[int, str, bytes]:
    async with site.http.get(site.url + path) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def test_the_atom_feed_is_valid_atom_with_one_entry_per_digest(site: Site) -> None:
    status, kind, body = await fetch(site, "/d/channel/feed.atom")
    assert status == 200 and kind == "application/atom+xml; charset=utf-8"
    root = etree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    # RFC 4287: a feed has one id, title and updated, an author (or every entry has one),
    # and a self link; every entry has one id, title and updated, and content or a link.
    for name in ("id", "title", "updated", "author"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    [self_link] = root.xpath("a:link[@rel='self']/@href", namespaces={"a": ATOM[1:-1]})
    assert self_link == f"{site.url}/d/channel/feed.atom"
    [entry] = root.findall(f"{ATOM}entry")
    for name in ("id", "title", "updated", "published", "content", "summary"):
        assert len(entry.findall(f"{ATOM}{name}")) == 1, name
    assert entry.findtext(f"{ATOM}id") == site.url + DIGEST
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "") >= NOW

    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "channel — موجز الأخبار"
    assert parsed.feed.language == "ar"
    [item] = parsed.entries
    assert item.link == site.url + DIGEST
    assert item.title == "موجز الأخبار — الأحد 29 نوفمبر 2026، 21:00"
    content = item.content[0].value
    shown = content.replace("\u2068", "").replace("\u2069", "")
    assert sum(s.title in shown for s in (*STORIES, SATELLITE_AGAIN)) == len(STORIES)
    assert f'href="{site.url}/t/football"' in content  # links in a feed are absolute
    # A hostile headline stays text in the entry's HTML.
    html = etree.HTML(content)
    assert not html.xpath("//script | //img")
    text = "".join(html.itertext()).replace("\u2068", "").replace("\u2069", "")
    assert HOSTILE_TITLE.replace("\u202e", "") in text


async def test_the_json_feed_has_what_json_feed_1_1_requires(site: Site) -> None:
    status, kind, body = await fetch(site, "/d/english/feed.json")
    assert status == 200 and kind == "application/feed+json; charset=utf-8"
    feed = json.loads(body)
    # Required: version (the 1.1 URL), title, items; each item an id (a string) and
    # content_html or content_text. Optional fields, when present, have their types.
    assert feed["version"] == JSON_FEED_VERSION == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"] == "english — News digest"
    assert feed["feed_url"] == f"{site.url}/d/english/feed.json"
    assert feed["home_page_url"] == f"{site.url}/d/english/"
    assert feed["language"] == "en"
    assert all(isinstance(author["name"], str) for author in feed["authors"])
    [item] = feed["items"]
    assert isinstance(item["id"], str) and item["id"] == item["url"]
    assert item["url"] == f"{site.url}/d/english/2026-11-29/18-00"
    assert isinstance(item.get("content_html") or item.get("content_text"), str)
    assert item["title"] == "News digest — Sunday 29 November 2026, 18:00"
    for key in ("date_published", "date_modified"):
        assert datetime.fromisoformat(item[key]).tzinfo is not None  # RFC 3339
    assert "Also in" in item["content_html"] and STORIES[1].title in item["content_html"]


async def test_feeds_use_the_configured_base_url_and_only_public_destinations(
    site: Site, store: Store
) -> None:
    assert (await fetch(site, "/d/hidden/feed.atom"))[0] == 404
    assert (await fetch(site, "/d/hidden/feed.json"))[0] == 404
    web = await start_web(store, base_url="https://news.example/archive/")
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{web.url}/d/channel/feed.json") as response,
        ):
            feed = json.loads(await response.read())
    finally:
        await web.stop()
    assert feed["feed_url"] == "https://news.example/archive/d/channel/feed.json"
    assert feed["items"][0]["id"] == "https://news.example/archive" + DIGEST
