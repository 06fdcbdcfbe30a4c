"""Live updates of digest messages that tell several stories: the message (or only the part of
the digest) that tells a grown story is edited, through the outbox, the rate limiter and the
platforms' fakes (tests/support/fake_telegram.py, tests/support/fake_slack.py); nothing is
posted again, and the web archive keeps showing what the chat shows.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_bot import SlackTransport
from bot.telegram_bot import TelegramTransport
from digests.compose.archive import digest_address
from digests.compose.destination import Destination
from digests.deliver.queue import ConsoleSender, post_digest
from digests.deliver.ratelimit import RateLimiter
from digests.deliver.sender import Sender
from digests.deliver.updates import queue_updates
from digests.models import TopicRow
from digests.store import Store
from tests.support.fake_slack import FakeSlack, fake_slack  # noqa: F401  (fixture)
from tests.support.fake_telegram import FakeTelegram, fake_telegram  # noqa: F401  (fixture)
from tests.support.reports import ISOLATES, add_outlets, messages, report
from tests.support.transports import CHANNEL, SkippingClock, transport  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

START = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)  # the digests' scheduled time
WINDOW = timedelta(hours=48)
SLACK_CHANNEL = "C0NEWS0002"
TELEGRAM = Destination(name="channel", platform="telegram", chat=str(CHANNEL))
SLACK = Destination(name="news", platform="slack", chat=SLACK_CHANNEL)
AGENCY, DAILY, RADIO = "وكالة الشرق", "صحيفة النهار الجديد", "إذاعة الوادي"
TOPIC = TopicRow("homeland", "الوطن", "Homeland", "country")

METRO = (
    "افتتاح الخط الثالث لمترو العاصمة بعد أربع سنوات من الأشغال",
    "افتتحت هيئة النقل صباح الأحد الخط الثالث لمترو العاصمة، ويمتد الخط مسافة 22 كيلومترا "
    "ويضم 14 محطة تربط الأحياء الشرقية بوسط المدينة.\n\n"
    "وقالت الهيئة إن القطارات ستعمل من السادسة صباحا حتى منتصف الليل.",
)
RAIN = (
    "أمطار غزيرة تغلق طرقا رئيسية في المحافظات الشمالية",
    "أغلقت السلطات ثلاثة طرق رئيسية في المحافظات الشمالية بعد أمطار غزيرة استمرت طوال الليل، "
    "وعلقت الدراسة في 40 مدرسة.\n\n"
    "ودعت مديرية الدفاع المدني السكان إلى الابتعاد عن مجاري الأودية.",
)
RAIN_DAILY = (
    "تعليق الدراسة في المحافظات الشمالية بسبب السيول",
    "قررت وزارة التربية تعليق الدراسة في 55 مدرسة بالمحافظات الشمالية بعد سيول جرفت عددا من "
    "السيارات.\n\n"
    "وقال وزير الأشغال إن فرق الصيانة تعمل على فتح الطرق المغلقة قبل مساء الاثنين.",
)
RAIN_RADIO = (
    "الدفاع المدني ينقذ عائلة حاصرتها السيول في قرية جبلية",
    "أنقذت فرق الدفاع المدني عائلة من خمسة أفراد حاصرتها السيول في قرية جبلية شمال البلاد.\n\n"
    "وأكد متحدث باسم الدفاع المدني أن الفرق ستبقى في حالة تأهب حتى انتهاء المنخفض الجوي.",
)
FINAL = (
    "المنتخب الوطني يتأهل إلى نهائي كأس العرب",
    "تأهل المنتخب الوطني لكرة القدم إلى نهائي كأس العرب بعد فوزه على منافسه بهدفين مقابل هدف "
    "في مباراة نصف النهائي.\n\n"
    "وسجل لاعب الوسط هدفي المنتخب في الشوط الثاني.",
)


async def three_stories(store: Store) -> int:
    """The metro (the agency), the rain (the agency) and the final (the radio), reported in
    the hour before the digest; returns the rain story's id."""
    await add_outlets(store, (AGENCY, DAILY, RADIO), [TOPIC], START - timedelta(hours=1))
    await report(store, AGENCY, 1, None, START - timedelta(minutes=50), *METRO, topic="homeland")
    rain = await report(
        store, AGENCY, 2, None, START - timedelta(minutes=40), *RAIN, topic="homeland"
    )
    await report(store, RADIO, 3, None, START - timedelta(minutes=30), *FINAL, topic="homeland")
    return rain


def block_of(text: str, title: str) -> str:
    """The item of ``text`` headed by ``title`` (items are separated by a blank line)."""
    [block] = [b for b in text.split("\n\n") if title in b]
    return block


def numbered(text: str, number: int) -> str:
    """Item ``number`` of ``text`` (with its section heading when it opens a section)."""
    [block] = [
        b
        for b in text.split("\n\n")
        if any(line.startswith(f"{number}. ") for line in b.split("\n"))
    ]
    return block


def meta(blocks: list[dict[str, Any]], block_id: str) -> str:
    """The text of a Slack context block (an item's source, credits and tags)."""
    [block] = [b for b in blocks if b["block_id"] == block_id]
    return " ".join(str(e["text"]) for e in block["elements"]).translate(ISOLATES)


def telegram_sender(telegram: TelegramTransport, clock: SkippingClock, store: Store) -> Sender:
    return Sender(
        store.outbox,
        {"telegram": telegram},
        {"telegram": RateLimiter.telegram()},
        clock=lambda: clock.now,
        monotonic=clock.monotonic,
    )


def slack_sender(fake: FakeSlack, clock: SkippingClock, store: Store) -> Sender:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
    return Sender(
        store.outbox,
        {"slack": SlackTransport(client)},
        {"slack": RateLimiter.slack()},
        clock=lambda: clock.now,
        monotonic=clock.monotonic,
    )


async def test_a_digest_message_of_three_stories_is_edited_when_one_grows(
    store: Store,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    rain = await three_stories(store)
    clock = SkippingClock(START)
    sender = telegram_sender(transport, clock, store)
    console = ConsoleSender()
    assert await post_digest(store, TELEGRAM, console, clock.now, period=START) == 3
    await sender.run_once()
    [posted] = messages(fake_telegram, "sendMessage")
    first = str(posted["visible_text"])
    assert "أيضاً" not in first

    # A daily reports the rain twenty minutes later: the message is edited, nothing posted.
    await report(store, DAILY, 4, rain, clock.advance(20), *RAIN_DAILY, topic="homeland")
    assert await queue_updates(store, TELEGRAM, clock.now, window=WINDOW) == 1
    assert await post_digest(store, TELEGRAM, console, clock.now, period=clock.now) == 0
    await sender.run_once()
    [edited] = messages(fake_telegram, "editMessageText")
    assert edited["message_id"] == posted["message_id"]
    text = str(edited["visible_text"])
    rain_block = block_of(text, RAIN[0])
    assert f"أيضاً في: {DAILY}" in rain_block
    assert f"({AGENCY})" in rain_block and "55 مدرسة" in rain_block  # the brief credits both
    for title in (METRO[0], FINAL[0]):  # the other stories are told as they were
        assert block_of(text, title) == block_of(first, title)
    assert "3 أخبار" in text

    # The radio reports it three minutes later: that waits for ten minutes between edits.
    await report(store, RADIO, 5, rain, clock.advance(3), *RAIN_RADIO, topic="homeland")
    assert await queue_updates(store, TELEGRAM, clock.now, window=WINDOW) == 0
    await sender.run_once()
    assert len(messages(fake_telegram, "editMessageText")) == 1
    clock.advance(8)
    assert await queue_updates(store, TELEGRAM, clock.now, window=WINDOW) == 1
    await sender.run_once()
    last = str(messages(fake_telegram, "editMessageText")[-1]["visible_text"])
    assert f"أيضاً في: {DAILY}، {RADIO}" in block_of(last, RAIN[0])
    assert await queue_updates(store, TELEGRAM, clock.now, window=WINDOW) == 0  # all told

    # The archive's page shows what the channel shows.
    archived = await store.archive.find(digest_address(TELEGRAM, START))
    assert archived is not None
    [item] = [i for i in archived.digest.items if i.title == RAIN[0]]
    assert {link.source for link in item.also_reported_by} == {DAILY, RADIO}
    assert len(messages(fake_telegram, "sendMessage")) == 1
    assert fake_telegram.violations == []
    assert not [r for r in fake_telegram.rejected if r.error_code == 429]


PLACES = (
    "حي الزهور",
    "حي النخيل",
    "حي السلام",
    "حي الربيع",
    "حي الياسمين",
    "حي الفردوس",
    "حي الورود",
    "حي الأندلس",
    "حي الشروق",
    "حي الروضة",
    "حي المروج",
    "حي الصفا",
    "حي المنار",
    "حي الريان",
    "حي الهدى",
    "حي الرمال",
    "حي البساتين",
    "حي الواحة",
)
FACILITIES = ("مكتبة عامة جديدة", "حديقة جديدة للأطفال", "مركز صحي جديد", "ملعب رياضي جديد")


def opening(index: int) -> tuple[str, str]:
    """Story ``index``: the town hall opens a facility in a neighbourhood."""
    place, facility = PLACES[index], FACILITIES[index % len(FACILITIES)]
    return (
        f"افتتاح {facility} في {place}",
        f"افتتحت البلدية {facility} في {place} بتكلفة بلغت {120 + index * 15} ألف دينار، "
        f"وقالت إنها ستخدم نحو {3 + index} آلاف من السكان.\n\n"
        f"وأضافت البلدية أن أعمال التجهيز استغرقت {index % 5 + 4} أشهر، وأن المشروع جزء من "
        "خطة لتطوير الأحياء القديمة في المدينة.",
    )


def follow_up(index: int) -> tuple[str, str]:
    """Another outlet's report of story ``index``, with a fact of its own."""
    place, facility = PLACES[index], FACILITIES[index % len(FACILITIES)]
    return (
        f"البلدية تفتح أبواب {facility} في {place}",
        "قال رئيس البلدية خلال حفل الافتتاح إن المشروع سيفتح أبوابه يوميا من التاسعة صباحا، "
        f"وإن {20 + index} موظفا جديدا سيعملون فيه.",
    )


async def openings(store: Store, count: int) -> list[int]:
    """The first ``count`` openings, one every ten minutes before the digest, from the agency
    and the daily in turn (the oldest first); their story ids."""
    await add_outlets(store, (AGENCY, DAILY), [TOPIC], START - timedelta(hours=3))
    return [
        await report(
            store,
            (AGENCY, DAILY)[index % 2],
            index + 1,
            None,
            START - timedelta(minutes=10 * (count - index)),
            *opening(index),
            topic="homeland",
        )
        for index in range(count)
    ]


async def test_a_digest_in_two_parts_edits_only_the_part_of_the_grown_story(
    store: Store,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    stories = await openings(store, 16)
    clock = SkippingClock(START)
    sender = telegram_sender(transport, clock, store)
    assert await post_digest(store, TELEGRAM, ConsoleSender(), clock.now, period=START) == 16
    for _ in range(2):
        await sender.run_once()
        clock.advance(0.1)
    first, second = messages(fake_telegram, "sendMessage")
    oldest = opening(0)[0]
    assert oldest in str(second["visible_text"]) and oldest not in str(first["visible_text"])

    # The daily, already among the digest's sources, reports the oldest story too: only the
    # second message changes.
    await report(store, DAILY, 40, stories[0], clock.advance(30), *follow_up(0), topic="homeland")
    assert await queue_updates(store, TELEGRAM, clock.now, window=WINDOW) == 1
    await sender.run_once()
    [edited] = messages(fake_telegram, "editMessageText")
    assert edited["message_id"] == second["message_id"]
    assert f"أيضاً في: {DAILY}" in numbered(str(edited["visible_text"]), 16)

    assert len(messages(fake_telegram, "sendMessage")) == 2
    assert fake_telegram.violations == []


async def test_a_digest_that_would_need_another_message_is_not_edited(
    store: Store,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    roomy = dataclasses.replace(TELEGRAM, summary_chars=600)
    stories = await openings(store, 13)
    clock = SkippingClock(START)
    sender = telegram_sender(transport, clock, store)
    assert await post_digest(store, roomy, ConsoleSender(), clock.now, period=START) == 13
    await sender.run_once()
    assert len(messages(fake_telegram, "sendMessage")) == 1  # 13 stories just fit one message

    # A long report of the oldest story: its brief no longer leaves room for the last item.
    long_title, _ = follow_up(0)
    long_text = (
        "قال رئيس البلدية خلال حفل الافتتاح إن المكتبة ستفتح أبوابها يوميا من التاسعة صباحا "
        "حتى العاشرة مساء، وإن 30 موظفا جديدا سيعملون فيها، وإنها تضم أكثر من 25 ألف كتاب "
        "باللغتين العربية والإنجليزية، إلى جانب قاعة للمطالعة تتسع لمئة وعشرين قارئا وركن خاص "
        "بكتب الأطفال ومختبر للحاسوب يضم 40 جهازا متاحا لطلاب المدارس مجانا طوال أيام الأسبوع، "
        "على أن تنظم فيها أمسيات ثقافية شهرية بالتعاون مع اتحاد الكتاب."
    )
    await report(
        store, DAILY, 40, stories[0], clock.advance(30), long_title, long_text, topic="homeland"
    )
    with caplog.at_level(logging.INFO, logger="digests.deliver.updates"):
        assert await queue_updates(store, roomy, clock.now, window=WINDOW) == 0
        assert await queue_updates(store, roomy, clock.advance(15), window=WINDOW) == 0
    updates = [r for r in caplog.records if r.name == "digests.deliver.updates"]
    assert [r.getMessage() for r in updates] == [
        "channel|digest|2026-12-06T06:00 not edited: its update takes 2 messages, not 1"
    ]  # said once: the report is recorded as sent, the digest is not rebuilt at every pass
    await sender.run_once()
    assert [m["method"] for m in fake_telegram.sent(CHANNEL)] == ["sendMessage"]
    archived = await store.archive.find(digest_address(roomy, START))
    assert archived is not None and not any(i.also_reported_by for i in archived.digest.items)


async def test_slack_updates_a_digest_message_of_three_stories(
    store: Store,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    rain = await three_stories(store)
    clock = SkippingClock(START)
    sender = slack_sender(fake_slack, clock, store)
    assert await post_digest(store, SLACK, ConsoleSender(), clock.now, period=START) == 3
    await sender.run_once()
    [posted] = fake_slack.posted(SLACK_CHANNEL)

    await report(store, DAILY, 4, rain, clock.advance(20), *RAIN_DAILY, topic="homeland")
    assert await queue_updates(store, SLACK, clock.now, window=WINDOW) == 1
    await sender.run_once()
    [update] = fake_slack.updated(SLACK_CHANNEL)
    assert update["ts"] == posted["ts"]
    before, after = (meta(m["blocks"], "item-2-meta") for m in (posted, update))
    assert "أيضاً في" not in before and "أيضاً في" in after and DAILY in after
    unchanged = [b for b in update["blocks"] if b["block_id"] in ("item-1", "item-3")]
    assert unchanged == [b for b in posted["blocks"] if b["block_id"] in ("item-1", "item-3")]
    assert len(fake_slack.posted(SLACK_CHANNEL)) == 1  # never a new message
    assert not [r for r in fake_slack.rejected if r.get("error") == "ratelimited"]


async def test_slack_keeps_the_pace_per_message_of_a_digest_in_two_parts(
    store: Store,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    stories = await openings(store, len(PLACES))
    clock = SkippingClock(START)
    fake_slack.clock = clock.monotonic  # the fake's rate limit counts the test's time
    sender = slack_sender(fake_slack, clock, store)
    assert await post_digest(store, SLACK, ConsoleSender(), clock.now, period=START) == 18
    for _ in range(2):
        await sender.run_once()
        clock.advance(0.1)
    first, second = (str(m["blocks"]) for m in fake_slack.posted(SLACK_CHANNEL))
    ts = [m["ts"] for m in fake_slack.posted(SLACK_CHANNEL)]
    assert opening(0)[0] in second and opening(1)[0] in second  # the oldest close the digest
    assert opening(17)[0] in first

    async def follow(source: str, number: int, index: int, minutes: float) -> int:
        """``source`` reports story ``index`` ``minutes`` later; the update pass; delivery."""
        title, text = follow_up(index)
        when = clock.advance(minutes)
        await report(store, source, number, stories[index], when, title, text, topic="homeland")
        queued = await queue_updates(store, SLACK, clock.now, window=WINDOW)
        await sender.run_once()
        return queued

    def updated() -> list[str]:
        return [m["ts"] for m in fake_slack.updated(SLACK_CHANNEL)]

    assert await follow(DAILY, 40, 0, 30) == 1  # the second message is edited
    assert updated() == [ts[1]]
    assert await follow(AGENCY, 41, 17, 3) == 1  # the first one was not: edited at once
    assert updated() == [ts[1], ts[0]]
    assert await follow(AGENCY, 42, 1, 3) == 0  # the second one was, 6 minutes ago: it waits
    clock.advance(5)
    assert await queue_updates(store, SLACK, clock.now, window=WINDOW) == 1
    await sender.run_once()
    assert updated() == [ts[1], ts[0], ts[1]]
    last = str(fake_slack.updated(SLACK_CHANNEL)[-1]["blocks"])
    assert DAILY in last and AGENCY in last and opening(1)[0] in last
    assert len(fake_slack.posted(SLACK_CHANNEL)) == 2
    assert not [r for r in fake_slack.rejected if r.get("error") == "ratelimited"]
