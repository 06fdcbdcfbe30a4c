"""Feed-health notices: the pure ``assess`` rules and the monitor against a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digests.ingest.health import FeedHealthMonitor, HealthSettings, assess, duration
from digests.models import Feed, PollOutcome
from digests.store import Store
from digests.store.feeds import FeedUpdate

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
SIX_HOURS = timedelta(hours=6)


def feed(n: int, *, errors: int = 0, success_hours: float | None = 1, paused: bool = False) -> Feed:
    success = NOW - timedelta(hours=success_hours) if success_hours is not None else None
    return Feed(
        id=n,
        url=f"https://f{n}.example/rss",
        name=f"مصدر {n}",
        error_count=errors,
        last_error="HTTP 500" if errors else None,
        last_success_at=success,
        paused=paused,
    )


def outcome(f: Feed, status: str) -> PollOutcome:
    return PollOutcome(f.id, f.name, f.url, status, None, 0, 0.1)


def run(
    feeds: list[Feed],
    outcomes: list[PollOutcome],
    reported: set[int] | None = None,
    created: dict[int, datetime] | None = None,
) -> tuple[list[int], list[int], bool]:
    report = assess(
        feeds,
        outcomes,
        NOW,
        failing_after=SIX_HOURS,
        outage_share=0.8,
        already_reported=reported or set(),
        created=created,
    )
    return [f.id for f in report.newly_failing], [f.id for f in report.recovered], report.outage


def test_a_feed_is_failing_only_after_the_threshold() -> None:
    feeds = [
        feed(1, errors=3, success_hours=7),  # failing for 7 h: reported
        feed(2, errors=3, success_hours=5),  # erroring, not long enough
        feed(3, errors=0, success_hours=30),  # old success but no errors: not failing
        feed(4, errors=9, success_hours=None),  # never succeeded: measured from creation
        feed(5, errors=9, success_hours=None),  # created recently
        feed(6, errors=9, success_hours=48, paused=True),  # paused: never reported
        feed(7, errors=1, success_hours=6),  # exactly at the threshold
    ]
    created = {4: NOW - timedelta(days=2), 5: NOW - timedelta(hours=1)}
    outcomes = [outcome(f, "error" if f.error_count else "ok") for f in feeds[:5]]
    outcomes += [outcome(feeds[5], "paused")] + [outcome(feeds[6], "ok")] * 4
    assert run(feeds, outcomes, created=created) == ([1, 4, 7], [], False)
    # Already reported: not again.
    assert run(feeds, outcomes, {1, 4}, created) == ([7], [], False)


def test_recovery_is_reported_for_reported_feeds_only() -> None:
    feeds = [feed(1), feed(2), feed(3, errors=2, success_hours=10)]
    outcomes = [outcome(f, "ok") for f in feeds[:2]] + [outcome(feeds[2], "error")]
    assert run(feeds, outcomes, {1, 3}) == ([], [1], False)


def test_an_outage_reports_nothing_new() -> None:
    feeds = [feed(n, errors=5, success_hours=12) for n in range(1, 11)]
    outcomes = [outcome(f, "error") for f in feeds]
    newly, recovered, outage = run(feeds, outcomes)
    assert outage and newly == [] and recovered == []
    # 8 of 10 failing is still an outage at 0.8; 7 of 10 is not.
    mixed = [outcome(f, "error") for f in feeds[:8]] + [outcome(f, "ok") for f in feeds[8:]]
    assert run(feeds, mixed)[2]
    fewer = [outcome(f, "error") for f in feeds[:7]] + [outcome(f, "ok") for f in feeds[7:]]
    assert run(feeds, fewer) == ([f.id for f in feeds], [], False)
    # Paused outcomes do not count towards the share.
    paused = [outcome(f, "paused") for f in feeds[3:]]
    assert run(feeds, [*mixed[:2], outcome(feeds[9], "ok"), *paused])[2] is False


def test_fewer_than_three_polled_feeds_are_never_an_outage() -> None:
    feeds = [feed(1, errors=2, success_hours=8), feed(2, errors=2, success_hours=8)]
    outcomes = [outcome(f, "error") for f in feeds]
    assert run(feeds, outcomes) == ([1, 2], [], False)


def test_durations_in_arabic_and_english() -> None:
    assert duration(timedelta(hours=6, minutes=10)) == "6 ساعات"
    assert duration(timedelta(days=2)) == "يومين"
    assert duration(timedelta(days=15)) == "15 يومًا"
    assert duration(timedelta(minutes=1)) == "دقيقة"
    assert duration(timedelta(hours=1), "en") == "1 hour"


async def test_monitor_notifies_once_per_feed_then_recovery(store: Store) -> None:
    created = NOW - timedelta(days=1)
    a = await store.feeds.add("https://a.example/rss", "الجزيرة", created)
    b = await store.feeds.add("https://b.example/rss", "العربية", created)
    c = await store.feeds.add("https://c.example/rss", "بي بي سي", created)
    update = FeedUpdate(next_check_at=NOW)
    for f in (a, b, c):
        await store.feeds.record_success(f.id, NOW - timedelta(hours=10), update)
    messages: list[str] = []

    async def notify(text: str) -> None:
        messages.append(text)

    monitor = FeedHealthMonitor(store, HealthSettings(feed_failing_minutes=360), notify)

    async def fail(*ids: int) -> list[PollOutcome]:
        out = []
        for f in (a, b, c):
            if f.id in ids:
                await store.feeds.record_failure(f.id, NOW, error="HTTP 503", next_check_at=NOW)
                out.append(outcome(f, "error"))
            else:
                await store.feeds.record_success(f.id, NOW, update)
                out.append(outcome(f, "ok"))
        return out

    # a fails (last success 10 h ago): one message.
    await monitor.after_poll(await fail(a.id), NOW)
    assert messages == ["المصدر الجزيرة (رقم 1) يتعطل منذ 10 ساعات: آخر خطأ HTTP 503"]
    assert monitor.reported == {a.id}
    # Still failing: not again.
    await monitor.after_poll(await fail(a.id), NOW)
    assert len(messages) == 1
    # Recovered: the recovery message.
    await monitor.after_poll(await fail(), NOW)
    assert messages[1] == "عاد المصدر الجزيرة (رقم 1) إلى العمل"
    assert monitor.reported == frozenset()

    # Two feeds failing long enough: one batched message.
    later = NOW + timedelta(hours=7)
    await monitor.after_poll(await fail(a.id, b.id), later)
    assert len(messages) == 3
    assert messages[2].startswith("حالة المصادر:\n• المصدر الجزيرة")
    assert "• المصدر العربية (رقم 2) يتعطل منذ 7 ساعات" in messages[2]

    # Another instance (or this one restarted) shares what was reported: nothing is repeated.
    other = FeedHealthMonitor(store, HealthSettings(feed_failing_minutes=360), notify)
    await other.after_poll(await fail(a.id, b.id), later)
    assert len(messages) == 3 and other.reported == {a.id, b.id}

    # A notify that fails is retried after the next pass.
    async def broken(text: str) -> None:
        raise RuntimeError("chat down")

    # (Only c's outcome is passed: three of three failing in one pass would be an outage.)
    retry = FeedHealthMonitor(store, HealthSettings(feed_failing_minutes=360), broken)
    await retry.after_poll((await fail(a.id, b.id, c.id))[2:], later)
    assert retry.reported == {a.id, b.id}  # c was not told: not remembered
    await monitor.after_poll((await fail(a.id, b.id, c.id))[2:], later)
    assert len(messages) == 4 and "بي بي سي" in messages[3]
    assert monitor.reported == {a.id, b.id, c.id}


async def test_monitor_stays_quiet_during_an_outage(store: Store) -> None:
    created = NOW - timedelta(days=1)
    feeds = [await store.feeds.add(f"https://x{n}.example/rss", f"م{n}", created) for n in range(4)]
    outcomes = []
    for f in feeds:
        await store.feeds.record_failure(f.id, NOW, error="connect", next_check_at=NOW)
        outcomes.append(outcome(f, "error"))
    messages: list[str] = []

    async def notify(text: str) -> None:
        messages.append(text)

    monitor = FeedHealthMonitor(store, HealthSettings(), notify)
    report = await monitor.after_poll(outcomes, NOW)
    assert report.outage and messages == [] and monitor.reported == frozenset()
    # After the outage, a feed that still fails alone is reported.
    outcomes = [outcome(feeds[0], "error")]
    await monitor.after_poll(outcomes, NOW)
    assert len(messages) == 1 and "م0" in messages[0]
