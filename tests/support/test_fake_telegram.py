"""The fake Bot API server (``support/fake_telegram.py``), driven by python-telegram-bot.

Each test talks to a real HTTP server on 127.0.0.1 through PTB's own HTTP stack, so what passes
here is what the Telegram adapter will see: the same requests, replies and exceptions.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from digests.render.telegram import render_telegram, visible_text
from tests.support.fake_telegram import FakeTelegram, RateLimits, fake_telegram, utf16_len
from tests.support.render_fixtures import CASES, many_items

USER = 501
OTHER_USER = 502
GROUP = -4001
SUPERGROUP = -1001234567890
NO_LIMITS = RateLimits(per_private_chat=None, per_group=None, overall=None)

__all__ = ["fake_telegram"]  # the fixture, imported so that tests here can use it


class ManualClock:
    """A clock for the fake's rate-limit windows that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns on every RetryAfter unless this opts in to ``retry_after: timedelta``."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake without flood limits, for tests about everything else."""
    server = FakeTelegram(limits=NO_LIMITS)
    yield server
    server.close()


def loopback_request() -> HTTPXRequest:
    """PTB's HTTP client without loading the CA bundle (~80 ms a client): plain HTTP here."""
    return HTTPXRequest(httpx_kwargs={"verify": False})


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(
        token or fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=loopback_request(),
        get_updates_request=loopback_request(),
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(fake) as ready:
        yield ready


# --------------------------------------------------------------------------- protocol


async def test_bot_initialises_against_the_fake(fake_telegram: FakeTelegram) -> None:
    async with make_bot(fake_telegram) as bot:
        me = await bot.get_me()
    assert bot.username == "newsdigest_test_bot"
    assert (me.id, me.is_bot) == (fake_telegram.bot_id, True)
    assert fake_telegram.requests == ["getMe", "getMe"]


async def test_an_unknown_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(fake, token="999:not-the-token"):
            pass
    assert fake.rejected[0].error_code == 401
    assert fake.rejected[0].description == "Unauthorized"


def test_the_wire_format_is_the_bot_api(fake: FakeTelegram) -> None:
    url = f"{fake.base_url}{fake.token}"
    with httpx.Client(trust_env=False) as client:
        as_json = client.post(f"{url}/sendMessage", json={"chat_id": USER, "text": "json"})
        as_form = client.post(f"{url}/SENDMESSAGE", data={"chat_id": str(USER), "text": "form"})
        multipart = client.post(
            f"{url}/sendMessage",
            data={"chat_id": str(USER), "text": "multi"},
            files={"ignored": ("a.txt", b"file body")},
        )
        as_query = client.get(f"{url}/sendMessage", params={"chat_id": USER, "text": "query"})
        empty = client.post(f"{url}/sendMessage", json={"chat_id": USER, "text": ""})
        unknown = client.post(f"{url}/sendSticker", json={})
        wrong_token = client.post(f"{fake.base_url}1:x/getMe")
    for reply in (as_json, as_form, multipart, as_query):
        assert reply.status_code == 200
        assert reply.json()["ok"] is True
    assert [s["visible_text"] for s in fake.sent()] == ["json", "form", "multi", "query"]
    assert (empty.status_code, empty.json()) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert wrong_token.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert fake.requests[:2] == ["sendMessage", "sendMessage"]  # names are case-insensitive


# --------------------------------------------------------------------------- HTML and length


async def test_html_is_parsed_into_entities(fake: FakeTelegram, bot: Bot) -> None:
    html = '<b>عاجل</b> &amp; <a href="https://news.example/a?x=1&amp;y=2">📰 الخبر</a>'
    message = await bot.send_message(
        USER, html, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(True)
    )
    assert message.text == "عاجل & 📰 الخبر"
    bold, link = message.entities
    assert (bold.type, bold.offset, bold.length) == (MessageEntity.BOLD, 0, 4)
    assert (link.type, link.offset, link.length) == (MessageEntity.TEXT_LINK, 7, 8)
    assert link.url == "https://news.example/a?x=1&y=2"
    [sent] = fake.sent(USER)
    assert sent["text"] == html
    assert sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert (sent["method"], sent["message_id"]) == ("sendMessage", message.message_id)


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<b>عاجل", "Can't find end tag corresponding to start tag b"),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("5 < 6", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a href=https://x.example>x</a>", "Unexpected end of name token at byte offset 8"),
        ("AT&T", 'Character "&" at byte offset 2 starts no entity'),
        ('<a href="javascript:alert(1)">x</a>', 'Invalid URL "javascript:alert(1)"'),
    ],
)
async def test_invalid_html_is_a_bad_request(
    fake: FakeTelegram, bot: Bot, html: str, description: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalize()s the rest, lowering every other letter.
    assert raised.value.message.startswith("Can't parse entities: ")
    assert description.lower() in raised.value.message
    [rejection] = fake.rejected
    assert rejection.description.startswith("Bad Request: can't parse entities: ")
    assert description in rejection.description
    assert fake.sent() == []


async def test_the_allowed_tags_are_accepted(bot: Bot) -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler><span class="tg-spoiler">q</span>'
        '<code>c</code><pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>w</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&quot;&#1593;&#x1F4F0;'
    )
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert message.text is not None and message.text.endswith('👍 <>"ع📰')
    types = [entity.type for entity in message.entities]
    assert types.count(MessageEntity.SPOILER) == 2
    pre = next(e for e in message.entities if e.type == MessageEntity.PRE)
    assert pre.language == "python"
    assert MessageEntity.EXPANDABLE_BLOCKQUOTE in types
    assert MessageEntity.CUSTOM_EMOJI in types


async def test_the_server_leniency_is_available() -> None:
    fake = FakeTelegram(strict_html=False, limits=NO_LIMITS)
    try:
        async with make_bot(fake) as bot:
            message = await bot.send_message(
                USER, 'AT&T <a href="javascript:x">y</a>', parse_mode=ParseMode.HTML
            )
        assert message.text == "AT&T y"
        assert message.entities == ()  # the invalid link is dropped, as the server does
    finally:
        fake.close()


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("ع" * 4096, True),
        ("ع" * 4097, False),
        ("📰" * 2048, True),  # an emoji is two UTF-16 code units
        ("📰" * 2048 + "x", False),
        ("<b>" + "ع" * 4096 + "</b>", True),  # tags are not counted
        ("&amp;" * 4096, True),  # an entity counts as the one character it stands for
        ("&amp;" * 4097, False),
        ("\n  " + "ع" * 4096 + "  \n", True),  # leading and trailing whitespace is trimmed
    ],
)
async def test_the_limit_is_4096_visible_utf16_units(
    fake: FakeTelegram, bot: Bot, text: str, accepted: bool
) -> None:
    if accepted:
        message = await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
        assert message.text is not None and utf16_len(message.text) <= 4096
        return
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    assert fake.rejected[0].description == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["   \n", "<b></b>", "<b> </b>\n"])
async def test_an_empty_visible_text_is_refused(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)


async def test_rendered_digests_are_accepted_as_rendered(fake: FakeTelegram, bot: Bot) -> None:
    """What ``render_telegram`` makes passes the fake, and both agree on the visible text."""
    digests = [(case.digest, case) for case in CASES.values()]
    digests.append((many_items(30), CASES["sections"]))
    for digest, case in digests:
        messages = render_telegram(
            digest, language=case.language, timezone=case.timezone, bot_username="digest_bot"
        )
        for rendered in messages:
            await bot.send_message(
                USER,
                rendered.text,
                parse_mode=rendered.parse_mode,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
    sent = fake.sent(USER)
    assert len(sent) > len(CASES)
    assert fake.rejected == []
    for record in sent:
        assert record["visible_text"] == visible_text(record["text"]).strip(" \t\r\n")


# --------------------------------------------------------------------------- flood control


async def test_one_message_per_second_to_a_private_chat() -> None:
    clock = ManualClock()
    fake = FakeTelegram(clock=clock)
    try:
        async with make_bot(fake) as bot:
            await bot.send_message(USER, "1")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(USER, "2")
            assert raised.value.retry_after == timedelta(seconds=1)
            await bot.send_message(OTHER_USER, "another chat is not limited")
            clock.advance(1.0)
            await bot.send_message(USER, "3")
        [rejection] = fake.rejected
        assert (rejection.error_code, rejection.parameters) == (429, {"retry_after": 1})
        assert rejection.description == "Too Many Requests: retry after 1"
        assert [s["text"] for s in fake.sent(USER)] == ["1", "3"]
    finally:
        fake.close()


async def test_twenty_a_minute_to_a_group_scaled_down() -> None:
    clock = ManualClock()
    fake = FakeTelegram(limits=RateLimits(per_group=3, group_window=60.0), clock=clock)
    try:
        async with make_bot(fake) as bot:
            for n in range(3):
                await bot.send_message(GROUP, str(n))
                clock.advance(10.0)
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(GROUP, "too many")
            assert raised.value.retry_after == timedelta(seconds=30)  # until the 1st leaves
            await bot.send_message(SUPERGROUP, "another group is not limited")
            clock.advance(30.0)
            await bot.send_message(GROUP, "again")
    finally:
        fake.close()


async def test_an_overall_limit_across_chats() -> None:
    limits = RateLimits(per_private_chat=None, per_group=None, overall=2, overall_window=1.0)
    fake = FakeTelegram(limits=limits, clock=ManualClock())
    try:
        async with make_bot(fake) as bot:
            await bot.send_message(USER, "a")
            await bot.send_message(OTHER_USER, "b")
            with pytest.raises(RetryAfter):
                await bot.send_message(GROUP, "c")
    finally:
        fake.close()


async def test_a_429_can_be_forced_and_its_wait_is_enforced() -> None:
    clock = ManualClock()
    fake = FakeTelegram(limits=NO_LIMITS, clock=clock)
    try:
        async with make_bot(fake) as bot:
            fake.force_retry_after(USER, retry_after=7)
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(USER, "x")
            assert raised.value.retry_after == timedelta(seconds=7)
            await bot.send_message(OTHER_USER, "another chat is not held")
            clock.advance(2.0)
            with pytest.raises(RetryAfter) as again:
                await bot.send_message(USER, "too early")
            assert again.value.retry_after == timedelta(seconds=5)
            clock.advance(5.0)
            await bot.send_message(USER, "then accepted")
        assert [s["text"] for s in fake.sent(USER)] == ["then accepted"]
        [violation] = fake.violations
        assert (violation.params, violation.error_code) == ({"chat_id": USER}, 429)
    finally:
        fake.close()


async def test_a_bot_wide_429_holds_every_chat_and_counts_violations() -> None:
    """After the overall limit's 429, Telegram refuses sends to every chat until retry_after
    has passed; each such send is a violation the fake records."""
    clock = ManualClock()
    limits = RateLimits(per_private_chat=None, per_group=None, overall=2, overall_window=1.0)
    fake = FakeTelegram(limits=limits, clock=clock)
    try:
        async with make_bot(fake) as bot:
            await bot.send_message(USER, "a")
            await bot.send_message(OTHER_USER, "b")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(GROUP, "c")
            assert raised.value.retry_after == timedelta(seconds=1)
            assert fake.violations == []
            clock.advance(0.5)  # the window would have room again, but the wait is not over
            with pytest.raises(RetryAfter):
                await bot.send_message(SUPERGROUP, "d")
            clock.advance(0.5)
            await bot.send_message(SUPERGROUP, "e")
        assert [v.params["chat_id"] for v in fake.violations] == [SUPERGROUP]
    finally:
        fake.close()


async def test_latency_slows_a_method_down(fake: FakeTelegram, bot: Bot) -> None:
    fake.latency["sendMessage"] = 0.3
    started = time.monotonic()
    await bot.send_message(USER, "بطيء")
    assert time.monotonic() - started >= 0.3
    assert await bot.get_me()  # other methods answer at once


# --------------------------------------------------------------------------- chat states


async def test_a_blocked_user_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(USER)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(USER, "x")
    fake.unblock(USER)
    await bot.send_message(USER, "x")


async def test_a_group_that_removed_the_bot_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(GROUP)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(GROUP, "x")


async def test_an_unknown_chat_is_not_found(fake: FakeTelegram, bot: Bot) -> None:
    fake.remove_chat(USER)
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(USER, "x")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message("@nobody_here", "x")


async def test_a_migrated_group_names_its_supergroup(fake: FakeTelegram, bot: Bot) -> None:
    fake.migrate(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(GROUP, "x")
    assert raised.value.new_chat_id == SUPERGROUP
    assert fake.rejected[0].description == (
        "Bad Request: group chat was upgraded to a supergroup chat"
    )
    message = await bot.send_message(SUPERGROUP, "x")
    assert message.chat.type == "supergroup"


async def test_forum_topics(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_topic(SUPERGROUP, 7, "أخبار")
    message = await bot.send_message(SUPERGROUP, "x", message_thread_id=7)
    assert (message.message_thread_id, message.is_topic_message) == (7, True)
    with pytest.raises(BadRequest, match=r"^Message thread not found$"):
        await bot.send_message(SUPERGROUP, "x", message_thread_id=8)


async def test_chat_information(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_chat(GROUP, title="أخبار الصباح")
    fake.set_admins(GROUP, [USER, OTHER_USER])
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("group", "أخبار الصباح")
    owner, admin = await bot.get_chat_administrators(GROUP)
    assert isinstance(owner, ChatMemberOwner) and owner.user.id == USER
    assert isinstance(admin, ChatMemberAdministrator) and admin.user.id == OTHER_USER
    assert (await bot.get_chat_member(GROUP, 777)).status == "left"
    fake.inject_message(777, GROUP, "مرحبا")
    assert (await bot.get_chat_member(GROUP, 777)).status == "member"
    with pytest.raises(BadRequest, match="no administrators in the private chat"):
        await bot.get_chat_administrators(USER)


# --------------------------------------------------------------------------- updates


async def test_get_updates_long_polls_for_an_injected_message(fake: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_request("getUpdates")
    injected = fake.inject_message(USER, USER, "/start t-economy", username="reader")
    [update] = await asyncio.wait_for(poll, 2)  # well before the 5 s poll timeout
    assert update.update_id == injected["update_id"]
    assert update.message is not None and update.message.text == "/start t-economy"
    assert update.message.from_user is not None and update.message.from_user.username == "reader"
    [command] = update.message.entities
    assert (command.type, command.offset, command.length) == (MessageEntity.BOT_COMMAND, 0, 6)
    assert await bot.get_updates(offset=update.update_id + 1) == ()  # confirmed and forgotten
    assert fake.pending_updates() == []


async def test_get_updates_returns_empty_after_its_timeout(bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=timedelta(seconds=0.3)) == ()
    assert 0.25 <= loop.time() - started < 2


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("/start@newsdigest_test_bot t-economy", [(0, 26)]),
        ("📰 /help", [(3, 5)]),  # offsets in UTF-16: the emoji counts 2
        ("ابحث /search_x عن", [(5, 9)]),
        ("a/b and /x/y", []),
        ("/follow@ab", []),  # a bot name shorter than 3 characters makes no command
    ],
)
async def test_bot_command_entities_are_marked_in_utf16(
    fake: FakeTelegram, bot: Bot, text: str, commands: list[tuple[int, int]]
) -> None:
    fake.inject_message(USER, USER, text)
    [update] = await bot.get_updates()
    assert update.message is not None
    found = [(e.offset, e.length) for e in update.message.entities]
    assert found == commands
    assert all(e.type == MessageEntity.BOT_COMMAND for e in update.message.entities)


async def test_a_bots_message_gets_the_commands_and_hashtags_telegram_finds(bot: Bot) -> None:
    html = (
        "<b>اكتب /help أو /schedule 08:00</b>\n/⁨search⁩ ⁨/follow⁩ إيران\n"
        '#الطاقة_المتجددة #الفضاء_🚀 #2026 <a href="https://t.me/x?start=t-a">#رابط</a>'
    )
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert message.text is not None
    found = [
        (e.type, message.parse_entity(e))
        for e in message.entities
        if e.type in (MessageEntity.BOT_COMMAND, MessageEntity.HASHTAG)
    ]
    assert found == [
        (MessageEntity.BOT_COMMAND, "/help"),  # inside bold: still a command
        (MessageEntity.BOT_COMMAND, "/schedule"),
        (MessageEntity.BOT_COMMAND, "/follow"),  # an isolate is no word character
        (MessageEntity.HASHTAG, "#الطاقة_المتجددة"),
        (MessageEntity.HASHTAG, "#الفضاء_"),  # an emoji ends a hashtag
    ]  # "/⁨search⁩" is no command, "#2026" has no letter, a link's text is no hashtag


async def test_chat_actions_are_checked_and_recorded(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_topic(SUPERGROUP, 9, "أخبار")
    assert await bot.send_chat_action(USER, "typing")
    assert await bot.send_chat_action(SUPERGROUP, "typing", message_thread_id=9)
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.send_chat_action(SUPERGROUP, "typing", message_thread_id=10)
    fake.block(USER)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")
    assert fake.actions == [
        {"chat_id": USER, "action": "typing", "message_thread_id": None, "after": 0},
        {"chat_id": SUPERGROUP, "action": "typing", "message_thread_id": 9, "after": 0},
    ]
    assert fake.sent() == []  # an action is no message


async def test_offset_limit_and_allowed_updates(fake: FakeTelegram, bot: Bot) -> None:
    first = fake.inject_message(USER, USER, "1")
    fake.inject_message(USER, USER, "2")
    fake.inject_callback(USER, USER, "more", message_id=1)
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first["update_id"]]
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in updates] == [True]
    assert await bot.get_updates(offset=-1) != ()  # the setting is remembered; -1: the last


async def test_a_newer_poll_ends_an_older_one_with_a_conflict(fake: FakeTelegram, bot: Bot) -> None:
    url = f"{fake.base_url}{fake.token}/getUpdates"
    async with httpx.AsyncClient(trust_env=False) as client:
        older = asyncio.create_task(client.post(url, json={"timeout": 5}))
        await fake.wait_for_request("getUpdates")
        assert await bot.get_updates() == ()
        reply = await asyncio.wait_for(older, 2)
    assert reply.status_code == 409
    assert reply.json()["description"].startswith("Conflict: terminated by other getUpdates")


async def test_webhook_and_polling_exclude_each_other(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_webhook("https://bot.example/hook", drop_pending_updates=True)
    assert fake.webhook is not None and fake.webhook["url"] == "https://bot.example/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    with pytest.raises(BadRequest, match="an https url must be provided"):
        await bot.set_webhook("http://bot.example/hook")
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_commands_are_kept_per_scope_and_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "ابدأ"), BotCommand("search", "ابحث")])
    scope = BotCommandScopeChat(GROUP)
    await bot.set_my_commands([BotCommand("digest", "Digest now")], scope, "en")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "search"]
    assert [c.command for c in await bot.get_my_commands(scope, "en")] == ["digest"]
    assert await bot.get_my_commands(scope) == ()
    assert fake.commands({"type": "chat", "chat_id": GROUP}, "en") == [
        {"command": "digest", "description": "Digest now"}
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "upper case is refused")])


async def test_edits_and_callback_answers(fake: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("المزيد", callback_data="more")]])
    message = await bot.send_message(USER, "<b>1</b>", parse_mode="HTML", reply_markup=keyboard)
    edited = await bot.edit_message_text("<b>2</b>", USER, message.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool) and edited.text == "2"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>2</b>", USER, message.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=too_long)
    assert [s["method"] for s in fake.sent(USER)] == ["sendMessage", "editMessageText"]


def test_the_sync_wait_sees_a_message_sent_from_another_thread(fake: FakeTelegram) -> None:
    def send() -> None:
        with httpx.Client(trust_env=False) as client:
            url = f"{fake.base_url}{fake.token}/sendMessage"
            client.post(url, json={"chat_id": USER, "text": "من خيط آخر"})

    threading.Timer(0.05, send).start()
    found = fake.wait_for_sent_sync(lambda m: m["chat_id"] == USER, timeout=2)
    assert found["visible_text"] == "من خيط آخر"
    with pytest.raises(AssertionError, match="no matching message"):
        fake.wait_for_sent_sync(lambda m: m["chat_id"] == GROUP, timeout=0.05)


# --------------------------------------------------------------------------- a whole Application


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to /start with a button."""
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("اشترك", callback_data="follow")]])
    await update.effective_message.reply_html(
        f"<b>أهلاً</b> {' '.join(context.args or [])}", reply_markup=keyboard
    )


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button, then edit its message."""
    query = update.callback_query
    assert query is not None
    await query.answer("تم")
    await query.edit_message_text("<i>تم الاشتراك</i>", parse_mode=ParseMode.HTML)


async def test_an_application_polls_and_its_handlers_reply(fake_telegram: FakeTelegram) -> None:
    fake = fake_telegram
    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .request(loopback_request())
        .get_updates_request(loopback_request())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(follow, pattern="^follow$"))
    fake.inject_message(USER, USER, "/start t-economy")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
        reply = await fake.wait_for_sent(lambda m: m["chat_id"] == USER, timeout=5)
        fake.inject_callback(USER, USER, "follow", reply["message_id"])
        edit: dict[str, Any] = await fake.wait_for_sent(
            lambda m: m["method"] == "editMessageText", timeout=5
        )
        await app.updater.stop()
        await app.stop()
    assert reply["visible_text"] == "أهلاً t-economy"
    assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "follow"
    assert edit["visible_text"] == "تم الاشتراك"
    assert [a["text"] for a in fake.answers] == ["تم"]
    assert fake.requests[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert fake.pending_updates() == []  # the stop confirmed what was handled
