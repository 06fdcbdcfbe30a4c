"""The operations endpoint: ``/healthz`` and ``/metrics`` over HTTP, on the app's own loop.

    GET /healthz   JSON: liveness, readiness (database reachable and scheduler running), the
                   last successful poll and the outbox backlog; 200 when ready, else 503.
    GET /metrics   the Prometheus text exposition of ``digests.metrics.REGISTRY``, with the
                   outbox gauges refreshed first.

``OpsServer`` is an aiohttp server started and stopped by the service beside the scheduler
and the chat adapters; ``[ops] port = 0`` turns it off (``start``/``stop`` do nothing). It
binds ``[ops] listen`` (127.0.0.1 by default): it is meant for a local Prometheus, a
container health check or a reverse proxy, and it shows no secret.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.sections import OpsSettings
from digests import metrics
from digests.clock import utcnow
from digests.errors import ConfigError
from digests.store import Store
from digests.store.outbox import Outbox

__all__ = ["OpsServer", "serve"]

log = logging.getLogger(__name__)

_MAX_ERROR = 200


class OpsServer:
    """Serves ``/healthz`` and ``/metrics``; create it, then ``await start()`` and ``stop()``.

    ``scheduler_running`` tells whether the scheduler is running; ``last_poll`` when a feed
    was last polled without error (``digests.metrics.last_successful_poll`` does). A database
    check waits at most ``check_timeout`` seconds.
    """

    def __init__(
        self,
        settings: OpsSettings,
        *,
        store: Store,
        outbox: Outbox,
        scheduler_running: Callable[[], bool],
        last_poll: Callable[[], datetime | None],
        clock: Callable[[], datetime] = utcnow,
        check_timeout: float = 5.0,
    ) -> None:
        self._settings = settings
        self._store = store
        self._outbox = outbox
        self._scheduler_running = scheduler_running
        self._last_poll = last_poll
        self._clock = clock
        self._check_timeout = check_timeout
        self._runner: web.AppRunner | None = None

    @property
    def enabled(self) -> bool:
        """False when ``[ops] port = 0``."""
        return self._settings.port != 0

    @property
    def url(self) -> str | None:
        """The base URL served (None when off or not started)."""
        if self._runner is None:
            return None
        return f"http://{self._settings.listen}:{self._settings.port}"

    def application(self) -> web.Application:
        """The aiohttp application with the two routes (for tests or embedding)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        """Listen on ``[ops] listen:port``; does nothing when the port is 0.

        Raises ``ConfigError`` when the address cannot be bound (port taken, bad address).
        """
        if not self.enabled or self._runner is not None:
            return
        self._runner = await serve(
            self.application(),
            self._settings.listen,
            self._settings.port,
            section="ops",
            off="set port = 0",
        )
        log.info("ops endpoint on %s (/healthz, /metrics)", self.url)

    async def stop(self) -> None:
        """Stop listening and close open connections; safe to call when not started."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Readiness and the ``/healthz`` document (the database is checked now)."""
        database = "ok"
        try:
            await asyncio.wait_for(self._store.ping(), self._check_timeout)
        except TimeoutError:
            database = f"error: no answer in {self._check_timeout:g} s"
        except Exception as exc:  # any failure to reach the database is reported, not raised
            database = f"error: {_short(exc)}"
        scheduler = "running" if self._scheduler_running() else "stopped"
        ready = database == "ok" and scheduler == "running"
        depth: int | None = None
        oldest: float | None = None
        if database == "ok":
            try:
                depth, oldest = await self._outbox_state()
            except Exception as exc:
                log.warning("health: outbox unreadable: %s", _short(exc))
        last = self._last_poll()
        document: dict[str, Any] = {
            "status": "ok" if ready else "degraded",
            "live": True,
            "ready": ready,
            "database": database,
            "scheduler": scheduler,
            "last_successful_poll": last.isoformat(timespec="seconds") if last else None,
            "outbox_depth": depth,
            "outbox_oldest_age_seconds": oldest,
        }
        return ready, document

    async def _outbox_state(self) -> tuple[int, float]:
        async with asyncio.timeout(self._check_timeout):
            depth = await self._outbox.depth()
            oldest = await self._outbox.oldest_pending_age(self._clock())
        metrics.set_outbox(depth, oldest)
        return depth, round(oldest, 3)

    async def _healthz(self, request: web.Request) -> web.Response:
        ready, document = await self.health()
        return web.json_response(document, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            await self._outbox_state()
        except Exception as exc:  # the other metrics are still worth serving
            log.warning("metrics: outbox gauges not refreshed: %s", _short(exc))
        return web.Response(
            body=generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def _short(exc: BaseException) -> str:
    """The exception's type and first line, kept short (never a traceback)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


async def serve(
    application: web.Application, listen: str, port: int, *, section: str, off: str
) -> web.AppRunner:
    """Serve ``application`` on ``listen:port`` (no access log); returns the runner to clean
    up. Raises ``ConfigError`` naming ``[section]`` and how to turn it ``off`` when the address
    cannot be bound (port taken, bad address)."""
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"{section}: cannot listen on {listen}:{port} ({exc.strerror or exc}); "
            f"change [{section}] listen/port or {off}"
        ) from None
    return runner
