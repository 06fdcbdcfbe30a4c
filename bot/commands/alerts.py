"""``/alert`` (Telegram) and ``/news alert`` (Slack): a subscriber's keyword alerts.

    /alert                      the alerts, numbered ("list" and قائمة too)
    /alert إيران -كرة           add one (words, "a phrase", -excluded: ``text.keywords``)
    /alert حذف 2                remove alert 2 ("remove 2"; "حذف الكل" / "remove all": all)

Every new story that matches reaches the subscriber's own chat (``deliver.alerts``); the
settings cap how many alerts one may set and how many stories they send an hour. A rule
starting with one of the sub-command words is read as that command: quote the word to look
for it («حذف»).
"""

from __future__ import annotations

from bot.commands.context import Caller, Context, timezone_of
from digests.compose.reply import Reply, paragraph
from digests.store.alerts import Added
from digests.text.arabic import normalise
from digests.text.keywords import MAX_RULE_CHARS, MAX_RULE_TERMS, RuleError, parse_rule

__all__ = ["alert"]


def _words(text: str) -> frozenset[str]:
    return frozenset(normalise(word) for word in text.split())


_LIST = _words("list قائمة تنبيهاتي")
_REMOVE = _words("remove delete حذف احذف إلغاء ألغ")
_ALL = _words("all الكل كل الجميع")
_REASON = {
    "empty": "cmd_alert_empty",
    "only_excluded": "cmd_alert_only_excluded",
    "too_long": "cmd_alert_too_long",
    "too_many": "cmd_alert_too_many",
}


async def alert(ctx: Context, caller: Caller, args: str) -> Reply:
    """List, add or remove the caller's alerts (see the module doc)."""
    words = args.split()
    first = normalise(words[0]) if words else ""
    if not words or (first in _LIST and len(words) == 1):
        return await _list(ctx, caller)
    if first in _REMOVE:
        return await _remove(ctx, caller, words[1:])
    return await _add(ctx, caller, args)


async def _add(ctx: Context, caller: Caller, text: str) -> Reply:
    sub = await ctx.subscriber(caller)
    lang, tz = sub.language, sub.timezone
    settings = ctx.settings.alerts
    try:
        rule = parse_rule(text)
    except RuleError as error:
        key = _REASON.get(error.reason, "cmd_alert_empty")
        limit = MAX_RULE_CHARS if error.reason == "too_long" else MAX_RULE_TERMS
        return ctx.say(lang, tz, ctx.t(caller, key, lang, max=limit), ephemeral=True)
    added = await ctx.store.alerts.add(sub, rule, ctx.clock(), limit=settings.max_per_user)
    if added is Added.FULL:
        line = ctx.t(caller, "cmd_alert_full", lang, count=settings.max_per_user)
    elif added is Added.EXISTS:
        line = ctx.t(caller, "cmd_alert_exists", lang, rule=rule.text)
    else:
        per_hour = settings.max_per_hour
        line = ctx.t(caller, "cmd_alert_added", lang, rule=rule.text, per_hour=per_hour)
    return ctx.say(lang, tz, line, ephemeral=True)


async def _list(ctx: Context, caller: Caller) -> Reply:
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    mine = await ctx.store.alerts.of(sub) if sub is not None else []
    if not mine:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_alert_none", lang), ephemeral=True)
    limit = ctx.settings.alerts.max_per_user
    lines = [ctx.t(caller, "cmd_alert_list_title", lang, count=len(mine), limit=limit)]
    lines += [f"{number}. «{stored.rule}»" for number, stored in enumerate(mine, start=1)]
    how = ctx.t(caller, "cmd_alert_list_how", lang)
    return ctx.reply(lang, tz, [paragraph("\n".join(lines)), paragraph(how)], ephemeral=True)


async def _remove(ctx: Context, caller: Caller, words: list[str]) -> Reply:
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    if not words:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_alert_remove_usage", lang), ephemeral=True)
    mine = await ctx.store.alerts.of(sub) if sub is not None else []
    wanted = normalise(" ".join(words))
    if sub is not None and wanted in _ALL:
        removed = await ctx.store.alerts.remove(sub, [a.id for a in mine])
        return ctx.say(
            lang, tz, ctx.t(caller, "cmd_alert_removed_all", lang, count=removed), ephemeral=True
        )
    if not wanted.isdigit():
        return ctx.say(lang, tz, ctx.t(caller, "cmd_alert_remove_usage", lang), ephemeral=True)
    number = int(wanted)
    if sub is None or not 1 <= number <= len(mine):
        text = ctx.t(caller, "cmd_alert_no_number", lang, number=number)
        return ctx.say(lang, tz, text, ephemeral=True)
    target = mine[number - 1]
    await ctx.store.alerts.remove(sub, [target.id])
    text = ctx.t(caller, "cmd_alert_removed", lang, rule=target.rule)
    return ctx.say(lang, tz, text, ephemeral=True)
