"""The Jinja2 environment of the web pages: autoescaped HTML, strict, with the filters the
templates use.

Every value a template prints is escaped (``autoescape``); nothing is ever marked safe. Text
from feeds is also cleaned of bidi and control characters and gets the chat's isolates
(``render.common.isolated_text``): a text that is a line of its own (a headline, a summary
line: ``bidi``) is laid out by its own first letter, so Latin runs and numbers in a
right-to-left line are wrapped in FSI … PDI; a piece of a line led by a label in the page's
language (a source, a time: ``inline``) follows the page's direction, so in an English page
an Arabic source name is isolated whole.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined

from digests.compose.i18n import Language, direction, format_day, plural_items, t
from digests.compose.reply import Span
from digests.render.common import isolated_text, line_is_rtl
from digests.text.bidi import clean

__all__ = ["bidi", "environment", "inline", "isolated", "render"]


def bidi(text: str, language: Language) -> str:
    """``text`` cleaned (``bidi.clean``) and isolated line by line as a chat line is."""
    lines = clean(text).split("\n")
    return "\n".join(isolated(line, language) for line in lines)


def inline(text: str, language: Language) -> str:
    """``text`` cleaned and isolated as a piece of a line that starts in the page's own
    language (a label such as «أيضاً في:»), so the line runs in the page's direction: in an
    Arabic page its Latin runs and numbers are isolated, in an English page an Arabic piece
    is isolated whole (a source name in «Also in: …»)."""
    rtl = direction(language) == "rtl"
    return " ".join(isolated_text(Span(part), rtl) for part in clean(text).split("\n"))


def isolated(piece: str, language: Language, line: str | None = None) -> str:
    """``piece`` (clean text) with the isolates of a chat line: its line (``line``, else the
    piece itself) decides whether it is laid out right to left (``render.common``)."""
    rtl = line_is_rtl([Span(piece if line is None else line)], language)
    return isolated_text(Span(piece), rtl)


def _path(value: object) -> str:
    """One path segment, percent-encoded (a slash included)."""
    return quote(str(value), safe="")


def _query(values: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def environment() -> Environment:
    """The templates of ``bot/web/templates`` with autoescaping on and undefined names an
    error; ``t``, ``plural_items``, ``direction`` and ``day`` (``format_day``) are globals,
    ``bidi``, ``inline``, ``path`` and ``query`` filters."""
    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(t=t, plural_items=plural_items, direction=direction, day=format_day)
    env.filters.update(bidi=bidi, inline=inline, path=_path, query=_query)
    return env


def render(env: Environment, template: str, **values: Any) -> str:
    """``template`` rendered with ``values``."""
    return env.get_template(template).render(**values)
