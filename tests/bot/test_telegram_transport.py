"""TelegramTransport translates what the Bot API answers into the sender's policy errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.telegram_bot import TelegramTransport
from digests.deliver.sender import ChatGone, ChatMoved, Rejected, RetryLater
from digests.render.telegram import render_telegram
from tests.support.fake_telegram import (  # noqa: F401  (fixture)
    FakeTelegram,
    entity_texts,
    fake_telegram,
)
from tests.support.render_fixtures import AWKWARD_TAGS, tagged

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def payload(text: str) -> str:
    return json.dumps({"text": text, "disable_preview": True}, ensure_ascii=False)


@pytest.fixture
async def transport(
    fake_telegram: FakeTelegram,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TelegramTransport]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder()
        .token(fake_telegram.token)
        .base_url(fake_telegram.base_url)
        .updater(None)
        .build()
    )
    async with app:
        yield TelegramTransport(app)


async def test_a_message_goes_to_the_chat_and_forum_topic(
    transport: TelegramTransport,
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    fake_telegram.add_chat(-1001, "supergroup", title="منتدى", is_forum=True)
    fake_telegram.add_topic(-1001, 7, "الأخبار")
    message_id = await transport.send("-1001", "7", payload("<b>موجز</b> اليوم 2026"))
    [sent] = fake_telegram.sent(-1001)
    assert sent["message_thread_id"] == 7 and str(sent["message_id"]) == message_id
    assert sent["link_preview_options"] == {"is_disabled": True}


async def test_platform_answers_become_policy_errors(
    transport: TelegramTransport,
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    fake_telegram.add_chat(5, "private")
    fake_telegram.block(5)
    with pytest.raises(ChatGone, match="blocked"):
        await transport.send("5", None, payload("مرحبا"))

    fake_telegram.add_chat(-77, "group", title="مجموعة")
    fake_telegram.migrate(-77, -10077)
    with pytest.raises(ChatMoved) as moved:
        await transport.send("-77", None, payload("مرحبا"))
    assert moved.value.new_chat == "-10077"

    fake_telegram.add_chat(6, "private")
    fake_telegram.force_retry_after(6, retry_after=3)
    with pytest.raises(RetryLater) as later:
        await transport.send("6", None, payload("مرحبا"))
    assert later.value.seconds == 3
    assert later.value.everything  # Telegram does not say which limit: every chat waits

    with pytest.raises(Rejected, match="parse entities"):
        await transport.send("6", None, payload("<b>غير مغلق"))
    fake_telegram.remove_chat(424242)
    with pytest.raises(ChatGone, match="not found"):
        await transport.send("424242", None, payload("مرحبا"))


@pytest.mark.parametrize("bot_username", [None, "akhbar_digest_bot"])
async def test_each_topic_tag_is_one_whole_hashtag_for_telegram(
    transport: TelegramTransport,
    fake_telegram: FakeTelegram,  # noqa: F811
    bot_username: str | None,
) -> None:
    [message] = render_telegram(
        tagged(), language="ar", timezone="Asia/Riyadh", bot_username=bot_username
    )
    await transport.send("7", None, payload(message.text))
    [sent] = fake_telegram.sent(7)
    if bot_username is None:  # Telegram makes each tag a hashtag itself
        assert entity_texts(sent, "hashtag") == list(AWKWARD_TAGS)
    else:  # each tag is a deep link whose text is the whole tag (the isolates aside)
        links = entity_texts(sent, "text_link")[1:]  # after the headline's
        assert [link.strip("\u2068\u2069") for link in links] == list(AWKWARD_TAGS)
    assert "ˍ" not in sent["visible_text"]
