"""A local fake of the Slack Web API and Socket Mode: a real HTTP/WebSocket server on 127.0.0.1.

Point slack_sdk at it with ``AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)``
(``base_url`` ends with "/": slack_sdk builds ``urljoin(base_url, method)``). Socket Mode
clients get ``ws://127.0.0.1:PORT/socket`` from ``apps.connections.open``. The server is
aiohttp.web running on its own event loop in a background thread, so it answers while the
test's event loop is busy running the bot. Only loopback; no network.

Faithful to the real Slack API:

* **Protocol**: ``POST /api/<method>`` with a form (``application/x-www-form-urlencoded`` or
  multipart) or a JSON body, plus query-string parameters; the token comes from
  ``Authorization: Bearer ...`` or a ``token`` parameter. Errors are HTTP 200 with ``{"ok":
  false, "error": "..."}``: no token → ``not_authed``, an unknown token → ``invalid_auth``, a
  bot token where the app-level token is required (``apps.connections.open``) or the other
  way round → ``not_allowed_token_type``, an unknown method → ``unknown_method``.
* **Messages** (``chat.postMessage``, ``chat.postEphemeral``): ``blocks`` as a JSON string or
  a list; no ``text`` and no ``blocks`` → ``no_text``; Block Kit limits → ``invalid_blocks``
  with the reasons in ``response_metadata.messages`` (like Slack's ``[ERROR] ...`` lines):
  more than 50 blocks; unknown block types; a section text over 3000 characters or more than
  10 fields (each at most 2000); a header that is not ``plain_text`` or over 150; an actions
  block with 0 or more than 25 elements; a context with 0 or more than 10 elements (texts at
  most 3000); a button text over 75, ``action_id`` over 255, ``value`` over 2000, url over
  3000; a ``block_id`` over 255; duplicate ``action_id`` or ``block_id`` values in one
  message; an image block without an http(s) ``image_url`` (at most 3000) or without an
  ``alt_text`` (at most 2000). Lengths are counted in code points (``len``), as Slack
  counts characters.
* **Channel states**: ``archive(channel)`` → ``is_archived``, ``delete(channel)`` →
  ``channel_not_found``, ``kick(channel)`` → ``not_in_channel``.
* **Rate limit**: more than ``per_channel_per_second`` ``chat.postMessage`` calls to one
  channel within one second (sliding window, only accepted calls count) → HTTP 429 with
  ``Retry-After: 1`` and ``{"ok": false, "error": "ratelimited"}``.
  ``force_ratelimit(channel, retry_after)`` makes the next message to that channel answer 429.
* **Edits** (``chat.update``): the message must have been posted by the bot there and not
  deleted (``delete_message(channel, ts)``), else ``message_not_found``; blocks are checked as
  for a new message. Accepted updates are in ``updated()``.
* **response_url**: ``response_url()`` issues ``http://127.0.0.1:PORT/response/<id>``; a JSON
  POST to it is recorded in ``responses`` (invalid blocks → 400 ``invalid_blocks``; an id
  never issued → 404).
* **Socket Mode**: on connect the server sends ``hello``; ``send_envelope`` sends
  ``{"envelope_id", "type", "accepts_response_payload", "payload"}`` and waits for the
  client's ack ``{"envelope_id": ..., "payload"?: ...}``. Pings are answered with pongs.

Simplified (say so when a test relies on it):

* Only ``chat.postMessage`` is rate limited (``chat.postEphemeral`` is Tier 4 on Slack and
  has no per-channel limit here); ``force_ratelimit`` applies to both. Global and per-method
  tier limits are not modelled. The window runs on ``fake.clock`` (``time.monotonic``).
* Channels are created on first use; users are not checked (``postEphemeral`` only needs a
  ``user``). No attachments, files, threads beyond recording ``thread_ts``; ``chat.update``
  is not rate limited and does not change what ``posted()`` returns.
* An envelope goes to the newest Socket Mode connection (Slack picks one of them); the fake
  never sends ``disconnect`` nor retries unacknowledged envelopes.
* ``views.publish`` checks ``type == "home"`` and at most 100 blocks with the same rules.
* ``conversations.info`` is minimal (id, name, is_channel, is_archived, is_member).
* A ``response_url`` takes any number of POSTs (Slack allows 5 within 30 minutes); its
  rejections are recorded in ``rejected`` with ``method`` ``"response_url"``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

__all__ = ["FakeSlack", "fake_slack", "sign", "validate_blocks"]

APP_ID = "A0TEST"
BOT_ID = "B0BOT"

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000

MAX_IMAGE_URL = 3000
MAX_ALT_TEXT = 2000
KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)
BOT_METHODS = frozenset(
    {
        "auth.test",
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.publish",
        "conversations.info",
    }
)

Params = dict[str, Any]


def sign(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """Slack's request-signing headers for an HTTP-mode request ``body`` (v0, HMAC-SHA256)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return None


def _check_text_object(obj: Any, where: str, limit: int, errors: list[str]) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        errors.append(f"[ERROR] must be a text object [json-pointer:{where}]")
        return
    text = _text_of(obj)
    if text is None:
        errors.append(f"[ERROR] missing required field: text [json-pointer:{where}]")
    elif len(text) > limit:
        errors.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}]")


def _check_element(
    element: Any, where: str, action_ids: set[str], errors: list[str], *, in_context: bool = False
) -> None:
    if not isinstance(element, dict):
        errors.append(f"[ERROR] must be an object [json-pointer:{where}]")
        return
    kind = element.get("type")
    if in_context and kind in ("plain_text", "mrkdwn"):
        _check_text_object(element, where, MAX_CONTEXT_TEXT, errors)
        return
    if kind == "button":
        text = element.get("text")
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            errors.append(f"[ERROR] must be a plain_text object [json-pointer:{where}/text]")
        else:
            _check_text_object(text, f"{where}/text", MAX_BUTTON_TEXT, errors)
        value = element.get("value")
        if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
            errors.append(
                f"[ERROR] must be less than {MAX_BUTTON_VALUE + 1} characters "
                f"[json-pointer:{where}/value]"
            )
        url = element.get("url")
        if isinstance(url, str) and len(url) > MAX_BUTTON_URL:
            errors.append(
                f"[ERROR] must be less than {MAX_BUTTON_URL + 1} characters "
                f"[json-pointer:{where}/url]"
            )
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or len(action_id) > MAX_ACTION_ID:
            errors.append(
                f"[ERROR] must be less than {MAX_ACTION_ID + 1} characters "
                f"[json-pointer:{where}/action_id]"
            )
        elif action_id in action_ids:
            errors.append(
                f"[ERROR] action_id '{action_id}' already exists [json-pointer:{where}/action_id]"
            )
        else:
            action_ids.add(action_id)


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_BLOCKS) -> list[str]:
    """Slack-style ``[ERROR] ...`` lines for ``blocks``; empty when Slack would accept them."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return ["[ERROR] must be an array [json-pointer:/blocks]"]
    if len(blocks) > max_blocks:
        errors.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:/blocks]")
    action_ids: set[str] = set()
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict):
            errors.append(f"[ERROR] must be an object [json-pointer:{where}]")
            continue
        kind = block.get("type")
        if kind not in KNOWN_BLOCK_TYPES:
            errors.append(f"[ERROR] unsupported type: {kind} [json-pointer:{where}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID:
                errors.append(
                    f"[ERROR] must be less than {MAX_BLOCK_ID + 1} characters "
                    f"[json-pointer:{where}/block_id]"
                )
            elif block_id in block_ids:
                errors.append(
                    f"[ERROR] block_id '{block_id}' already exists [json-pointer:{where}/block_id]"
                )
            else:
                block_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"[ERROR] must provide text or fields [json-pointer:{where}]")
            if "text" in block:
                _check_text_object(block["text"], f"{where}/text", MAX_SECTION_TEXT, errors)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
                    errors.append(
                        f"[ERROR] no more than {MAX_SECTION_FIELDS} items allowed "
                        f"[json-pointer:{where}/fields]"
                    )
                else:
                    for k, field in enumerate(fields):
                        _check_text_object(field, f"{where}/fields/{k}", MAX_FIELD_TEXT, errors)
            if "accessory" in block:
                _check_element(block["accessory"], f"{where}/accessory", action_ids, errors)
        elif kind == "header":
            text = block.get("text")
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                errors.append(f"[ERROR] must be a plain_text object [json-pointer:{where}/text]")
            else:
                _check_text_object(text, f"{where}/text", MAX_HEADER_TEXT, errors)
        elif kind in ("actions", "context"):
            limit = MAX_ACTIONS_ELEMENTS if kind == "actions" else MAX_CONTEXT_ELEMENTS
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                errors.append(f"[ERROR] must provide elements [json-pointer:{where}/elements]")
                continue
            if len(elements) > limit:
                errors.append(
                    f"[ERROR] no more than {limit} items allowed [json-pointer:{where}/elements]"
                )
            for k, element in enumerate(elements):
                _check_element(
                    element,
                    f"{where}/elements/{k}",
                    action_ids,
                    errors,
                    in_context=kind == "context",
                )
        elif kind == "image":
            url, alt = block.get("image_url"), block.get("alt_text")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                errors.append(f"[ERROR] must provide a valid url [json-pointer:{where}/image_url]")
            elif len(url) > MAX_IMAGE_URL:
                errors.append(
                    f"[ERROR] must be less than {MAX_IMAGE_URL + 1} characters "
                    f"[json-pointer:{where}/image_url]"
                )
            if not isinstance(alt, str) or not alt or len(alt) > MAX_ALT_TEXT:
                errors.append(
                    f"[ERROR] must be 1 to {MAX_ALT_TEXT} characters "
                    f"[json-pointer:{where}/alt_text]"
                )
    return errors


class _Channel:
    def __init__(self) -> None:
        self.archived = False
        self.deleted = False
        self.kicked = False
        self.sent: deque[float] = deque()  # times of accepted chat.postMessage calls
        self.forced_retry_after: int | None = None


class _Reject(Exception):
    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


class FakeSlack:
    """The fake server; ``close()`` it (the ``fake_slack`` fixture does)."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        team_id: str = "T0TEST",
        bot_user_id: str = "U0BOT",
        per_channel_per_second: float = 1.0,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.per_channel_per_second = per_channel_per_second
        self.clock: Callable[[], float] = time.monotonic

        self.requests: list[str] = []
        self.rejected: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.envelopes: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self._posted: list[dict[str, Any]] = []
        self._updated: list[dict[str, Any]] = []
        self._deleted: set[tuple[str, str]] = set()  # (channel, ts) of messages deleted
        self._channels: dict[str, _Channel] = {}
        self._response_ids: set[str] = set()
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = threading.Event()

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-slack", daemon=True
        )
        self._thread.start()
        self._runner: web.AppRunner | None = None
        self.port: int = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        self.socket_url = f"ws://127.0.0.1:{self.port}/socket"
        self._closed = False

    # ----------------------------------------------------------------- lifecycle

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{rid}", self._handle_response)
        app.router.add_get("/socket", self._handle_socket)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return int(self._runner.addresses[0][1])

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def __enter__(self) -> FakeSlack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------- helpers

    def _channel(self, channel: str) -> _Channel:
        with self._lock:
            return self._channels.setdefault(channel, _Channel())

    def archive(self, channel: str) -> None:
        self._channel(channel).archived = True

    def delete(self, channel: str) -> None:
        self._channel(channel).deleted = True

    def kick(self, channel: str) -> None:
        self._channel(channel).kicked = True

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a posted message (as a member would): a later ``chat.update`` of it gets
        ``message_not_found``."""
        with self._lock:
            self._deleted.add((channel, ts))

    def updated(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Accepted ``chat.update`` params (blocks parsed), oldest first."""
        with self._lock:
            return [m for m in self._updated if channel is None or m.get("channel") == channel]

    def force_ratelimit(self, channel: str, retry_after: int = 1) -> None:
        """The next message to ``channel`` is answered 429 with ``Retry-After: retry_after``."""
        self._channel(channel).forced_retry_after = retry_after

    def response_url(self) -> str:
        rid = uuid.uuid4().hex
        with self._lock:
            self._response_ids.add(rid)
        return f"http://127.0.0.1:{self.port}/response/{rid}"

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Accepted ``chat.postMessage`` params (blocks parsed, plus the ``ts`` given)."""
        with self._lock:
            return [m for m in self._posted if channel is None or m.get("channel") == channel]

    async def wait_for(
        self,
        predicate: Callable[[FakeSlack], object],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline
    ) -> None:
        """Poll ``predicate(fake)`` until it is truthy; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            await asyncio.sleep(0.01)

    def wait_connected(self, timeout: float = 5.0) -> Any:
        """Wait for a Socket Mode connection (hello sent); AssertionError after ``timeout``.

        Blocks when called outside an event loop; inside one it returns a coroutine to await.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            if not self._connected.wait(timeout):
                raise AssertionError(f"no Socket Mode connection within {timeout}s") from None
            return None
        return self.wait_for(lambda fake: fake._connected.is_set(), timeout)

    @property
    def connections(self) -> int:
        return len(self._sockets)

    # ------------------------------------------------------------ payload helpers

    def slash_command(
        self,
        command: str = "/news",
        text: str = "search إيران",
        user_id: str = "U1",
        channel_id: str = "C1",
    ) -> dict[str, Any]:
        """A Socket Mode ``slash_commands`` payload (all values strings, as Slack sends)."""
        return {
            "token": "verification-token",
            "team_id": self.team_id,
            "team_domain": "fake-team",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": f"user-{user_id.lower()}",
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.response_url(),
            "trigger_id": f"{next(self._ts)}.{uuid.uuid4().hex[:12]}",
        }

    def block_action(
        self,
        action_id: str,
        value: str,
        user_id: str = "U1",
        channel_id: str = "C1",
        response_url: str | None = None,
        *,
        message_ts: str | None = None,
        block_id: str = "block",
    ) -> dict[str, Any]:
        """An ``interactive`` ``block_actions`` payload for a button click on a bot message."""
        if message_ts is None:
            mine = self.posted(channel_id)
            message_ts = str(mine[-1]["ts"]) if mine else "1700000000.000100"
        return {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": f"user-{user_id.lower()}",
                "name": f"user-{user_id.lower()}",
                "team_id": self.team_id,
            },
            "api_app_id": APP_ID,
            "token": "verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": f"{next(self._ts)}.{uuid.uuid4().hex[:12]}",
            "team": {"id": self.team_id, "domain": "fake-team"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": "general"},
            "message": {
                "type": "message",
                "user": self.bot_user_id,
                "bot_id": BOT_ID,
                "ts": message_ts,
                "text": "",
            },
            "state": {"values": {}},
            "response_url": response_url or self.response_url(),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": action_id, "emoji": True},
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def app_home_opened(self, user_id: str = "U1") -> dict[str, Any]:
        """An ``events_api`` payload (``event_callback``) for ``app_home_opened``."""
        now = time.time()
        return {
            "token": "verification-token",
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": {
                "type": "app_home_opened",
                "user": user_id,
                "channel": f"D{user_id}",
                "tab": "home",
                "event_ts": f"{now:.6f}",
            },
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    # -------------------------------------------------------------- Socket Mode

    async def send_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline
        *,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any]:
        """Send an envelope to the newest Socket Mode connection and return the client's ack.

        ``accepts_response_payload`` defaults to True for ``slash_commands`` only, as on Slack.
        Raises AssertionError when nobody is connected or the ack does not come in ``timeout``.
        """
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands"
        envelope = {
            "envelope_id": str(uuid.uuid4()),
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
            "payload": payload,
        }
        future = asyncio.run_coroutine_threadsafe(
            self._send_envelope(envelope, timeout), self._loop
        )
        ack = await asyncio.wrap_future(future)
        if ack is None:
            raise AssertionError(f"no ack for {envelope_type} envelope within {timeout}s")
        return ack

    async def _send_envelope(
        self,
        envelope: dict[str, Any],
        timeout: float,  # noqa: ASYNC109 - a test helper's deadline
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while not self._sockets:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.01)
        ack: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._pending_acks[envelope["envelope_id"]] = ack
        self.envelopes.append(envelope)
        try:
            await self._sockets[-1].send_str(json.dumps(envelope, ensure_ascii=False))
            return await asyncio.wait_for(ack, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return None
        finally:
            self._pending_acks.pop(envelope["envelope_id"], None)

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        hello = {
            "type": "hello",
            "num_connections": len(self._sockets) + 1,
            "debug_info": {
                "host": "applink-fake-1",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        }
        await ws.send_str(json.dumps(hello))
        self._sockets.append(ws)
        self._connected.set()
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if isinstance(data, dict) and "envelope_id" in data:
                    self.acks.append(data)
                    pending = self._pending_acks.get(str(data["envelope_id"]))
                    if pending is not None and not pending.done():
                        pending.set_result(data)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._connected.clear()
        return ws

    # ------------------------------------------------------------------ Web API

    async def _params(self, request: web.Request) -> Params:
        params: Params = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif request.content_type == "application/x-www-form-urlencoded":
                raw = (await request.read()).decode()
                params.update(parse_qsl(raw, keep_blank_values=True))
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.requests.append(method)
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else params.pop("token", None)
        params.pop("token", None)
        try:
            self._check_token(method, token)
            handler = self._methods().get(method)
            if handler is None:
                raise _Reject("unknown_method")
            return web.json_response({"ok": True, **handler(params)})
        except _Reject as reject:
            with self._lock:
                self.rejected.append(
                    {
                        "method": method,
                        "params": params,
                        "error": reject.error,
                        "status": reject.status,
                    }
                )
            headers = {}
            if reject.status == 429:
                headers["Retry-After"] = str(reject.extra.pop("retry_after", 1))
            body = {"ok": False, "error": reject.error, **reject.extra}
            return web.json_response(body, status=reject.status, headers=headers)

    def _check_token(self, method: str, token: str | None) -> None:
        if not token:
            raise _Reject("not_authed")
        if token not in (self.bot_token, self.app_token):
            raise _Reject("invalid_auth")
        if method == "apps.connections.open" and token != self.app_token:
            raise _Reject("not_allowed_token_type")
        if method in BOT_METHODS and token != self.bot_token:
            raise _Reject("not_allowed_token_type")

    def _methods(self) -> dict[str, Callable[[Params], Params]]:
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update_message,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
        }

    def _auth_test(self, params: Params) -> Params:
        return {
            "url": "https://fake-team.slack.com/",
            "team": "Fake Team",
            "user": "newsdigest",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _connections_open(self, params: Params) -> Params:
        return {"url": f"{self.socket_url}?ticket={uuid.uuid4()}&app_id={APP_ID}"}

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1700000000 + n // 10000}.{(n % 10000) * 100:06d}"

    def _check_message(self, params: Params, *, rate_limited: bool) -> _Channel:
        channel_id = params.get("channel")
        if not channel_id:
            raise _Reject("channel_not_found")
        channel = self._channel(str(channel_id))
        if channel.deleted:
            raise _Reject("channel_not_found")
        if channel.archived:
            raise _Reject("is_archived")
        if channel.kicked:
            raise _Reject("not_in_channel")
        if channel.forced_retry_after is not None:
            retry_after, channel.forced_retry_after = channel.forced_retry_after, None
            raise _Reject("ratelimited", 429, retry_after=retry_after)
        if rate_limited:
            now = self.clock()
            while channel.sent and now - channel.sent[0] >= 1.0:
                channel.sent.popleft()
            if len(channel.sent) + 1 > self.per_channel_per_second:
                raise _Reject("ratelimited", 429, retry_after=1)
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks) if blocks else None
            except ValueError:
                raise _Reject("invalid_blocks_format") from None
        if blocks is not None:
            params["blocks"] = blocks
        if not params.get("text") and not blocks:
            raise _Reject("no_text")
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                raise _Reject("invalid_blocks", response_metadata={"messages": errors})
        return channel

    def _post_message(self, params: Params) -> Params:
        channel = self._check_message(params, rate_limited=True)
        channel.sent.append(self.clock())
        ts = self._next_ts()
        message: Params = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": params.get("text") or "",
            "ts": ts,
        }
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        with self._lock:
            self._posted.append({**params, "ts": ts})
        return {"channel": params["channel"], "ts": ts, "message": message}

    def _update_message(self, params: Params) -> Params:
        channel = str(params.get("channel") or "")
        ts = str(params.get("ts") or "")
        with self._lock:
            known = (
                any(m.get("channel") == channel and m.get("ts") == ts for m in self._posted)
                and (channel, ts) not in self._deleted
            )
        if not known:
            raise _Reject("message_not_found")
        self._check_message(params, rate_limited=False)
        with self._lock:
            self._updated.append(dict(params))
        message: Params = {"text": params.get("text") or "", "ts": ts}
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _post_ephemeral(self, params: Params) -> Params:
        if not params.get("user"):
            raise _Reject("user_not_found")
        self._check_message(params, rate_limited=False)
        ts = self._next_ts()
        with self._lock:
            self.ephemeral.append({**params, "message_ts": ts})
        return {"message_ts": ts}

    def _views_publish(self, params: Params) -> Params:
        user_id = params.get("user_id")
        view = params.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                raise _Reject("invalid_arguments") from None
        if not user_id or not isinstance(view, dict) or view.get("type") != "home":
            raise _Reject("invalid_arguments")
        errors = validate_blocks(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS)
        if errors:
            raise _Reject("invalid_blocks", response_metadata={"messages": errors})
        with self._lock:
            self.views.append({"user_id": user_id, "view": view})
        view_id = f"V{uuid.uuid4().hex[:10].upper()}"
        return {"view": {"id": view_id, "team_id": self.team_id, **view}}

    def _conversations_info(self, params: Params) -> Params:
        channel_id = str(params.get("channel") or "")
        channel = self._channel(channel_id) if channel_id else None
        if channel is None or channel.deleted:
            raise _Reject("channel_not_found")
        return {
            "channel": {
                "id": channel_id,
                "name": channel_id.lower(),
                "is_channel": True,
                "is_archived": channel.archived,
                "is_member": not channel.kicked,
            }
        }

    # -------------------------------------------------------------- response_url

    async def _handle_response(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        url = f"http://127.0.0.1:{self.port}/response/{rid}"
        with self._lock:
            known = rid in self._response_ids
        if not known:
            return web.json_response({"ok": False, "error": "invalid_response_url"}, status=404)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        blocks = body.get("blocks")
        errors = validate_blocks(blocks) if blocks is not None else []
        if errors or (not body.get("text") and not blocks and not body.get("delete_original")):
            error = "invalid_blocks" if errors else "no_text"
            with self._lock:
                self.rejected.append(
                    {"method": "response_url", "params": body, "error": error, "status": 400}
                )
            return web.json_response({"ok": False, "error": error}, status=400)
        with self._lock:
            self.responses.append({"url": url, **body})
        return web.json_response({"ok": True})


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A fresh fake Slack (Web API + Socket Mode) for one test."""
    fake = FakeSlack()
    yield fake
    fake.close()
