"""The web archive's pages through a real HTTP client against the running server: the home
page, a destination's archive, a digest as posted, a story, a topic with its chart, search,
404s, escaping of hostile headlines, the security headers and the size of every page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import aiohttp
import lxml.html

from bot.web.app import CONTENT_SECURITY_POLICY
from bot.web.chart import DAYS
from digests.compose.archive import digest_address
from digests.compose.destination import Destination
from digests.models import Digest, DigestItem, DigestSection, Link, TopicRef
from digests.store import Store
from digests.store.archive import ArchiveRecord
from digests.text.bidi import FSI, PDI
from tests.support.fixtures import STORIES
from tests.web.conftest import (
    CHANNEL,
    HOSTILE_TITLE,
    NOW,
    SATELLITE_AGAIN,
    Site,
    start_web,
)

DIGEST = "/d/channel/2026-11-29/21-00"  # NOW in Riyadh
MAX_PAGE_BYTES = 100 * 1024


def text_of(page: str) -> str:
    """What a reader sees of ``page``: its text, without the invisible isolates."""
    return str(lxml.html.fromstring(page).text_content()).replace(FSI, "").replace(PDI, "")


def links(page: str, prefix: str) -> list[str]:
    return [h for h in lxml.html.fromstring(page).xpath("//a/@href") if h.startswith(prefix)]


def document(page: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page)


async def test_home_lists_the_public_destinations_with_their_latest_digest(site: Site) -> None:
    status, page, _ = await site.get("/")
    assert status == 200
    root = document(page)
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    shown = text_of(page)
    assert "أرشيف الموجز" in shown and "channel" in shown and "english" in shown
    assert "hidden" not in shown  # not public
    assert DIGEST in links(page, "/d/")
    [channel] = [c for c in document(page).xpath("//section") if "channel" in c.text_content()]
    assert len(channel.xpath(".//ul[@class='headlines']/li")) == 3  # the first headlines
    assert any(s.title in shown for s in STORIES)


async def test_the_archive_lists_digests_newest_first(site: Site) -> None:
    status, _, headers = await site.get("/d/channel")
    assert (status, headers["Location"]) == (301, "/d/channel/")
    status, page, _ = await site.get("/d/channel/")
    assert status == 200
    assert links(page, "/d/channel/2") == [DIGEST]
    assert "موجز الأخبار — الأحد 29 نوفمبر 2026، 21:00" in text_of(page)
    assert "/d/channel/feed.atom" in links(page, "/d/") and "/d/channel/feed.json" in page


async def test_a_digest_page_is_the_digest_as_it_was_posted(site: Site) -> None:
    status, page, _ = await site.get(DIGEST)
    assert status == 200
    shown = text_of(page)
    # The same stories in the same order as the message queued for the chat.
    [part] = await site.store.outbox.pending_for(CHANNEL.chat or "")
    posted = json.loads(part.payload)["text"].replace(FSI, "").replace(PDI, "")
    titles = [s.title for s in (*STORIES, SATELLITE_AGAIN) if s.title in posted]
    assert len(titles) == len(STORIES)  # one story told by two outlets is shown once
    assert sorted(titles, key=shown.index) == sorted(titles, key=posted.index)
    # "Also reported by", topics and the story page of each item, as in chat.
    assert "أيضاً في: المصدر أ" in shown  # the satellite story, led by the earlier outlet
    assert "موجز الأخبار — الأحد 29 نوفمبر 2026، 21:00" in shown
    assert "/t/morocco" in links(page, "/t/") and "/t/football" in links(page, "/t/")
    assert len(links(page, "/s/")) == len(STORIES) + 1  # every story, the hostile one too
    # Latin and digits are isolated as in chat: «0.25%» keeps its place in the Arabic line.
    assert f"{FSI}0.25%{PDI}" in page


async def test_a_story_page_shows_every_outlet_and_its_topics(site: Site) -> None:
    _, digest, _ = await site.get(DIGEST)
    root = document(digest)
    [story] = [
        a.xpath("ancestor::article//a[@class='story']/@href")[0]
        for a in root.xpath("//h3/a")
        if "فالكون" in a.text_content()
    ]
    status, page, _ = await site.get(story)
    assert status == 200
    shown = text_of(page)
    assert SATELLITE_AGAIN.title in shown and STORIES[2].title in shown
    assert "BBC عربي" in shown and "المصدر أ" in shown
    assert "وكالة الفضاء" in shown  # a summary of a report
    assert links(page, "/t/")  # the reports' topics
    assert document(page).get("lang") == "ar"


async def test_a_topic_page_charts_30_days_of_stories(site: Site) -> None:
    status, page, _ = await site.get("/t/football")
    assert status == 200
    root = document(page)
    [svg] = root.xpath("//svg")
    # Fixed dimensions: nothing moves when the page is drawn.
    assert (svg.get("width"), svg.get("height")) == ("600", "160")
    bars = svg.xpath(".//rect")
    assert len(bars) == DAYS
    assert all(int(bar.get("height")) >= 0 for bar in bars)
    drawn = [bar for bar in bars if int(bar.get("height")) > 0]
    assert len(drawn) == 1  # the one day with a football story
    assert "28 نوفمبر 2026: خبر واحد" in drawn[0].text_content()
    # Right to left: the oldest day is the rightmost bar, the newest (today) the leftmost.
    assert int(drawn[0].get("x")) < int(bars[0].get("x"))
    assert STORIES[1].title in text_of(page)
    assert links(page, "/s/")


async def test_search_is_the_chat_search_with_marked_words(site: Site) -> None:
    status, page, _ = await site.get("/search?q=المغرب")
    assert status == 200
    shown = text_of(page)
    assert "نتائج البحث عن «المغرب»: 1 (الصفحة 1 من 1)" in shown
    assert STORIES[1].title in shown
    marks = [m.text_content() for m in document(page).xpath("//mark")]
    assert marks and all("المغرب" in m for m in marks)
    assert links(page, "/s/")
    # Nothing found, too common, empty, past the last page.
    assert "لا نتائج عن «بطريق»" in text_of((await site.get("/search?q=بطريق"))[1])
    assert "شائعة جداً" in text_of((await site.get("/search?q=في+من"))[1])
    status, empty, _ = await site.get("/search")
    assert status == 200 and not document(empty).xpath("//ol")
    assert (await site.get("/search?q=المغرب&page=2"))[0] == 404


NOT_FOUND = (
    "/d/hidden/",  # a destination that is not public
    DIGEST.replace("channel", "hidden"),
    "/d/hidden/feed.atom",
    "/d/hidden/feed.json",
    "/d/hidden",
    "/d/nobody/",
    "/d/channel/2026-11-29/09-00",  # no digest at that time
    "/d/channel/2026-11-29/../../hidden",
    "/d/channel/29-11-2026/21-00",
    "/d/channel/?page=2",  # past the last page
    "/d/channel/?page=0",
    "/d/channel/?page=x",
    DIGEST + "?page=2",
    "/s/99999999",
    "/s/abc",
    "/t/no-such-topic",
    "/nothing-here",
)


async def test_everything_else_is_404(site: Site) -> None:
    for path in NOT_FOUND:
        status, page, headers = await site.get(path)
        assert status == 404, path
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "الصفحة غير موجودة" in text_of(page)


async def test_hostile_headlines_are_shown_as_text(site: Site) -> None:
    _, digest, _ = await site.get(DIGEST)
    [story] = [
        a.xpath("ancestor::article//a[@class='story']/@href")[0]
        for a in document(digest).xpath("//article//h3")
        if "مقلوب" in a.text_content()
    ]
    pages = [digest, (await site.get(story))[1], (await site.get("/search?q=مقلوب"))[1]]
    for page in pages:
        root = document(page)
        assert not root.xpath("//script | //img | //iframe | //object")
        assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
        assert not [h for h in root.xpath("//a/@href") if not h.startswith(("/", "http"))]
        assert "\u202e" not in page  # the override is gone
        shown = text_of(page)
        assert '<script>alert("x")</script>' in shown  # shown, not obeyed
        assert "مصدر <i>عدائي</i>" in shown
    assert HOSTILE_TITLE.replace("\u202e", "") in text_of(digest)


async def test_every_page_has_the_policy_forbids_script_and_stays_small(site: Site) -> None:
    _, digest, _ = await site.get(DIGEST)
    story = links(digest, "/s/")[0]
    paths = ["/", "/d/channel/", DIGEST, story, "/t/football", "/search?q=قمر", "/d/english/"]
    for path in paths:
        status, page, headers = await site.get(path)
        assert status == 200, path
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert len(page.encode()) <= MAX_PAGE_BYTES, path
        root = document(page)
        assert not root.xpath("//script | //*[@style] | //style")  # all style is the sheet's
        [sheet] = root.xpath("//link[@rel='stylesheet']/@href")
        assert sheet.startswith("/static/site.css")
    status, css, headers = await site.get("/static/site.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert "font-family" in css


async def test_an_english_destination_is_english_and_left_to_right(site: Site) -> None:
    status, page, _ = await site.get("/d/english/2026-11-29/18-00")  # NOW in London
    assert status == 200
    root = document(page)
    assert (root.get("lang"), root.get("dir")) == ("en", "ltr")
    shown = text_of(page)
    assert "News digest — Sunday 29 November 2026, 18:00" in shown
    assert "Also in: المصدر أ" in shown
    # An Arabic source in an English line is isolated whole, as in chat.
    assert 'Also in: <a href="http://127.0.0.1' in page
    assert f"{FSI}المصدر أ{PDI}</a>" in page


def many_digests(count: int) -> list[ArchiveRecord]:
    records = []
    for n in range(count):
        when = NOW - timedelta(hours=12 * n)
        item = DigestItem(
            n + 1,
            f"خبر رقم {n}",
            f"https://news.example/{n}",
            "وكالة",
            when,
            "ملخص الخبر.",
            topics=(TopicRef("economy", "اقتصاد"),),
        )
        digest = Digest("channel", when, (DigestSection(None, (item,)),))
        records.append(ArchiveRecord(digest_address(CHANNEL, when), when, digest))
    return records


async def test_the_archive_is_paged_newest_first(store: Store) -> None:
    for record in many_digests(45):
        assert await store.archive.record(record)
    assert not await store.archive.record(many_digests(1)[0])  # one digest per address
    web = await start_web(store)
    try:
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, str]:
                async with http.get(f"{web.url}{path}") as response:
                    return response.status, await response.text()

            _, first = await get("/d/channel/")
            _, second = await get("/d/channel/?page=2")
            status, third = await get("/d/channel/?page=3")
            assert status == 200 and (await get("/d/channel/?page=4"))[0] == 404
    finally:
        await web.stop()
    digests = [links(page, "/d/channel/20") for page in (first, second, third)]
    assert [len(d) for d in digests] == [20, 20, 5]
    flat = [d for page in digests for d in page]
    assert flat == sorted(flat, reverse=True) and len(set(flat)) == 45
    assert flat[0] == DIGEST
    assert "الصفحة 1 من 3" in text_of(first) and links(first, "?page=2")
    assert links(second, "?page=1") and links(second, "?page=3")
    assert re.search(r'rel="prev" href="\?page=2"', third)


async def test_a_huge_digest_is_split_between_items_into_small_pages(store: Store) -> None:
    summary = "وقال مسؤول في الوزارة إن الخطة تشمل Phase 2 وتكلف 4.5 مليار دولار. " * 30
    items = tuple(
        DigestItem(
            n,
            f"عنوان طويل {n} & <b> " * 20,
            f"https://news.example/{n}?a=1&b=2",
            "وكالة الأنباء",
            NOW,
            summary,
            also_reported_by=tuple(
                Link(f"تقرير {k}", f"https://o{k}.example/{n}", f"مصدر {k}") for k in range(8)
            ),
            topics=tuple(TopicRef(f"topic-{k}", f"موضوع {k}") for k in range(3)),
        )
        for n in range(1, 61)
    )
    digest = Digest("channel", NOW, (DigestSection(None, items),))
    await store.archive.record(ArchiveRecord(digest_address(CHANNEL, NOW), NOW, digest))
    web = await start_web(store, (Destination(name="channel", public=True),))
    seen: list[str] = []
    try:
        async with aiohttp.ClientSession() as http:
            page_number = 1
            while True:
                async with http.get(f"{web.url}{DIGEST}?page={page_number}") as response:
                    if response.status == 404:
                        break
                    body = await response.text()
                assert len(body.encode()) <= MAX_PAGE_BYTES
                seen += [n.text_content().strip(". ") for n in document(body).xpath("//h3/span")]
                page_number += 1
    finally:
        await web.stop()
    assert seen == [str(n) for n in range(1, 61)]  # every item once, in order
    assert page_number > 3


async def test_nothing_is_served_while_no_destination_is_public(store: Store) -> None:
    web = await start_web(store, (Destination(name="channel"),))
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/", "/search?q=قمر", "/s/1", "/t/football", "/d/channel/"):
                async with http.get(f"{web.url}{path}") as response:
                    assert response.status == 404, path
    finally:
        await web.stop()
