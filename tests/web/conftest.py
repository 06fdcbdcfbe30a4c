"""The web archive over a real store: feeds polled and enriched by the real pipeline, digests
queued for three destinations (two public, one not) and the server on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from bot.sections import WebSettings
from bot.web import WebServer
from digests.compose.destination import Destination
from digests.deliver.queue import ConsoleSender, post_digest
from digests.ingest.fetch import Fetcher
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings, PollSettings
from digests.store import Store
from digests.text.enrich import Enricher, taxonomy_rows
from digests.text.taxonomy import Taxonomy
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, Story, rss

TAXONOMY = Taxonomy.from_toml(
    (Path(__file__).parents[2] / "config" / "topics.toml").read_text(encoding="utf-8")
)
NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # 21:00 in Riyadh, 18:00 in London

CHANNEL = Destination(name="channel", platform="telegram", chat="-1001234567890", public=True)
ENGLISH = Destination(
    name="english",
    platform="slack",
    chat="C0123456789",
    language="en",
    timezone="Europe/London",
    public=True,
)
HIDDEN = Destination(name="hidden", platform="telegram", chat="-1009999", public=False)
DESTINATIONS = (CHANNEL, ENGLISH, HIDDEN)

# The satellite launch told by a second outlet in other words (written for these tests).
SATELLITE_AGAIN = Story(
    "satellite-b",
    "صاروخ فالكون 9 يحمل قمرا عربيا جديدا لرصد المناخ إلى مداره",
    (
        "حمل صاروخ Falcon 9 قمرا صناعيا عربيا جديدا لرصد المناخ ودرجات حرارة سطح البحر في "
        "الخليج العربي، وفق ما أعلنت وكالة الفضاء.",
        "ويبلغ وزن القمر 180 كيلوغراما، وسيدور على ارتفاع 550 كيلومترا، على أن يرسل صوره "
        "الأولى خلال أسبوعين، وستتاح بياناته للباحثين في الجامعات العربية.",
    ),
)
# A feed's hostile headline (text that looks like markup, an attribute breaker, a bidi
# override) with a script link.
HOSTILE_TITLE = '<script>alert("x")</script> "><img src=x onerror=alert(1)> \u202eخبر مقلوب & <b>'
HOSTILE_TEXT = (
    "هذا نص خبر كتبه مصدر عدائي <script>document.cookie</script> ليختبر الصفحات، وفيه رابط "
    "javascript:alert(2) ورموز تحكم \u202e في وسطه. ويتابع النص جملة ثانية طويلة بما يكفي كي "
    "يؤخذ نص الخلاصة كاملاً دون جلب الصفحة من الموقع."
)


def hostile_rss(base: str) -> bytes:
    """An RSS item whose headline is ``HOSTILE_TITLE`` as text, with a ``javascript:`` link."""
    content = f"<p>{escape(HOSTILE_TEXT)}</p>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>مصدر عدائي</title><link>{base}/</link><description>x</description>"
        f"<item><title>{escape(escape(HOSTILE_TITLE))}</title><link>javascript:alert(1)</link>"
        '<guid isPermaLink="false">urn:hostile:1</guid>'
        "<pubDate>Sat, 28 Nov 2026 12:00:00 +0000</pubDate>"
        f"<description>{escape(HOSTILE_TEXT)}</description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item></channel></rss>"
    ).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(store: Store, server: FeedServer, settings: PollSettings) -> None:
    """Three outlets polled and enriched by the real pipeline (one story told by two of
    them, one hostile headline), then a digest queued for every destination."""
    server.add("/a", rss(server.base, STORIES, link_path="/a/{slug}"))
    server.add("/b", rss(server.base, (SATELLITE_AGAIN,), link_path="/b/{slug}", guid_prefix="b:"))
    server.add("/c", hostile_rss(server.base))
    await store.topics.sync(taxonomy_rows(TAXONOMY), NOW)
    await store.feeds.sync_config(
        [
            FeedSettings(url=server.url("/a"), name="المصدر أ"),
            FeedSettings(url=server.url("/b"), name="BBC عربي"),
            FeedSettings(url=server.url("/c"), name="مصدر <i>عدائي</i>"),
        ],
        NOW,
    )
    async with Fetcher(settings, allow_private=True) as fetcher:
        enricher = Enricher(TAXONOMY)
        pipeline = Pipeline(store, fetcher, settings, clock=lambda: NOW, enricher=enricher)
        await pipeline.poll_feeds(await store.feeds.all())
    for destination in DESTINATIONS:
        await post_digest(store, destination, ConsoleSender(), NOW, period=NOW)


@dataclass
class Site:
    """The running web archive: its URL, the store under it, and an HTTP client."""

    url: str
    store: Store
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str, CIMultiDictProxy[str]]:
        async with self.http.get(self.url + path, allow_redirects=False) as response:
            return response.status, await response.text(), response.headers


async def start_web(
    store: Store, destinations: tuple[Destination, ...] = DESTINATIONS, **settings: object
) -> WebServer:
    web = WebServer(
        WebSettings(enabled=True, listen="127.0.0.1", port=free_port(), **settings),  # type: ignore[arg-type]
        destinations,
        store,
        clock=lambda: NOW,
    )
    await web.start()
    return web


@pytest.fixture
async def site(
    store: Store, feed_server: FeedServer, poll_settings: PollSettings
) -> AsyncIterator[Site]:
    """A seeded store and the web archive serving it."""
    await seed(store, feed_server, poll_settings)
    web = await start_web(store)
    assert web.url is not None
    async with aiohttp.ClientSession() as http:
        yield Site(web.url, store, http)
    await web.stop()
