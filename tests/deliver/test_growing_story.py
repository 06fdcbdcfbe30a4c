"""End to end on the fakes: three outlets' feeds on 127.0.0.1 report the same event at
different times; the channel gets one post, edited as each outlet comes in, never a second one.

Real pieces throughout: the fetcher and parser over the feed server, the enricher (taxonomy
tagging and story clustering), the composer, the outbox, the sender with Telegram's rate
limits, and the Bot API fake (tests/support/fake_telegram.py). Only the scheduler is left out:
the test calls what the service's tick calls, at the times it chooses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.telegram_bot import TelegramTransport
from digests.compose.destination import Destination
from digests.deliver.queue import digest_key, queue_digest
from digests.deliver.ratelimit import RateLimiter
from digests.deliver.sender import Sender
from digests.deliver.updates import queue_updates
from digests.ingest.fetch import Fetcher
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings, PollSettings
from digests.models import Feed
from digests.store import Store
from digests.text.enrich import Enricher, TopicSettings, taxonomy_rows
from digests.text.taxonomy import Taxonomy
from tests.support.fake_telegram import FakeTelegram, fake_telegram  # noqa: F401  (fixture)
from tests.support.feedserver import FeedServer
from tests.support.fixtures import Story, rss
from tests.support.reports import BREAKING_CHANNEL, ISOLATES, messages
from tests.support.transports import CHANNEL, SkippingClock, transport  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
DESTINATION = BREAKING_CHANNEL
OUTLETS = {
    "bbc": (
        "بي بي سي",
        Story(
            "quake",
            "زلزال بقوة 6.2 درجات يضرب ولاية هطاي جنوبي تركيا",
            (
                "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين، "
                "وأسفر عن مقتل 12 شخصا وإصابة العشرات بحسب السلطات المحلية.",
                "وشعر سكان المدن المجاورة بالهزة التي استمرت نحو عشرين ثانية، وخرج كثيرون "
                "إلى الشوارع خوفا من هزات ارتدادية.",
            ),
        ),
    ),
    "france24": (
        "فرانس 24",
        Story(
            "seisme",
            "تركيا: مقتل 15 شخصا في زلزال بقوة 6.2 درجات في ولاية هطاي",
            (
                "أعلنت هيئة إدارة الكوارث والطوارئ التركية أن زلزالا بقوة 6.2 درجات ضرب ولاية "
                "هطاي جنوبي تركيا فجر الاثنين، وأسفر عن مقتل 15 شخصا.",
                "وأرسلت الهيئة أكثر من 400 من عناصر الإنقاذ إلى المنطقة المنكوبة، فيما فتحت "
                "المدارس أبوابها لإيواء الأسر التي تضررت منازلها.",
            ),
        ),
    ),
    "sky": (
        "سكاي نيوز عربية",
        Story(
            "hatay",
            "زلزال بقوة 6.2 درجات يضرب ولاية هطاي التركية وأردوغان يتعهد بإعادة البناء",
            (
                "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين "
                "وتسبب بانهيار عدد من المباني القديمة.",
                "وقال الرئيس التركي رجب طيب أردوغان إن الدولة ستعيد بناء كل منزل تضرر، داعيا "
                "المواطنين إلى الابتعاد عن المباني المتصدعة.",
            ),
        ),
    ),
}


async def wire(
    store: Store,
    feed_server: FeedServer,
    paths: list[str],
    clock: SkippingClock,
    transport: TelegramTransport,  # noqa: F811
) -> tuple[Taxonomy, Sender, dict[str, Feed]]:
    """The outlets at ``paths`` configured as feeds, the taxonomy synced and a sender to the
    Telegram fake, all on ``clock``; the feeds by outlet name."""
    await store.feeds.sync_config(
        [FeedSettings(url=feed_server.url(f"/{p}"), name=OUTLETS[p][0]) for p in paths],
        clock.now,
    )
    taxonomy = Taxonomy.from_toml(TAXONOMY.read_text(encoding="utf-8"))
    await store.topics.sync(taxonomy_rows(taxonomy), clock.now)
    sender = Sender(
        store.outbox,
        {"telegram": transport},
        {"telegram": RateLimiter.telegram()},
        clock=lambda: clock.now,
        monotonic=clock.monotonic,
    )
    return taxonomy, sender, {f.name: f for f in await store.feeds.all()}


async def test_three_outlets_one_post_edited_to_credit_all(
    store: Store,
    feed_server: FeedServer,
    poll_settings: PollSettings,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    clock = SkippingClock(datetime(2026, 11, 28, 9, 30, tzinfo=UTC))
    for path, (name, story) in OUTLETS.items():
        feed_server.add(f"/{path}", rss(feed_server.base, (story,), title=name, guid_prefix=path))
    taxonomy, sender, feeds = await wire(store, feed_server, list(OUTLETS), clock, transport)
    window = TopicSettings().story_window

    async with Fetcher(poll_settings, allow_private=True) as fetcher:
        enricher = Enricher(taxonomy, TopicSettings())
        pipeline = Pipeline(
            store, fetcher, poll_settings, clock=lambda: clock.now, enricher=enricher
        )

        async def outlet_reports(path: str) -> None:
            """The outlet's feed is polled, then the service's tick: breaking lane, updates,
            delivery."""
            outcome = await pipeline.poll_feed(feeds[OUTLETS[path][0]])
            assert outcome.new_articles == 1, outcome
            key = digest_key(DESTINATION, clock.now, breaking=True)
            await queue_digest(store, DESTINATION, clock.now, key, breaking=True)
            await queue_updates(store, DESTINATION, clock.now, window=window)
            await sender.run_once()

        await outlet_reports("bbc")
        [post] = messages(fake_telegram, "sendMessage")
        assert "(بي بي سي)" not in str(post["visible_text"])  # one outlet: nothing to credit

        clock.advance(12)
        await outlet_reports("france24")
        clock.advance(11)
        await outlet_reports("sky")

    assert len(messages(fake_telegram, "sendMessage")) == 1  # one item, never posted again
    edits = messages(fake_telegram, "editMessageText")
    assert [e["message_id"] for e in edits] == [post["message_id"]] * 2
    final = str(edits[-1]["visible_text"])
    for credit in ("(بي بي سي)", "(فرانس 24)", "(سكاي نيوز عربية)"):
        assert credit in final
    assert "12 شخصا" in final and "15 شخصا" in final  # the outlets disagree: both shown
    assert "أيضاً في: فرانس 24، سكاي نيوز عربية" in final
    assert fake_telegram.violations == []
    assert not [r for r in fake_telegram.rejected if r.error_code == 429]


LONG_REPORT = (
    "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر عن "
    "مقتل 12 شخصا وإصابة العشرات بحسب السلطات المحلية التي قالت إن فرق الإنقاذ ما زالت تبحث "
    "عن ناجين تحت أنقاض المباني المنهارة في أنطاكية وإسكندرون والقرى المحيطة بهما.",
    "وقالت هيئة إدارة الكوارث والطوارئ إن الهزة وقعت على عمق عشرة كيلومترات، وتلتها أكثر من "
    "ثلاثين هزة ارتدادية أقواها بلغت 4.8 درجات، ما دفع آلاف السكان إلى قضاء الليل في العراء "
    "وفي السيارات وسط درجات حرارة منخفضة.",
    "وأعلنت وزارة الصحة التركية رفع حالة التأهب في مستشفيات الولاية والولايات المجاورة، "
    "وإرسال مستشفى ميدانيا إلى المنطقة، فيما فتحت المدارس والمساجد أبوابها لإيواء الأسر التي "
    "تضررت منازلها أو تخشى العودة إليها.",
    "وذكرت وسائل إعلام محلية أن عددا من المباني القديمة في وسط أنطاكية انهار بالكامل، وأن "
    "الطرق المؤدية إلى بعض القرى الجبلية أغلقت بسبب الانهيارات الصخرية، ما أعاق وصول فرق "
    "الإنقاذ والمساعدات إليها لساعات.",
    "ويأتي الزلزال بعد نحو ثلاث سنوات من زلزالي فبراير 2023 المدمرين اللذين ضربا جنوب تركيا "
    "وشمال سوريا وأوقعا أكثر من خمسين ألف قتيل، وكانت ولاية هطاي من أكثر المناطق تضررا بهما.",
)


def image_feed(base: str, name: str, guid: str, title: str, paragraphs: tuple[str, ...]) -> str:
    """An RSS document of one item with its full text and an image enclosure."""
    content = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{name}</title><item><title>{title}</title>"
        f"<link>{base}/news/{guid}</link><guid>{guid}</guid>"
        "<pubDate>Sat, 28 Nov 2026 09:00:00 +0000</pubDate>"
        f'<enclosure url="{base}/img/{guid}.jpg" type="image/jpeg" length="2004"/>'
        f"<description>{paragraphs[0]}</description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item></channel></rss>"
    )


async def test_an_image_story_is_a_photo_and_a_long_caption_falls_back_to_text(
    store: Store,
    feed_server: FeedServer,
    poll_settings: PollSettings,
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    clock = SkippingClock(datetime(2026, 11, 28, 9, 30, tzinfo=UTC))
    photos = -1009876543210
    texts = -1001111111111
    fake_telegram.add_chat(photos, "channel", title="صور الأخبار")
    fake_telegram.add_chat(texts, "channel", title="الأخبار المطولة")
    short = Destination(
        name="photos", platform="telegram", chat=str(photos), breaking_topics=("turkey",)
    )
    long = Destination(
        name="long",
        platform="telegram",
        chat=str(texts),
        breaking_topics=("turkey",),
        summary_sentences=6,
        summary_chars=2000,
    )
    bbc_name, bbc = OUTLETS["bbc"]
    f24_name, f24 = OUTLETS["france24"]
    documents = {
        "bbc": image_feed(feed_server.base, bbc_name, "b1", bbc.title, LONG_REPORT),
        "france24": image_feed(feed_server.base, f24_name, "f1", f24.title, f24.paragraphs),
    }
    for path, document in documents.items():
        feed_server.add(f"/{path}", document)
    for guid in ("b1", "f1"):
        feed_server.add(
            f"/img/{guid}.jpg",
            b"\xff\xd8\xff" + b"\0" * 500,
            headers={"Content-Type": "image/jpeg"},
        )
    taxonomy, sender, feeds = await wire(store, feed_server, list(documents), clock, transport)

    async with Fetcher(poll_settings, allow_private=True) as fetcher:
        enricher = Enricher(taxonomy, TopicSettings())
        pipeline = Pipeline(
            store, fetcher, poll_settings, clock=lambda: clock.now, enricher=enricher
        )

        async def tick() -> None:
            for destination in (short, long):
                key = digest_key(destination, clock.now, breaking=True)
                await queue_digest(store, destination, clock.now, key, breaking=True)
                await queue_updates(
                    store, destination, clock.now, window=TopicSettings().story_window
                )
            for _ in range(3):
                await sender.run_once()
                clock.advance(0.1)

        await pipeline.poll_feed(feeds[bbc_name])
        await tick()
        clock.advance(12)
        await pipeline.poll_feed(feeds[f24_name])
        await tick()

    [photo] = [m for m in fake_telegram.sent(photos) if m["method"] == "sendPhoto"]
    assert photo["photo"] == feed_server.url("/img/b1.jpg")
    assert "زلزال" in str(photo["visible_text"])
    [caption] = [m for m in fake_telegram.sent(photos) if m["method"] == "editMessageCaption"]
    assert caption["message_id"] == photo["message_id"]
    # 280 characters leave no room for France 24's sentence: its figure joins the credit.
    assert "(بي بي سي؛ فرانس 24: 15 شخصا)" in str(caption["visible_text"]).translate(ISOLATES)
    assert not [m for m in fake_telegram.sent(photos) if m["method"] == "sendMessage"]

    # The same story told at length does not fit a caption: a text message, then edited.
    sent = [m["method"] for m in fake_telegram.sent(texts)]
    assert sent == ["sendMessage", "editMessageText"]
    assert len(str(fake_telegram.sent(texts)[0]["visible_text"])) > 1024
    assert fake_telegram.violations == []
