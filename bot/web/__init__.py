"""The public web archive: digests of public destinations as pages and feeds.

``WebServer`` (``bot.web.app``) is an aiohttp server on the service's own loop, started and
stopped by the service like the ops endpoint; ``Site`` (``bot.web.pages``) reads the store
for each page; the pages are Jinja2 templates in ``templates/`` (``bot.web.templates``), the
feeds are built by ``bot.web.feeds`` and the topic chart by ``bot.web.chart``.
"""

from bot.web.app import WebServer

__all__ = ["WebServer"]
