"""Chat commands against a real SQLite store (and a real HTTP server on 127.0.0.1 for feeds).

Every command in Arabic and English, Arabic input in its spelling variants, admin rights
(a refused command changes nothing in the database), paging buttons, schedules, personal
digests, and the private-address guard of /addfeed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bot.commands import Caller, Commands
from bot.config import Settings
from digests.compose.destination import Destination
from digests.compose.reply import Button, Reply, parse_button_data
from digests.deliver.queue import personal_destination
from digests.errors import StoreError
from digests.ingest.fetch import Fetcher
from digests.ingest.settings import FeedSettings, PollSettings
from digests.models import Entry
from digests.store import Store
from digests.store.feeds import FeedUpdate
from digests.store.schema import feeds, follows, subscribers
from digests.store.subscriptions import Subscriptions
from digests.text.enrich import Enrichment, taxonomy_rows
from digests.text.query import index_terms
from digests.text.taxonomy import Taxonomy
from digests.text.topic_lookup import TopicLookup
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss
from tests.support.internet import PUBLIC, LocalInternet, Resolver

ROOT = Path(__file__).parents[2]
TAXONOMY = Taxonomy.from_toml((ROOT / "config" / "topics.toml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh
POLL = PollSettings(timeout_seconds=1.0, max_response_kb=256)
# The taxonomy topics the store gets: the real definitions, a few dozen of them (fast set-up).
SLUGS = (
    "iran tehran iraq baghdad usa washington oman amman jordan saudi-arabia riyadh egypt cairo "
    "syria lebanon turkey qatar kuwait yemen sudan libya morocco algeria tunisia un sport football"
).split()
TOPIC_ROWS = [row for row in taxonomy_rows(TAXONOMY) if row.slug in SLUGS]

# (title, hours old, topic slugs): short news lines written for these tests.
ARTICLES = [
    ("إيران تعلن إطلاق قمر صناعي جديد", 1, ["iran"]),
    ("وزير الخارجية الإيراني يزور بغداد", 2, ["iran", "iraq"]),
    ("عقوبات أمريكية جديدة على إيران", 3, ["iran", "usa"]),
    ("إيران ترفع إنتاجها من النفط إلى 3.4 مليون برميل يومياً", 4, ["iran"]),
    ("انتخابات بلدية في إيران وسط إقبال متوسط", 5, ["iran"]),
    ("زلزال بقوة 5.1 درجات يضرب جنوب إيران", 6, ["iran"]),
    ("إيران وعُمان توقعان اتفاقاً للنقل البحري", 7, ["iran", "oman"]),
    ("قمة COP29 تبحث تمويل المناخ بـ 100 مليار دولار", 2, []),
    ("الهلال يفوز على النصر في الرياض", 3, ["saudi-arabia"]),
]
IRAN_TITLES = {title for title, _, slugs in ARTICLES if "iran" in slugs}

USER = Caller("telegram", "1001", "1001", is_admin=False, language="ar")
USER_EN = Caller("slack", "U42", "D42", is_admin=False, language="en")
ADMIN = Caller("telegram", "1", "1", is_admin=True, language="ar")
ADMIN_EN = Caller("slack", "UADMIN", "DADMIN", is_admin=True, language="en")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    store: Store
    commands: Commands
    subs: Subscriptions
    clock: Clock

    def with_fetcher(self, fetcher: Fetcher, *, allow_private: bool) -> Commands:
        return Commands(
            self.store,
            _settings(),
            fetcher,
            TopicLookup(TAXONOMY),
            self.clock,
            allow_private=allow_private,
        )


def _settings() -> Settings:
    return Settings(
        destinations=(
            Destination(name="morning", schedule="0 8 * * *", topics=("iran", "iraq")),
            Destination(name="all-news", language="en", timezone="Europe/London"),
        )
    )


async def _seed(store: Store) -> None:
    await store.topics.sync(TOPIC_ROWS, NOW - timedelta(days=1))
    await store.feeds.sync_config(
        [
            FeedSettings(url="https://a.example/rss", name="الجزيرة"),
            FeedSettings(url="https://b.example/rss", name="العربية"),
        ],
        NOW - timedelta(days=1),
    )
    feed_a, feed_b = await store.feeds.all()
    texts: dict[str, tuple[str, list[str]]] = {}
    batches: tuple[list[Entry], list[Entry]] = ([], [])
    for n, (title, hours, slugs) in enumerate(ARTICLES):
        text = f"{title}. وقال مسؤولون إن التفاصيل الكاملة ستعلن لاحقاً خلال مؤتمر صحفي."
        texts[f"g{n}"] = (text, slugs)
        when = NOW - timedelta(hours=hours)
        batches[n % 2].append(Entry(f"g{n}", f"https://x.example/{n}", title, when, text))
    enrichments = []
    for feed, batch in zip((feed_a, feed_b), batches, strict=True):
        arrived = NOW - timedelta(minutes=30)
        for new in await store.articles.insert_entries(
            feed, batch, arrived, dedup_window=timedelta(hours=1)
        ):
            text, slugs = texts[new.article.guid]
            enrichments.append(
                Enrichment(
                    article_id=new.article.id,
                    story_id=new.article.id,
                    topics=tuple((slug, 0.9) for slug in slugs),
                    search_title=index_terms(new.article.title),
                    search_body=index_terms(text),
                )
            )
    await store.topics.save_enrichments(enrichments, NOW - timedelta(minutes=20))


def _offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("offline", request=request)


@pytest.fixture
async def world(store: Store) -> AsyncIterator[World]:
    """Seeded store and commands whose fetcher has no network (tests that fetch bring one)."""
    await _seed(store)
    clock = Clock(NOW)
    async with Fetcher(POLL, transport=httpx.MockTransport(_offline)) as fetcher:
        commands = Commands(
            store, _settings(), fetcher, TopicLookup(TAXONOMY), clock, allow_private=True
        )
        yield World(store, commands, commands.subscriptions, clock)


def buttons(reply: Reply) -> list[Button]:
    return [button for row in reply.buttons for button in row]


async def snapshot(store: Store) -> list[Any]:
    async with store.engine.connect() as conn:
        return [
            (await conn.execute(sa.select(table).order_by(*table.primary_key.columns))).all()
            for table in (feeds, subscribers, follows)
        ]


async def followed_slugs(world: World, caller: Caller) -> list[str]:
    sub = await world.subs.get(caller.platform, caller.user_id)
    return [row.slug for row in await world.subs.followed(sub)] if sub else []


# --------------------------------------------------------------------------- everyone


async def test_start_help_and_unknown_in_both_languages(world: World) -> None:
    assert "/addfeed" not in (await world.commands.run(USER, "help")).text
    assert await world.subs.count() == 0  # reading commands never register anyone
    reply = await world.commands.run(USER, "start")
    assert reply.paragraphs[0][0].bold and "أهلاً بك" in reply.text
    assert "/follow" in reply.text and "/addfeed" not in reply.text
    assert reply.language == "ar" and reply.buttons == ()
    english = await world.commands.run(USER_EN, "start")
    assert english.language == "en" and "Welcome to News digest" in english.text
    sub = await world.subs.get("slack", "U42")
    assert sub is not None and sub.language == "en" and sub.chat_id == "D42"
    assert sub.timezone == "Asia/Riyadh" and sub.digest_time is None and sub.active
    assert await world.subs.count() == 2

    # Slack users are told Slack's syntax (/news …), Telegram users Telegram's (/…).
    admin = await world.commands.run(ADMIN_EN, "help")
    assert "Commands" in admin.text and "/news addfeed" in admin.text
    assert "/news stats" in admin.text and "\n/stats" not in admin.text
    command_lines = [line for line in admin.text.split("\n") if "—" in line]
    assert command_lines and all(line.startswith("/news ") for line in command_lines)
    telegram_admin = (await world.commands.run(ADMIN, "help")).text
    assert "للمشرفين" in telegram_admin and "\n/addfeed رابط" in telegram_admin
    assert "/news" not in telegram_admin
    assert "لا أعرف الأمر /weather" in (await world.commands.run(USER, "/weather")).text
    unknown = await world.commands.run(USER_EN, "weather")
    assert "I don't know the command /news weather" in unknown.text and unknown.ephemeral


async def test_start_with_a_topic_deep_link_shows_its_latest_stories(world: World) -> None:
    reply = await world.commands.run(USER, "start", "t-iran")
    assert "آخر أخبار إيران" in reply.text
    linked = [s for p in reply.paragraphs for s in p if s.url]
    assert {s.text for s in linked} <= IRAN_TITLES and len(linked) == 5
    assert [(b.action, b.value, b.label) for b in buttons(reply)] == [
        ("follow", "iran", "تابع إيران")
    ]
    plain = await world.commands.run(USER, "start", "not-a-topic-payload!")
    assert plain.buttons == () and "آخر أخبار" not in plain.text
    english = await world.commands.run(USER_EN, "start", "t-oman")
    assert "Latest on Oman" in english.text and "إيران وعُمان" in english.text
    assert "No stories on «Egypt»" in (await world.commands.run(USER_EN, "start", "t-egypt")).text


# --------------------------------------------------------------------------- search


async def test_search_pages_with_more_and_previous_buttons(world: World) -> None:
    first = await world.commands.run(USER, "search", "ايران")
    assert "نتائج البحث عن «ايران»: 7 (الصفحة 1 من 2)" in first.text
    hits = first.paragraphs[1:]
    assert len(hits) == 5 and hits[0][0].text == "1. "
    assert {"".join(s.text for s in p if s.url) for p in hits} <= IRAN_TITLES
    assert any(s.bold and not s.url and "إيران" in s.text for p in hits for s in p)  # marks
    [more] = buttons(first)
    assert more.label == "المزيد" and more.action == "search_page"
    assert more.value.startswith("page:2:") and len(more.data.encode()) <= 64

    second = await world.commands.press(USER, more.data)
    assert "(الصفحة 2 من 2)" in second.text and second.paragraphs[1][0].text == "6. "
    [previous] = buttons(second)
    assert previous.label == "السابق" and previous.value.startswith("page:1:")
    assert (await world.commands.press(USER, previous.data)).text == first.text

    english = await world.commands.run(USER_EN, "search", "إيران")
    assert "Results for «إيران»: 7 (page 1 of 2)" in english.text
    assert [b.label for b in buttons(english)] == ["More"]
    past_end = more.data.replace("page:2:", "page:9:")
    assert "لا مزيد من النتائج" in (await world.commands.press(USER, past_end)).text
    expired = await world.commands.press(USER, "s:page:2:0123456789ab")
    assert "انتهت صلاحية هذا الزر" in expired.text
    assert "This button has expired" in (await world.commands.press(USER_EN, "x:junk")).text


async def test_search_latin_numbers_and_what_went_wrong(world: World) -> None:
    for query in ("COP29", "cop29", "١٠٠ مليار"):
        assert "قمة COP29" in (await world.commands.run(USER, "search", query)).text, query
    cases = [
        ("", "اكتب ما تبحث عنه", "Write what to search for"),
        ("  ؟!  ", "اكتب ما تبحث عنه", "Write what to search for"),
        ("في من على", "كلمات البحث شائعة جداً", "too common"),
        ("خبر " * 100, "نص البحث طويل جداً؛ الحد 300 حرف", "at most 300 characters"),
        ("كوكب زحل", "لا نتائج عن «كوكب زحل»", "No results for «كوكب زحل»"),
    ]
    for query, arabic, english in cases:
        assert arabic in (await world.commands.run(USER, "search", query)).text, query
        assert english in (await world.commands.run(USER_EN, "search", query)).text, query


def test_button_data_fits_telegram_and_round_trips() -> None:
    button = Button("المزيد", "search_page", "page:9999:0123456789ab")
    assert parse_button_data(button.data) == ("search_page", "page:9999:0123456789ab")
    assert len(Button("x", "topic_latest", "a" * 60).data.encode()) <= 64
    assert parse_button_data("f:iran") == ("follow", "iran")
    for bad in ("", "f:", "z:iran", "f:إيران", "f:two words", "f:" + "a" * 61):
        assert parse_button_data(bad) is None, bad
    for value in ("إيران", "a b", "a" * 61, ""):
        with pytest.raises(ValueError):
            Button("x", "follow", value)


# --------------------------------------------------------------------------- topics


async def test_follow_finds_a_topic_in_any_spelling(world: World) -> None:
    names = ["ايران", "إيران", "إيـــران", "إِيرَان", "الإيرانية", "Iran", "IRAN", "#إيران"]
    for name in names:
        reply = await world.commands.run(USER, "follow", name)
        assert "تتابع الآن «إيران»" in reply.text, name
        assert await followed_slugs(world, USER) == ["iran"], name
        assert "ألغيت متابعة «إيران»" in (await world.commands.run(USER, "unfollow", name)).text
    await world.commands.run(USER, "follow", "#الولايات_المتحدة")
    english = await world.commands.run(USER_EN, "follow", "united states")
    assert "You now follow «United States»" in english.text
    await world.commands.run(USER_EN, "follow", "طهران")
    assert await followed_slugs(world, USER) == ["usa"]
    assert sorted(await followed_slugs(world, USER_EN)) == ["tehran", "usa"]


async def test_follow_twice_then_unfollow(world: World) -> None:
    first = await world.commands.run(USER, "follow", "ايران")
    assert "/schedule 08:00" in first.text  # no personal digest time yet: say how
    assert [(b.action, b.value) for b in buttons(first)] == [
        ("topic_latest", "iran"),
        ("unfollow", "iran"),
    ]
    assert "أنت تتابع «إيران» من قبل" in (await world.commands.run(USER, "follow", "إيران")).text
    assert await followed_slugs(world, USER) == ["iran"]

    done = await world.commands.run(USER, "unfollow", "Iran")
    assert "ألغيت متابعة «إيران»" in done.text
    assert [(b.action, b.value) for b in buttons(done)] == [("follow", "iran")]
    assert await followed_slugs(world, USER) == []
    assert "أنت لا تتابع «إيران»" in (await world.commands.run(USER, "unfollow", "إيران")).text
    assert "You don't follow «Iran»" in (await world.commands.run(USER_EN, "unfollow", "Iran")).text
    assert "اكتب اسم الموضوع" in (await world.commands.run(USER, "unfollow", "")).text

    await world.commands.run(USER, "follow", "سلطنة عمان")
    await world.commands.run(USER, "follow", "إيران")
    typo = await world.commands.run(USER, "unfollow", "ايرن")  # close to a topic they follow
    assert "هل تقصد: إيران" in typo.text and buttons(typo)[0].data == "u:iran"
    assert "ألغيت متابعة «عُمان»" in (await world.commands.run(USER, "unfollow", "عمان")).text
    assert await followed_slugs(world, USER) == ["iran"]


async def test_unknown_topics_get_close_matches_or_a_choice(world: World) -> None:
    typo = await world.commands.run(USER, "follow", "ايرن")
    assert "هل تقصد" in typo.text and "إيران" in typo.text
    assert ("follow", "iran") in [(b.action, b.value) for b in buttons(typo)]
    both = await world.commands.run(USER, "follow", "عمان")  # Oman and Amman
    assert "قد يعني أكثر من موضوع" in both.text
    assert {b.value for b in buttons(both)} == {"oman", "amman"}
    english = await world.commands.run(USER_EN, "follow", "Irak")
    assert "I found no «Irak» exactly. Did you mean:" in english.text and "Iraq" in english.text
    assert "iraq" in {b.value for b in buttons(english)}
    nothing = await world.commands.run(USER_EN, "follow", "qwxzv")
    assert "I found no topic called «qwxzv»" in nothing.text and nothing.buttons == ()
    assert "اكتب اسم الموضوع" in (await world.commands.run(USER, "follow", "  ")).text
    assert await followed_slugs(world, USER) == []
    assert await followed_slugs(world, USER_EN) == []


async def test_buttons_follow_unfollow_and_show_latest(world: World) -> None:
    await world.commands.press(USER, Button("x", "follow", "iraq").data)
    assert await followed_slugs(world, USER) == ["iraq"]
    await world.commands.press(USER, Button("x", "unfollow", "iraq").data)
    assert await followed_slugs(world, USER) == []
    latest = await world.commands.press(USER_EN, Button("x", "topic_latest", "iraq").data)
    assert "Latest on Iraq" in latest.text and "وزير الخارجية الإيراني" in latest.text


async def test_topics_lists_the_most_active_with_follow_buttons(world: World) -> None:
    reply = await world.commands.run(USER, "topics")
    assert "أنشط المواضيع" in reply.text
    assert reply.text.index("إيران — 7 أخبار") < reply.text.index("العراق — خبر واحد")
    assert [(b.action, b.value) for b in reply.buttons[0]] == [
        ("follow", "iran"),
        ("topic_latest", "iran"),
    ]
    await world.commands.run(USER, "follow", "إيران")
    first = (await world.commands.run(USER, "topics")).buttons[0][0]
    assert (first.action, first.label) == ("unfollow", "إلغاء متابعة إيران")
    english = await world.commands.run(USER_EN, "topics")
    assert "Iran — 7 stories" in english.text and "Iraq — 1 story" in english.text


async def test_topics_before_any_story(store: Store) -> None:
    await store.topics.sync(TOPIC_ROWS, NOW)
    async with Fetcher(POLL, transport=httpx.MockTransport(_offline)) as fetcher:
        commands = Commands(store, _settings(), fetcher, TopicLookup(TAXONOMY), Clock(NOW))
        assert "لا مواضيع فيها أخبار بعد" in (await commands.run(USER, "topics")).text
        assert "No topic has stories yet" in (await commands.run(USER_EN, "topics")).text


async def test_mytopics_in_both_languages(world: World) -> None:
    assert "لا تتابع أي موضوع بعد" in (await world.commands.run(USER, "mytopics")).text
    assert "You don't follow any topic yet" in (await world.commands.run(USER_EN, "mytopics")).text
    await world.commands.run(USER, "follow", "ايران")
    await world.commands.run(USER, "follow", "العراق")
    await world.commands.run(USER, "schedule", "07:30")
    reply = await world.commands.run(USER, "mytopics")
    assert "• إيران\n• العراق" in reply.text
    assert "موجزك اليومي الساعة 07:30 بتوقيت Asia/Riyadh" in reply.text
    assert [(b.action, b.value) for b in buttons(reply)] == [
        ("unfollow", "iran"),
        ("unfollow", "iraq"),
    ]
    await world.commands.run(USER_EN, "follow", "Iraq")
    english = await world.commands.run(USER_EN, "mytopics")
    assert "• Iraq" in english.text and "has no time set" in english.text


# --------------------------------------------------------------------------- digests


async def test_digest_of_followed_topics_is_marked_sent(world: World) -> None:
    assert "لا تتابع أياً بعد" in (await world.commands.run(USER, "digest")).text
    await world.commands.run(USER, "follow", "العراق")
    await world.commands.run(USER, "follow", "الولايات المتحدة")
    reply = await world.commands.run(USER, "digest")
    assert reply.digest is not None and reply.paragraphs == ()
    assert reply.digest.destination == "personal:telegram:1001"
    assert {item.title for item in reply.digest.items} == {
        "وزير الخارجية الإيراني يزور بغداد",
        "عقوبات أمريكية جديدة على إيران",
    }
    assert (reply.language, reply.timezone) == ("ar", "Asia/Riyadh")
    again = await world.commands.run(USER, "digest")
    assert again.digest is None and "لا أخبار جديدة في مواضيعك" in again.text

    await world.commands.run(USER_EN, "follow", "Saudi Arabia")
    english = await world.commands.run(USER_EN, "digest")
    assert english.digest is not None and english.language == "en"
    assert [i.title for i in english.digest.items] == ["الهلال يفوز على النصر في الرياض"]
    assert "No new stories on your topics" in (await world.commands.run(USER_EN, "digest")).text
    sub = await world.subs.get("slack", "U42")
    assert sub is not None
    assert personal_destination(sub, ["iran"]).name == "personal:slack:U42"


async def test_due_personal_digests_follow_local_time(world: World) -> None:
    subs = world.subs

    def at(hour: int, minute: int = 0, day: int = 29) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    riyadh = await subs.get_or_create("telegram", "r", "r", NOW)
    await subs.follow(riyadh, "iran", NOW)
    riyadh = await subs.set_schedule(riyadh, "08:00")
    york = await subs.get_or_create("slack", "y", "y", NOW, language="en")
    await subs.follow(york, "usa", NOW)
    york = await subs.set_schedule(york, "07:00", "America/New_York")
    await subs.mark_personal_sent(york, at(3))  # 22:00 on the 28th in New York
    idle = await subs.get_or_create("telegram", "idle", "idle", NOW)  # follows nothing
    await subs.set_schedule(idle, "08:00")
    off = await subs.get_or_create("telegram", "off", "off", NOW)  # no time set
    await subs.follow(off, "iran", NOW)

    assert await subs.due_personal_digests(at(4, 59)) == []  # 07:59 in Riyadh
    [due] = await subs.due_personal_digests(at(5, 0))
    assert due.id == riyadh.id
    await subs.mark_personal_sent(due, at(5, 0))
    assert await subs.due_personal_digests(at(11, 59)) == []  # sent today; 06:59 in New York
    assert [s.id for s in await subs.due_personal_digests(at(12, 0))] == [york.id]
    assert [s.id for s in await subs.due_personal_digests(at(22, 0))] == [york.id]
    # Riyadh's next day starts at 21:00 UTC; 08:00 there is 05:00 UTC on the 30th.
    assert [s.id for s in await subs.due_personal_digests(at(5, 0, day=30))] == [riyadh.id]
    with pytest.raises(ValueError):
        await subs.set_schedule(riyadh, "8am")
    with pytest.raises(ValueError):
        await subs.set_schedule(riyadh, "08:00", "Mars/Olympus")


async def test_deactivate_stops_digests_until_the_user_returns(world: World) -> None:
    subs = world.subs
    sub = await subs.get_or_create("telegram", "555", "555", NOW)
    await subs.follow(sub, "iran", NOW)
    await subs.set_schedule(sub, "08:00")
    other = await subs.get_or_create("slack", "555", "555", NOW)  # same ids, other platform
    assert await subs.deactivate("telegram", "555") == 1
    assert await subs.deactivate("telegram", "555") == 0
    assert await subs.due_personal_digests(NOW) == []
    assert await subs.count() == 2 and await subs.count(active=True) == 1
    assert await subs.get("slack", "555") == other
    back = await subs.get_or_create("telegram", "555", "9000", NOW)
    assert back.active and back.chat_id == "9000" and back.digest_time == "08:00"
    assert [s.id for s in await subs.due_personal_digests(NOW)] == [sub.id]
    same = await subs.get_or_create("telegram", "555", "elsewhere", NOW)
    assert same.chat_id == "9000"  # an active subscriber keeps its chat


# --------------------------------------------------------------------------- schedule, lang


async def test_schedule_accepts_times_and_zones(world: World) -> None:
    cases = [
        ("08:00", "08:00", "Asia/Riyadh"),
        ("8:05", "08:05", "Asia/Riyadh"),
        ("٠٨:٣٠", "08:30", "Asia/Riyadh"),
        ("20.15 Africa/Cairo", "20:15", "Africa/Cairo"),
        ("06:45 europe/london", "06:45", "Europe/London"),
        ("23:59 UTC", "23:59", "UTC"),
        ("07:00", "07:00", "UTC"),  # the zone stays what it was
    ]
    for text, time, zone in cases:
        reply = await world.commands.run(USER, "schedule", text)
        assert f"سيصلك موجزك كل يوم الساعة {time} بتوقيت {zone}" in reply.text, text
        assert "لن يصلك شيء قبل أن تتابع موضوعاً" in reply.text
        sub = await world.subs.get("telegram", "1001")
        assert sub is not None and (sub.digest_time, sub.timezone) == (time, zone), text
    await world.commands.run(USER_EN, "follow", "Iran")
    english = await world.commands.run(USER_EN, "schedule", "21:00 Asia/Dubai")
    assert english.text == "Your digest will arrive every day at 21:00 (Asia/Dubai time)."
    assert (
        "comes at 21:00 (Asia/Dubai time)"
        in (await world.commands.run(USER_EN, "schedule", "")).text
    )


async def test_schedule_refuses_bad_input_clearly(world: World) -> None:
    cases = [
        ("25:00", "«25:00» ليس وقتاً صحيحاً", "«25:00» is not a valid time"),
        ("08:60", "ليس وقتاً صحيحاً", "is not a valid time"),
        ("eight", "ليس وقتاً صحيحاً", "is not a valid time"),
        ("08:00 Mars/Olympus", "لا أعرف المنطقة الزمنية «Mars/Olympus»", "I don't know the time"),
        ("08:00 ../../etc/passwd", "لا أعرف المنطقة الزمنية", "I don't know the time zone"),
        ("08:00 Asia/Riyadh extra", "اكتب الموعد بصيغة", "Write the time as hour:minute"),
        ("", "لا موعد لموجزك اليومي", "Your daily digest has no time set"),
    ]
    for text, arabic, english in cases:
        assert arabic in (await world.commands.run(USER, "schedule", text)).text, text
        assert english in (await world.commands.run(USER_EN, "schedule", text)).text, text
    for caller in (USER, USER_EN):
        sub = await world.subs.get(caller.platform, caller.user_id)
        assert sub is not None and sub.digest_time is None and sub.timezone == "Asia/Riyadh"


async def test_schedule_off(world: World) -> None:
    for word in ("off", "OFF", "إيقاف", "ايقاف"):
        await world.commands.run(USER, "schedule", "08:00")
        assert "أوقفت موجزك اليومي" in (await world.commands.run(USER, "schedule", word)).text
        sub = await world.subs.get("telegram", "1001")
        assert sub is not None and sub.digest_time is None, word
    assert "Your daily digest is off" in (await world.commands.run(USER_EN, "schedule", "off")).text


async def test_lang_switches_every_later_reply(world: World) -> None:
    reply = await world.commands.run(USER, "lang", "en")
    assert reply.text == "Replies will be in English." and reply.language == "en"
    assert "Commands" in (await world.commands.run(USER, "help")).text  # the stored choice wins
    assert "ستصلك الردود بالعربية" in (await world.commands.run(USER, "lang", "العربية")).text
    assert "الأوامر" in (await world.commands.run(USER, "help")).text
    assert "اللغات المتاحة" in (await world.commands.run(USER, "lang", "fr")).text
    assert "ردودي بالعربية" in (await world.commands.run(USER, "lang", "")).text
    assert "Available languages" in (await world.commands.run(USER_EN, "lang", "klingon")).text
    assert "ستصلك الردود بالعربية" in (await world.commands.run(USER_EN, "lang", "ar")).text
    sub = await world.subs.get("slack", "U42")
    assert sub is not None and sub.language == "ar"


# --------------------------------------------------------------------------- admins


async def test_non_admins_change_nothing(world: World) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=rss("http://127.0.0.1:9"))

    before = await snapshot(world.store)
    async with Fetcher(POLL, transport=httpx.MockTransport(record)) as fetcher:
        commands = world.with_fetcher(fetcher, allow_private=True)
        calls = [
            commands.run(USER, "addfeed", "http://127.0.0.1:9/rss"),
            commands.run(USER, "removefeed", "1"),
            commands.run(USER, "pausefeed", "1"),
            commands.run(USER, "resumefeed", "1"),
            commands.run(USER, "feeds"),
            commands.run(USER, "destinations"),
            commands.run(USER, "stats"),
        ]
        for call in calls:
            reply = await call
            assert reply.text == "عذراً، هذا الأمر للمشرفين فقط." and reply.ephemeral
        english = await commands.run(USER_EN, "removefeed", "1")
        assert english.text == "Sorry, this command is for admins only."
    assert await snapshot(world.store) == before
    assert requests == []  # the feed was never even fetched


async def test_addfeed_fetches_parses_and_logs_who_added_it(
    world: World, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.add("/rss", rss(feed_server.base, title="أخبار الخليج"))
    feed_server.add("/other", rss(feed_server.base, STORIES[:2], guid_prefix="o:"))
    feed_server.add("/missing", status=404, body="not found")
    page = "<html><head><title>صفحة</title></head><body><p>مرحبا</p></body></html>"
    feed_server.add("/page", page, headers={"Content-Type": "text/html; charset=utf-8"})
    url = feed_server.url("/rss")
    async with Fetcher(POLL, allow_private=True) as fetcher:
        commands = world.with_fetcher(fetcher, allow_private=True)
        with caplog.at_level(logging.INFO, logger="bot.commands"):
            reply = await commands.run(ADMIN, "addfeed", url)
        assert f"وفيها الآن {len(STORIES)} أخبار" in reply.text
        assert "«أخبار الخليج»" in reply.text and "عنوانها: أخبار الخليج" in reply.text
        feed = await world.store.feeds.find(url)
        assert feed is not None and feed.name == "أخبار الخليج" and not feed.paused
        assert feed.next_check_at is None  # due at once
        [record] = [r for r in caplog.records if "added feed" in r.getMessage()]
        assert record.__dict__["admin"] == "1" and record.__dict__["platform"] == "telegram"
        assert "admin telegram:1" in record.getMessage()

        again = await commands.run(ADMIN_EN, "addfeed", url)
        assert f"That feed is already there: «أخبار الخليج» (id {feed.id})" in again.text
        named = await commands.run(ADMIN_EN, "addfeed", feed_server.url("/other") + " Gulf wire")
        assert "Added the feed «Gulf wire»" in named.text and "it has 2 stories now" in named.text

        missing = feed_server.url("/missing")
        assert "HTTP 404" in (await commands.run(ADMIN, "addfeed", missing)).text
        assert "answered HTTP 404" in (await commands.run(ADMIN_EN, "addfeed", missing)).text
        not_feed = await commands.run(ADMIN, "addfeed", feed_server.url("/page"))
        assert "لا يعيد خلاصة RSS أو Atom" in not_feed.text
        english = await commands.run(ADMIN_EN, "addfeed", feed_server.url("/page"))
        assert "does not return an RSS or Atom feed" in english.text
        assert (
            "اكتب رابط الخلاصة كاملاً" in (await commands.run(ADMIN, "addfeed", "ftp://x/rss")).text
        )
        assert "Write the feed's full URL" in (await commands.run(ADMIN_EN, "addfeed", " ")).text
    feed_server.add("/slow", rss(feed_server.base), delay=0.6)
    async with Fetcher(PollSettings(timeout_seconds=0.2), allow_private=True) as impatient:
        commands = world.with_fetcher(impatient, allow_private=True)
        slow = await commands.run(ADMIN, "addfeed", feed_server.url("/slow"))
        assert "لم يُجب الخادم في الوقت المحدد" in slow.text
    assert await world.store.feeds.find(missing) is None
    assert await world.store.feeds.find(feed_server.url("/page")) is None
    assert len(await world.store.feeds.all()) == 4


async def test_addfeed_refuses_private_addresses_unless_allowed(world: World) -> None:
    requests: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=rss("http://127.0.0.1:9"))

    local = "http://127.0.0.1:9/rss"
    async with Fetcher(POLL, transport=httpx.MockTransport(serve)) as fetcher:
        guarded = world.with_fetcher(fetcher, allow_private=False)
        for url in (local, "http://localhost:9/rss", "http://10.1.2.3/rss"):
            reply = await guarded.run(ADMIN, "addfeed", url)
            assert "لا أضيف خلاصات من عناوين داخلية أو خاصة" in reply.text, url
        for url in ("http://[::1]:8/rss", "http://169.254.169.254/latest", "http://0.0.0.0/"):
            english = await guarded.run(ADMIN_EN, "addfeed", url)
            assert "I don't add feeds from internal or private addresses" in english.text, url
        assert requests == []  # refused before any request
        assert len(await world.store.feeds.all()) == 2
        allowed = world.with_fetcher(fetcher, allow_private=True)
        assert "أضفت الخلاصة" in (await allowed.run(ADMIN, "addfeed", local)).text
        assert len(requests) == 1


async def test_addfeed_refuses_a_redirect_to_a_private_address(world: World) -> None:
    public = "http://93.184.216.34/rss"  # a global address: passes the first check

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rss" and request.url.host == "93.184.216.34":
            return httpx.Response(302, headers={"Location": "http://127.0.0.1:9/rss"})
        return httpx.Response(200, content=rss("http://127.0.0.1:9"))

    async with Fetcher(POLL, transport=httpx.MockTransport(answer)) as fetcher:
        guarded = world.with_fetcher(fetcher, allow_private=False)
        reply = await guarded.run(ADMIN, "addfeed", public)
        assert "لا أضيف خلاصات من عناوين داخلية أو خاصة (127.0.0.1)" in reply.text
        assert await world.store.feeds.find(public) is None
        direct = "http://93.184.216.34/direct"  # no redirect: a public feed is fine
        added = await guarded.run(ADMIN_EN, "addfeed", direct)
        assert "Added the feed" in added.text and await world.store.feeds.find(direct)


async def test_addfeed_refuses_a_redirect_the_fetcher_refused_at_the_connection(
    world: World, feed_server: FeedServer
) -> None:
    """On the network the refusal is the fetcher's: the redirect's host is checked at the
    address it would be connected to, and never reached."""
    feed_server.add("/rss", status=302, headers={"Location": "http://intranet.example/feed.xml"})
    feed_server.add("/feed.xml", rss(feed_server.base))
    resolver = Resolver({"news.example": [[PUBLIC]], "intranet.example": [["10.0.0.7"]]})
    async with Fetcher(POLL, resolver=resolver, network=LocalInternet(feed_server)) as fetcher:
        guarded = world.with_fetcher(fetcher, allow_private=False)
        reply = await guarded.run(ADMIN, "addfeed", "http://news.example/rss")
        english = await guarded.run(ADMIN_EN, "addfeed", "http://news.example/rss")

    assert "لا أضيف خلاصات من عناوين داخلية أو خاصة (intranet.example)" in reply.text
    assert "I don't add feeds from internal or private addresses (intranet.example)" in english.text
    assert [r.path for r in feed_server.requests] == ["/rss", "/rss"]
    assert await world.store.feeds.find("http://news.example/rss") is None


async def test_pause_resume_remove_and_feed_health(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://c.example/rss"
    feed = await world.store.feeds.add(url, "وكالة", NOW, title="وكالة الأنباء")
    with pytest.raises(StoreError, match="already exists"):
        await world.store.feeds.add("HTTPS://C.example/rss#top", "نسخة", NOW)
    with caplog.at_level(logging.INFO, logger="bot.commands"):
        paused = await world.commands.run(ADMIN, "pausefeed", str(feed.id))
    assert f"أوقفت جلب الخلاصة «وكالة» (رقم {feed.id})" in paused.text
    assert "admin telegram:1 paused feed" in caplog.text
    assert [f.paused for f in await world.store.feeds.all() if f.id == feed.id] == [True]
    health = await world.commands.run(ADMIN, "feeds")
    assert "الخلاصات: 3 (متعثرة: 0)" in health.text and "الحالة: موقوفة" in health.text
    resumed = await world.commands.run(ADMIN_EN, "resumefeed", f"#{feed.id}")
    assert f"Resumed the feed «وكالة» (id {feed.id})" in resumed.text
    assert [f.paused for f in await world.store.feeds.all() if f.url == url] == [False]

    await world.store.feeds.record_failure(
        feed.id, NOW, error="http: HTTP 503 Service Unavailable", next_check_at=NOW
    )
    english = await world.commands.run(ADMIN_EN, "feeds")
    assert "Feeds: 3 (failing: 1)" in english.text
    first = english.paragraphs[1]  # failing feeds come first
    assert first[1].text == "وكالة" and "failing (1 errors in a row)" in first[2].text
    assert "Last error: http: HTTP 503" in first[2].text and "Next check:" in first[2].text
    assert "الحالة: تعمل" in (await world.commands.run(ADMIN, "feeds")).text

    # A poll that succeeded on a document with a problem: a warning, with the problem.
    await world.store.feeds.record_success(
        feed.id,
        NOW,
        FeedUpdate(next_check_at=NOW, parse_problem="entity declarations refused"),
    )
    warned = await world.commands.run(ADMIN, "feeds")
    assert "الخلاصات: 3 (متعثرة: 0)" in warned.text
    first = warned.paragraphs[1]  # then feeds with a warning
    assert first[1].text == "وكالة" and "الحالة: تعمل مع تحذير" in first[2].text
    assert "المشكلة: entity declarations refused" in first[2].text
    assert "آخر خطأ" not in first[2].text
    english = await world.commands.run(ADMIN_EN, "feeds")
    assert "State: working, with a warning" in english.paragraphs[1][2].text
    assert "Problem: entity declarations refused" in english.paragraphs[1][2].text
    assert "State: working\n" in english.paragraphs[2][2].text

    config = await world.commands.run(ADMIN, "removefeed", "الجزيرة")
    assert "من ملف الإعدادات" in config.text
    assert await world.store.feeds.find("الجزيرة") is not None
    missing = await world.commands.run(ADMIN_EN, "removefeed", "no such feed")
    assert "I found no feed «no such feed»" in missing.text

    removed = await world.commands.run(ADMIN, "removefeed", url)
    assert f"حذفت الخلاصة «وكالة» (رقم {feed.id})" in removed.text
    assert await world.store.feeds.find(url) is None
    assert len(await world.store.feeds.all()) == 2
    assert len(await world.store.feeds.all(include_removed=True)) == 3
    assert "لم أجد خلاصة" in (await world.commands.run(ADMIN, "pausefeed", str(feed.id))).text
    back = await world.store.feeds.add(url, "وكالة", NOW)
    assert back.id == feed.id and not back.paused and back.error_count == 0


async def test_destinations_and_stats_in_both_languages(world: World) -> None:
    await world.commands.run(USER, "follow", "إيران")
    await world.subs.deactivate("telegram", "1001")
    await world.commands.run(USER_EN, "start")
    destinations = await world.commands.run(ADMIN, "destinations")
    assert "وجهات النشر" in destinations.text and "morning" in destinations.text
    assert "المواضيع: iran, iraq" in destinations.text and "كل المواضيع" in destinations.text
    english = await world.commands.run(ADMIN_EN, "destinations")
    assert "Europe/London" in english.text and "topics: every topic" in english.text

    stats = await world.commands.run(ADMIN, "stats")
    assert "الخلاصات: 2 (موقوفة 0، متعثرة 0)" in stats.text
    assert f"الأخبار المحفوظة: {len(ARTICLES)} (اليوم {len(ARTICLES)})" in stats.text
    assert f"قصص اليوم: {len(ARTICLES)}" in stats.text
    assert "المشتركون: 2 (نشطون 1)" in stats.text
    assert f"المواضيع: {len(TOPIC_ROWS)} من التصنيف" in stats.text
    world.clock.now = NOW + timedelta(days=1)
    later = await world.commands.run(ADMIN_EN, "stats")
    assert "Stories today: 0" in later.text and "Subscribers: 2 (1 active)" in later.text


def test_no_text_glues_a_command_to_a_word() -> None:
    """Telegram sees «/resumefeed» in «و/resumefeed» as no command: a ``{/name}`` field starts a
    text or follows a space or punctuation in every language."""
    from digests.compose.texts import TEXTS

    glued = [
        (key, language)
        for key, languages in TEXTS.items()
        for language, template in languages.items()
        if re.search(r"[^\W_]\{/", template)
    ]
    assert glued == []
