"""The Slack adapter over slack-bolt's ``AsyncApp``: the /news command, buttons and the App Home
in; command replies and digest parts out. It formats and sends; the logic is ``bot.commands``.

``SlackBot`` runs on the application's event loop, in Socket Mode (app-level token) or as an
HTTP server that checks every request's signature before Bolt sees it (a stale or forged
request is refused with 401 and logged in one line, without its body). Every handler acks
first, then works. ``SlackTransport`` sends outbox parts and translates Slack's errors into
the sender's.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Caller, Commands
from bot.sections import SlackSettings
from digests.compose.i18n import Language
from digests.compose.reply import Reply
from digests.deliver.sender import ChatGone, MessageGone, Rejected, RetryLater, Transient
from digests.render.slack import (
    FOLLOW_TOPIC_ACTION_ID,
    SLASH_COMMAND,
    TOPIC_MORE_ACTION_ID,
    render_reply,
    render_slack,
    reply_text,
)

__all__ = ["SlackBot", "SlackTransport"]

log = logging.getLogger(__name__)

_GONE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "account_inactive", "restricted_action"}
)
_PRESS = re.compile(r"^press:\d+$")
_MAX_AGE_SECONDS = 5 * 60  # Slack's rule: older signed requests may be replays
_MAX_TEAM_SCAN = 4096
_TEAM = re.compile(r"""["']?team_id["']?\s*[=:]\s*["']?(T[A-Z0-9]{2,20})\b""")


class SlackTransport:
    """Sends outbox parts (``{"text", "blocks"}`` JSON) with chat.postMessage."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        """Post one message; Slack's errors become the sender's (see ``deliver.sender``).

        ``invalid_blocks`` should never happen (the renderer keeps to the limits); if it does,
        the event is logged and the message goes out as its plain text instead.
        """
        data = json.loads(payload)
        try:
            return await self._post(chat, thread, data["text"], data.get("blocks"))
        except SlackApiError as exc:
            if not hasattr(exc.response, "get") or exc.response.get("error") != "invalid_blocks":
                raise _translate(exc) from exc
            log.error("Slack refused the blocks; sending plain text", extra={"chat": chat})
            try:
                return await self._post(chat, thread, data["text"], None)
            except SlackApiError as again:
                raise _translate(again) from again

    async def edit(self, chat: str, message_id: str, payload: str) -> None:
        """Rewrite a message posted earlier (``chat.update``, ``message_id`` its ts); a
        message deleted meanwhile is ``MessageGone``."""
        data = json.loads(payload)
        try:
            await self._client.chat_update(
                channel=chat, ts=message_id, text=data["text"], blocks=data.get("blocks")
            )
        except SlackApiError as exc:
            if hasattr(exc.response, "get") and exc.response.get("error") == "message_not_found":
                raise MessageGone("message_not_found") from exc
            raise _translate(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Transient(str(exc) or type(exc).__name__) from exc

    async def _post(self, chat: str, thread: str | None, text: str, blocks: Any) -> str:
        try:
            response = await self._client.chat_postMessage(
                channel=chat,
                text=text,
                blocks=blocks,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Transient(str(exc) or type(exc).__name__) from exc
        return str(response.get("ts", ""))


def _translate(exc: SlackApiError) -> Exception:
    response = exc.response
    if not hasattr(response, "get"):  # slack_sdk could not read Slack's answer at all
        return Transient(str(exc))
    error = str(response.get("error", "unknown_error"))
    status = response.status_code
    if status == 429 or error == "ratelimited":
        retry = exc.response.headers.get("Retry-After", "1")
        return RetryLater(float(retry) if str(retry).isdigit() else 1.0)
    if error in _GONE:
        return ChatGone(error)
    if status >= 500:
        return Transient(error)
    return Rejected(error)


class SlackBot:
    """The Bolt app: handlers registered once, started and stopped explicitly."""

    def __init__(
        self,
        bot_token: str,
        settings: SlackSettings,
        commands: Commands,
        *,
        app_token: str | None = None,
        signing_secret: str | None = None,
    ) -> None:
        # Bolt builds the one Web API client from the token (given a client as well, it warns
        # at every start that the token is unused, as SLACK_BOT_TOKEN is always in the
        # environment); it is pointed at the configured API and left without retries: the
        # outbox and the sender own retrying. Requests over HTTP are verified in front of
        # Bolt (``_verification``): a refusal is one log line, without the request's body.
        self.app = AsyncApp(
            token=bot_token,
            signing_secret=signing_secret or "socket-mode-has-no-signing-secret",
            request_verification_enabled=False,
        )
        self.client: AsyncWebClient = self.app.client
        self.client.base_url = settings.base_url.rstrip("/") + "/"
        self.client.retry_handlers.clear()
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._settings = settings
        self._commands = commands
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.register()

    def register(self) -> None:
        """Every handler, in one place."""
        self.app.command(SLASH_COMMAND)(self._on_news)
        self.app.action(_PRESS)(self._on_press)
        self.app.action(FOLLOW_TOPIC_ACTION_ID)(self._on_follow)
        self.app.action(TOPIC_MORE_ACTION_ID)(self._on_more)
        self.app.event("app_home_opened")(self._on_home)

    async def start(self) -> None:
        """Connect in Socket Mode, or serve HTTP (every request's signature checked first)."""
        if self._settings.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, self._app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        else:
            served = self.app.web_app(path=self._settings.http_path)
            served.middlewares.append(_verification(self._verifier))
            self._runner = web.AppRunner(served, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self._settings.http_listen, self._settings.http_port)
            await site.start()
        log.info("slack app started (%s mode)", self._settings.mode)

    async def stop(self) -> None:
        """Disconnect or stop serving, then close the HTTP session."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()

    async def _caller(self, user_id: str, channel_id: str) -> Caller:
        known = await self._commands.subscriptions.get("slack", user_id)
        language: Language = known.language if known else "ar"
        return Caller(
            platform="slack",
            user_id=user_id,
            chat_id=channel_id or user_id,
            is_admin=user_id in self._settings.admin_ids,
            language=language,
        )

    async def _on_news(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        """/news <subcommand> …: ack within Slack's 3 seconds, then answer privately."""
        await ack()
        caller = await self._caller(command.get("user_id", ""), command.get("channel_id", ""))
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        log.info("/news %s", sub, extra={"platform": "slack", "user": caller.user_id})
        reply = await self._commands.run(caller, sub.lower(), rest.strip())
        await self._respond(respond, reply)

    async def _on_press(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        caller = await self._caller(*_who(body))
        await self._respond(respond, await self._commands.press(caller, action.get("value", "")))

    async def _on_follow(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        caller = await self._caller(*_who(body))
        await self._respond(
            respond, await self._commands.run(caller, "follow", action.get("value", ""))
        )

    async def _on_more(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        caller = await self._caller(*_who(body))
        await self._respond(respond, await self._commands.latest(caller, action.get("value", "")))

    async def _on_home(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """The App Home tab: the user's topics and settings, then a preview of their digest
        (what ``/news digest`` would bring; viewing marks nothing sent)."""
        user = event.get("user", "")
        caller = await self._caller(user, user)
        mine = await self._commands.run(caller, "mytopics")
        digest = await self._commands.preview_digest(caller) if mine.buttons else None
        blocks = render_reply(mine)
        if digest is not None and digest.digest is not None:
            for message in render_slack(
                digest.digest, language=digest.language, timezone=digest.timezone
            ):
                blocks += list(message.blocks)
        await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks[:100]})

    async def _respond(self, respond: Any, reply: Reply) -> None:
        """The reply's text and buttons, then its digest, privately; a digest alone
        (``/news digest``) comes without a lone «…» before it."""
        if reply.paragraphs or reply.buttons or reply.digest is None:
            await respond(
                text=reply_text(reply),
                blocks=render_reply(reply),
                response_type="ephemeral",
                replace_original=False,
            )
        if reply.digest is not None:
            for message in render_slack(
                reply.digest, language=reply.language, timezone=reply.timezone
            ):
                await respond(
                    text=message.text,
                    blocks=list(message.blocks),
                    response_type="ephemeral",
                    replace_original=False,
                )


def _verification(verifier: SignatureVerifier | None) -> Middleware:
    """The HTTP server's middleware: a request Slack signed (within five minutes) goes on to
    Bolt; any other is refused with 401 and one log line (why, the path and the team it
    claims), never its body, which holds a ``response_url`` anyone could answer through."""

    @web.middleware
    async def verify(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()  # kept by aiohttp for Bolt
        reason = _refusal(
            verifier,
            body,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
        )
        if reason is None:
            return await handler(request)
        team = _claimed_team(body)
        log.warning(
            "refused a Slack request to %s (%s)%s",
            request.path,
            reason,
            f" claiming team {team}" if team else "",
            extra={"platform": "slack"},
        )
        return web.json_response({"error": "invalid request"}, status=401)

    return verify


def _refusal(
    verifier: SignatureVerifier | None, body: bytes, timestamp: str | None, signature: str | None
) -> str | None:
    """Why a request is not Slack's (its signing rules), or None when it is."""
    if verifier is None:
        return "no signing secret"
    if not timestamp or not signature:
        return "unsigned"
    if not timestamp.isdigit() or abs(verifier.clock.now() - int(timestamp)) > _MAX_AGE_SECONDS:
        return "stale timestamp"
    try:
        valid = verifier.is_valid(body, timestamp, signature)
    except UnicodeDecodeError:
        valid = False
    return None if valid else "bad signature"


def _claimed_team(body: bytes) -> str | None:
    """The team id a request's body names (a form field, or in its JSON or ``payload``), if
    it looks like one; only what it claims, the request being refused."""
    text = body[:_MAX_TEAM_SCAN].decode("utf-8", "replace")
    match = _TEAM.search(unquote_plus(text))
    return match.group(1) if match else None


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id", "") or user
    return user, channel
