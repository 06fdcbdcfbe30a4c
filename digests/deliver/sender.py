"""Delivery from the durable outbox to chat platforms, within each platform's rate limits.

One ``Sender`` serves every platform: it claims due parts (at most one per chat, in order),
waits for the platform's rate limiter, hands each part to that platform's ``Transport`` and
records the outcome. Transports translate their SDK's errors into the exceptions below, so the
policy lives here once:

    RetryLater   the platform said wait (429): that chat (or the whole platform) is penalised
                 and the part retried after the wait.
    ChatMoved    the chat has a new id (Telegram group → supergroup): pending parts move and
                 the part is sent again to the new id.
    ChatGone     blocked, kicked, chat or channel not found, archived: the part fails, the
                 destination's other parts are dropped and ``on_gone`` is told (deactivate the
                 subscriber or destination, tell the admins). Other chats carry on.
    Rejected     the platform refused this message (bad request): recorded, never retried.
    Transient    network trouble or a 5xx: retried with backoff, up to ``max_attempts``.
    MessageGone  the message an edit targets no longer exists (deleted): the edit is dropped,
                 silently; the chat and its other parts carry on.

An **edit** is a part whose payload names the part it rewrites (``{"edit_of": {"digest_key",
"part"}, ...}``, queued by ``deliver.updates``): the sender looks up that part's message id
and calls the transport's ``edit`` instead of ``send``, through the same rate limiter. An edit
whose target was never sent is dropped; an edit never posts a new message.

One failing chat never delays another: every claimed part is delivered concurrently, and a
part that must wait longer than a second is handed back (``postpone``) instead of holding a
worker.

Leases are short and renewed: while parts are being delivered their leases are extended every
third of a lease (``Outbox.renew``, on the database's clock), so a slow send keeps its part and
a dead sender's part is taken over by another instance one lease later. Cancelled mid-round
(shutdown after its grace), the sender gives its unfinished parts back untried
(``Outbox.give_back``): they are due again at once, nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from digests import metrics
from digests.clock import utcnow
from digests.deliver.ratelimit import RateLimiter
from digests.store.outbox import Outbox, OutboxMessage

__all__ = [
    "ChatGone",
    "ChatMoved",
    "DeliveryError",
    "EditingTransport",
    "MessageGone",
    "Rejected",
    "RetryLater",
    "Sender",
    "Transient",
    "Transport",
]

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """Base of what a transport raises when a platform did not take a message."""


class RetryLater(DeliveryError):
    """The platform asked to wait ``seconds`` (for this chat, or for everything)."""

    def __init__(self, seconds: float, *, everything: bool = False) -> None:
        super().__init__(f"rate limited: retry after {seconds:g} s")
        self.seconds = seconds
        self.everything = everything


class ChatMoved(DeliveryError):
    """The chat now has the id ``new_chat``."""

    def __init__(self, new_chat: str) -> None:
        super().__init__(f"chat moved to {new_chat}")
        self.new_chat = new_chat


class ChatGone(DeliveryError):
    """The bot can no longer post there (blocked, kicked, not found, archived)."""


class Rejected(DeliveryError):
    """The platform refused this message for good (a bad request)."""


class Transient(DeliveryError):
    """A network error or a server error: worth another try later."""


class MessageGone(DeliveryError):
    """The message to edit no longer exists (deleted by someone)."""


class Transport(Protocol):
    """Sends one rendered message part (``payload``, the outbox's JSON) to one chat."""

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        """Send and return the platform's message id; raise a ``DeliveryError`` otherwise."""
        ...


@runtime_checkable
class EditingTransport(Transport, Protocol):
    """A transport that can also rewrite a message it sent."""

    async def edit(self, chat: str, message_id: str, payload: str) -> None:
        """Replace the message ``message_id`` with ``payload``; an identical content is no
        error. Raise ``MessageGone`` when the message no longer exists, else as ``send``."""
        ...


GoneHandler = Callable[[OutboxMessage, str], Awaitable[None]]


class Sender:
    """Claims outbox parts and delivers them through the platforms' transports."""

    def __init__(
        self,
        outbox: Outbox,
        transports: Mapping[str, Transport],
        limiters: Mapping[str, RateLimiter],
        *,
        on_gone: GoneHandler | None = None,
        lease: timedelta = timedelta(seconds=15),
        max_attempts: int = 8,
        batch: int = 200,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox
        self._transports = dict(transports)
        self._limiters = dict(limiters)
        self._on_gone = on_gone
        self._lease = lease
        self._max_attempts = max_attempts
        self._batch = batch
        self._clock = clock
        self._monotonic = monotonic
        # The parts being delivered, each with the lease end it holds (its token for renewal).
        self._held: dict[int, datetime] = {}

    async def run(self, stop: asyncio.Event, *, idle: float = 0.25) -> None:
        """Deliver until ``stop`` is set; in-flight parts finish (their leases cover a crash;
        cancelled, the sender gives them back)."""
        while not stop.is_set():
            try:
                delivered = await self.run_once()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("delivery round failed")
                delivered = 0
            if not delivered:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle)

    async def run_once(self) -> int:
        """One round: claim what is due on every platform and deliver it, renewing the leases
        meanwhile; returns how many parts were claimed. Cancelled, it gives back the parts it
        had not finished."""
        claimed: list[OutboxMessage] = []
        try:
            for platform in self._transports:
                batch = await self._outbox.claim(
                    self._clock(), limit=self._batch, lease=self._lease, platform=platform
                )
                self._held.update((m.id, m.claimed_until) for m in batch if m.claimed_until)
                claimed += batch
            if claimed:
                renewing = asyncio.create_task(self._renew_leases())
                try:
                    outcomes = await asyncio.gather(
                        *(self._deliver(message) for message in claimed), return_exceptions=True
                    )
                finally:
                    renewing.cancel()
                for message, outcome in zip(claimed, outcomes, strict=True):
                    self._held.pop(message.id, None)
                    if isinstance(outcome, Exception):  # recording the outcome failed
                        log.error("delivering message part %d failed", message.id, exc_info=outcome)
        except asyncio.CancelledError:
            held, self._held = self._held, {}
            given = await asyncio.shield(self._outbox.give_back(held))
            if given:
                log.info("%d message parts given back unsent; they are due again", given)
            raise
        return len(claimed)

    async def _renew_leases(self) -> None:
        """Every third of a lease, extend the leases of the parts still being delivered."""
        every = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            held = dict(self._held)
            try:
                renewed = await self._outbox.renew(held, self._lease)
            except Exception:  # a database hiccup: the leases still run for two more periods
                log.warning("renewing delivery leases failed", exc_info=True)
                continue
            for id in held:
                if id not in self._held:
                    continue  # finished meanwhile
                if id in renewed:
                    self._held[id] = renewed[id]
                else:
                    log.warning("lost the lease of message part %d to another sender", id)
                    del self._held[id]

    async def _thread_of(self, message: OutboxMessage) -> str | None:
        """The thread a part replies in, when its payload names an earlier part of its digest."""
        if '"thread_of_part"' not in message.payload:
            return None
        part = json.loads(message.payload).get("thread_of_part")
        if not isinstance(part, int):
            return None
        return await self._outbox.message_id_of(message.digest_key, part)

    async def _edit(self, message: OutboxMessage, transport: Transport) -> str | None:
        """Rewrite the message an edit part targets; its id, or None when the part was
        dropped (its target never sent, or a transport that cannot edit)."""
        target = json.loads(message.payload)["edit_of"]
        message_id = await self._outbox.message_id_of(target["digest_key"], int(target["part"]))
        if message_id is None or not isinstance(transport, EditingTransport):
            await self._outbox.drop(message.id, "nothing to edit")
            return None
        await transport.edit(message.chat, message_id, message.payload)
        return message_id

    async def _deliver(self, message: OutboxMessage) -> None:
        await self._deliver_held(message)
        self._held.pop(message.id, None)  # done: no longer renewed (cancelled: given back)

    async def _deliver_held(self, message: OutboxMessage) -> None:
        limiter = self._limiters.get(message.platform)
        context = {"destination": message.destination, "chat": message.chat}
        transport = self._transports[message.platform]
        thread = message.thread or await self._thread_of(message)
        if limiter is not None:
            # Nothing is awaited between the limiter's yes and the send: a pause the platform
            # demanded meanwhile (a 429 to another chat) is never missed.
            while (wait := limiter.delay(message.chat, self._monotonic())) > 0:
                if wait > 1.0:
                    await self._outbox.postpone(message.id, self._clock() + timedelta(seconds=wait))
                    return
                await asyncio.sleep(wait)
            limiter.record(message.chat, self._monotonic())
        try:
            if '"edit_of"' in message.payload:
                message_id = await self._edit(message, transport)
                if message_id is None:
                    return
            else:
                message_id = await transport.send(message.chat, thread, message.payload)
        except MessageGone as exc:
            log.info("the message to edit is gone; edit dropped: %s", exc, extra=context)
            await self._outbox.drop(message.id, str(exc))
            metrics.record_delivery(message.platform, "dropped")
        except RetryLater as exc:
            if limiter is not None:
                chat = None if exc.everything else message.chat
                limiter.penalise(chat, self._monotonic() + exc.seconds)
            log.warning("%s", exc, extra=context)
            until = self._clock() + timedelta(seconds=exc.seconds)
            await self._outbox.retry(message.id, until, str(exc))
            metrics.record_delivery(message.platform, "retried")
        except ChatMoved as exc:
            log.info("chat moved to %s; resending there", exc.new_chat, extra=context)
            await self._outbox.rename_chat(
                message.chat, exc.new_chat, self._clock(), platform=message.platform
            )
            await self._outbox.postpone(message.id, self._clock())
        except ChatGone as exc:
            log.warning("chat gone, destination deactivated: %s", exc, extra=context)
            await self._outbox.fail(message.id, str(exc))
            metrics.record_delivery(message.platform, "gone")
            dropped = await self._outbox.drop_destination(message.destination, str(exc))
            metrics.record_dropped(message.platform, dropped)
            if self._on_gone is not None:
                await self._on_gone(message, str(exc))
        except Rejected as exc:
            log.error("message refused, not retried: %s", exc, extra=context)
            await self._outbox.fail(message.id, str(exc))
            metrics.record_delivery(message.platform, "failed")
        except Exception as exc:  # Transient, and anything unforeseen, is retried with backoff
            if not isinstance(exc, Transient):
                log.exception("unexpected delivery error", extra=context)
            attempts = message.attempts + 1
            if attempts >= self._max_attempts:
                log.error("giving up after %d attempts: %s", attempts, exc, extra=context)
                await self._outbox.fail(message.id, f"after {attempts} attempts: {exc}")
                metrics.record_delivery(message.platform, "failed")
            else:
                backoff = timedelta(seconds=min(600, 2**attempts))
                await self._outbox.retry(message.id, self._clock() + backoff, str(exc))
                metrics.record_delivery(message.platform, "retried")
        else:
            if limiter is not None:  # counted from its arrival, not from when it left
                limiter.settle(message.chat, self._monotonic())
            # The chat's next part waits out the per-chat pace in the database too, so another
            # instance that claims it keeps to the pace this one's limiter knows about.
            pause = timedelta(seconds=limiter.chat_interval()) if limiter is not None else None
            await self._outbox.mark_sent(message.id, message_id, self._clock(), chat_pause=pause)
            waited = (self._clock() - message.created_at).total_seconds()
            metrics.record_delivery(message.platform, "sent", waited)
