"""Lead images: found in the feed (enclosure, media:content, media:thumbnail), checked over the
network (public address, an image type, a size limit) and stored only when they pass."""

from __future__ import annotations

from digests.clock import utcnow
from digests.ingest.extract import extract_article
from digests.ingest.fetch import IMAGE_MAX_BYTES, Fetcher
from digests.ingest.parse import parse_feed
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings, PollSettings
from digests.store import Store
from tests.conftest import Harness
from tests.support.feedserver import FeedServer, Route
from tests.support.internet import PUBLIC, LocalInternet, Resolver

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 2000
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>أخبار</title>
<item><title>زلزال يضرب جنوب تركيا</title><link>{base}/news/1</link><guid>n1</guid>
<enclosure url="{base}/img/quake.jpg" type="image/jpeg" length="2004"/>
<description>ضرب زلزال بقوة 6.2 درجات ولاية هطاي جنوبي تركيا فجر الاثنين.</description></item>
<item><title>أردوغان يتعهد بإعادة البناء</title><link>{base}/news/2</link><guid>n2</guid>
<media:content url="{base}/img/page.html" medium="image"/>
<description>قال الرئيس التركي إن الدولة ستعيد بناء كل منزل تضرر.</description></item>
<item><title>الأمم المتحدة تعرض المساعدة</title><link>{base}/news/3</link><guid>n3</guid>
<enclosure url="{base}/audio.mp3" type="audio/mpeg" length="10"/>
<media:thumbnail url="javascript:alert(1)"/>
<description>دعت الأمم المتحدة إلى تقديم المساعدة للمتضررين من الزلزال.</description></item>
</channel></rss>"""


def test_the_feed_names_each_entry_s_image() -> None:
    base = "https://news.example"
    parsed = parse_feed(FEED.format(base=base).encode(), base + "/rss")
    assert [e.image for e in parsed.entries] == [
        f"{base}/img/quake.jpg",
        f"{base}/img/page.html",  # what media:content claims; the check will say otherwise
        None,  # audio is no image, and a javascript: URL is never one
    ]


async def test_an_image_is_checked_before_it_is_used(
    feed_server: FeedServer, poll_settings: PollSettings
) -> None:
    feed_server.add("/img/quake.jpg", JPEG, headers={"Content-Type": "image/jpeg"})
    feed_server.add("/img/page.html", b"<html></html>", headers={"Content-Type": "text/html"})
    big = b"\0" * (IMAGE_MAX_BYTES + 1)
    feed_server.add("/img/huge.png", big, headers={"Content-Type": "image/png"})
    feed_server.routes["/img/chunked.png"] = Route(omit_length=True)
    feed_server.routes["/img/chunked.png"].answer.body = big
    feed_server.routes["/img/chunked.png"].answer.headers = {"Content-Type": "image/png"}
    async with Fetcher(poll_settings, allow_private=True) as fetcher:
        assert await fetcher.image_problem(feed_server.url("/img/quake.jpg")) is None
        assert await fetcher.image_problem(feed_server.url("/img/page.html")) == (
            "not an image (text/html)"
        )
        assert await fetcher.image_problem(feed_server.url("/img/huge.png")) == "too large"
        assert await fetcher.image_problem(feed_server.url("/img/chunked.png")) == "too large"
        assert await fetcher.image_problem(feed_server.url("/img/missing.jpg")) == "HTTP 404"
        assert await fetcher.image_problem("ftp://news.example/a.jpg") == "not an http(s) URL"
    async with Fetcher(poll_settings) as guarded:  # the default: public addresses only
        problem = await guarded.image_problem(feed_server.url("/img/quake.jpg"))
        assert problem == "private address 127.0.0.1"


async def test_only_a_checked_image_is_stored_with_its_article(harness: Harness) -> None:
    server = harness.server
    server.add("/rss", FEED.format(base=server.base))
    server.add("/img/quake.jpg", JPEG, headers={"Content-Type": "image/jpeg"})
    server.add("/img/page.html", b"<html></html>", headers={"Content-Type": "text/html"})
    await harness.add_feeds("/rss")
    await harness.pipeline.poll_feed(await harness.feed("/rss"))

    stored = await harness.store.articles.recent(limit=10)
    images = {a.title: a.image_url for a in stored}
    assert images == {
        "زلزال يضرب جنوب تركيا": server.url("/img/quake.jpg"),
        "أردوغان يتعهد بإعادة البناء": None,
        "الأمم المتحدة تعرض المساعدة": None,
    }


PAGE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>أخبار</title>
<item><title>فيضانات في الخرطوم</title><link>http://news.example/news/floods</link>
<guid>p1</guid><description>غمرت المياه أحياء في الخرطوم.</description></item>
<item><title>حريق في ميناء عدن</title><link>http://news.example/news/fire</link>
<guid>p2</guid><description>اندلع حريق في ميناء عدن.</description></item>
<item><title>انتخابات بلدية في تونس</title><link>http://news.example/news/vote</link>
<guid>p3</guid><description>بدأ التصويت في تونس.</description></item>
</channel></rss>"""
BODY = (
    "<p>قالت السلطات المحلية إن المياه غمرت مئات المنازل في عدة أحياء من المدينة صباح اليوم،"
    " وإن فرق الإنقاذ تعمل على إجلاء السكان إلى مدارس حكومية تحولت إلى ملاجئ مؤقتة.</p>"
    "<p>وأضافت أن الأمطار الغزيرة التي هطلت طوال الليل فاقت قدرة شبكات الصرف على"
    " استيعابها، وأن الأرصاد تتوقع استمرارها حتى نهاية الأسبوع الجاري.</p>"
)


def page(meta: str) -> bytes:
    """An article page whose <head> carries ``meta``."""
    return (
        f'<html lang="ar"><head><meta charset="utf-8">{meta}<title>خبر</title></head>'
        f"<body><article><h1>خبر</h1>{BODY}</article></body></html>"
    ).encode()


async def test_a_page_s_og_image_is_the_lead_image_when_the_feed_has_none(
    store: Store, feed_server: FeedServer, poll_settings: PollSettings
) -> None:
    """``og:image`` (relative, resolved against the page) and ``twitter:image`` are read from
    the article page and pass the same check as a feed's image: one on a private address and
    one that is no image are refused, and the private one is never connected to."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    feed_server.add("/rss", PAGE_FEED)
    feed_server.add(
        "/news/floods", page('<meta property="og:image" content="/img/lead.jpg">'), headers=html
    )
    feed_server.add(
        "/news/fire",
        page('<meta name="twitter:image" content="http://intranet.example/cam.jpg">'),
        headers=html,
    )
    feed_server.add(
        "/news/vote", page('<meta property="og:image" content="/img/page.html">'), headers=html
    )
    feed_server.add("/img/lead.jpg", JPEG, headers={"Content-Type": "image/jpeg"})
    feed_server.add("/img/page.html", b"<html></html>", headers={"Content-Type": "text/html"})
    feed_server.add("/cam.jpg", JPEG, headers={"Content-Type": "image/jpeg"})  # never reached
    resolver = Resolver({"news.example": [[PUBLIC]], "intranet.example": [["10.0.0.7"]]})
    internet = LocalInternet(feed_server)
    async with Fetcher(poll_settings, resolver=resolver, network=internet) as fetcher:
        await store.feeds.sync_config(
            [FeedSettings(url="http://news.example/rss", name="خارجي")], utcnow()
        )
        [feed] = await store.feeds.all()
        outcome = await Pipeline(store, fetcher, poll_settings).poll_feed(feed)

    assert outcome.error is None
    stored = await store.articles.recent(limit=10)
    assert {a.title: a.image_url for a in stored} == {
        "فيضانات في الخرطوم": "http://news.example/img/lead.jpg",
        "حريق في ميناء عدن": None,  # intranet.example is 10.0.0.7
        "انتخابات بلدية في تونس": None,  # text/html is no image
    }
    assert "10.0.0.7" not in internet.connected
    assert "/cam.jpg" not in [r.path for r in feed_server.requests]


def test_the_page_s_og_image_comes_before_its_twitter_image() -> None:
    both = page(
        '<meta name="twitter:image" content="https://cdn.example/t.jpg">'
        '<meta property="og:image" content="//cdn.example/og.jpg">'
    )
    assert extract_article(both, "https://news.example/a/1").image == "https://cdn.example/og.jpg"
    data_url = page('<meta property="og:image" content="data:image/png;base64,AAAA">')
    assert extract_article(data_url, "https://news.example/a/1").image is None
