"""The transports' edits (live updates): Telegram editMessageText and Slack chat.update against
the fakes, with the platforms' answers for an unchanged and for a deleted message."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_bot import SlackTransport
from bot.telegram_bot import TelegramTransport
from digests.compose.destination import Destination
from digests.deliver.queue import payloads
from digests.deliver.sender import EditingTransport, MessageGone
from digests.models import Digest, DigestItem, DigestSection
from tests.support.fake_slack import FakeSlack, fake_slack  # noqa: F401  (fixture)
from tests.support.fake_telegram import FakeTelegram, fake_telegram  # noqa: F401  (fixture)
from tests.support.transports import CHANNEL, transport  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SLACK_CHANNEL = "C0NEWS0001"
FIRST = "<b>زلزال يضرب جنوب تركيا</b>\nمقتل 12 شخصا (بي بي سي)"
GROWN = FIRST + "\nأعلنت هيئة الكوارث مقتل 15 شخصا (فرانس 24)\nأيضاً في: فرانس 24"


def telegram_payload(text: str) -> str:
    return json.dumps({"text": text, "disable_preview": True}, ensure_ascii=False)


async def test_telegram_edits_a_message_and_tells_when_it_is_gone(
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    assert isinstance(transport, EditingTransport)
    message_id = await transport.send(str(CHANNEL), None, telegram_payload(FIRST))

    await transport.edit(str(CHANNEL), message_id, telegram_payload(GROWN))
    await transport.edit(str(CHANNEL), message_id, telegram_payload(GROWN))  # unchanged: no error

    edits = [m for m in fake_telegram.sent(CHANNEL) if m["method"] == "editMessageText"]
    assert len(edits) == 1 and "فرانس 24" in str(edits[0]["visible_text"])
    assert [e["type"] for e in edits[0]["entities"]] == ["bold"]
    assert "message is not modified" in fake_telegram.rejected[-1].description

    fake_telegram.delete_message(CHANNEL, int(message_id))
    with pytest.raises(MessageGone, match=r"(?i)message to edit not found"):
        await transport.edit(str(CHANNEL), message_id, telegram_payload(GROWN + "\nتحديث"))


async def test_slack_updates_a_message_and_tells_when_it_is_gone(
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    client = AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.base_url)
    slack = SlackTransport(client)
    assert isinstance(slack, EditingTransport)

    def payload(text: str) -> str:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        return json.dumps({"text": text, "blocks": blocks}, ensure_ascii=False)

    ts = await slack.send(SLACK_CHANNEL, None, payload("زلزال يضرب جنوب تركيا (بي بي سي)"))
    await slack.edit(SLACK_CHANNEL, ts, payload("زلزال يضرب جنوب تركيا · أيضاً في: فرانس 24"))

    [update] = fake_slack.updated(SLACK_CHANNEL)
    assert update["ts"] == ts and "فرانس 24" in update["blocks"][0]["text"]["text"]
    assert len(fake_slack.posted(SLACK_CHANNEL)) == 1  # an edit is never a new message

    fake_slack.delete_message(SLACK_CHANNEL, ts)
    with pytest.raises(MessageGone):
        await slack.edit(SLACK_CHANNEL, ts, payload("تحديث"))


async def test_a_photo_telegram_cannot_fetch_goes_out_as_text(
    transport: TelegramTransport,  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    url = "https://img.example/quake.jpg"
    fake_telegram.unreachable_photos.add(url)
    payload = json.dumps({"text": FIRST, "disable_preview": True, "photo": url}, ensure_ascii=False)

    message_id = await transport.send(str(CHANNEL), None, payload)

    assert [r.method for r in fake_telegram.rejected] == ["sendPhoto"]
    [sent] = fake_telegram.sent(CHANNEL)
    assert sent["method"] == "sendMessage" and str(sent["message_id"]) == message_id
    # Its later edits find a text message: editMessageText, not the caption.
    await transport.edit(str(CHANNEL), message_id, payload.replace("12 شخصا", "15 شخصا"))
    assert fake_telegram.sent(CHANNEL)[-1]["method"] == "editMessageText"


def lone_story(image: str | None) -> Digest:
    item = DigestItem(
        article_id=1,
        title="زلزال بقوة 6.2 درجات يضرب جنوب تركيا",
        url="https://bbc.example/news/1",
        source="بي بي سي",
        published_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        summary="ضرب زلزال بقوة 6.2 درجات ولاية هطاي جنوبي تركيا فجر الاثنين.",
        image=image,
    )
    return Digest(
        "news",
        datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
        (DigestSection(None, (item,)),),
        kind="breaking",
    )


async def test_slack_shows_the_lead_image_as_an_image_block(
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    url = "https://img.example/quake.jpg"
    destination = Destination(name="news", platform="slack", chat=SLACK_CHANNEL)
    [payload] = payloads(lone_story(url), destination, None)
    [quiet] = payloads(lone_story(url), replace(destination, images=False), None)
    client = AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.base_url)

    await SlackTransport(client).send(SLACK_CHANNEL, None, payload)

    [posted] = fake_slack.posted(SLACK_CHANNEL)
    assert posted["blocks"][-1] == {
        "type": "image",
        "image_url": url,
        "alt_text": "زلزال بقوة 6.2 درجات يضرب جنوب تركيا",
    }
    assert not fake_slack.rejected
    assert "image" not in quiet  # images = false: no image block, even on the breaking lane
