"""The fake Slack server, driven by the real slack_sdk and slack_bolt clients."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import aiohttp
import httpx
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.fake_slack import FakeSlack, fake_slack, sign, validate_blocks

__all__ = ["fake_slack"]  # the fixture, imported so that tests here can use it


def web(fake: FakeSlack, token: str | None = None) -> AsyncWebClient:
    # No retry handlers: a 429 must surface as SlackApiError, not be retried.
    return AsyncWebClient(token=token or fake.bot_token, base_url=fake.base_url, retry_handlers=[])


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str, text: str = "تابع", value: str = "iran") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


async def test_auth_test_and_bad_token(fake_slack: FakeSlack) -> None:
    resp = await web(fake_slack).auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == "U0BOT"
    assert resp["team_id"] == "T0TEST"
    assert resp["bot_id"]
    with pytest.raises(SlackApiError) as err:
        await web(fake_slack, "xoxb-wrong").auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert fake_slack.requests == ["auth.test", "auth.test"]


async def test_post_message_records_blocks_and_unique_ts(fake_slack: FakeSlack) -> None:
    fake_slack.per_channel_per_second = 10
    client = web(fake_slack)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "موجز الأخبار"}},
        section("*١. عنوان*"),
        {"type": "actions", "elements": [button("follow_topic:1.1")]},
    ]
    first = await client.chat_postMessage(channel="C1", text="موجز", blocks=blocks)
    second = await client.chat_postMessage(channel="C1", text="ثانٍ", thread_ts=first["ts"])
    assert first["ok"] and first["channel"] == "C1"
    assert first["message"]["blocks"] == blocks
    assert first["ts"] != second["ts"]
    assert first["ts"].startswith("1700000000.")
    posted = fake_slack.posted("C1")
    assert [m["text"] for m in posted] == ["موجز", "ثانٍ"]
    assert posted[0]["blocks"] == blocks
    assert posted[1]["thread_ts"] == first["ts"]
    assert fake_slack.posted("C2") == []


async def test_blocks_as_json_string_in_a_form(fake_slack: FakeSlack) -> None:
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            fake_slack.base_url + "chat.postMessage",
            data={"channel": "C1", "blocks": json.dumps([section("نص")])},
            headers={"Authorization": f"Bearer {fake_slack.bot_token}"},
        )
    assert resp.json()["ok"] is True
    assert fake_slack.posted()[0]["blocks"] == [section("نص")]


@pytest.mark.parametrize(
    "blocks",
    [
        [section("x")] * 51,
        [section("ب" * 3001)],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [{"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        [{"type": "actions", "elements": [button("a", text="t" * 76)]}],
        [{"type": "actions", "elements": [button("a" * 256)]}],
        [{"type": "actions", "elements": [button("a", value="v" * 2001)]}],
        [
            {"type": "actions", "elements": [button("dup")]},
            {"type": "actions", "elements": [button("dup")]},
        ],
        [{"type": "carousel"}],
    ],
    ids=[
        "51-blocks",
        "section-3001",
        "header-151",
        "26-buttons",
        "11-context",
        "button-text",
        "action-id",
        "button-value",
        "duplicate-action-id",
        "unknown-type",
    ],
)
async def test_invalid_blocks(fake_slack: FakeSlack, blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(SlackApiError) as err:
        await web(fake_slack).chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert err.value.response["response_metadata"]["messages"]
    assert fake_slack.posted() == []
    assert fake_slack.rejected[0]["error"] == "invalid_blocks"
    assert fake_slack.rejected[0]["method"] == "chat.postMessage"


def test_limits_are_inclusive() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("ب" * 3000),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "actions", "elements": [button(f"a{i}") for i in range(25)]},
        {"type": "actions", "elements": [button("b" * 255, text="t" * 75, value="v" * 2000)]},
    ]
    assert validate_blocks(blocks) == []
    assert validate_blocks([section("x")] * 50) == []


async def test_no_text(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        await web(fake_slack).api_call("chat.postMessage", json={"channel": "C1"})
    assert err.value.response["error"] == "no_text"


async def test_rate_limit_per_channel(fake_slack: FakeSlack) -> None:
    client = web(fake_slack)
    await client.chat_postMessage(channel="C1", text="1")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="2")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"
    await client.chat_postMessage(channel="C2", text="other channel")  # a separate window
    fake_slack.clock = lambda: 10**9  # a second later, without sleeping
    await client.chat_postMessage(channel="C1", text="3")
    assert [m["text"] for m in fake_slack.posted()] == ["1", "other channel", "3"]
    assert fake_slack.rejected == [
        {
            "method": "chat.postMessage",
            "params": {"channel": "C1", "text": "2"},
            "error": "ratelimited",
            "status": 429,
        }
    ]


async def test_force_ratelimit(fake_slack: FakeSlack) -> None:
    fake_slack.force_ratelimit("C1", retry_after=7)
    client = web(fake_slack)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="1")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    await client.chat_postMessage(channel="C1", text="2")  # only the next one


async def test_channel_states(fake_slack: FakeSlack) -> None:
    fake_slack.archive("C1")
    fake_slack.delete("C2")
    fake_slack.kick("C3")
    client = web(fake_slack)
    errors = []
    for channel in ("C1", "C2", "C3"):
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel=channel, text="x")
        errors.append(err.value.response["error"])
    assert errors == ["is_archived", "channel_not_found", "not_in_channel"]
    info = await client.conversations_info(channel="C1")
    assert info["channel"]["is_archived"] is True


async def test_ephemeral_views_and_unknown_method(fake_slack: FakeSlack) -> None:
    client = web(fake_slack)
    resp = await client.chat_postEphemeral(channel="C1", user="U1", text="لك وحدك")
    assert resp["message_ts"]
    assert fake_slack.ephemeral[0]["user"] == "U1"
    view = {"type": "home", "blocks": [section("الرئيسية")]}
    await client.views_publish(user_id="U1", view=view)
    assert fake_slack.views == [{"user_id": "U1", "view": view}]
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.scheduleMessage", params={"channel": "C1"})
    assert err.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as err:
        await client.apps_connections_open(app_token=fake_slack.bot_token)
    assert err.value.response["error"] == "not_allowed_token_type"


async def test_response_url(fake_slack: FakeSlack) -> None:
    url = fake_slack.response_url()
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"text": "نتائج", "response_type": "ephemeral"}) as r:
            assert r.status == 200
        async with session.post(url, json={"blocks": [{"type": "nope"}]}) as r:
            assert r.status == 400
        async with session.post(url.rsplit("/", 1)[0] + "/unknown", json={"text": "x"}) as r:
            assert r.status == 404
    assert fake_slack.responses == [{"url": url, "text": "نتائج", "response_type": "ephemeral"}]


def test_sign_matches_slack_sdk_verifier() -> None:
    from slack_sdk.signature import SignatureVerifier

    body = b"command=%2Fnews&text=hi"
    headers = sign(body, "s3cret", 1_700_000_000)
    expected = hmac.new(b"s3cret", b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert headers["X-Slack-Signature"] == f"v0={expected}"
    verifier = SignatureVerifier(
        "s3cret", clock=type("C", (), {"now": lambda self: 1_700_000_000})()
    )
    assert verifier.is_valid_request(body, headers)


def bolt_app(fake: FakeSlack) -> AsyncApp:
    return AsyncApp(
        client=web(fake),
        request_verification_enabled=False,
        logger=logging.getLogger("test-fake-slack"),
    )


async def test_socket_mode_slash_command_ack_and_respond(fake_slack: FakeSlack) -> None:
    app = bolt_app(fake_slack)

    @app.command("/news")
    async def news(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack(f"جارٍ البحث: {command['text']}")
        await respond(text="لا نتائج", response_type="ephemeral")

    handler = AsyncSocketModeHandler(app, fake_slack.app_token)
    await handler.connect_async()
    try:
        await fake_slack.wait_connected(5)
        payload = fake_slack.slash_command(text="search إيران")
        ack = await fake_slack.send_envelope("slash_commands", payload)
        assert ack["payload"] == {"text": "جارٍ البحث: search إيران"}
        await fake_slack.wait_for(lambda f: len(f.responses) == 1, 5)
    finally:
        await handler.close_async()
    assert fake_slack.responses[0]["url"] == payload["response_url"]
    assert fake_slack.responses[0]["text"] == "لا نتائج"
    assert "apps.connections.open" in fake_slack.requests


async def test_socket_mode_block_action_and_home(fake_slack: FakeSlack) -> None:
    app = bolt_app(fake_slack)
    clicked: list[str] = []

    @app.action("follow_topic:1.1")
    async def follow(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        clicked.append(body["actions"][0]["value"])
        await client.chat_postEphemeral(
            channel=body["channel"]["id"], user=body["user"]["id"], text="تمت المتابعة"
        )

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    handler = AsyncSocketModeHandler(app, fake_slack.app_token)
    await handler.connect_async()
    try:
        ack = await fake_slack.send_envelope(
            "interactive", fake_slack.block_action("follow_topic:1.1", "iran")
        )
        assert "payload" not in ack
        await fake_slack.send_envelope("events_api", fake_slack.app_home_opened("U7"))
        await fake_slack.wait_for(lambda f: f.ephemeral and f.views, 5)
    finally:
        await handler.close_async()
    assert clicked == ["iran"]
    assert fake_slack.ephemeral[0]["text"] == "تمت المتابعة"
    assert fake_slack.views[0]["user_id"] == "U7"


async def test_send_envelope_without_client_fails_fast(fake_slack: FakeSlack) -> None:
    with pytest.raises(AssertionError):
        await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(), timeout=0.2)


def test_wait_connected_sync_times_out(fake_slack: FakeSlack) -> None:
    with pytest.raises(AssertionError):
        fake_slack.wait_connected(0.05)
