"""``Commands``: what the adapters call. A command name and its argument text in, a ``Reply``
out; a pressed button's data in, a ``Reply`` out.

The command table (``table``) decides which handler runs and whether the caller may run it:
an admin command from a non-admin gets a polite refusal and changes nothing (no subscriber
row either). Unknown names get the ``unknown`` reply.
"""

from __future__ import annotations

from bot.commands import table, user
from bot.commands.args import argument_text, command_name
from bot.commands.context import Caller, Context, timezone_of
from bot.config import Settings
from digests.clock import Clock, utcnow
from digests.compose.reply import Reply, parse_button_data
from digests.ingest.fetch import Fetcher
from digests.store import Store
from digests.store.subscriptions import Subscriptions
from digests.text.topic_lookup import TopicLookup

__all__ = ["Commands"]


class Commands:
    """Every chat command, run by name (see the module doc)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        fetcher: Fetcher,
        topics: TopicLookup,
        clock: Clock = utcnow,
        *,
        allow_private: bool = False,
        search_cache_size: int = 512,
    ) -> None:
        self._ctx = Context(
            store,
            settings,
            fetcher,
            topics,
            clock,
            allow_private=allow_private,
            search_cache_size=search_cache_size,
        )

    @property
    def subscriptions(self) -> Subscriptions:
        """The subscriptions these commands keep (for the adapters)."""
        return self._ctx.store.subscriptions

    async def run(self, caller: Caller, name: str, args: str = "") -> Reply:
        """Run the command ``name`` with its argument text: what every adapter calls.

        ``name`` is the command without its slash (Telegram) or the /news subcommand (Slack);
        an empty name is help. Invisible characters a copied command brings along (bidi marks,
        zero-width spaces) are ignored in both. Unknown names get the ``unknown`` reply; admin
        commands from anyone else a refusal.
        """
        name, args = command_name(name), argument_text(args)
        command = table.find(name)
        if command is None:
            return await table.unknown(self._ctx, caller, name)
        if command.admin and not caller.is_admin:
            sub, lang = await self._ctx.known(caller)
            return self._ctx.refuse(caller, lang, timezone_of(sub), command.name)
        return await command.handler(self._ctx, caller, args)

    async def preview_digest(self, caller: Caller) -> Reply:
        """What ``digest`` would show the caller now, without marking anything sent: viewing
        (the Slack App Home) never uses up a personal digest."""
        return await user.digest(self._ctx, caller, mark_sent=False)

    async def latest(self, caller: Caller, slug: str) -> Reply:
        """The latest stories on a topic (the target of «المزيد عن …» buttons)."""
        return await user.latest(self._ctx, caller, slug)

    async def press(self, caller: Caller, data: str) -> Reply:
        """Act on a pressed button's ``Button.data``."""
        parsed = parse_button_data(data)
        if parsed is not None:
            action, value = parsed
            if action == "follow":
                return await user.follow(self._ctx, caller, value)
            if action == "unfollow":
                return await user.unfollow(self._ctx, caller, value)
            if action == "topic_latest":
                return await user.latest(self._ctx, caller, value)
            page = await user.search_page(self._ctx, caller, value)
            if page is not None:
                return page
        sub, lang = await self._ctx.known(caller)
        text = self._ctx.t(caller, "cmd_button_expired", lang)
        return self._ctx.say(lang, timezone_of(sub), text, ephemeral=True)
