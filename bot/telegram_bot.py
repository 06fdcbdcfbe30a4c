"""The Telegram adapter over python-telegram-bot v22: updates in, command replies and digest
parts out. It formats and sends; everything else lives in ``bot.commands`` and the outbox.

``TelegramBot`` builds one PTB ``Application`` (base URL configurable, no PTB rate limiter or
retries: the outbox and the ``Sender`` own that policy), registers the handlers in one place,
and is started and stopped explicitly on the application's event loop, receiving updates by
long polling (``bot.telegram_polling``) or a webhook.
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
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
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
from bot.commands.args import split_command
from bot.commands.table import find, menu
from bot.sections import TelegramSettings
from bot.telegram_polling import Poller
from digests.compose.i18n import Language
from digests.compose.reply import Reply
from digests.deliver.ratelimit import RateLimiter
from digests.deliver.sender import (
    ChatGone,
    ChatMoved,
    MessageGone,
    Rejected,
    RetryLater,
    Transient,
)
from digests.render.telegram import render_reply, render_telegram, reply_keyboard

__all__ = ["TelegramBot", "TelegramTransport"]

_ALLOWED_UPDATES = ("message", "callback_query")

log = logging.getLogger(__name__)

_ADMIN_CACHE_SECONDS = 600.0


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _retry_later(exc: RetryAfter) -> RetryLater:
    """Telegram's 429 as the sender's ``RetryLater``: for every chat. The answer does not say
    which limit was met, and after the bot-wide one Telegram refuses every chat until
    ``retry_after`` has passed; the per-chat limits are kept by the rate limiter, so holding
    everything costs little."""
    return RetryLater(_seconds(exc.retry_after), everything=True)


class TelegramTransport:
    """Sends outbox parts (``{"text", "disable_preview"}`` JSON) with a PTB bot."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self._application = application

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        """Send one HTML message, or a photo with it as caption when the payload has a
        ``"photo"`` (a text message instead when Telegram cannot take the photo); PTB's errors
        become the sender's (see ``deliver.sender``)."""
        data = json.loads(payload)
        target = int(chat) if chat.lstrip("-").isdigit() else chat
        topic = int(thread) if thread else None
        try:
            if data.get("photo"):
                try:
                    message = await self._application.bot.send_photo(
                        chat_id=target,
                        photo=data["photo"],
                        caption=data["text"],
                        parse_mode=ParseMode.HTML,
                        message_thread_id=topic,
                    )
                    return str(message.message_id)
                except BadRequest as exc:
                    if isinstance(_delivery_error(exc), ChatGone):
                        raise
                    log.info("photo refused (%s); sending the text alone", exc.message)
            message = await self._application.bot.send_message(
                chat_id=target,
                text=data["text"],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(
                    is_disabled=data.get("disable_preview", True)
                ),
                message_thread_id=topic,
            )
        except TelegramError as exc:
            raise _delivery_error(exc) from exc
        return str(message.message_id)

    async def edit(self, chat: str, message_id: str, payload: str) -> None:
        """Rewrite a message sent earlier: its text (``editMessageText``), or its caption when
        it is a photo (``editMessageCaption``); an unchanged text is no error, a message
        deleted meanwhile is ``MessageGone``."""
        data = json.loads(payload)
        target = int(chat) if chat.lstrip("-").isdigit() else chat
        bot = self._application.bot
        try:
            try:
                await bot.edit_message_text(
                    chat_id=target,
                    message_id=int(message_id),
                    text=data["text"],
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(
                        is_disabled=data.get("disable_preview", True)
                    ),
                )
            except BadRequest as exc:
                if "no text in the message" not in exc.message.lower():
                    raise
                # The post went out as a photo: its text is the caption.
                await bot.edit_message_caption(
                    chat_id=target,
                    message_id=int(message_id),
                    caption=data["text"],
                    parse_mode=ParseMode.HTML,
                )
        except BadRequest as exc:
            # Telegram refuses an edit that changes nothing: the message already says it.
            if "message is not modified" in exc.message.lower():
                return
            if "message to edit not found" in exc.message.lower():
                raise MessageGone(exc.message) from exc
            raise _delivery_error(exc) from exc
        except TelegramError as exc:
            raise _delivery_error(exc) from exc


def _delivery_error(exc: TelegramError) -> Exception:
    """PTB's error as the sender's (see ``deliver.sender``)."""
    if isinstance(exc, RetryAfter):
        return _retry_later(exc)
    if isinstance(exc, ChatMigrated):
        return ChatMoved(str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return ChatGone(exc.message)
    if isinstance(exc, BadRequest):
        lowered = exc.message.lower()
        if "chat not found" in lowered or "thread not found" in lowered:
            return ChatGone(exc.message)
        return Rejected(exc.message)
    return Transient(str(exc))


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
        self._poller = Poller(
            self.application,
            timeout=settings.poll_timeout_seconds,
            allowed_updates=_ALLOWED_UPDATES,
        )
        self.register()

    def register(self) -> None:
        """Every handler, in one place."""
        app = self.application
        # Every text, not filters.COMMAND: a command copied with an invisible character in
        # front («⁨/follow⁩ روسيا») has no bot_command entity at offset 0, and is one still.
        app.add_handler(MessageHandler(filters.TEXT, self._on_command))
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
                allowed_updates=list(_ALLOWED_UPDATES),
            )
        elif poll:
            await self.start_polling()
        await app.start()
        log.info("telegram bot @%s started", self.username)

    @property
    def polling(self) -> bool:
        """Whether this process is calling getUpdates (until its polling has stopped)."""
        return self._poller.running

    async def start_polling(self) -> None:
        """Start long polling (no-op when already polling)."""
        if not self._poller.running:
            await self._poller.start()
            log.info("polling Telegram for updates")

    async def stop_polling(self, within: float = 0.0, *, hand_over: bool = False) -> None:
        """Stop receiving updates: long polling (see ``Poller.stop``: the update in hand, and
        with ``hand_over`` the getUpdates call in flight, get ``within`` seconds; handled
        updates are confirmed) or the webhook server. No-op when not receiving."""
        if self._poller.running:
            await self._poller.stop(within, hand_over=hand_over)
            log.info("stopped receiving Telegram updates")
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
            log.info("stopped receiving Telegram updates")

    async def stop(self, within: float = 1.0) -> None:
        """Stop receiving updates (``stop_polling``), the dispatcher (updates received by the
        webhook and not yet handled get ``within`` seconds), then close the HTTP client."""
        app = self.application
        await self.stop_polling(within)
        if app.running:
            try:
                await asyncio.wait_for(app.stop(), within)
            except TimeoutError:
                log.warning("telegram updates still being handled at shutdown were cut short")
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
        """A /command from anyone (other texts are ignored): parse it, run it, reply in the
        same chat (and thread); a slow command shows "typing" while it runs."""
        message = update.effective_message
        parsed = split_command(message.text) if message and message.text else None
        if message is None or parsed is None:
            return
        name, mention, rest = parsed
        if mention and self.username and mention.lower() != self.username.lower():
            return  # a command for another bot in a group
        caller = await self._caller(update)
        log.info("command /%s", name, extra={"platform": "telegram", "user": caller.user_id})
        thread = message.message_thread_id if message.is_topic_message else None
        command = find(name)
        if command is not None and command.slow:
            await self._typing(message.chat_id, thread)
        reply = await self._commands.run(caller, name, rest)
        await self._send_reply(message.chat_id, thread, reply)

    async def _typing(self, chat_id: int, thread: int | None) -> None:
        """Show "typing…" in the chat until the next message (at most 5 s); best effort."""
        try:
            await self.application.bot.send_chat_action(
                chat_id, ChatAction.TYPING, message_thread_id=thread
            )
        except TelegramError as exc:
            log.info("typing not shown in %s: %s", chat_id, exc)

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
        """The reply's text and buttons, then its digest; a digest alone (``/digest``) is sent
        without a text message before it."""
        if reply.paragraphs or reply.buttons or reply.digest is None:
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
                self.limiter.settle(chat, time.monotonic())
                return
            except RetryAfter as exc:
                later = _retry_later(exc)
                held = None if later.everything else chat
                self.limiter.penalise(held, time.monotonic() + later.seconds)
                if attempt == 2:
                    raise

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram handler failed: %r", context.error, exc_info=context.error)
