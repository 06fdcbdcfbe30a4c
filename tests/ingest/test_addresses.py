"""Private addresses: every fetch is checked at the address it connects to, on every hop.

Scheduled polls, redirects and article pages go through the fetcher's pinned network: the
host is resolved once, a private, loopback, link-local or reserved answer is refused, and the
connection goes to exactly the address that was checked. Real public addresses cannot be
reached here, so ``tests/support/internet.py`` stands in for DNS (``Resolver``) and for the
wire (``LocalInternet``: any address lands on the fixture server, and is recorded). Were a
private address ever connected to, the fixture server would see that request: the tests
assert it never does. The privacy check itself is the product's own (``addresses.is_public``).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from digests.clock import utcnow
from digests.errors import PrivateAddress
from digests.ingest.addresses import is_public
from digests.ingest.fetch import Fetcher
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings, PollSettings
from digests.store import Store
from digests.store.schema import articles
from tests.conftest import DATA
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss
from tests.support.internet import PUBLIC, LocalInternet, Resolver

SETTINGS = PollSettings(timeout_seconds=3, per_host_concurrency=8, full_content_min_chars=150)


async def poll_configured(
    store: Store, fetcher: Fetcher, feeds: list[FeedSettings]
) -> dict[str, str | None]:
    """Sync ``feeds`` as the configuration file would and poll them once; errors by name."""
    await store.feeds.sync_config(feeds, utcnow())
    outcomes = await Pipeline(store, fetcher, SETTINGS).poll_feeds(await store.feeds.all())
    return {o.name: o.error for o in outcomes}


async def texts(store: Store) -> dict[str, tuple[str, str | None]]:
    """Each article's text source and text error, by URL."""
    query = sa.select(articles.c.url, articles.c.text_source, articles.c.text_error)
    async with store.engine.connect() as conn:
        return {row.url: (row.text_source, row.text_error) for row in await conn.execute(query)}


async def test_a_scheduled_poll_of_a_loopback_feed_is_refused_without_the_switch(
    store: Store, feed_server: FeedServer
) -> None:
    feed_server.add("/rss", rss(feed_server.base))
    async with Fetcher(SETTINGS) as fetcher:  # admin.allow_private_feed_urls off (the default)
        errors = await poll_configured(
            store, fetcher, [FeedSettings(url=feed_server.url("/rss"), name="محلي")]
        )

    assert errors["محلي"] == "private: 127.0.0.1 is not a public address"
    assert feed_server.requests == []
    [feed] = await store.feeds.all()
    assert feed.error_count == 1 and feed.last_error == errors["محلي"]  # what feed health shows


async def test_a_redirect_to_a_private_address_is_refused_on_a_scheduled_poll(
    store: Store, feed_server: FeedServer
) -> None:
    feed_server.add("/rss", status=302, headers={"Location": "http://intranet.example/feed.xml"})
    feed_server.add("/feed.xml", rss(feed_server.base))  # must never be reached
    resolver = Resolver({"news.example": [[PUBLIC]], "intranet.example": [["10.0.0.7"]]})
    internet = LocalInternet(feed_server)
    async with Fetcher(SETTINGS, resolver=resolver, network=internet) as fetcher:
        errors = await poll_configured(
            store, fetcher, [FeedSettings(url="http://news.example/rss", name="خارجي")]
        )

    assert errors["خارجي"] == "private: intranet.example resolves to 10.0.0.7, not a public address"
    assert [r.path for r in feed_server.requests] == ["/rss"]
    assert internet.connected == [PUBLIC]
    assert resolver.asked == ["news.example", "intranet.example"]


async def test_article_pages_on_private_addresses_are_refused_and_keep_the_snippet(
    store: Store, feed_server: FeedServer
) -> None:
    """Links inside a feed are fetched under the same check: directly, or after a redirect."""
    seed_page = (DATA / "pages" / "seed" / "page.html").read_bytes()
    feed_server.add("/news/rates", seed_page, headers={"Content-Type": "text/html"})
    feed_server.add(
        "/news/football", status=301, headers={"Location": "http://169.254.169.254/meta"}
    )
    feed_server.add("/meta", "<html><body><p>secret</p></body></html>")  # never reached
    stories = tuple(s for s in STORIES if s.slug in ("rates", "football"))
    body = rss("http://news.example", stories, full_content=False).decode()
    local_page = feed_server.url("/local/page")
    body = body.replace(
        "</channel>",
        f"<item><title>رابط داخلي</title><link>{local_page}</link>"
        "<description>وصف قصير للرابط الداخلي</description></item></channel>",
    )
    feed_server.add("/rss", body)
    resolver = Resolver({"news.example": [[PUBLIC]]})
    internet = LocalInternet(feed_server)
    async with Fetcher(SETTINGS, resolver=resolver, network=internet) as fetcher:
        errors = await poll_configured(
            store, fetcher, [FeedSettings(url="http://news.example/rss", name="خارجي")]
        )

    assert errors == {"خارجي": None}
    by_url = await texts(store)
    assert by_url["http://news.example/news/rates"] == ("page", None)
    assert by_url["http://news.example/news/football"] == (
        "snippet",
        "private: 169.254.169.254 is not a public address",
    )
    assert by_url[local_page] == ("snippet", "private: 127.0.0.1 is not a public address")
    paths = {r.path for r in feed_server.requests}
    assert paths == {"/rss", "/news/rates", "/news/football"}
    assert set(internet.connected) == {PUBLIC}


async def test_a_resolver_that_changes_its_answer_cannot_slip_through(
    store: Store, feed_server: FeedServer
) -> None:
    """DNS rebinding: the name is resolved once per connection, and that checked answer is the
    address connected to; a later connection that resolves to a private address is refused."""
    feed_server.add("/rss", rss(feed_server.base), headers={"Connection": "close"})
    resolver = Resolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    internet = LocalInternet(feed_server)
    async with Fetcher(SETTINGS, resolver=resolver, network=internet) as fetcher:
        first = await fetcher.fetch("http://rebind.example/rss")
        assert first.status == 200 and resolver.asked == ["rebind.example"]
        assert internet.connected == [PUBLIC]  # the checked answer, not a second lookup
        with pytest.raises(PrivateAddress) as refused:
            await fetcher.fetch("http://rebind.example/rss")

    assert (
        str(refused.value) == "private: rebind.example resolves to 127.0.0.1, not a public address"
    )
    assert refused.value.host == "rebind.example" and refused.value.address == "127.0.0.1"
    assert internet.connected == [PUBLIC] and len(feed_server.requests) == 1


async def test_a_configured_feed_may_opt_in_to_a_private_address(
    store: Store, feed_server: FeedServer
) -> None:
    """``allow_private = true`` on one feed reaches it (and its pages) at the resolved address;
    the other feeds stay refused. The names exist only in the injected resolver, so a feed
    that is read was connected to at the address the resolver gave."""
    port = feed_server.base.rsplit(":", 1)[1]
    stories = tuple(s for s in STORIES if s.slug == "rates")
    feed_server.add("/rss", rss(f"http://intranet.test:{port}", stories, full_content=False))
    seed_page = (DATA / "pages" / "seed" / "page.html").read_bytes()
    feed_server.add("/news/rates", seed_page, headers={"Content-Type": "text/html"})
    resolver = Resolver({"intranet.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    feeds = [
        FeedSettings(url=f"http://intranet.test:{port}/rss", name="داخلي", allow_private=True),
        FeedSettings(url=f"http://other.test:{port}/rss", name="آخر"),
    ]
    async with Fetcher(SETTINGS, resolver=resolver) as fetcher:  # the real network
        errors = await poll_configured(store, fetcher, feeds)

    assert errors == {
        "داخلي": None,
        "آخر": "private: other.test resolves to 127.0.0.1, not a public address",
    }
    assert [(r.path, r.headers["host"]) for r in feed_server.requests] == [
        ("/rss", f"intranet.test:{port}"),
        ("/news/rates", f"intranet.test:{port}"),
    ]
    assert (await texts(store))[f"http://intranet.test:{port}/news/rates"] == ("page", None)
    allowed = {f.name: f.allow_private for f in await store.feeds.all()}
    assert allowed == {"داخلي": True, "آخر": False}


async def test_a_feeds_opt_in_covers_its_own_host_only(
    store: Store, feed_server: FeedServer
) -> None:
    """An intranet feed's items are written by others: a link in it to another private host
    (here other.test, on the same loopback server) is refused; the feed itself is read."""
    port = feed_server.base.rsplit(":", 1)[1]
    stories = tuple(s for s in STORIES if s.slug == "rates")
    feed_server.add("/rss", rss(f"http://other.test:{port}", stories, full_content=False))
    seed_page = (DATA / "pages" / "seed" / "page.html").read_bytes()
    feed_server.add("/news/rates", seed_page, headers={"Content-Type": "text/html"})
    resolver = Resolver({"intranet.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    feeds = [FeedSettings(url=f"http://intranet.test:{port}/rss", name="داخلي", allow_private=True)]
    async with Fetcher(SETTINGS, resolver=resolver) as fetcher:
        errors = await poll_configured(store, fetcher, feeds)

    assert errors == {"داخلي": None}
    assert [(r.path, r.headers["host"]) for r in feed_server.requests] == [
        ("/rss", f"intranet.test:{port}")
    ]
    source, error = (await texts(store))[f"http://other.test:{port}/news/rates"]
    assert source != "page"
    assert error is not None and "other.test resolves to 127.0.0.1" in error


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2001:4860:4860::8888", True),
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
        ("10.0.0.7", False),
        ("169.254.169.254", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:7::", False),  # 6to4 of 10.0.0.7
        ("fec0::1", False),  # site-local
        ("fe80::1%eth0", False),
        ("::", False),
        ("0.0.0.0", False),
    ],
)
def test_an_address_is_public_only_when_what_it_reaches_is(address: str, public: bool) -> None:
    assert is_public(address) is public
