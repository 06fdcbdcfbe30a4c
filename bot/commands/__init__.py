"""The chat commands, platform-neutral: a ``Caller`` and arguments in, a ``Reply`` (data) out.

The Telegram and Slack adapters parse an update into a call of ``Commands`` and render the
``Reply`` with their platform's renderer; nothing here knows a chat SDK.

    dispatch   Commands: run a command by name, act on a pressed button
    table      every command once: handler, admin only or not, help line, menu entry
    user       the subscribers' commands (search, topics, follow, digest, schedule, lang)
    admin      the admins' commands (feeds, OPML, destinations, stats)
    context    what a handler gets: the caller, the collaborators, the ways to answer
    args       reading commands, times of day, time zones and language names as typed
"""

from bot.commands.context import Caller
from bot.commands.dispatch import Commands

__all__ = ["Caller", "Commands"]
