"""What a Slack user reads, end to end: the real service and slack-bolt against the fake Slack
(tests/support/fake_slack.py). Every hint names a command as Slack takes it (``/news follow``,
never Telegram's ``/follow``); the App Home shows the personal digest without using it up;
hostile headlines and URLs are escaped in replies as they are in digests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.commands.table import COMMANDS
from bot.config import load_settings
from bot.service import run_service
from tests.bot.test_slack import ADMIN, CHANNEL, IRAN, USER, digest_posted, start, write_config
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, Story, rss

__all__ = ["fake_slack"]

NEWCOMER = "U0NEW001"
# Tests run side by side (no fixed ops port); the feeds are on 127.0.0.1.
EXTRA = "\n[admin]\nallow_private_feed_urls = true\n"
_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")
# A slash that starts a command: not inside a URL, a path, a time zone (Africa/Cairo) or an
# OPML closing tag (escaped or not).
_SLASH_WORD = re.compile(r"(?<![\w/:.<;])/([A-Za-z]\w*)(?: ([a-z]+))?")
_SUBCOMMANDS = {command.name for command in COMMANDS}


@pytest.fixture
async def running(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> AsyncIterator[FakeSlack]:
    """The service in Socket Mode against the fake Slack, the test stories in its feed."""
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    stop, task = await start(tmp_path, feed_server, fake_slack, environ, slack=EXTRA)
    await fake_slack.wait_connected(10)
    yield fake_slack
    stop.set()
    await asyncio.wait_for(task, 20)


def strings(value: Any) -> Iterator[str]:
    """Every ``text`` string in a message, a response or a view (Block Kit, any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def everything_read(fake: FakeSlack) -> list[str]:
    """Every text the fake Slack showed anyone: responses, App Home views, posted messages."""
    shown = [*fake.responses, *fake.views, *fake.posted()]
    return [text.translate(_ISOLATES) for text in strings(shown)]


async def command(fake: FakeSlack, user: str, text: str) -> str:
    """Run ``/news text`` as ``user``; the text of everything it answered."""
    before = len(fake.responses)
    await fake.send_envelope("slash_commands", fake.slash_command("/news", text, user, CHANNEL))
    await fake.wait_for(lambda f: len(f.responses) > before, timeout=10)
    await asyncio.sleep(0.05)  # a digest reply comes in several responses
    return "\n".join(s.translate(_ISOLATES) for s in strings(fake.responses[before:]))


async def open_home(fake: FakeSlack, user: str) -> str:
    """Open the App Home as ``user``; the text of the view published."""
    before = len(fake.views)
    await fake.send_envelope("events_api", fake.app_home_opened(user))
    await fake.wait_for(lambda f: len(f.views) > before, timeout=10)
    return "\n".join(s.translate(_ISOLATES) for s in strings(fake.views[before]))


# --------------------------------------------------------------------------- hints


async def test_every_hint_names_slack_commands(running: FakeSlack) -> None:
    fake = running
    await digest_posted(fake)
    home = await open_home(fake, NEWCOMER)  # follows nothing yet
    assert "/news topics" in home and "/news follow إيران" in home

    help_text = await command(fake, USER, "help")
    for name in ("search", "topics", "follow", "digest", "schedule", "alert", "lang"):
        assert f"/news {name}" in help_text
    followed = await command(fake, USER, "follow إيران")
    assert "/news schedule 08:00" in followed and "/news digest" in followed
    tour = [
        "",
        "start",
        "search",
        "search في من",
        "search إيران",
        "topics",
        "follow",
        "follow كوكب زحل",
        "unfollow",
        "unfollow المغرب",
        "mytopics",
        "digest",
        "digest",
        "schedule",
        "schedule 25:00",
        "schedule 08:00 Mars/Olympus",
        "schedule off",
        "schedule 08:00",
        "alert",
        "alert -كرة",
        "alert حذف 9",
        "lang",
        "lang xx",
        "frobnicate",
        "feeds",
        "lang en",
        "help",
        "follow",
        "unfollow",
        "schedule",
        "topics",
        "lang ar",
    ]
    for text in tour:
        await command(fake, USER, text)
    admin_tour = [
        "help",
        "feeds",
        "destinations",
        "stats",
        "addfeed",
        "addfeed ftp://example.com/rss",
        "removefeed 999",
        "removefeed مصدر الاختبار",
        "pausefeed مصدر الاختبار",
        "resumefeed مصدر الاختبار",
        "importopml",
        "exportopml",
    ]
    for text in admin_tour:
        await command(fake, ADMIN, text)
    await open_home(fake, USER)  # follows إيران: topics, settings and the digest
    follow = next(
        element
        for message in fake.posted(CHANNEL)
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"].startswith("follow_topic:")
    )
    before = len(fake.responses)
    await fake.send_envelope(
        "interactive", fake.block_action(follow["action_id"], follow["value"], NEWCOMER, CHANNEL)
    )
    await fake.wait_for(lambda f: len(f.responses) > before, timeout=10)

    read = everything_read(fake)
    assert sum(len(_SLASH_WORD.findall(text)) for text in read) > 50  # plenty of hints met
    # Only the table's subcommands, and the unknown one the user typed, quoted back.
    assert not not_slack_commands(read, allowed={"/news frobnicate"})
    assert not fake.rejected


def not_slack_commands(texts: Iterable[str], *, allowed: Iterable[str] = ()) -> set[str]:
    """The commands named in ``texts`` that a Slack user could not type: anything but
    ``/news <subcommand>`` of the table (and ``allowed``, e.g. Slack's own ``/invite``)."""
    found = (match for text in texts for match in _SLASH_WORD.finditer(text))
    return {
        match.group(0)
        for match in found
        if not (match.group(1) == "news" and match.group(2) in _SUBCOMMANDS)
        and match.group(0) not in set(allowed)
        and f"/{match.group(1)}" not in set(allowed)
    }


# --------------------------------------------------------------------------- App Home


async def test_opening_the_app_home_marks_nothing_sent(running: FakeSlack) -> None:
    fake = running
    await digest_posted(fake)
    assert "تتابع الآن" in await command(fake, USER, "follow إيران")

    first = await open_home(fake, USER)
    second = await open_home(fake, USER)
    assert IRAN.title in first and IRAN.title in second  # seeing is not receiving

    digest = await command(fake, USER, "digest")
    assert IRAN.title in digest and "لا أخبار جديدة" not in digest
    again = await command(fake, USER, "digest")  # the digest, once asked for, is used up
    assert IRAN.title not in again and "لا أخبار جديدة في مواضيعك" in again


# --------------------------------------------------------------------------- escaping

HOSTILE = Story(
    "quake|1`x`_y_~z~",
    "زلزال في *الساحل* |عاجل| _تحديث_ ~منقول~ `رمز` <مباشر> & > اقتباس",
    ("ضرب زلزال بقوة 5.2 درجات الساحل الغربي صباح اليوم، دون أنباء عن إصابات.",),
)


async def test_hostile_headlines_and_urls_are_escaped_in_replies(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> None:
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    feed_server.add("/rss", rss(feed_server.base, (*STORIES, HOSTILE)))
    config = write_config(tmp_path, feed_server, fake_slack, slack=EXTRA)
    stop = asyncio.Event()
    settings = load_settings(config, environ=environ, dotenv=None)
    task = asyncio.create_task(run_service(settings, stop=stop))
    try:
        await fake_slack.wait_connected(10)
        await fake_slack.wait_for(
            lambda f: any("زلزال" in s for s in strings(f.posted(CHANNEL))), timeout=20
        )
        await fake_slack.send_envelope(
            "slash_commands", fake_slack.slash_command("/news", "search زلزال", USER, CHANNEL)
        )
        await fake_slack.wait_for(lambda f: len(f.responses) >= 1, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    [reply] = fake_slack.responses
    [digest] = [m for m in fake_slack.posted(CHANNEL) if "زلزال" in str(m)]
    item = next(b for b in digest["blocks"] if "quake" in str(b))["text"]["text"]
    hit = next(b for b in reply["blocks"] if "quake" in str(b))
    assert hit["text"]["verbatim"] is True  # no bare URL, #channel or @here made live
    shown = hit["text"]["text"].translate(_ISOLATES)
    url, _, title = shown.partition("|")
    # The link is built as the digest builds it: "|" and "<>" in the URL percent-encoded …
    assert "/news/quake%7C1`x`_y_~z~|" in item.translate(_ISOLATES)
    assert url.endswith("/news/quake%7C1`x`_y_~z~")
    # … and the headline escaped with the digest's escaper: markers become look-alikes.
    for marker in ("_تحديث_", "~منقول~", "`رمز`", "*الساحل*", "<مباشر>", "|عاجل|"):
        assert marker not in title
    for escaped in ("ˍتحديثˍ", "∼منقول∼", "ˋرمزˋ", "∗الساحل∗", "&lt;مباشر&gt;", "¦عاجل¦", "&amp;"):
        assert escaped in title and escaped in item.translate(_ISOLATES)
    # The notification text is mrkdwn too: escaped the same way.
    fallback = reply["text"].translate(_ISOLATES)
    assert "زلزال" in fallback
    for raw in ("_تحديث_", "~منقول~", "`رمز`", "*الساحل*", "<مباشر>", " & "):
        assert raw not in fallback
    assert "ˍتحديثˍ" in fallback and "&lt;مباشر&gt;" in fallback
    assert not fake_slack.rejected
