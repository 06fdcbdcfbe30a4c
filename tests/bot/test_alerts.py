"""Keyword alerts end to end: a subscriber sets an alert in chat, a matching article arrives in
a later poll (an admin adds the feed that carries it) and reaches the subscriber once, through
the outbox; articles that do not match, or that arrived before the alert, do not. The real
service against the fake Telegram Bot API and the fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.service import run_service
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.fake_telegram import FakeTelegram, fake_telegram
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, Story, rss

__all__ = ["fake_slack", "fake_telegram"]

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Written for these tests.
BEFORE = Story(
    "iran-before",
    "إيران تعلن تشغيل محطة كهرباء جديدة",
    ("أعلنت إيران تشغيل محطة كهرباء جديدة تعمل بالغاز في جنوب البلاد بطاقة 500 ميغاواط.",),
)
MATCH = Story(
    "iran-oil",
    "الإيرانيون يترقبون زيادة صادرات النفط رغم العقوبات",
    (
        "قال مسؤول في وزارة النفط الإيرانية إن صادرات بلاده من الخام سترتفع إلى 1.8 مليون برميل"
        " يوميا الشهر المقبل، رغم العقوبات المفروضة على طهران.",
    ),
)
EXCLUDED = Story(
    "iran-football",
    "منتخب إيران لكرة القدم يفوز وديا على أوزبكستان",
    ("فاز منتخب إيران لكرة القدم على أوزبكستان بهدفين دون رد في مباراة ودية أقيمت في طهران.",),
)
UNRELATED = Story(
    "dates",
    "موسم التمور يبدأ مبكرا في الواحات",
    ("بدأ موسم جني التمور في الواحات مبكرا هذا العام بسبب ارتفاع درجات الحرارة.",),
)
RULE = "إيران -كرة"


def _config(tmp_path: Path, server: FeedServer, platform_section: str, destination: str) -> Path:
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[ops]\nport = 0\n\n"
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 50\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        "[admin]\nallow_private_feed_urls = true\n\n"
        "[alerts]\nmax_per_user = 3\nmax_per_hour = 5\n\n"
        f"{platform_section}\n"
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{server.url("/rss")}"\n\n'
        f"{destination}",
        encoding="utf-8",
    )
    return path


def _serve(server: FeedServer) -> None:
    server.add("/rss", rss(server.base, (*STORIES, BEFORE)))
    server.add("/later", rss(server.base, (MATCH, EXCLUDED, UNRELATED), guid_prefix="urn:later:"))


# --------------------------------------------------------------------------- Telegram

ADMIN, USER, CHANNEL = 1001, 2002, -1001234567890


@pytest.fixture
async def telegram(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    _serve(feed_server)
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    section = (
        f'[telegram]\nbase_url = "{fake_telegram.base_url}"\n'
        f'base_file_url = "{fake_telegram.base_file_url}"\n'
        f"admin_ids = [{ADMIN}]\npoll_timeout_seconds = 1\n"
    )
    destination = (
        '[[destinations]]\nname = "channel"\nplatform = "telegram"\n'
        f'chat = "{CHANNEL}"\nschedule = "0 8 * * *"\ndigest_on_start = true\n'
    )
    config = _config(tmp_path, feed_server, section, destination)
    settings = load_settings(
        config, environ={"TELEGRAM_BOT_TOKEN": fake_telegram.token}, dotenv=None
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    await fake_telegram.wait_for_request("getUpdates", 1, 10)
    yield fake_telegram
    stop.set()
    await asyncio.wait_for(task, 20)


def _shown(message: dict[str, Any]) -> str:
    return str(message["visible_text"]).replace("\u2068", "").replace("\u2069", "")


async def _reply(fake: FakeTelegram, user: int, text: str, expect: str) -> str:
    fake.inject_message(user, user, text)
    message = await fake.wait_for_sent(
        lambda m: m["chat_id"] == user and expect in _shown(m), timeout=10
    )
    return _shown(message)


async def test_a_telegram_alert_delivers_a_matching_article_once(
    telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    fake = telegram
    await fake.wait_for_sent(lambda m: m["chat_id"] == CHANNEL, timeout=20)  # first poll done

    added = await _reply(fake, USER, f"/alert {RULE}", "سيصلك")
    assert f"«{RULE}»" in added and "5" in added  # the rule and the hourly limit
    await _reply(fake, USER, "/alert", "تنبيهاتك (1 من 3)")
    # Another feed arrives (an admin adds it): the next poll brings three new articles.
    await _reply(fake, ADMIN, f"/addfeed {feed_server.url('/later')} مصدر لاحق", "مصدر لاحق")

    alert = await fake.wait_for_sent(
        lambda m: m["chat_id"] == USER and MATCH.title in _shown(m), timeout=20
    )
    shown = _shown(alert)
    assert "تنبيهاتك" in shown and f"«{RULE}»" in shown
    assert alert["parse_mode"] == "HTML" and not fake.rejected
    await asyncio.sleep(3)  # three more polling ticks: nothing is sent twice
    to_user = [_shown(m) for m in fake.sent(USER)]
    assert sum(MATCH.title in text for text in to_user) == 1
    for story in (EXCLUDED, UNRELATED, BEFORE):  # excluded, no match, arrived before the alert
        assert not any(story.title in text for text in to_user)

    removed = await _reply(fake, USER, "/alert حذف 1", "حُذف")
    assert f"«{RULE}»" in removed
    await _reply(fake, USER, "/alert", "ليست لديك تنبيهات")


async def test_alert_limits_and_bad_rules_get_clear_replies(telegram: FakeTelegram) -> None:
    fake = telegram
    await _reply(fake, USER, "/alert -إيران", "لا كلمات مستبعدة")
    await _reply(fake, USER, "/alert في من", "لم أجد كلمة")
    for rule in ("السودان", "ليبيا", "اليمن"):
        await _reply(fake, USER, f"/alert {rule}", "سيصلك")
    await _reply(fake, USER, "/alert ليبيا", "من قبل")  # the same rule twice
    await _reply(fake, USER, "/alert الصومال", "وهذا الحد")  # a fourth: the limit is 3


# --------------------------------------------------------------------------- Slack

SLACK_ADMIN, SLACK_USER, SLACK_CHANNEL = "U0ADMIN1", "U0USER01", "C0NEWS01"


@pytest.fixture
async def slack(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_slack: FakeSlack,
) -> AsyncIterator[FakeSlack]:
    _serve(feed_server)
    section = f'[slack]\nbase_url = "{fake_slack.base_url}"\nadmin_ids = ["{SLACK_ADMIN}"]\n'
    destination = (
        '[[destinations]]\nname = "newsroom"\nplatform = "slack"\n'
        f'chat = "{SLACK_CHANNEL}"\nschedule = "0 8 * * *"\ndigest_on_start = true\n'
    )
    config = _config(tmp_path, feed_server, section, destination)
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    settings = load_settings(config, environ=environ, dotenv=None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    await fake_slack.wait_connected(10)
    yield fake_slack
    stop.set()
    await asyncio.wait_for(task, 20)


def _visible(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\u2068", "").replace("\u2069", "")


async def _command(fake: FakeSlack, user: str, text: str, expect: str) -> str:
    before = len(fake.responses)
    await fake.send_envelope(
        "slash_commands", fake.slash_command("/news", text, user, SLACK_CHANNEL)
    )
    await fake.wait_for(
        lambda f: any(expect in _visible(r) for r in f.responses[before:]), timeout=10
    )
    return next(_visible(r) for r in fake.responses[before:] if expect in _visible(r))


async def test_a_slack_alert_delivers_a_matching_article_once(
    slack: FakeSlack, feed_server: FeedServer
) -> None:
    fake = slack
    await fake.wait_for(lambda f: bool(f.posted(SLACK_CHANNEL)), timeout=20)

    added = await _command(fake, SLACK_USER, f"alert {RULE}", "سيصلك")
    assert f"«{RULE}»" in added
    listed = await _command(fake, SLACK_USER, "alert", "تنبيهاتك")
    assert "/news alert" in listed  # the hint is written as Slack takes it
    await _command(fake, SLACK_ADMIN, f"addfeed {feed_server.url('/later')} مصدر لاحق", "مصدر لاحق")

    def delivered(f: FakeSlack) -> list[str]:
        return [_visible(m) for m in f.posted(SLACK_USER)]  # the user's direct messages

    await fake.wait_for(lambda f: any(MATCH.title in text for text in delivered(f)), timeout=20)
    await asyncio.sleep(3)
    to_user = delivered(fake)
    assert sum(MATCH.title in text for text in to_user) == 1
    for story in (EXCLUDED, UNRELATED, BEFORE):
        assert not any(story.title in text for text in to_user)
    assert not fake.rejected  # within Block Kit's rules
