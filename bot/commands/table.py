"""The command table: every chat command once, and everything derived from it.

A ``Command`` names its handler, whether only admins may run it, its line in the help and its
description in Telegram's command menu. From ``COMMANDS`` come the dispatch
(``Commands.run``), the admin check, the help text of each platform (``help_paragraphs``:
``/follow`` on Telegram, ``/news follow`` on Slack) and Telegram's menus (``menu``). A new
command is one line here, its handler, and its texts in ``compose.i18n``.

``start`` and ``help`` live here too: they are about the commands themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands import admin, alerts, user
from bot.commands.context import Caller, Context, spelling, timezone_of
from digests.compose.i18n import Language, t
from digests.compose.reply import Button, Paragraph, Reply, Span, paragraph
from digests.render.telegram import parse_topic_payload

__all__ = ["COMMANDS", "Command", "Handler", "find", "help_paragraphs", "menu"]

Handler = Callable[[Context, Caller, str], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Command:
    """One chat command: its name (``/name`` on Telegram, ``/news name`` on Slack), its
    handler, who may run it, its help line (``None``: covered by another's) and its menu
    description (i18n keys). ``slow``: its answer may take seconds (a digest, a fetch), so
    an adapter shows that it is working (Telegram: "typing") instead of a placeholder."""

    name: str
    handler: Handler
    help: str | None
    menu: str
    admin: bool = False
    slow: bool = False


async def start(ctx: Context, caller: Caller, args: str) -> Reply:
    """Welcome; a topic deep link (``t-<slug>``) also shows that topic's latest stories."""
    sub = await ctx.subscriber(caller)
    lang = sub.language
    paragraphs = [
        (Span(ctx.t(caller, "cmd_welcome_title", lang), bold=True),),
        paragraph(ctx.t(caller, "cmd_welcome", lang)),
        *help_paragraphs(caller, lang),
    ]
    buttons: tuple[tuple[Button, ...], ...] = ()
    payload = args.split()[0] if args.split() else ""
    if payload:
        rows = await ctx.taxonomy_topics()
        slug = parse_topic_payload(payload, [row.slug for row in rows])
        if slug is not None and any(row.slug == slug for row in rows):
            latest = await user.latest(ctx, caller, slug)
            paragraphs += latest.paragraphs
            buttons = latest.buttons
    return ctx.reply(lang, sub.timezone, paragraphs, buttons)


async def help(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """The commands, with the admin ones for admins."""
    sub, lang = await ctx.known(caller)
    title = (Span(ctx.t(caller, "cmd_help_title", lang), bold=True),)
    paragraphs = [title, *help_paragraphs(caller, lang)]
    return ctx.reply(lang, timezone_of(sub), paragraphs, ephemeral=True)


async def unknown(ctx: Context, caller: Caller, name: str) -> Reply:
    """A command the bot does not have: say so and point at the help."""
    sub, lang = await ctx.known(caller)
    shown = spelling(caller.platform)(name.strip().lstrip("/")[:40])
    text = ctx.t(caller, "cmd_unknown", lang, command=shown)
    return ctx.say(lang, timezone_of(sub), text, ephemeral=True)


COMMANDS: tuple[Command, ...] = (
    Command("start", start, None, "menu_start"),
    Command("search", user.search, "help_search", "menu_search"),
    Command("topics", user.topics, "help_topics", "menu_topics"),
    Command("follow", user.follow, "help_follow", "menu_follow"),
    Command("unfollow", user.unfollow, "help_unfollow", "menu_unfollow"),
    Command("mytopics", user.mytopics, "help_mytopics", "menu_mytopics"),
    Command("alert", alerts.alert, "help_alert", "menu_alert"),
    Command("digest", user.digest, "help_digest", "menu_digest", slow=True),
    Command("schedule", user.schedule, "help_schedule", "menu_schedule"),
    Command("lang", user.lang, "help_lang", "menu_lang"),
    Command("help", help, "help_help", "menu_help"),
    Command("addfeed", admin.addfeed, "help_addfeed", "menu_addfeed", admin=True, slow=True),
    Command("removefeed", admin.removefeed, "help_removefeed", "menu_removefeed", admin=True),
    Command("pausefeed", admin.pausefeed, "help_pausefeed", "menu_pausefeed", admin=True),
    Command("resumefeed", admin.resumefeed, None, "menu_resumefeed", admin=True),
    Command("feeds", admin.feeds, "help_feeds", "menu_feeds", admin=True),
    Command("destinations", admin.destinations, "help_destinations", "menu_destinations", True),
    Command(
        "importopml", admin.importopml, "help_importopml", "menu_importopml", admin=True, slow=True
    ),
    Command("exportopml", admin.exportopml, "help_exportopml", "menu_exportopml", admin=True),
    Command("stats", admin.stats, "help_stats", "menu_stats", admin=True),
)
_BY_NAME = {command.name: command for command in COMMANDS}


def find(name: str) -> Command | None:
    """The command called ``name`` (no slash; an empty name is ``help``), or None."""
    return _BY_NAME.get(name or "help")


def help_paragraphs(caller: Caller, lang: Language) -> list[Paragraph]:
    """The help: a line per command the caller may run, spelt for their platform; the
    admins' commands in a paragraph of their own."""
    spell = spelling(caller.platform)

    def lines(admin: bool) -> list[str]:
        return [t(c.help, lang, spell=spell) for c in COMMANDS if c.help and c.admin == admin]

    paragraphs = [paragraph("\n".join(lines(admin=False)))]
    if caller.is_admin:
        title = t("help_admin_title", lang)
        paragraphs.append(paragraph("\n".join([title, *lines(admin=True)])))
    return paragraphs


def menu(*, admin: bool, language: Language = "ar") -> list[tuple[str, str]]:
    """Telegram's command menu: (command, description) for everyone, or for admins too."""
    return [(c.name, t(c.menu, language)) for c in COMMANDS if admin or not c.admin]
