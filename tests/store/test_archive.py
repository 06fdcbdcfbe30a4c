"""The web archive's store: a digest is archived with its parts, in their transaction, once
per address, exactly as composed; and the reads of the web pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digests.compose.archive import archive_link, digest_address
from digests.compose.destination import Destination
from digests.deliver.queue import ArchiveSlot, queue_digest
from digests.errors import AlreadySent
from digests.ingest.settings import FeedSettings
from digests.models import Digest, DigestItem, DigestSection, Entry, Link, TopicRef, TopicRow
from digests.store import Store
from digests.store.archive import ArchiveRecord, digest_from_json, digest_to_json
from digests.store.outbox import SentStories
from digests.text.enrich import Enrichment

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
CHANNEL = Destination(name="channel", platform="telegram", chat="-100123", public=True)

DIGEST = Digest(
    destination="channel",
    created_at=NOW,
    kind="breaking",
    note="ملاحظة",
    sections=(
        DigestSection(
            TopicRef("economy", "اقتصاد"),
            (
                DigestItem(
                    7,
                    'عنوان <script>"x"</script> & \u202e SpaceX 4.5%',
                    "https://news.example/7?a=1&b=2",
                    "BBC عربي",
                    NOW - timedelta(hours=2),
                    "سطر أول.\nسطر ثانٍ 😀",
                    also_reported_by=(Link("تقرير", "https://b.example/1", "الجزيرة"),),
                    topics=(TopicRef("economy", "اقتصاد"), TopicRef("kp-1a2b", "سيف العدل")),
                    related=(Link("سابق", "https://c.example/2", "العربية"),),
                ),
            ),
        ),
        DigestSection(None, ()),
    ),
)


def test_a_digest_is_kept_exactly_as_composed() -> None:
    assert digest_from_json(digest_to_json(DIGEST)) == DIGEST


def test_addresses_follow_the_destinations_clock_and_links_need_public_and_a_base() -> None:
    address = digest_address(CHANNEL, NOW)  # 21:00 in Riyadh
    assert (address.day, address.slot, address.path) == (
        "2026-11-29",
        "21-00",
        "/d/channel/2026-11-29/21-00",
    )
    late = digest_address(CHANNEL, datetime(2026, 11, 29, 22, 30, tzinfo=UTC), breaking=True)
    assert (late.day, late.slot) == ("2026-11-30", "01-30-breaking")
    base = "https://news.example/archive/"
    assert archive_link(base, CHANNEL, address) == (
        "https://news.example/archive/d/channel/2026-11-29/21-00"
    )
    assert archive_link(None, CHANNEL, address) is None
    private = Destination(name="channel", platform="telegram", chat="-100123")
    assert archive_link(base, private, address) is None


async def two_articles(store: Store) -> list[int]:
    await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="أ")], NOW)
    [feed] = await store.feeds.all()
    created = await store.articles.insert_entries(
        feed,
        [
            Entry(str(n), f"https://a.example/{n}", f"خبر رقم {n} عن الاقتصاد", NOW, "")
            for n in range(2)
        ],
        NOW,
        dedup_window=timedelta(hours=1),
    )
    return [c.article.id for c in created]


async def test_a_digest_is_archived_in_the_transaction_that_queues_it(store: Store) -> None:
    ids = await two_articles(store)
    record = ArchiveRecord(digest_address(CHANNEL, NOW), NOW, DIGEST)
    outbox = store.outbox
    queued = await outbox.enqueue(
        "channel",
        "telegram",
        "-100123",
        None,
        "k1",
        ['{"text": "x"}'],
        NOW,
        sent=SentStories("channel", (ids[0],)),
        archive=record,
    )
    assert queued
    # The same key again, or the same story again under another key: nothing more archived.
    assert not await outbox.enqueue(
        "channel", "telegram", "-100123", None, "k1", ["{}"], NOW, archive=record
    )
    other = ArchiveRecord(digest_address(CHANNEL, NOW + timedelta(hours=1)), NOW, DIGEST)
    with pytest.raises(AlreadySent):
        await outbox.enqueue(
            "channel",
            "telegram",
            "-100123",
            None,
            "k2",
            ["{}"],
            NOW,
            sent=SentStories("channel", (ids[0],)),
            archive=other,
        )
    entries, total = await store.archive.page("channel", page=1, per_page=20)
    assert total == 1 and [e.slot for e in entries] == ["21-00"]
    assert entries[0].headlines == (DIGEST.items[0].title,) and entries[0].kind == "breaking"
    found = await store.archive.find(record.address)
    assert found is not None and found.digest == DIGEST
    assert await store.archive.find(other.address) is None


async def test_an_edit_replaces_the_archived_digest_with_its_sent_records(store: Store) -> None:
    ids = await two_articles(store)
    address = digest_address(CHANNEL, NOW)
    await store.archive.record(ArchiveRecord(address, NOW, DIGEST))
    [item] = DIGEST.items
    grown = replace(
        DIGEST,
        sections=(DigestSection(DIGEST.sections[0].topic, (replace(item, title="عنوان أحدث"),)),),
    )
    edit = ArchiveRecord(address, NOW + timedelta(hours=5), grown, replace=True)
    queue = ("channel", "telegram", "-100123", None)
    assert await store.outbox.enqueue(
        *queue, "e1", ["{}"], NOW, sent=SentStories("channel", (ids[0],)), archive=edit
    )
    found = await store.archive.find(address)
    assert found is not None and found.digest == grown
    assert found.entry.headlines == ("عنوان أحدث",) and found.entry.scheduled_at == NOW
    # An edit whose articles were sent meanwhile changes nothing, the archive included.
    with pytest.raises(AlreadySent):
        await store.outbox.enqueue(
            *queue,
            "e2",
            ["{}"],
            NOW,
            sent=SentStories("channel", (ids[0],)),
            archive=ArchiveRecord(address, NOW, DIGEST, replace=True),
        )
    assert (found := await store.archive.find(address)) is not None and found.digest == grown
    # Nothing archived at an address: nothing to replace.
    elsewhere = digest_address(CHANNEL, NOW + timedelta(days=1))
    assert not await store.archive.record(ArchiveRecord(elsewhere, NOW, grown, replace=True))
    assert await store.archive.find(elsewhere) is None


async def test_queue_digest_archives_a_digest_with_stories_and_links_to_it(store: Store) -> None:
    await two_articles(store)
    address = digest_address(CHANNEL, NOW)
    link = archive_link("https://news.example", CHANNEL, address)
    slot = ArchiveSlot(address, NOW, link)
    assert await queue_digest(store, CHANNEL, NOW, "channel|digest|1", archive=slot) == 2
    [part] = await store.outbox.pending_for("-100123")
    assert 'href=\\"https://news.example/d/channel/2026-11-29/21-00\\"' in part.payload
    archived = await store.archive.find(address)
    assert archived is not None and len(archived.digest.items) == 2
    # Nothing new: nothing queued, nothing archived (the no-news line is not archived).
    quiet = Destination(name="channel", platform="telegram", chat="-100123", empty_digest="notice")
    later = ArchiveSlot(digest_address(quiet, NOW + timedelta(hours=1)), NOW, link)
    assert await queue_digest(store, quiet, NOW, "channel|digest|2", archive=later) == 0
    assert await store.archive.find(later.address) is None
    assert (await store.archive.latest(["channel", "other"])).keys() == {"channel"}


async def test_a_story_is_read_by_its_id_and_a_topic_counts_each_story_once(store: Store) -> None:
    first, second = await two_articles(store)
    # The second article joins the first one's story; both carry the topic.
    await store.topics.sync([TopicRow("economy", "اقتصاد", "Economy", "theme")], NOW)
    await store.topics.save_enrichments(
        [
            Enrichment(first, first, topics=(("economy", 0.9),)),
            Enrichment(second, first, topics=(("economy", 0.8),)),
        ],
        NOW,
    )
    assert [a.id for a in await store.archive.story(first)] == [first, second]
    assert await store.archive.story(second) == []  # not a story of its own any more
    assert await store.archive.stories_of([first, second, 999]) == {first: first, second: first}
    starts = await store.archive.topic_story_starts("economy", NOW - timedelta(days=1))
    assert starts == [NOW]
    [line] = await store.archive.topic_stories("economy", limit=5)
    assert line.story_id == first
    assert (await store.archive.topic("economy")) is not None
    assert await store.archive.topic("nothing") is None
