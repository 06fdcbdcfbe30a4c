"""The web archive's HTTP server: an aiohttp application on the service's own loop.

    GET /                               the public destinations, each with its latest digest
    GET /d/<destination>/?page=N        its archive, newest first, 20 a page
    GET /d/<destination>/<day>/<slot>   one digest as it was posted
    GET /d/<destination>/feed.atom      its digests as Atom 1.0
    GET /d/<destination>/feed.json      its digests as JSON Feed 1.1
    GET /s/<story-id>                   a story: every outlet's report, related stories
    GET /t/<topic>                      a topic: stories per day (30 days), latest stories
    GET /search?q=…&page=N              the chat commands' search, with marked snippets
    GET /static/site.css                the one style sheet

Only destinations with ``public = true`` are served; anything else is 404 (``pages.Site``).
Pages are server-rendered HTML without script; every response carries a
Content-Security-Policy that allows the site's own style sheet and nothing else to load or
run (no script at all), and ``nosniff``. ``WebServer`` is started and stopped by the service
like ``bot.ops.OpsServer``; ``[web] enabled = false`` (the default) turns it off.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from importlib.resources import files
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment

from bot.ops import serve
from bot.sections import WebSettings
from bot.web.feeds import FeedEntry, FeedInfo, atom_feed, json_feed
from bot.web.pages import Site, View
from bot.web.templates import environment, render
from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.compose.i18n import direction, t
from digests.store import Store

__all__ = ["CONTENT_SECURITY_POLICY", "WebServer"]

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_NUMBER = re.compile(r"[1-9]\d{0,8}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    """Serves the archive of the public ``destinations``; ``await start()``, ``stop()``."""

    def __init__(
        self,
        settings: WebSettings,
        destinations: Sequence[Destination],
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self.site = Site(settings, destinations, store, clock=clock)
        self._env: Environment = environment()
        # Where the site's root is, behind a reverse proxy: links are made under it.
        self._root = urlsplit(settings.base_url).path.rstrip("/") if settings.base_url else ""
        self._css = (files("bot.web") / "static" / "site.css").read_bytes()
        version = hashlib.sha256(self._css).hexdigest()[:10]
        self._css_path = f"{self._root}/static/site.css?v={version}"
        self._runner: web.AppRunner | None = None

    @property
    def enabled(self) -> bool:
        """``[web] enabled``."""
        return self._settings.enabled

    @property
    def url(self) -> str | None:
        """The base URL served (None when off or not started)."""
        if self._runner is None:
            return None
        return f"http://{self._settings.listen}:{self._settings.port}"

    def application(self) -> web.Application:
        """The aiohttp application with every route (for tests or embedding)."""
        app = web.Application(middlewares=[self._guard])
        add = app.router.add_get
        add("/", self._home)
        add("/search", self._search)
        add("/static/site.css", self._style)
        add("/s/{story}", self._story)
        add("/t/{slug}", self._topic)
        add("/d/{name}", self._to_archive)
        add("/d/{name}/", self._archive)
        add("/d/{name}/feed.atom", self._atom)
        add("/d/{name}/feed.json", self._json)
        add("/d/{name}/{day}/{slot}", self._digest)
        return app

    async def start(self) -> None:
        """Listen on ``[web] listen:port``; does nothing when the web archive is off.

        Raises ``ConfigError`` when the address cannot be bound (port taken, bad address).
        """
        if not self.enabled or self._runner is not None:
            return
        self._runner = await serve(
            self.application(),
            self._settings.listen,
            self._settings.port,
            section="web",
            off="set enabled = false",
        )
        public = ", ".join(self.site.public) or "none"
        log.info("web archive on %s (public destinations: %s)", self.url, public)

    async def stop(self) -> None:
        """Stop listening and close open connections; safe to call when not started."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------------------ plumbing

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every answer gets the security headers; a 404 is the site's page, an error 500."""
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self._page(self.site.not_found(), status=404)
        except web.HTTPException as exc:  # redirects, 405: aiohttp's own answer
            exc.headers.update(_HEADERS)
            raise
        except Exception:
            log.exception("web: %s %s failed", request.method, request.path)
            response = web.Response(status=500, text="500: internal error")
        response.headers.update(_HEADERS)
        return response

    def _page(self, view: View | None, *, status: int = 200) -> web.Response:
        if view is None:
            raise web.HTTPNotFound
        html = render(
            self._env,
            view.template,
            lang=view.language,
            dir=direction(view.language),
            title=view.title,
            site=t("web_site_title", view.language),
            css=self._css_path,
            base=self._root,
            **view.values,
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def _base(self, request: web.Request) -> str:
        """The absolute URL of the site: ``[web] base_url``, else as the request reached it."""
        if self._settings.base_url:
            return self._settings.base_url.rstrip("/")
        return f"{request.scheme}://{request.host}"

    # ------------------------------------------------------------------------ routes

    async def _home(self, request: web.Request) -> web.Response:
        return self._page(await self.site.home())

    async def _to_archive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not _NAME.fullmatch(name) or name not in self.site.public:
            raise web.HTTPNotFound
        raise web.HTTPMovedPermanently(f"{self._root}/d/{name}/")

    async def _archive(self, request: web.Request) -> web.Response:
        page = _number(request.query.get("page", "1"))
        return self._page(await self.site.archive(request.match_info["name"], page))

    async def _digest(self, request: web.Request) -> web.Response:
        info = request.match_info
        page = _number(request.query.get("page", "1"))
        return self._page(await self.site.digest(info["name"], info["day"], info["slot"], page))

    async def _story(self, request: web.Request) -> web.Response:
        return self._page(await self.site.story(_number(request.match_info["story"])))

    async def _topic(self, request: web.Request) -> web.Response:
        return self._page(await self.site.topic(request.match_info["slug"]))

    async def _search(self, request: web.Request) -> web.Response:
        page = _number(request.query.get("page", "1"))
        return self._page(await self.site.search(request.query.get("q", ""), page))

    async def _style(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._css,
            content_type="text/css",
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def _atom(self, request: web.Request) -> web.Response:
        info, entries = await self._feed(request)
        return web.Response(
            body=atom_feed(info, entries), content_type="application/atom+xml", charset="utf-8"
        )

    async def _json(self, request: web.Request) -> web.Response:
        info, entries = await self._feed(request)
        return web.Response(
            text=json_feed(info, entries), content_type="application/feed+json", charset="utf-8"
        )

    async def _feed(self, request: web.Request) -> tuple[FeedInfo, list[FeedEntry]]:
        name = request.match_info["name"]
        found = await self.site.feed_digests(name)
        if found is None:
            raise web.HTTPNotFound
        destination, digests = found
        language = destination.language
        base = self._base(request)
        entries = [
            FeedEntry(
                url=base + entry.address.path,
                title=view.shown.heading,
                published=entry.scheduled_at,
                updated=max(entry.scheduled_at, entry.composed_at),
                summary=view.shown.overview or "",
                content_html=render(
                    self._env,
                    "_digest.html",
                    digest=view,
                    lang=language,
                    base=base,
                    link=base + entry.address.path,
                ),
            )
            for entry, view in digests
        ]
        info = FeedInfo(
            title=t("web_feed_title", language, name=name),
            home_url=f"{base}/d/{name}/",
            feed_url=base + request.path,
            language=language,
            author=t("web_site_title", language),
            updated=max((e.updated for e in entries), default=self._clock()),
        )
        return info, entries


def _number(text: str) -> int:
    """A page or story number from the URL; 404 for anything else."""
    if not _NUMBER.fullmatch(text):
        raise web.HTTPNotFound
    return int(text)
