"""Polling end to end: a real HTTP server on 127.0.0.1, the real fetcher, parser and SQLite."""

from __future__ import annotations

import gzip
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from digests.clock import utcnow
from digests.ingest.fetch import Fetcher
from digests.ingest.settings import PollSettings
from digests.store import Store
from tests.conftest import DATA, Harness
from tests.support.feedserver import Answer, FeedServer
from tests.support.fixtures import STORIES, Story, atom, rss

TITLES = {s.title for s in STORIES}


async def test_rss_with_full_content_stores_every_story_once(harness: Harness) -> None:
    harness.server.add("/rss", rss(harness.server.base))
    await harness.add_feeds("/rss")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert (outcome.status, outcome.http_status, outcome.new_articles) == ("ok", 200, 5)
    stored = await harness.store.articles.recent()
    assert {a.title for a in stored} == TITLES
    rates = next(a for a in stored if "الفائدة" in a.title)
    assert rates.text is not None and "٤٫٨٪" in rates.text and "Capital Economics" in rates.text
    assert rates.url == harness.server.url("/news/rates")
    assert rates.published_at.tzinfo is not None
    # The feed carried full text: no article page was requested.
    assert not [r for r in harness.server.requests if r.path.startswith("/news/")]


async def test_atom_feed(harness: Harness) -> None:
    harness.server.add(
        "/atom", atom(harness.server.base), headers={"Content-Type": "application/atom+xml"}
    )
    await harness.add_feeds("/atom")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert outcome.new_articles == 5
    stored = await harness.store.articles.recent()
    assert {a.title for a in stored} == TITLES
    assert all(a.url.startswith(harness.server.url("/atom/")) for a in stored)
    feed = await harness.feed("/atom")
    assert feed.title == "أطوم"


async def test_windows_1256_and_iso_8859_6_come_out_as_unicode(harness: Harness) -> None:
    # windows-1256 declared in the XML prolog.
    harness.server.add("/cp1256", rss(harness.server.base, encoding="windows-1256"))
    # ISO-8859-6 declared only in the HTTP Content-Type (ISO-8859-6 has no hamza-on-alef
    # variants beyond its repertoire, so use stories it can encode).
    iso_stories = tuple(s for s in STORIES if s.slug in ("bookfair",))
    body = rss(
        harness.server.base,
        iso_stories,
        encoding="iso-8859-6",
        declare_encoding=False,
        link_path="/iso/{slug}",
        guid_prefix="iso:",
    )
    harness.server.add(
        "/iso", body, headers={"Content-Type": "application/rss+xml; charset=ISO-8859-6"}
    )
    await harness.add_feeds("/cp1256", "/iso")

    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert [o.new_articles for o in outcomes] == [5, 1]
    titles = [a.title for a in await harness.store.articles.recent()]
    assert set(titles) >= TITLES
    assert titles.count("انطلاق معرض الرياض الدولي للكتاب بمشاركة 1800 دار نشر") == 2


async def test_undeclared_windows_1256_feed_and_page_are_detected(harness: Harness) -> None:
    """No XML encoding, no HTTP charset, no <meta>: the bytes alone say windows-1256."""
    server = harness.server
    feed = rss(server.base, encoding="windows-1256", declare_encoding=False, full_content=False)
    assert b"encoding" not in feed
    server.add("/cp1256", feed, headers={"Content-Type": "application/rss+xml"})
    page = (DATA / "pages" / "windows1256" / "page.html").read_bytes()
    page = page.replace(b'<meta charset="windows-1256">', b"")
    assert b"charset" not in page
    # The "rates" story links to the page; the other pages are not served (snippets stay).
    server.add("/news/rates", page, headers={"Content-Type": "text/html"})
    await harness.add_feeds("/cp1256")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert (outcome.status, outcome.new_articles) == ("ok", 5)
    stored = await harness.store.articles.recent()
    assert {a.title for a in stored} == TITLES
    assert not any("\ufffd" in f"{a.title} {a.snippet} {a.text}" for a in stored)
    by_slug = {a.url.rsplit("/", 1)[-1]: a for a in stored}
    expected = (DATA / "pages" / "windows1256" / "expected.txt").read_text(encoding="utf-8")
    assert by_slug["rates"].text == "\n\n".join(expected.split("\n\n")[1:]).strip()
    checked = await harness.feed("/cp1256")
    assert checked.title == "أخبار الاختبار"
    assert checked.parse_problem == "no encoding declared; read as windows-1256"


async def test_snippet_only_feed_fetches_and_cleans_the_article_pages(harness: Harness) -> None:
    seed_page = (DATA / "pages" / "seed" / "page.html").read_bytes()
    expected = (DATA / "pages" / "seed" / "expected.txt").read_text(encoding="utf-8").split("\n\n")
    harness.server.add(
        "/news/rates", seed_page, headers={"Content-Type": "text/html; charset=utf-8"}
    )
    stories = tuple(s for s in STORIES if s.slug in ("rates", "football"))
    harness.server.add("/snippets", rss(harness.server.base, stories, full_content=False))
    # /news/football is not served (404): that article keeps its snippet.
    await harness.add_feeds("/snippets")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert outcome.new_articles == 2
    by_slug = {a.url.rsplit("/", 1)[-1]: a for a in await harness.store.articles.recent()}
    assert by_slug["rates"].text is not None
    paragraphs = by_slug["rates"].text.split("\n\n")
    assert paragraphs == [p.strip() for p in expected[1:] if p.strip()]
    assert by_slug["football"].text == STORIES[1].paragraphs[0]


async def test_a_photo_gallery_page_keeps_the_feed_summary(harness: Harness) -> None:
    """A page with under 20 words of text keeps the feed's summary, not the page chrome."""
    gallery = (DATA / "pages" / "gallery" / "page.html").read_bytes()
    harness.server.add("/news/rates", gallery, headers={"Content-Type": "text/html"})
    stories = tuple(s for s in STORIES if s.slug == "rates")
    harness.server.add("/gallery", rss(harness.server.base, stories, full_content=False))
    await harness.add_feeds("/gallery")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert outcome.new_articles == 1
    assert harness.server.requests_for("/news/rates")  # the page was read, and refused
    [article] = await harness.store.articles.recent()
    assert article.text == stories[0].paragraphs[0]
    assert "مشاهدة" not in article.text and "فيسبوك" not in article.text


async def test_malformed_feed_is_read_as_far_as_possible_and_the_problem_recorded(
    harness: Harness,
) -> None:
    good = rss(harness.server.base, STORIES[:2]).decode()
    broken = good.replace("</channel></rss>", "<item><title>خبر مبتور & غير مكتمل</title>")
    harness.server.add("/broken", broken)
    await harness.add_feeds("/broken")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert outcome.status == "ok"
    assert outcome.new_articles >= 2
    feed = await harness.feed("/broken")
    assert feed.parse_problem  # recorded on the feed
    assert feed.error_count == 0


async def test_a_document_that_is_no_feed_is_an_error_on_that_feed(harness: Harness) -> None:
    harness.server.add(
        "/html",
        "<html><body><p>ليست خلاصة</p></body></html>",
        headers={"Content-Type": "text/html"},
    )
    await harness.add_feeds("/html")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert outcome.status == "error"
    assert outcome.error is not None and outcome.error.startswith("parse:")
    feed = await harness.feed("/html")
    assert feed.error_count == 1 and feed.last_error == outcome.error


async def test_server_error_backs_off_then_recovers(harness: Harness) -> None:
    route = harness.server.add("/flaky", rss(harness.server.base, STORIES[:1]))
    route.sequence = [Answer(500, b"oops"), Answer(503, b"busy", {"Retry-After": "7200"})]
    await harness.add_feeds("/flaky")

    before = utcnow()
    [first] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())
    feed = await harness.feed("/flaky")
    assert (first.status, first.http_status) == ("error", 500)
    assert feed.error_count == 1 and "500" in (feed.last_error or "")
    assert feed.next_check_at is not None
    assert timedelta(minutes=14) < feed.next_check_at - before <= timedelta(minutes=16)

    [second] = await harness.pipeline.poll_feeds([feed])
    feed = await harness.feed("/flaky")
    assert (second.status, second.http_status) == ("error", 503)
    assert feed.error_count == 2
    assert feed.next_check_at is not None
    # Backoff would say 30 minutes; the server's Retry-After (2 h) wins.
    assert feed.next_check_at - before >= timedelta(hours=2)

    [third] = await harness.pipeline.poll_feeds([feed])
    feed = await harness.feed("/flaky")
    assert (third.status, third.new_articles) == ("ok", 1)
    assert feed.error_count == 0 and feed.last_error is None and feed.last_success_at


async def test_feed_that_rewrites_guids_does_not_repost(harness: Harness) -> None:
    route = harness.server.add("/rewrites", b"")
    route.dynamic = lambda hit: Answer(200, rss(harness.server.base, guid_prefix=f"urn:poll{hit}:"))
    await harness.add_feeds("/rewrites")

    [first] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())
    [second] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert (first.new_articles, second.new_articles) == (5, 0)
    assert len(await harness.store.articles.recent()) == 5


async def test_same_headline_under_a_new_link_is_not_new_in_the_window(harness: Harness) -> None:
    route = harness.server.add("/relinks", b"")
    route.dynamic = lambda hit: Answer(
        200,
        rss(
            harness.server.base, STORIES[:2], guid_prefix=f"g{hit}:", link_path=f"/v{hit}/{{slug}}"
        ),
    )
    await harness.add_feeds("/relinks")

    outcomes = [
        (await harness.pipeline.poll_feeds(await harness.store.feeds.all()))[0] for _ in range(2)
    ]

    assert [o.new_articles for o in outcomes] == [2, 0]


async def test_permanent_redirect_updates_the_feed_url_and_temporary_does_not(
    harness: Harness,
) -> None:
    server = harness.server
    server.add("/moved", status=301, headers={"Location": server.url("/new-home")})
    server.add("/new-home", rss(server.base, STORIES[:1]))
    server.add("/away", status=302, headers={"Location": server.url("/holiday")})
    server.add("/holiday", rss(server.base, STORIES[1:2], link_path="/h/{slug}", guid_prefix="h:"))
    await harness.add_feeds("/moved", "/away")

    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert [o.new_articles for o in outcomes] == [1, 1]
    urls = {f.name: f.url for f in await harness.store.feeds.all()}
    assert urls == {"moved": server.url("/new-home"), "away": server.url("/away")}


async def test_oversized_response_is_refused_and_recorded(harness: Harness) -> None:
    limit = harness.settings.max_response_kb * 1024
    huge = b"<rss><channel>" + b"x" * (limit + 10) + b"</channel></rss>"
    harness.server.add("/huge", huge)
    harness.server.add("/huge-chunked", huge, omit_length=True)  # no Content-Length to trust
    harness.server.add("/ok", rss(harness.server.base, STORIES[:1]))
    await harness.add_feeds("/huge", "/huge-chunked", "/ok")

    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert [o.status for o in outcomes] == ["error", "error", "ok"]
    for outcome in outcomes[:2]:
        assert outcome.error is not None and outcome.error.startswith("too_large")
    assert (await harness.feed("/huge-chunked")).error_count == 1


async def test_slow_feed_times_out_without_holding_up_the_others(harness: Harness) -> None:
    harness.server.add("/slow", rss(harness.server.base, STORIES[:1]), delay=5.0)
    harness.server.add(
        "/trickle",
        rss(harness.server.base, STORIES[:2], guid_prefix="t:", link_path="/t/{slug}"),
        trickle_bytes_per_second=200,
    )
    harness.server.add(
        "/fast", rss(harness.server.base, STORIES[2:3], guid_prefix="f:", link_path="/f/{slug}")
    )
    await harness.add_feeds("/slow", "/trickle", "/fast")

    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    by_name = {o.name: o for o in outcomes}
    assert by_name["slow"].status == "error" and (by_name["slow"].error or "").startswith("timeout")
    assert by_name["trickle"].status == "error"
    assert (by_name["trickle"].error or "").startswith("timeout")
    assert by_name["fast"].new_articles == 1 and by_name["fast"].elapsed < 1.0
    assert by_name["slow"].elapsed < harness.settings.timeout_seconds + 1


async def test_second_poll_sends_validators_and_a_304_stores_nothing(harness: Harness) -> None:
    harness.server.add(
        "/cond",
        rss(harness.server.base, ttl_minutes=60),
        etag='"v1"',
        last_modified="Sat, 28 Nov 2026 09:00:00 GMT",
        headers={"Cache-Control": "max-age=120"},
    )
    await harness.add_feeds("/cond")

    [first] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())
    feed = await harness.feed("/cond")
    assert (feed.etag, feed.last_modified) == ('"v1"', "Sat, 28 Nov 2026 09:00:00 GMT")
    # The feed's <ttl> (60 min) outweighs the 15-minute interval.
    assert feed.next_check_at is not None and feed.next_check_at - utcnow() > timedelta(minutes=55)
    count = len(await harness.store.articles.recent())

    [second] = await harness.pipeline.poll_feeds([feed])

    assert first.new_articles == 5
    assert (second.status, second.http_status, second.new_articles) == ("not_modified", 304, 0)
    sent = harness.server.requests_for("/cond")[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Sat, 28 Nov 2026 09:00:00 GMT"
    assert sent["user-agent"].startswith("newsdigest/")
    assert len(await harness.store.articles.recent()) == count
    assert (await harness.feed("/cond")).etag == '"v1"'


async def test_connection_refused_is_recorded_and_others_still_polled(harness: Harness) -> None:
    harness.server.add("/ok", rss(harness.server.base, STORIES[:1]))
    await harness.add_feeds("/ok")
    from digests.ingest.settings import FeedSettings

    await harness.store.feeds.sync_config(
        [
            FeedSettings(url=harness.server.url("/ok"), name="ok"),
            FeedSettings(url="http://127.0.0.1:9/feed", name="closed-port"),
        ],
        utcnow(),
    )

    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    by_name = {o.name: o for o in outcomes}
    assert by_name["closed-port"].status == "error"
    assert (by_name["closed-port"].error or "").startswith("connect")
    assert by_name["ok"].new_articles == 1


async def test_due_feeds_are_claimed_once_and_rescheduled(harness: Harness) -> None:
    harness.server.add("/a", rss(harness.server.base, STORIES[:1]))
    harness.server.add("/b", status=500)
    await harness.add_feeds("/a", "/b")

    first = await harness.pipeline.poll_due()
    again = await harness.pipeline.poll_due()

    assert sorted(o.name for o in first) == ["a", "b"]
    assert again == []  # both were rescheduled into the future
    feeds = await harness.store.feeds.all()
    assert all(f.next_check_at and f.next_check_at > utcnow() for f in feeds)


async def test_requests_to_one_host_stay_within_the_per_host_limit(
    store: Store, feed_server: FeedServer
) -> None:
    settings = PollSettings(timeout_seconds=5, per_host_concurrency=2, concurrency=16)
    for n in range(6):
        feed_server.add(
            f"/h{n}", rss(feed_server.base, STORIES[:1], guid_prefix=f"h{n}:"), delay=0.2
        )
    async with Fetcher(settings, allow_private=True) as fetcher:
        harness = Harness(store, fetcher, feed_server, settings)
        await harness.add_feeds(*(f"/h{n}" for n in range(6)))
        outcomes = await harness.pipeline.poll_feeds(await store.feeds.all())

    assert [o.status for o in outcomes] == ["ok"] * 6
    assert feed_server.max_in_flight == 2


async def test_compressed_body_is_limited_by_its_decoded_size(harness: Harness) -> None:
    limit = harness.settings.max_response_kb * 1024
    bomb = gzip.compress(b"<rss>" + b" " * (limit * 4) + b"</rss>")
    assert len(bomb) < limit // 10
    harness.server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    await harness.add_feeds("/bomb")

    [outcome] = await harness.pipeline.poll_feeds(await harness.store.feeds.all())

    assert outcome.status == "error" and (outcome.error or "").startswith("too_large")


async def test_unusable_article_links_never_stop_the_pass(harness: Harness) -> None:
    bad = tuple(
        Story(f"bad{n}", f"{story.title} ({n})", story.paragraphs)
        for n, story in enumerate(STORIES[:3])
    )
    links = ["http://example.com:abc/{slug}", "http://xn--a.com/{slug}", "http://☃☃--.com/{slug}"]
    for n, (story, link) in enumerate(zip(bad, links, strict=True)):
        body = rss("", (story,), link_path=link, full_content=False, guid_prefix=f"b{n}:")
        harness.server.add(f"/bad{n}", body)
    harness.server.add("/good", rss(harness.server.base, STORIES[3:4], guid_prefix="g:"))
    await harness.add_feeds("/bad0", "/bad1", "/bad2", "/good")

    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())
    await harness.pipeline.complete_pending()  # nothing left that raises on every tick

    by_name = {o.name: o for o in outcomes}
    assert by_name["good"].new_articles == 1
    assert all(by_name[f"bad{n}"].status in ("ok", "error") for n in range(3))
    assert await harness.store.articles.missing_text(limit=10) == []


async def test_page_fetches_per_feed_are_capped_newest_first_with_one_log_line(
    store: Store, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed of 500 snippet-only entries: only the newest ``max_page_fetches_per_feed`` pages
    are requested in the poll, the rest keep the feed's text, and the log has one line for the
    feed (none from trafilatura for each page it cannot parse)."""
    cap = 25
    settings = PollSettings(
        timeout_seconds=5, per_host_concurrency=8, max_page_fetches_per_feed=cap
    )
    newest = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    items = []
    for n in range(500):  # entry n is n minutes older than entry 0; served oldest first
        feed_server.add(f"/p/{n}", "<<<>>>", headers={"Content-Type": "text/html"})
        items.append(
            f"<item><title>خبر عاجل رقم {n} عن الأسواق</title><link>{feed_server.url(f'/p/{n}')}"
            f"</link><pubDate>{format_datetime(newest - timedelta(minutes=n))}</pubDate>"
            f"<description>ملخص الخبر رقم {n} كما نشرته الخلاصة.</description></item>"
        )
    channel = "".join(reversed(items))
    feed_server.add(
        "/flood", f'<rss version="2.0"><channel><title>سيل</title>{channel}</channel></rss>'
    )
    async with Fetcher(settings, allow_private=True) as fetcher:
        harness = Harness(store, fetcher, feed_server, settings)
        await harness.add_feeds("/flood")
        with caplog.at_level(logging.DEBUG):
            [outcome] = await harness.pipeline.poll_feeds(await store.feeds.all())

    assert (outcome.status, outcome.new_articles) == ("ok", 500)
    asked = [r.path for r in feed_server.requests if r.path.startswith("/p/")]
    assert sorted(asked) == sorted(f"/p/{n}" for n in range(cap))  # the newest, once each
    assert await store.articles.missing_text(limit=10) == []  # every article has its feed text
    texts = {a.title: a.text for a in await store.articles.recent(limit=600)}
    assert texts["خبر عاجل رقم 499 عن الأسواق"] == "ملخص الخبر رقم 499 كما نشرته الخلاصة."
    assert [r for r in caplog.records if r.name.startswith("trafilatura")] == []
    page_lines = [r.getMessage() for r in caplog.records if "article pages" in r.getMessage()]
    assert page_lines == [
        f"article pages: 0 read, {cap} unusable, 475 not fetched "
        f"(over poll.max_page_fetches_per_feed = {cap}); those keep the feed's text"
    ]
    assert not [
        r for r in caplog.records if "page unusable" in r.getMessage() and r.levelno > logging.DEBUG
    ]
