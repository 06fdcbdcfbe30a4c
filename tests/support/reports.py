"""Shared pieces of the live-update tests: outlets' reports stored as a poll and the enricher
store them (the entry, its text, its story and topic), and a chat's messages as readers see
them on the Bot API fake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from digests.compose.destination import Destination
from digests.ingest.settings import FeedSettings
from digests.models import Entry, TopicRow
from digests.store import Store
from digests.store.articles import ArticleText
from digests.text.enrich import Enrichment
from tests.support.fake_telegram import FakeTelegram
from tests.support.transports import CHANNEL

BREAKING_CHANNEL = Destination(
    name="channel",
    platform="telegram",
    chat=str(CHANNEL),
    breaking_topics=("turkey",),
    summary_chars=600,
)
"""A Telegram channel whose breaking lane takes stories on Turkey, with room for a brief."""
ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")
"""Removes the bidi isolates the renderer wraps Latin runs and numbers in."""


async def add_outlets(
    store: Store, names: Iterable[str], topics: Iterable[TopicRow], when: datetime
) -> None:
    """One feed per outlet (``https://<index>.example/feed``), and the topics they tag."""
    feeds = [FeedSettings(url=f"https://{i}.example/feed", name=n) for i, n in enumerate(names)]
    await store.feeds.sync_config(feeds, when)
    await store.topics.sync(list(topics), when)


async def report(
    store: Store,
    source: str,
    number: int,
    story: int | None,
    when: datetime,
    title: str,
    text: str,
    *,
    topic: str,
) -> int:
    """Store outlet ``source``'s article ``number`` (published and fetched ``when``) with its
    text and ``topic``; the enrichment joins it to ``story`` (None: a story of its own).
    Returns its id, which is its story's id when it starts one."""
    feed = next(f for f in await store.feeds.all() if f.name == source)
    [new] = await store.articles.insert_entries(
        feed,
        [Entry(f"g{number}", f"https://{number}.example/n", title, when, title, text)],
        when,
        dedup_window=timedelta(hours=1),
    )
    article = new.article.id
    await store.articles.set_texts([ArticleText(article, text, "feed")])
    await store.topics.save_enrichments(
        [Enrichment(article, story or article, topics=((topic, 0.9),))], when
    )
    return article


def messages(fake: FakeTelegram, method: str, chat: int = CHANNEL) -> list[dict[str, object]]:
    """``chat``'s accepted calls of ``method``, their visible text without bidi isolates."""
    return [
        m | {"visible_text": str(m["visible_text"]).translate(ISOLATES)}
        for m in fake.sent(chat)
        if m["method"] == method
    ]
