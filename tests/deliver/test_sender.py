"""Delivery policy over a real outbox (SQLite file) with a hand-written transport fake."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

from digests.clock import utcnow
from digests.deliver.ratelimit import Limit, RateLimiter, Rule, everything, per_chat
from digests.deliver.sender import (
    ChatGone,
    ChatMoved,
    DeliveryError,
    Rejected,
    RetryLater,
    Sender,
    Transient,
)
from digests.store import Store
from digests.store.outbox import Outbox, OutboxMessage
from tests.conftest import other_instance
from tests.support.waiting import until


@dataclass
class FakeTransport:
    """Records what it sent; raises the queued error for a chat once, then accepts."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    errors: dict[str, list[DeliveryError]] = field(default_factory=dict)

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        queued = self.errors.get(chat)
        if queued:
            raise queued.pop(0)
        self.sent.append((chat, payload))
        return str(len(self.sent))


def fast_limiter() -> RateLimiter:
    return RateLimiter(
        (Rule("chat", Limit(1, 0.01), per_chat), Rule("all", Limit(100, 1), everything))
    )


async def setup(store: Store, **kwargs: object) -> tuple[Outbox, FakeTransport, Sender]:
    outbox = store.outbox
    transport = FakeTransport()
    sender = Sender(outbox, {"telegram": transport}, {"telegram": fast_limiter()}, **kwargs)  # type: ignore[arg-type]
    return outbox, transport, sender


async def drain(sender: Sender, rounds: int = 40) -> None:
    """Deliver until five rounds in a row find nothing due (a chat's next part waits out the
    per-chat pace, 10 ms here, in the outbox)."""
    idle = 0
    for _ in range(rounds):
        if await sender.run_once():
            idle = 0
            continue
        idle += 1
        if idle == 5:
            return
        await asyncio.sleep(0.02)


async def test_parts_are_delivered_once_in_order_per_chat(store: Store) -> None:
    outbox, transport, sender = await setup(store)
    now = utcnow()
    await outbox.enqueue("d1", "telegram", "-100", None, "d1|1", ["a1", "a2", "a3"], now)
    await outbox.enqueue("d2", "telegram", "42", None, "d2|1", ["b1", "b2"], now)
    await outbox.enqueue("d1", "telegram", "-100", None, "d1|2", ["a4"], now)

    await drain(sender)

    assert [p for c, p in transport.sent if c == "-100"] == ["a1", "a2", "a3", "a4"]
    assert [p for c, p in transport.sent if c == "42"] == ["b1", "b2"]
    assert await outbox.depth() == 0


async def test_retry_after_waits_and_then_delivers(store: Store) -> None:
    outbox, transport, sender = await setup(store)
    transport.errors["7"] = [RetryLater(0.0)]
    await outbox.enqueue("d", "telegram", "7", None, "k", ["x"], utcnow())

    await drain(sender)

    assert transport.sent == [("7", "x")]


async def test_a_gone_chat_is_dropped_reported_and_never_stalls_others(store: Store) -> None:
    gone: list[tuple[str, str]] = []

    async def on_gone(message: OutboxMessage, error: str) -> None:
        gone.append((message.destination, error))

    outbox, transport, sender = await setup(store, on_gone=on_gone)
    transport.errors["blocked"] = [ChatGone("Forbidden: bot was blocked by the user")]
    now = utcnow()
    await outbox.enqueue("personal", "telegram", "blocked", None, "p", ["1", "2", "3"], now)
    await outbox.enqueue("channel", "telegram", "-1", None, "c", ["ok"], now)

    await drain(sender)

    assert transport.sent == [("-1", "ok")]
    assert gone == [("personal", "Forbidden: bot was blocked by the user")]
    assert await outbox.pending_for("blocked") == []


async def test_a_migrated_chat_gets_the_part_at_its_new_id(store: Store) -> None:
    outbox, transport, sender = await setup(store)
    transport.errors["-5"] = [ChatMoved("-1005")]
    await outbox.enqueue("group", "telegram", "-5", None, "g", ["one", "two"], utcnow())

    await drain(sender)

    assert transport.sent == [("-1005", "one"), ("-1005", "two")]
    # Later digests for the old id follow the move.
    await outbox.enqueue("group", "telegram", "-5", None, "g2", ["three"], utcnow())
    await drain(sender)
    assert transport.sent[-1] == ("-1005", "three")


async def test_rejected_fails_once_and_transient_retries_then_gives_up(store: Store) -> None:
    outbox, transport, sender = await setup(store, max_attempts=2)
    transport.errors["bad"] = [Rejected("Bad Request: can't parse entities")]
    transport.errors["flaky"] = [Transient("timed out"), Transient("timed out")]
    now = utcnow()
    await outbox.enqueue("a", "telegram", "bad", None, "a", ["x", "y"], now)
    await outbox.enqueue("b", "telegram", "flaky", None, "b", ["z"], now)

    await drain(sender)

    failed = [m for m in await _all(outbox, "bad") if m.status == "failed"]
    assert [m.payload for m in failed] == ["x"]
    assert ("bad", "y") in transport.sent  # the next part is not held back by a failed one
    [flaky] = await _all(outbox, "flaky")
    assert (flaky.status, flaky.attempts, flaky.error) == ("pending", 1, "timed out")
    assert flaky.not_before > utcnow()  # backed off
    await _force_due(store, flaky.id)
    await drain(sender)
    [flaky] = await _all(outbox, "flaky")
    assert flaky.status == "failed" and "after 2 attempts" in (flaky.error or "")


async def _force_due(store: Store, id_: int) -> None:
    """Make a backed-off part due now (what waiting out its backoff would do)."""

    from digests.store.schema import outbox as table

    async with store.write() as conn:
        await conn.execute(table.update().where(table.c.id == id_).values(not_before=utcnow()))


async def _all(outbox: Outbox, chat: str) -> list[OutboxMessage]:
    parts = []
    for id_ in range(1, 20):
        message = await outbox.get(id_)
        if message is not None and message.chat == chat:
            parts.append(message)
    return parts


@dataclass
class SlowTransport:
    """Takes ``seconds`` for every send; records each send as it starts."""

    seconds: float
    started: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        self.started.append((chat, payload))
        await asyncio.sleep(self.seconds)
        return str(len(self.started))


async def test_a_slow_send_keeps_its_short_lease_and_a_dead_senders_part_is_taken_over(
    store: Store,
) -> None:
    """Leases are short and renewed while a send is in progress: a slow but live sender keeps
    its part, even from an instance whose clock runs an hour ahead; the part of a sender that
    died is delivered by another instance one short lease later."""
    lease = timedelta(milliseconds=250)
    slow = SlowTransport(0.8)
    mine = Sender(store.outbox, {"telegram": slow}, {"telegram": fast_limiter()}, lease=lease)
    async with other_instance(store) as other_store:
        fast = FakeTransport()
        theirs = Sender(
            other_store.outbox,
            {"telegram": fast},
            {"telegram": fast_limiter()},
            lease=lease,
            clock=lambda: utcnow() + timedelta(hours=1),
        )
        await store.outbox.enqueue("d", "telegram", "-1", None, "k1", ["slow"], utcnow())
        sending = asyncio.create_task(mine.run_once())
        await until(lambda: bool(slow.started))
        while not sending.done():  # three leases long: renewed meanwhile
            assert await theirs.run_once() == 0
            await asyncio.sleep(0.05)
        assert await sending == 1
        assert (slow.started, fast.sent) == ([("-1", "slow")], [])
        [part] = await _all(store.outbox, "-1")
        assert part.status == "sent"

        # A sender killed mid-send: its claim stands, nothing renews it or gives it back.
        await store.outbox.enqueue("d", "telegram", "-2", None, "k2", ["orphan"], utcnow())
        assert len(await store.outbox.claim(utcnow(), limit=10, lease=lease)) == 1
        assert await theirs.run_once() == 0
        await asyncio.sleep(0.35)
        assert await theirs.run_once() == 1
        assert fast.sent == [("-2", "orphan")]


async def test_a_send_cut_short_is_given_back_untried(store: Store) -> None:
    """Shutdown cancels a send still in progress after the grace: the part is pending again,
    due at once for any instance, with no attempt counted; nothing is lost."""
    slow = SlowTransport(30.0)
    outbox = store.outbox
    sender = Sender(outbox, {"telegram": slow}, {"telegram": fast_limiter()})
    await outbox.enqueue("d", "telegram", "-1", None, "k", ["يتأخر"], utcnow())
    delivering = asyncio.create_task(sender.run_once())
    await until(lambda: bool(slow.started))
    delivering.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await delivering
    [part] = await _all(outbox, "-1")
    assert (part.status, part.attempts, part.claimed_until) == ("pending", 0, None)
    assert part.not_before <= utcnow()
