"""The Telegram adapter over python-telegram-bot v22: updates in, command replies and digest
parts out. It formats and sends; everything else lives in ``bot.commands`` and the outbox.

``TelegramBot`` builds one PTB ``Application`` (base URL configurable, no PTB rate limiter or
retries: the outbox and the ``Sender`` own that policy), registers the handlers in one place,
and is started and stopped explicitly on the application's event loop with long polling.
``TelegramTransport`` sends outbox parts and translates PTB's errors into the sender's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.commands import Caller, Commands
from bot.commands.table import menu
from bot.sections import TelegramSettings
from digests.compose.i18n import Language
from digests.compose.reply import Reply
from digests.deliver.ratelimit import RateLimiter
from digests.deliver.sender import ChatGone, ChatMoved, Rejected, RetryLater, Transient
from digests.render.telegram import render_reply, render_telegram, reply_keyboard

__all__ = ["TelegramBot", "TelegramTransport"]

log = logging.getLogger(__name__)

_ADMIN_CACHE_SECONDS = 600.0


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramTransport:
    """Sends outbox parts (``{"text", "disable_preview"}`` JSON) with a PTB bot."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self._application = application

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        """Send one HTML message; PTB's errors become the sender's (see ``deliver.sender``)."""
        data = json.loads(payload)
        try:
            message = await self._application.bot.send_message(
                chat_id=int(chat) if chat.lstrip("-").isdigit() else chat,
                text=data["text"],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(
                    is_disabled=data.get("disable_preview", True)
                ),
                message_thread_id=int(thread) if thread else None,
            )
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc
        except ChatMigrated as exc:
            raise ChatMoved(str(exc.new_chat_id)) from exc
        except Forbidden as exc:
            raise ChatGone(exc.message) from exc
        except BadRequest as exc:  # before NetworkError: BadRequest is one
            if "chat not found" in exc.message.lower() or "thread not found" in exc.message.lower():
                raise ChatGone(exc.message) from exc
            raise Rejected(exc.message) from exc
        except (NetworkError, TelegramError) as exc:
            raise Transient(str(exc)) from exc
        return str(message.message_id)


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in reply_keyboard(reply)
        ]
    )


class TelegramBot:
    """The PTB application: handlers registered once, started and stopped explicitly."""

    def __init__(
        self,
        token: str,
        settings: TelegramSettings,
        commands: Commands,
        *,
        request: HTTPXRequest | None = None,
        limiter: RateLimiter | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        builder = ApplicationBuilder().token(token).base_url(settings.base_url)
        builder = builder.base_file_url(settings.base_file_url)
        if request is not None:
            builder = builder.request(request).get_updates_request(request)
        self.application = builder.build()
        self._settings = settings
        self._commands = commands
        self._webhook_secret = webhook_secret
        self._admin_cache: dict[int, tuple[float, frozenset[int]]] = {}
        # Shared with the outbox sender, so replies and digests keep to the same limits.
        self.limiter = limiter or RateLimiter.telegram()
        self.username: str | None = None
        self.register()

    def register(self) -> None:
        """Every handler, in one place."""
        app = self.application
        app.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_error_handler(self._on_error)

    async def start(self, *, poll: bool = True) -> None:
        """Initialise, register the command menus, start the dispatcher and receiving updates:
        the webhook server in webhook mode, else long polling when ``poll`` (with several
        instances only the leader polls: see ``start_polling``)."""
        app = self.application
        await app.initialize()
        self.username = app.bot.username
        await self._set_commands()
        assert app.updater is not None
        if self._settings.mode == "webhook":
            # PTB's webhook server refuses (403) any call without this secret_token header.
            await app.updater.start_webhook(
                listen=self._settings.webhook_listen,
                port=self._settings.webhook_port,
                url_path=self._settings.webhook_path,
                webhook_url=self._settings.webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=["message", "callback_query"],
            )
        elif poll:
            await self.start_polling()
        await app.start()
        log.info("telegram bot @%s started", self.username)

    @property
    def polling(self) -> bool:
        """Whether this process is calling getUpdates."""
        updater = self.application.updater
        return updater is not None and updater.running and self._settings.mode == "polling"

    async def start_polling(self) -> None:
        """Start long polling (no-op when already polling)."""
        updater = self.application.updater
        assert updater is not None
        if updater.running:
            return
        await updater.start_polling(
            poll_interval=0,
            timeout=self._settings.poll_timeout_seconds,
            allowed_updates=["message", "callback_query"],
            drop_pending_updates=False,
        )
        log.info("polling Telegram for updates")

    async def stop_polling(self) -> None:
        """Stop receiving updates (long polling, confirming the ones handled so far, or the
        webhook server); no-op when not receiving."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
            log.info("stopped receiving Telegram updates")

    async def stop(self) -> None:
        """Stop receiving updates (confirming handled ones), the dispatcher, the HTTP client."""
        app = self.application
        await self.stop_polling()  # or the webhook server
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _set_commands(self) -> None:
        bot = self.application.bot
        users = [BotCommand(name, text) for name, text in menu(admin=False)]
        admins = [BotCommand(name, text) for name, text in menu(admin=True)]
        await bot.set_my_commands(users, scope=BotCommandScopeDefault())
        for admin in self._settings.admin_ids:
            try:
                await bot.set_my_commands(admins, scope=BotCommandScopeChat(admin))
            except TelegramError as exc:  # an admin who never opened the bot
                log.info("admin command menu not set for %s: %s", admin, exc)

    async def _caller(self, update: Update) -> Caller:
        user = update.effective_user
        chat = update.effective_chat
        user_id = user.id if user else 0
        known = await self._commands.subscriptions.get("telegram", str(user_id))
        language: Language = known.language if known else "ar"
        return Caller(
            platform="telegram",
            user_id=str(user_id),
            chat_id=str(chat.id if chat else user_id),
            is_admin=await self._is_admin(user_id),
            language=language,
        )

    async def _is_admin(self, user_id: int) -> bool:
        if user_id in self._settings.admin_ids:
            return True
        chat_id = self._settings.admin_chat_id
        if chat_id is None or not user_id:
            return False
        cached = self._admin_cache.get(chat_id)
        if cached is None or time.monotonic() - cached[0] > _ADMIN_CACHE_SECONDS:
            try:
                members = await self.application.bot.get_chat_administrators(chat_id)
            except TelegramError as exc:
                log.warning("cannot read the admin chat's administrators: %s", exc)
                return False
            cached = (time.monotonic(), frozenset(m.user.id for m in members))
            self._admin_cache[chat_id] = cached
        return user_id in cached[1]

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A /command from anyone: parse it, run it, reply in the same chat (and thread)."""
        message = update.effective_message
        if message is None or not message.text:
            return
        head, _, rest = message.text.strip().partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        mention = head.partition("@")[2]
        if mention and self.username and mention.lower() != self.username.lower():
            return  # a command for another bot in a group
        caller = await self._caller(update)
        log.info("command /%s", name, extra={"platform": "telegram", "user": caller.user_id})
        reply = await self._commands.run(caller, name, rest.strip())
        thread = message.message_thread_id if message.is_topic_message else None
        await self._send_reply(message.chat_id, thread, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: answer the callback at once, then reply in the chat."""
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        caller = await self._caller(update)
        reply = await self._commands.press(caller, query.data or "")
        message = query.message
        chat_id = message.chat.id if message else int(caller.chat_id)
        thread = (
            getattr(message, "message_thread_id", None)
            if getattr(message, "is_topic_message", False)
            else None
        )
        await self._send_reply(chat_id, thread, reply)

    async def _send_reply(self, chat_id: int, thread: int | None, reply: Reply) -> None:
        await self._send(chat_id, thread, render_reply(reply), _keyboard(reply))
        if reply.digest is not None:
            for part in render_telegram(
                reply.digest,
                language=reply.language,
                timezone=reply.timezone,
                bot_username=self.username,
            ):
                await self._send(chat_id, thread, part.text, None)

    async def _send(
        self, chat_id: int, thread: int | None, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Send a reply within the rate limits; one flood-control wait is obeyed and retried."""
        chat = str(chat_id)
        for attempt in (1, 2):
            while (wait := self.limiter.delay(chat, time.monotonic())) > 0:  # noqa: ASYNC110 - pacing
                await asyncio.sleep(wait)
            self.limiter.record(chat, time.monotonic())
            try:
                await self.application.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_markup=markup,
                    message_thread_id=thread,
                )
                return
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                self.limiter.penalise(chat, time.monotonic() + seconds)
                if attempt == 2:
                    raise

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram handler failed: %r", context.error, exc_info=context.error)
