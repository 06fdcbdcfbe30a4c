"""Long polling of Telegram's getUpdates for the Telegram adapter, stopped without overlap.

Telegram allows one open getUpdates call per bot: a newer call ends an older one with ``409
Conflict: terminated by other getUpdates request``. ``Poller`` calls getUpdates in a loop and
hands each update to the PTB application (``Application.process_update``), in order, before the
next call, whose ``offset`` confirms it.

Stopping takes no new update and makes no new call. The update being handled may finish and,
at a handover (another instance polls next), so may the call in flight, so that the two
callers never overlap; whatever is left when the time given runs out is cancelled. Updates
handled after the last call began are confirmed by a call of their own (no other call of
this process is open then). An update that was not handled is not confirmed, so whoever polls
next receives it: nothing is lost, and an update is handled twice only when a stop cut its
handling short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

__all__ = ["Poller"]

log = logging.getLogger(__name__)

_MAX_PAUSE = 30.0  # seconds between calls while getUpdates keeps failing


class Poller:
    """getUpdates in a loop for one PTB ``Application``; ``start`` and ``stop`` it."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        *,
        timeout: int,
        allowed_updates: Sequence[str],
    ) -> None:
        self._application = application
        self._timeout = timeout
        self._allowed = list(allowed_updates)
        self._offset: int | None = None  # the id after the last update handled
        self._confirmed: int | None = None  # the offset the last call carried
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._call: asyncio.Future[tuple[Update, ...]] | None = None  # the call in flight

    @property
    def running(self) -> bool:
        """Whether the loop runs (it may be stopping)."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start polling (no-op when running). A webhook left set is removed first: Telegram
        refuses getUpdates while one is."""
        if self.running:
            return
        await self._application.bot.delete_webhook(drop_pending_updates=False)
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._stopping), name="telegram-polling")

    async def stop(self, within: float = 0.0, *, hand_over: bool = False) -> None:
        """Stop polling (no-op when not running): no new update is taken up and no new call
        made; the update being handled may finish within ``within`` seconds, and with
        ``hand_over`` so may the call in flight (another instance polls next: the two calls
        must not overlap); without it that call is cancelled at once. What is left after
        ``within`` is cancelled."""
        task = self._task
        if task is None or task.done():
            return
        self._stopping.set()
        if not hand_over and self._call is not None:
            self._call.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(task), within)
        except TimeoutError:
            log.warning("telegram polling still busy after %gs: cut short", within)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self, stopping: asyncio.Event) -> None:
        pause = 0.0
        while not stopping.is_set():
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), pause)
                if stopping.is_set():
                    break
            call = asyncio.ensure_future(
                self._application.bot.get_updates(
                    offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed
                )
            )
            self._call, self._confirmed = call, self._offset
            try:
                await asyncio.wait((call,))
            except asyncio.CancelledError:
                call.cancel()
                raise
            finally:
                self._call = None
            if call.cancelled():  # stop() cut it short
                break
            try:
                updates = call.result()
            except Conflict as exc:
                if stopping.is_set():
                    return  # the next caller polls already: confirm nothing over it
                log.warning("another getUpdates caller for this bot: %s", exc.message)
                pause = _longer(pause)
                continue
            except RetryAfter as exc:
                retry = exc.retry_after
                pause = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
                continue
            except TimedOut:
                pause = 0.0
                continue
            except InvalidToken:
                log.error("Telegram refuses the bot token: polling stopped")
                return
            except Exception as exc:  # network trouble, a 5xx, anything: try again later
                log.warning("getUpdates failed: %r", exc)
                pause = _longer(pause)
                continue
            pause = 0.0
            for update in updates:
                if stopping.is_set():
                    break  # not handled, not confirmed: the next caller receives it
                try:
                    await self._application.process_update(update)
                except Exception:  # a handler's failure never ends polling
                    log.exception("handling a Telegram update failed")
                self._offset = update.update_id + 1
        await self._confirm()

    async def _confirm(self) -> None:
        """Confirm the updates handled since the last call began (no call is open now)."""
        if self._offset is None or self._offset == self._confirmed:
            return
        try:
            await self._application.bot.get_updates(
                offset=self._offset, timeout=0, allowed_updates=self._allowed
            )
        except TelegramError as exc:
            log.warning("could not confirm the last updates (they may come again): %s", exc)
            return
        self._confirmed = self._offset


def _longer(pause: float) -> float:
    """The next pause after a failed call: from one second, half as long again each time."""
    return min(_MAX_PAUSE, max(1.0, pause * 1.5))
