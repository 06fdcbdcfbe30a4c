"""Hostile feeds through the real pipeline (fixture server on 127.0.0.1, fetcher, parser, SQLite).

Each test polls the hostile feed together with a good feed and checks the good one is
unaffected. Time and memory are bounded: each poll must finish within a few seconds, and the
endless-body and 100,000-item cases measure their ``tracemalloc`` peak.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler

import pytest

from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.deliver.queue import build_digest
from digests.ingest.fetch import Fetcher
from digests.ingest.parse import MAX_ENTRIES
from digests.ingest.settings import PollSettings
from digests.models import PollOutcome
from digests.render.telegram import render_telegram
from digests.store import Store
from digests.text.enrich import Enrichment
from digests.text.query import index_terms
from digests.text.urls import canonical_url
from tests.conftest import Harness
from tests.support.feedserver import FeedServer, Request
from tests.support.fixtures import STORIES, rss

MB = 1024 * 1024
# C0 controls but \n, DEL, C1 controls, bidi embeddings/overrides/isolates/marks.
BAD_CHARS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PROLOG = '<?xml version="1.0" encoding="utf-8"?>'


def channel(items: str, title: str = "قناة") -> str:
    return f'<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


def item(title: str, link: str, guid: str | None = None, description: str = "") -> str:
    guid_tag = f"<guid>{guid}</guid>" if guid else ""
    return (
        f"<item><title>{title}</title><link>{link}</link>{guid_tag}"
        f"<description>{description}</description></item>"
    )


async def poll(harness: Harness, budget: float = 4.0) -> dict[str, PollOutcome]:
    """Poll every feed once, within ``budget`` seconds; outcomes by feed name."""
    started = time.perf_counter()
    outcomes = await harness.pipeline.poll_feeds(await harness.store.feeds.all())
    assert time.perf_counter() - started < budget
    return {o.name: o for o in outcomes}


async def assert_good_feed_unaffected(harness: Harness, outcomes: dict[str, PollOutcome]) -> None:
    assert (outcomes["good"].status, outcomes["good"].new_articles) == ("ok", 1)
    good = await harness.feed("/good")
    assert good.parse_problem is None and good.error_count == 0
    titles = {a.title for a in await harness.store.articles.recent(feed_id=good.id)}
    assert titles == {STORIES[0].title}


def serve_good(server: FeedServer) -> None:
    server.add("/good", rss(server.base, STORIES[:1], guid_prefix="good:", link_path="/g/{slug}"))


class EndlessServer(FeedServer):
    """A ``FeedServer`` whose ``endless`` paths stream ``<item>``s for up to 8 GB.

    ``endless[path]`` is None for a chunked answer (no length to trust) or the Content-Length,
    in GB, that the answer declares. Either way the client must hang up at its limit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.endless: dict[str, int | None] = {}
        self.sent: dict[str, int] = {}

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path not in self.endless:
            super()._answer(handler)
            return
        with self._lock:
            self.requests.append(Request(handler.path, {}))
        claim_gb = self.endless[handler.path]
        chunked = claim_gb is None
        piece = b"<item><title>x</title></item>" * 2000  # ~58 KB

        def write(data: bytes) -> None:
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)

        sent = 0
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            if chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            else:
                handler.send_header("Content-Length", str(claim_gb * 1024**3))
            handler.end_headers()
            write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>')
            while sent < 8 * 1024**3:  # never reached: the client hangs up first
                write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self._lock:
                self.sent[handler.path] = sent


@pytest.fixture
async def endless_harness(
    store: Store, poll_settings: PollSettings
) -> AsyncIterator[tuple[Harness, EndlessServer]]:
    server = EndlessServer()
    try:
        async with Fetcher(poll_settings, allow_private=True) as fetcher:
            yield Harness(store, fetcher, server, poll_settings), server
    finally:
        server.close()


async def test_entity_declarations_are_refused_and_external_entities_never_fetched(
    harness: Harness,
) -> None:
    server = harness.server
    server.add("/secret", "<rss><channel><title>SECRET</title></channel></rss>")
    lol = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    laughs = f"{PROLOG}<!DOCTYPE rss [{lol}]>" + channel(
        item("&lol9;", server.url("/l/1"))
        + item("خبر سليم بعد الإعلان", server.url("/l/2"), description="نص")
    )
    xxe = (
        f'{PROLOG}<!DOCTYPE rss [<!ENTITY file SYSTEM "file:///etc/passwd">'
        f'<!ENTITY net SYSTEM "{server.url("/secret")}">]>'
        + channel(item("ملف &file; وشبكة &net;", server.url("/x/1")), title="&net;")
    )
    server.add("/laughs", laughs)
    server.add("/xxe", xxe)
    serve_good(server)
    await harness.add_feeds("/laughs", "/xxe", "/good")

    tracemalloc.start()
    try:
        outcomes = await poll(harness, budget=2.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 50 * MB
    assert not server.requests_for("/secret")  # the external entity was never fetched
    for name in ("laughs", "xxe"):
        assert outcomes[name].status == "ok"
        feed = await harness.feed(f"/{name}")
        assert (feed.parse_problem or "").startswith("entity declarations refused")
    stored = await harness.store.articles.recent()
    assert "خبر سليم بعد الإعلان" in {a.title for a in stored}
    everything = " ".join(f"{a.title} {a.snippet} {a.text}" for a in stored)
    assert "lollol" not in everything and "root:" not in everything and "SECRET" not in everything
    await assert_good_feed_unaffected(harness, outcomes)


@pytest.mark.parametrize("claim_gb", [None, 5], ids=["chunked", "declared-5GB"])
async def test_endless_response_is_cut_at_the_limit(
    endless_harness: tuple[Harness, EndlessServer], claim_gb: int | None
) -> None:
    harness, server = endless_harness
    server.endless["/endless"] = claim_gb
    serve_good(server)
    await harness.add_feeds("/endless", "/good")

    tracemalloc.start()
    try:
        outcomes = await poll(harness, budget=3.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert outcomes["endless"].status == "error"
    assert (outcomes["endless"].error or "").startswith("too_large")
    assert peak < 20 * MB  # the limit is 256 KiB: nothing near the GBs on offer was kept
    assert (await harness.feed("/endless")).error_count == 1
    await assert_good_feed_unaffected(harness, outcomes)


async def test_invalid_utf8_in_a_declared_utf8_feed_keeps_the_arabic(harness: Harness) -> None:
    server = harness.server
    body = (
        (PROLOG + '<rss version="2.0"><channel><title>قناة عربية</title>').encode()
        + item("خبر أول سليم", server.url("/u/1")).encode()
        + b"<item><title>\xd8\xae\xd8\xa8\xd8\xb1 \xff\xfe\xc3 \xd8\xab\xd8\xa7\xd9\x86</title>"
        + f"<link>{server.url('/u/2')}</link></item></channel></rss>".encode()
    )
    server.add("/utf8", body)  # the server declares charset=utf-8 too
    serve_good(server)
    await harness.add_feeds("/utf8", "/good")

    outcomes = await poll(harness)

    assert (outcomes["utf8"].status, outcomes["utf8"].new_articles) == ("ok", 2)
    feed = await harness.feed("/utf8")
    assert feed.title == "قناة عربية"  # not windows-1252 mojibake
    assert "invalid UTF-8" in (feed.parse_problem or "")
    titles = {a.title for a in await harness.store.articles.recent()}
    assert {"خبر أول سليم", "خبر \ufffd\ufffd\ufffd ثان"} <= titles
    await assert_good_feed_unaffected(harness, outcomes)


async def digest_text(store: Store) -> str:
    """The Telegram rendering of a digest of every stored article (one story each)."""
    articles = await store.articles.recent()
    await store.topics.save_enrichments(
        [Enrichment(a.id, a.id, topics=(), search_title=index_terms(a.title)) for a in articles],
        utcnow(),
    )
    prepared = await build_digest(store, Destination(name="console", max_items=50), utcnow())
    messages = render_telegram(prepared.digest, language="ar", timezone="Asia/Riyadh")
    return "\n".join(m.text for m in messages)


async def test_controls_and_bidi_overrides_are_removed_from_titles(harness: Harness) -> None:
    server = harness.server
    # U+202E flips the rest of a line; \x01 and \x1b are illegal in XML (read by the loose
    # parser); U+0085 (C1) and U+2066 arrive as character references.
    items = item(
        "عاجل \u202e!ريبك رطخ&#x2066; قصف\x01 المدينة\x1b&#x85;", server.url("/c/1")
    ) + item("<![CDATA[تحذير\u202d من\u200f العاصفة\x07]]>", server.url("/c/2"))
    server.add("/controls", (PROLOG + channel(items, title="قناة\u202e التحكم")).encode())
    serve_good(server)
    await harness.add_feeds("/controls", "/good")

    outcomes = await poll(harness)

    assert outcomes["controls"].status == "ok" and outcomes["controls"].new_articles == 2
    stored = await harness.store.articles.recent()
    titles = {a.title for a in stored}
    assert "عاجل !ريبك رطخ قصف المدينة" in titles
    assert "تحذير من العاصفة" in titles
    assert not any(BAD_CHARS.search(a.title) for a in stored)
    assert (await harness.feed("/controls")).title == "قناة التحكم"
    rendered = await digest_text(harness.store)
    assert "\u202e" not in rendered and "\u202d" not in rendered and "\x01" not in rendered
    assert "عاجل !ريبك رطخ قصف المدينة" in rendered
    await assert_good_feed_unaffected(harness, outcomes)


async def test_terminal_escape_sequences_are_removed_whole(harness: Harness) -> None:
    server = harness.server
    # Raw ESC is illegal in XML (the loose parser reads it); as a reference it is refused too.
    items = item(
        "\x1b[31mعاجل\x1b[0m: زلزال \x1b]0;pwned\x07يضرب الساحل",
        server.url("/e/1"),
        description="&#x1b;[1;33mتفاصيل&#x1b;[m الخبر",
    ) + item("&#x1b;]8;;http://evil.example&#x1b;\\رابط&#x1b;]8;;&#x1b;\\ مخفي", server.url("/e/2"))
    server.add("/ansi", (PROLOG + channel(items)).encode())
    serve_good(server)
    await harness.add_feeds("/ansi", "/good")

    outcomes = await poll(harness)

    assert outcomes["ansi"].new_articles == 2
    by_url = {a.url: a for a in await harness.store.articles.recent()}
    first, second = by_url[server.url("/e/1")], by_url[server.url("/e/2")]
    assert first.title == "عاجل: زلزال يضرب الساحل"
    assert first.snippet == "تفاصيل الخبر"
    assert second.title == "رابط مخفي"
    everything = " ".join(f"{a.title} {a.snippet} {a.text}" for a in by_url.values())
    assert not re.search(r"\[[0-9;]*m|\]0;|\]8;|pwned|evil", everything), everything
    await assert_good_feed_unaffected(harness, outcomes)


async def test_html_and_script_in_titles_and_summaries_become_text(harness: Harness) -> None:
    server = harness.server
    items = (
        item(
            "&lt;b&gt;عاجل&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;زلزال &lt;img src=x "
            "onerror=alert(2)&gt;قوي",
            server.url("/h/1"),
            description="&lt;p&gt;تفاصيل&lt;script&gt;steal()&lt;/script&gt; الخبر&lt;/p&gt;"
            "&lt;iframe src=javascript:alert(3)&gt;&lt;/iframe&gt;",
        )
        # Escaped twice: the publisher means the literal text "<script>", kept as text.
        + item("شرح وسم &amp;lt;script&amp;gt; للمبتدئين", server.url("/h/2"))
    )
    server.add("/html", (PROLOG + channel(items)).encode())
    serve_good(server)
    await harness.add_feeds("/html", "/good")

    outcomes = await poll(harness)

    assert outcomes["html"].new_articles == 2
    by_url = {a.url: a for a in await harness.store.articles.recent()}
    first = by_url[server.url("/h/1")]
    assert first.title == "عاجل زلزال قوي"
    assert "<" not in first.snippet and "steal" not in first.snippet
    assert "تفاصيل الخبر" in first.snippet
    assert "alert" not in f"{first.title} {first.snippet} {first.text}"
    literal = by_url[server.url("/h/2")]
    assert literal.title == "شرح وسم <script> للمبتدئين"
    rendered = await digest_text(harness.store)
    assert "<script" not in rendered.lower() and "<img" not in rendered.lower()
    # The literal text, escaped for Telegram's HTML (the Latin word isolated in the RTL line).
    assert re.search("&lt;\u2068?script\u2069?&gt;", rendered), rendered
    await assert_good_feed_unaffected(harness, outcomes)


async def test_feed_with_100000_items_is_cut_to_the_maximum(
    store: Store, feed_server: FeedServer
) -> None:
    settings = PollSettings(
        timeout_seconds=5, max_response_kb=16 * 1024, fetch_pages=False, per_host_concurrency=8
    )
    base = feed_server.base
    items = "".join(
        f"<item><title>خبر {n}</title><link>{base}/n/{n}</link></item>" for n in range(100_000)
    )
    body = (PROLOG + channel(items)).encode()
    assert len(body) > 5 * MB
    feed_server.add("/huge", body)
    serve_good(feed_server)

    async with Fetcher(settings, allow_private=True) as fetcher:
        harness = Harness(store, fetcher, feed_server, settings)
        await harness.add_feeds("/huge", "/good")
        tracemalloc.start()
        try:
            outcomes = await poll(harness, budget=10.0)  # tracemalloc slows this ~3x
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

        assert peak < 200 * MB
        assert (outcomes["huge"].status, outcomes["huge"].new_articles) == ("ok", MAX_ENTRIES)
        problem = (await harness.feed("/huge")).parse_problem or ""
        assert f"more than {MAX_ENTRIES} entries" in problem
        stored = {a.title for a in await store.articles.recent(limit=MAX_ENTRIES + 10)}
        assert "خبر 0" in stored and f"خبر {MAX_ENTRIES - 1}" in stored
        assert f"خبر {MAX_ENTRIES}" not in stored
        await assert_good_feed_unaffected(harness, outcomes)


@pytest.mark.parametrize(
    "body",
    [
        "</itm></chanel><<<>>>",
        '<rss version="2.0"><channel><item><title>a</title></item></itm></chanel><<<>>>',
        "<rss><channel><item><title>7 ..</title></item><item><title>أ</title></item>"
        "</channel></rss>",
    ],
    ids=["garbage", "garbage-after-an-item", "entries-without-words"],
)
async def test_garbage_stores_nothing_and_the_feed_says_why(harness: Harness, body: str) -> None:
    harness.server.add("/garbage", body)
    serve_good(harness.server)
    await harness.add_feeds("/garbage", "/good")

    outcomes = await poll(harness)

    garbage = await harness.feed("/garbage")
    assert outcomes["garbage"].new_articles == 0
    assert not await harness.store.articles.recent(feed_id=garbage.id)
    if outcomes["garbage"].status == "error":
        assert garbage.state == "failing" and "not a feed" in (garbage.last_error or "")
    else:
        assert garbage.state == "warning"
        assert "with neither a title nor a link skipped" in (garbage.parse_problem or "")
    await assert_good_feed_unaffected(harness, outcomes)


async def test_entries_need_a_word_or_a_link(harness: Harness) -> None:
    server = harness.server
    items = (
        item("خبر", "")  # one Arabic word, no link: kept
        + item("", server.url("/w/1"))  # a link without a title: kept, titled by its link
        + item("أ ب", "")  # single letters, no link: skipped
        + item("a", server.url("/w/2"))  # a link: kept whatever its title
        + item("2026 ...", "")  # no word: skipped
    )
    server.add("/words", (PROLOG + channel(items)).encode())
    await harness.add_feeds("/words")

    outcomes = await poll(harness)

    assert outcomes["words"].new_articles == 3
    stored = {a.title for a in await harness.store.articles.recent()}
    assert stored == {"خبر", server.url("/w/1"), "a"}
    feed = await harness.feed("/words")
    assert feed.state == "warning"
    assert feed.parse_problem == "2 entries with neither a title nor a link skipped"


async def test_duplicate_guids_across_feeds_are_stored_once_per_url(harness: Harness) -> None:
    server = harness.server
    shared = "".join(
        item(f"خبر مشترك {n}", server.url(f"/d/{n}?utm_source=feed"), guid=f"dup-{n}")
        for n in range(3)
    )
    own_a = item("خبر خاص بالمصدر أ", server.url("/a/only"), guid="dup-own")
    own_b = item("خبر خاص بالمصدر ب", server.url("/b/only"), guid="dup-own")
    server.add("/dup-a", (PROLOG + channel(shared + own_a)).encode())
    server.add("/dup-b", (PROLOG + channel(own_b + shared)).encode())
    serve_good(server)
    await harness.add_feeds("/dup-a", "/dup-b", "/good")

    outcomes = await poll(harness)

    assert outcomes["dup-a"].new_articles + outcomes["dup-b"].new_articles == 5
    stored = await harness.store.articles.recent()
    canonical = [canonical_url(a.url) for a in stored]
    assert len(canonical) == len(set(canonical)) == 6  # 3 shared + 2 own + the good one
    titles = [a.title for a in stored]
    assert all(titles.count(f"خبر مشترك {n}") == 1 for n in range(3))
    assert {"خبر خاص بالمصدر أ", "خبر خاص بالمصدر ب"} <= set(titles)
    # Polling both again adds nothing.
    again = await poll(harness)
    assert sum(o.new_articles for o in again.values()) == 0
    await assert_good_feed_unaffected(harness, outcomes)
