"""Live updates: a story posted alone is edited as more outlets report it, through the outbox,
the rate limiter and the fake Bot API (tests/support/fake_telegram.py); never posted twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.telegram_bot import TelegramTransport
from digests.deliver.queue import digest_key, queue_digest
from digests.deliver.ratelimit import RateLimiter
from digests.deliver.sender import Sender
from digests.deliver.updates import queue_updates
from digests.models import TopicRow
from digests.store import Store
from tests.support.fake_telegram import FakeTelegram, fake_telegram  # noqa: F401  (fixture)
from tests.support.reports import BREAKING_CHANNEL, add_outlets, messages
from tests.support.reports import report as shared_report
from tests.support.transports import CHANNEL, SkippingClock, transport  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

START = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
WINDOW = timedelta(hours=48)
DESTINATION = BREAKING_CHANNEL
REPORTS = {
    "بي بي سي": (
        "زلزال بقوة 6.2 درجات يضرب جنوب تركيا",
        "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر "
        "عن مقتل 12 شخصا وإصابة العشرات بحسب السلطات المحلية.\n\n"
        "وشعر سكان المدن المجاورة بالهزة التي استمرت نحو عشرين ثانية.",
    ),
    "فرانس 24": (
        "تركيا: قتلى وجرحى في زلزال بولاية هطاي",
        "أعلنت هيئة إدارة الكوارث والطوارئ التركية أن زلزالا بقوة 6.2 درجات ضرب ولاية هطاي "
        "جنوبي البلاد فجر الاثنين، وأسفر عن مقتل 15 شخصا.\n\n"
        "وأرسلت الهيئة أكثر من 400 من عناصر الإنقاذ إلى المنطقة المنكوبة.",
    ),
    "سكاي نيوز عربية": (
        "أردوغان يتوعد بإعادة إعمار المناطق المتضررة من زلزال هطاي",
        "ضرب زلزال قوي ولاية هطاي التركية فجر الاثنين وتسبب بانهيار عدد من المباني القديمة.\n\n"
        "وقال الرئيس التركي رجب طيب أردوغان إن الدولة ستعيد بناء كل منزل تضرر، داعيا "
        "المواطنين إلى الابتعاد عن المباني المتصدعة.",
    ),
    "الجزيرة": (
        "ارتفاع حصيلة زلزال هطاي",
        "ارتفعت حصيلة ضحايا زلزال ولاية هطاي التركية إلى 17 قتيلا، بحسب وزارة الداخلية.",
    ),
}


async def report(store: Store, source: str, number: int, story: int | None, when: datetime) -> int:
    """Store one outlet's article of the story (its enrichment joins it to ``story``)."""
    title, text = REPORTS[source]
    return await shared_report(store, source, number, story, when, title, text, topic="turkey")


async def seed(store: Store) -> None:
    await add_outlets(store, REPORTS, [TopicRow("turkey", "تركيا", "Turkey", "country")], START)


async def test_a_growing_story_is_edited_not_posted_again(
    store: Store,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    await seed(store)
    clock = SkippingClock(START)
    sender = Sender(
        store.outbox,
        {"telegram": transport},
        {"telegram": RateLimiter.telegram()},
        clock=lambda: clock.now,
        monotonic=clock.monotonic,
    )
    story = await report(store, "بي بي سي", 1, None, clock.now)
    key = digest_key(DESTINATION, clock.now, breaking=True)
    assert await queue_digest(store, DESTINATION, clock.now, key, breaking=True) == 1
    await sender.run_once()
    [posted] = messages(fake_telegram, "sendMessage")
    assert "12 شخصا" in str(posted["visible_text"])

    # A second outlet, with another death toll: the post is edited to show both, credited.
    await report(store, "فرانس 24", 2, story, clock.advance(2))
    assert await queue_updates(store, DESTINATION, clock.now, window=WINDOW) == 1
    assert await queue_digest(store, DESTINATION, clock.now, "again", breaking=True) == 0
    await sender.run_once()
    [edited] = messages(fake_telegram, "editMessageText")
    assert edited["message_id"] == posted["message_id"]
    text = str(edited["visible_text"])
    assert "12 شخصا" in text and "(بي بي سي)" in text
    assert "15 شخصا" in text and "(فرانس 24)" in text

    # A third outlet three minutes later waits for the ten minutes between edits.
    await report(store, "سكاي نيوز عربية", 3, story, clock.advance(3))
    assert await queue_updates(store, DESTINATION, clock.now, window=WINDOW) == 0
    clock.advance(8)
    assert await queue_updates(store, DESTINATION, clock.now, window=WINDOW) == 1
    await sender.run_once()
    assert len(messages(fake_telegram, "editMessageText")) == 2
    last = str(messages(fake_telegram, "editMessageText")[-1]["visible_text"])
    assert "سكاي نيوز عربية" in last and "أردوغان" in last
    assert await queue_updates(store, DESTINATION, clock.now, window=WINDOW) == 0  # all told

    # The post is deleted in the channel: the next edit is dropped silently.
    fake_telegram.delete_message(CHANNEL, int(str(posted["message_id"])))
    await report(store, "الجزيرة", 4, story, clock.advance(15))
    assert await queue_updates(store, DESTINATION, clock.now, window=WINDOW) == 1
    await sender.run_once()
    assert [r.description for r in fake_telegram.rejected] == [
        "Bad Request: message to edit not found"
    ]
    [dropped] = [m for m in await store.outbox.pending_for(str(CHANNEL))] or [None]
    assert dropped is None  # nothing left waiting, nothing retried
    assert len(messages(fake_telegram, "sendMessage")) == 1  # never a second post
    assert fake_telegram.violations == []


async def test_a_story_outside_the_window_is_left_alone(
    store: Store,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    await seed(store)
    story = await report(store, "بي بي سي", 1, None, START)
    key = digest_key(DESTINATION, START, breaking=True)
    assert await queue_digest(store, DESTINATION, START, key, breaking=True) == 1
    later = START + timedelta(hours=49)
    await report(store, "فرانس 24", 2, story, later)
    assert await queue_updates(store, DESTINATION, later, window=WINDOW) == 0
