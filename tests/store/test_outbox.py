"""The durable outbox on a real SQLite file: idempotent enqueue, strict order per chat, leases."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from digests.clock import utcnow
from digests.errors import AlreadySent
from digests.ingest.settings import FeedSettings
from digests.models import Entry
from digests.store import Store
from digests.store.database import sqlite_url
from digests.store.outbox import Outbox, OutboxMessage, SentStories
from tests.conftest import other_instance

T0 = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def enqueue(
    outbox: Outbox, chat: str, key: str, parts: int = 1, *, when: datetime = T0
) -> bool:
    payloads = [f'{{"text": "{key} {n}"}}' for n in range(1, parts + 1)]
    return await outbox.enqueue(f"telegram:{chat}", "telegram", chat, None, key, payloads, when)


async def claim(outbox: Outbox, when: datetime = T0, limit: int = 100) -> list[OutboxMessage]:
    return await outbox.claim(when, limit=limit, lease=LEASE)


def names(messages: list[OutboxMessage]) -> list[tuple[str, int]]:
    return [(m.digest_key, m.part) for m in messages]


async def test_enqueue_is_idempotent_on_the_digest_key(store: Store) -> None:
    outbox = store.outbox

    assert await enqueue(outbox, "-1", "d|2026-11-29T18:00", parts=2)
    assert not await enqueue(outbox, "-1", "d|2026-11-29T18:00", parts=3)

    assert await outbox.depth() == 2
    waiting = await outbox.pending_for("-1")
    assert [(m.part, m.parts, m.status, m.attempts) for m in waiting] == [
        (1, 2, "pending", 0),
        (2, 2, "pending", 0),
    ]
    assert waiting[0].payload == '{"text": "d|2026-11-29T18:00 1"}'
    assert not waiting[0].is_last and waiting[1].is_last


async def test_enqueue_refuses_nothing_to_send_and_unknown_platforms(store: Store) -> None:
    outbox = store.outbox
    with pytest.raises(ValueError, match="no parts"):
        await outbox.enqueue("d", "telegram", "-1", None, "k", [], T0)
    with pytest.raises(ValueError, match="unknown platform"):
        await outbox.enqueue("d", "whatsapp", "-1", None, "k", ["{}"], T0)
    assert await outbox.depth() == 0


async def _article_id(store: Store) -> int:
    await store.feeds.sync_config([FeedSettings(url="https://a.example/rss", name="a")], T0)
    (feed,) = await store.feeds.all()
    entry = Entry("g1", "https://a.example/1", "خبر", T0, "")
    (new,) = await store.articles.insert_entries(feed, [entry], T0, dedup_window=timedelta(days=1))
    return new.article.id


async def test_sent_stories_commit_with_the_parts_or_not_at_all(store: Store) -> None:
    outbox = store.outbox
    article_id = await _article_id(store)
    sent = SentStories("d", (article_id,))

    # Another digest recorded the story for "d" first: this digest is not queued at all.
    await store.articles.mark_sent("d", [article_id], T0)
    with pytest.raises(AlreadySent):
        await outbox.enqueue("d", "telegram", "-1", None, "k", ["{}", "{}"], T0, sent=sent)
    assert await outbox.depth() == 0

    other = SentStories("e", (article_id,))
    assert await outbox.enqueue("e", "telegram", "-1", None, "k", ["{}"], T0, sent=other)
    assert await outbox.depth() == 1
    assert await store.articles.sent_stories("e", [article_id]) == {article_id}

    # A known digest key changes nothing, its sent records included.
    again = SentStories("f", (article_id,))
    assert not await outbox.enqueue("f", "telegram", "-1", None, "k", ["{}"], T0, sent=again)
    assert await store.articles.sent_stories("f", [article_id]) == set()


async def test_parts_of_one_chat_go_strictly_in_order_across_digests(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "morning", parts=3)
    await enqueue(outbox, "-1", "evening", parts=2)

    order: list[tuple[str, int]] = []
    for tick in range(6):
        claimed = await claim(outbox, at(tick))
        assert len(claimed) <= 1
        for message in claimed:
            order.append((message.digest_key, message.part))
            assert await outbox.mark_sent(message.id, f"m{message.id}", at(tick))

    assert order == [("morning", 1), ("morning", 2), ("morning", 3), ("evening", 1), ("evening", 2)]
    assert await outbox.depth() == 0


async def test_only_one_part_per_chat_is_in_flight(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "k", parts=3)

    (first,) = await claim(outbox)
    assert (first.part, first.status) == (1, "sending")
    assert first.claimed_until is not None and first.claimed_until > utcnow()
    assert await claim(outbox) == []
    assert await claim(outbox, at(29)) == []

    assert await outbox.mark_sent(first.id, "777", at(1))
    (second,) = await claim(outbox, at(1))
    assert second.part == 2


async def test_a_sent_part_paces_its_chat_for_every_claimer(store: Store) -> None:
    """The per-chat pause is kept in the outbox, so another instance claiming the next part
    waits it out too; other chats are not held back."""
    outbox = store.outbox
    await enqueue(outbox, "-1", "k", parts=2)
    await enqueue(outbox, "-2", "other", parts=2)
    first, other = await claim(outbox)

    assert await outbox.mark_sent(first.id, "1", at(1), chat_pause=timedelta(seconds=1))
    assert await outbox.mark_sent(other.id, "2", at(1))
    assert names(await claim(outbox, at(1.5))) == [("other", 2)]
    assert names(await claim(outbox, at(2))) == [("k", 2)]
    assert not await outbox.mark_sent(first.id, "1", at(3), chat_pause=timedelta(seconds=1))


async def test_an_expired_lease_is_claimed_again_after_a_crash(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "k", parts=2)

    # The sender dies before mark_sent; its lease (on the database's clock) runs out.
    (crashed,) = await outbox.claim(T0, limit=100, lease=timedelta(milliseconds=200))
    assert await claim(outbox, at(29)) == []
    await asyncio.sleep(0.3)
    (again,) = await claim(outbox, at(30))

    assert again.id == crashed.id and again.part == 1
    assert crashed.claimed_until is not None and again.claimed_until is not None
    assert again.claimed_until > crashed.claimed_until
    # The first sender comes back late: its outcome still counts once.
    assert await outbox.mark_sent(crashed.id, "1", at(31))
    assert not await outbox.mark_sent(again.id, "2", at(32))
    stored = await outbox.get(crashed.id)
    assert stored is not None
    assert (stored.status, stored.platform_message_id, stored.sent_at) == ("sent", "1", at(31))
    assert stored.claimed_until is None


async def test_retry_waits_for_not_before_and_holds_back_the_chat(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "k", parts=2)
    await enqueue(outbox, "-2", "other")

    first, other = await claim(outbox)
    assert await outbox.retry(first.id, at(60), "429: retry after 60")
    assert await outbox.mark_sent(other.id, "9", T0)

    assert await claim(outbox, at(59)) == []  # part 2 waits behind part 1
    (again,) = await claim(outbox, at(60))
    assert (again.id, again.attempts, again.error) == (first.id, 1, "429: retry after 60")
    assert not await outbox.retry(other.id, at(60), "late")  # sent parts stay sent


async def test_postpone_returns_a_part_without_counting_an_attempt(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "k")

    (message,) = await claim(outbox)
    assert await outbox.postpone(message.id, at(0.5))
    assert await claim(outbox, at(0.4)) == []
    (again,) = await claim(outbox, at(0.5))
    assert (again.id, again.attempts, again.error) == (message.id, 0, None)


async def test_a_failed_part_no_longer_holds_back_its_chat(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "k", parts=2)

    (first,) = await claim(outbox)
    assert await outbox.fail(first.id, "400: message is too long")
    assert not await outbox.fail(first.id, "again")

    (second,) = await claim(outbox)
    assert second.part == 2
    failed = await outbox.get(first.id)
    assert failed is not None
    assert (failed.status, failed.attempts, failed.error) == (
        "failed",
        1,
        "400: message is too long",
    )


async def test_a_deactivated_destination_drops_its_unsent_parts(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "a", parts=2)
    await enqueue(outbox, "-1", "b", parts=2)
    await enqueue(outbox, "-2", "c")

    (first, _) = await claim(outbox)
    assert await outbox.fail(first.id, "403: bot was blocked")
    assert await outbox.drop_destination("telegram:-1", "deactivated: bot was blocked") == 3

    assert await outbox.pending_for("-1") == []
    assert [m.chat for m in await outbox.pending_for("-2")] == ["-2"]


async def test_drop_stale_drops_waiting_parts_only(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = store.outbox
    await outbox.enqueue("slack:news", "slack", "C1", None, "old-in-flight", ["{}"], T0)
    await enqueue(outbox, "-2", "old-crashed", when=T0)
    await enqueue(outbox, "-3", "old-waiting", parts=2, when=T0)
    await enqueue(outbox, "-4", "fresh", when=at(3600))
    (crashed,) = await outbox.claim(at(3500), limit=1, lease=timedelta(0), platform="telegram")
    assert crashed.digest_key == "old-crashed"  # its sender dies; its lease has run out
    (in_flight,) = await outbox.claim(at(3600), limit=1, lease=LEASE, platform="slack")

    with caplog.at_level(logging.WARNING, logger="digests.store.outbox"):
        dropped = await outbox.drop_stale(at(1800))

    assert dropped == 3
    assert "dropped 3 stale parts" in caplog.text
    assert "telegram:-2: 1, telegram:-3: 2" in caplog.text
    assert [m.digest_key for m in await outbox.pending_for("C1")] == ["old-in-flight"]
    assert [m.digest_key for m in await outbox.pending_for("-4")] == ["fresh"]
    assert await outbox.pending_for("-2") == await outbox.pending_for("-3") == []
    dropped_part = await outbox.get(crashed.id)
    assert dropped_part is not None and dropped_part.status == "dropped"
    assert await outbox.drop_stale(at(1800)) == 0
    assert await outbox.mark_sent(in_flight.id, "5", at(3621))


async def test_a_migrated_chat_takes_its_parts_and_future_digests(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "a", parts=2)

    (first,) = await claim(outbox)  # the send answers ChatMigrated(new_chat_id=-1001)
    assert await outbox.rename_chat("-1", "-1001", T0) == 2
    assert await outbox.postpone(first.id, T0)

    (again,) = await claim(outbox)
    assert (again.id, again.chat, again.part) == (first.id, "-1001", 1)
    assert await outbox.pending_for("-1") == []

    await enqueue(outbox, "-1", "b")  # the configuration still names the old id
    assert [m.digest_key for m in await outbox.pending_for("-1001")] == ["a", "a", "b"]

    assert await outbox.rename_chat("-1001", "-1002", at(1)) == 3
    await enqueue(outbox, "-1", "c")
    assert [m.digest_key for m in await outbox.pending_for("-1002")] == ["a", "a", "b", "c"]
    assert await outbox.rename_chat("-1002", "-1002", at(2)) == 0


async def test_one_claim_serves_many_chats_oldest_first(store: Store) -> None:
    outbox = store.outbox
    for chat in range(50):
        await enqueue(outbox, f"-{chat}", f"d{chat}", parts=2)
    await outbox.enqueue("slack:news", "slack", "C1", "1700000000.1", "s", ["{}"], T0)

    few = await claim(outbox, limit=10)
    assert [m.chat for m in few] == [f"-{chat}" for chat in range(10)]

    rest = await claim(outbox)
    assert len(rest) == 41 and {m.part for m in rest} == {1}
    assert len({m.chat for m in few + rest}) == 51
    slack = next(m for m in rest if m.platform == "slack")
    assert (slack.chat, slack.thread, slack.destination) == ("C1", "1700000000.1", "slack:news")


async def test_claim_can_be_restricted_to_one_platform(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "t")
    await outbox.enqueue("slack:news", "slack", "C1", None, "s", ["{}"], T0)

    (only,) = await outbox.claim(T0, limit=10, lease=LEASE, platform="slack")
    assert only.platform == "slack"
    (other,) = await claim(outbox)
    assert other.platform == "telegram"


async def test_concurrent_claimers_never_share_a_part(store: Store) -> None:
    outbox = store.outbox
    for chat in range(20):
        await enqueue(outbox, f"-{chat}", f"d{chat}", parts=3)

    batches = await asyncio.gather(
        *(store.outbox.claim(T0, limit=3, lease=LEASE) for _ in range(10))
    )

    claimed = [m for batch in batches for m in batch]
    assert len(claimed) == 20
    assert len({m.id for m in claimed}) == 20
    assert {m.part for m in claimed} == {1}


async def test_two_stores_on_one_file_never_share_a_part(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "shared.sqlite3")
    first, second = await Store.open(url), await Store.open(url)
    try:
        for chat in range(20):
            await enqueue(first.outbox, f"-{chat}", f"d{chat}", parts=2)
        claimers = [first.outbox, second.outbox] * 5
        batches = await asyncio.gather(*(o.claim(T0, limit=3, lease=LEASE) for o in claimers))
    finally:
        await first.close()
        await second.close()
    claimed = [m.id for batch in batches for m in batch]
    assert len(claimed) == len(set(claimed)) == 20


async def test_metrics_report_depth_and_the_oldest_waiting_part(store: Store) -> None:
    outbox = store.outbox
    assert await outbox.depth() == 0
    assert await outbox.oldest_pending_age(T0) == 0.0

    await enqueue(outbox, "-1", "a", parts=2, when=T0)
    await enqueue(outbox, "-2", "b", when=at(60))
    (message, _) = await claim(outbox, at(60))
    await outbox.mark_sent(message.id, "1", at(61))

    assert await outbox.depth() == 2
    assert await outbox.oldest_pending_age(at(90)) == 90.0


async def test_timestamps_come_back_aware_and_rows_are_plain_sql(store: Store) -> None:
    outbox = store.outbox
    await enqueue(outbox, "-1", "k")
    (message,) = await claim(outbox)
    assert message.created_at == T0 and message.created_at.tzinfo is UTC
    async with store.engine.connect() as conn:
        statuses = (await conn.execute(sa.text("SELECT status FROM outbox"))).scalars().all()
    assert statuses == ["sending"]


# --------------------------------------------------------------------------- leases on the
# database's clock: a claimer's own clock decides only when a pending part is due.

SHORT = timedelta(milliseconds=400)
AN_HOUR = timedelta(hours=1)


async def test_a_live_lease_holds_whatever_the_claimers_clock_says(store: Store) -> None:
    """A claimer whose clock runs an hour ahead cannot take a part another claimer holds."""
    await enqueue(store.outbox, "-1", "k", when=utcnow() - AN_HOUR)
    async with other_instance(store) as other_store:
        (held,) = await store.outbox.claim(utcnow(), limit=10, lease=timedelta(seconds=30))
        assert await other_store.outbox.claim(utcnow() + AN_HOUR, limit=10, lease=LEASE) == []
        assert await other_store.outbox.drop_stale(utcnow() + AN_HOUR) == 0
        stored = await other_store.outbox.get(held.id)
        assert stored is not None and stored.status == "sending"


async def test_an_expired_lease_is_taken_over_whatever_the_claimers_clock_says(
    store: Store,
) -> None:
    """A claimer whose clock runs an hour behind still takes over a lease that ran out."""
    await enqueue(store.outbox, "-1", "k", when=utcnow() - 2 * AN_HOUR)
    async with other_instance(store) as other_store:
        (dead,) = await store.outbox.claim(utcnow(), limit=10, lease=SHORT)
        await asyncio.sleep(SHORT.total_seconds() + 0.1)
        (taken,) = await other_store.outbox.claim(utcnow() - AN_HOUR, limit=10, lease=LEASE)
        assert taken.id == dead.id


async def test_a_renewed_lease_is_kept_and_one_not_renewed_is_taken_over(store: Store) -> None:
    await enqueue(store.outbox, "-1", "k", parts=2)
    async with other_instance(store) as other_store:
        (mine,) = await store.outbox.claim(utcnow(), limit=10, lease=SHORT)
        assert mine.claimed_until is not None
        held = {mine.id: mine.claimed_until}
        for _ in range(3):  # 0.6 s in all: longer than the lease, renewed every 0.2 s
            await asyncio.sleep(0.2)
            held = await store.outbox.renew(held, SHORT)
            assert list(held) == [mine.id]
            assert await other_store.outbox.claim(utcnow() + AN_HOUR, limit=10, lease=LEASE) == []
        await asyncio.sleep(SHORT.total_seconds() + 0.1)  # the sender stops renewing: it died
        (taken,) = await other_store.outbox.claim(utcnow(), limit=10, lease=LEASE)
        assert taken.id == mine.id
        # The late sender's renewal finds the part held by another: it is no longer its own.
        assert await store.outbox.renew(held, SHORT) == {}
        # Given back untried, a part is due again at once, for any claimer.
        assert taken.claimed_until is not None
        assert await other_store.outbox.give_back({taken.id: taken.claimed_until}) == 1
        (again,) = await store.outbox.claim(utcnow(), limit=10, lease=LEASE)
        assert (again.id, again.attempts) == (mine.id, 0)
