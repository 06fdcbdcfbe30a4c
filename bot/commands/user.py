"""The commands of every subscriber: search, topics and following them, personal digests,
language, and the latest stories of a topic (a button's target).

Each handler is ``async (ctx, caller, args) -> Reply`` (see ``context``); the table in
``table`` names them. Topics are the taxonomy's (stable slugs; keyphrase topics come and
go), named by slug, Arabic or English name or any alias, in any spelling (``TopicLookup``).
A digest on request (``digest``) uses the subscriber's personal destination
(``personal:<platform>:<user>``, its followed topics as the filter); the stories shown are
marked sent there, so the scheduled personal digest does not repeat them; a preview of it
(the Slack App Home) marks nothing.
"""

from __future__ import annotations

import re

from bot.commands.args import is_off, language_named, parse_time, zone_name
from bot.commands.context import Caller, Context, moment_text, timezone_of
from digests.compose.destination import Destination
from digests.compose.i18n import Language, plural_items
from digests.compose.reply import Button, Paragraph, Reply, Span, marked, paragraph
from digests.deliver.queue import build_digest, personal_destination
from digests.models import TopicRow
from digests.store.subscriptions import Subscriber
from digests.text.query import MAX_QUERY_CHARS, QueryError, SearchHit
from digests.text.topic_lookup import TopicMatch

__all__ = [
    "digest",
    "follow",
    "lang",
    "latest",
    "mytopics",
    "schedule",
    "search",
    "search_page",
    "topics",
    "unfollow",
]

_PER_PAGE = 5
_TOPICS_SHOWN = 10
_LATEST_ITEMS = 5
_LATEST_LOOKBACK_HOURS = 72
_SEARCH_PAGE = re.compile(r"page:(\d{1,4}):([0-9a-f]{12})")


async def search(ctx: Context, caller: Caller, args: str) -> Reply:
    """One page of search results, a button for the next (and previous) page."""
    return await _search(ctx, caller, args, 1)


async def search_page(ctx: Context, caller: Caller, value: str) -> Reply | None:
    """The page a search page button names (``page:<n>:<key>``); None when its query is no
    longer remembered."""
    page = _SEARCH_PAGE.fullmatch(value)
    query = ctx.recall(page.group(2)) if page else None
    if page is None or query is None:
        return None
    return await _search(ctx, caller, query, int(page.group(1)))


async def _search(ctx: Context, caller: Caller, query: str, page: int) -> Reply:
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    try:
        found = await ctx.store.search.find(
            query, now=ctx.clock(), page=max(1, page), per_page=_PER_PAGE
        )
    except QueryError as error:
        key = {"empty": "cmd_search_empty", "stopwords_only": "cmd_search_stopwords"}.get(
            error.reason, "cmd_search_too_long"
        )
        return ctx.say(lang, tz, ctx.t(caller, key, lang, max=MAX_QUERY_CHARS), ephemeral=True)
    if found.total == 0:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_search_none", lang, query=found.query))
    if not found.hits:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_search_past_end", lang, query=found.query))
    header = ctx.t(
        caller,
        "cmd_search_header_more" if found.more else "cmd_search_header",
        lang,
        query=found.query,
        total=found.total,
        page=found.page,
        pages=found.pages,
    )
    paragraphs: list[Paragraph] = [(Span(header, bold=True),)]
    if found.broadened:
        paragraphs.append(paragraph(ctx.t(caller, "cmd_search_broadened", lang)))
    first = (found.page - 1) * found.per_page
    for number, hit in enumerate(found.hits, start=first + 1):
        paragraphs.append(_hit(number, hit, lang, tz))
    key = ctx.remember(found.query)
    row: list[Button] = []
    if found.page > 1:
        previous = ctx.t(caller, "cmd_previous", lang)
        row.append(Button(previous, "search_page", f"page:{found.page - 1}:{key}"))
    if found.page < found.pages:
        more = ctx.t(caller, "cmd_more", lang)
        row.append(Button(more, "search_page", f"page:{found.page + 1}:{key}"))
    return ctx.reply(lang, tz, paragraphs, (tuple(row),) if row else ())


async def topics(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """The taxonomy topics with the most stories, each with follow and latest buttons."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    counted = await ctx.store.topics.counts(origin="taxonomy", limit=_TOPICS_SHOWN)
    if not counted:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_topics_none", lang))
    following = await _followed_slugs(ctx, sub)
    paragraphs: list[Paragraph] = [(Span(ctx.t(caller, "cmd_topics_title", lang), bold=True),)]
    lines = [f"• {_name(row, lang)} — {plural_items(count, lang)}" for row, count in counted]
    paragraphs.append(paragraph("\n".join(lines)))
    paragraphs.append(paragraph(ctx.t(caller, "cmd_topics_hint", lang)))
    buttons = tuple(
        (
            _follow_button(ctx, caller, row, lang, row.slug in following),
            _latest_button(ctx, caller, row, lang),
        )
        for row, _ in counted
        if Button.fits(row.slug)
    )
    return ctx.reply(lang, tz, paragraphs, buttons)


async def follow(ctx: Context, caller: Caller, topic: str) -> Reply:
    """Follow a topic named by slug, Arabic or English name; unknown → close matches."""
    sub = await ctx.subscriber(caller)
    lang, tz = sub.language, sub.timezone
    if not topic.strip():
        return ctx.say(lang, tz, ctx.t(caller, "cmd_follow_usage", lang), ephemeral=True)
    match = ctx.topics.resolve(topic, await ctx.taxonomy_topics())
    if match.topic is None:
        return _no_topic(ctx, caller, lang, tz, topic, match, following=False)
    name = _name(match.topic, lang)
    if await ctx.store.subscriptions.follow(sub, match.topic.slug, ctx.clock()):
        lines = [ctx.t(caller, "cmd_followed", lang, topic=name)]
        if sub.digest_time is None:
            lines.append(ctx.t(caller, "cmd_followed_schedule_hint", lang))
    else:
        lines = [ctx.t(caller, "cmd_already_following", lang, topic=name)]
    buttons = (
        (
            _latest_button(ctx, caller, match.topic, lang),
            _follow_button(ctx, caller, match.topic, lang, True),
        ),
    )
    return ctx.reply(lang, tz, [paragraph(line) for line in lines], buttons, ephemeral=True)


async def unfollow(ctx: Context, caller: Caller, topic: str) -> Reply:
    """Stop following a topic named like ``follow`` does; a name is first matched among
    the caller's own topics (عمان unfollows the one of Oman and Amman they follow)."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    if not topic.strip():
        return ctx.say(lang, tz, ctx.t(caller, "cmd_unfollow_usage", lang), ephemeral=True)
    followed = await ctx.store.subscriptions.followed(sub) if sub else []
    mine = ctx.topics.resolve(topic, followed)
    if sub is not None and mine.topic is not None:
        await ctx.store.subscriptions.unfollow(sub, mine.topic.slug)
        return ctx.reply(
            lang,
            tz,
            [paragraph(ctx.t(caller, "cmd_unfollowed", lang, topic=_name(mine.topic, lang)))],
            ((_follow_button(ctx, caller, mine.topic, lang, False),),),
            ephemeral=True,
        )
    if not mine.ambiguous:
        named = ctx.topics.resolve(topic, await ctx.taxonomy_topics()).topic
        if named is not None:
            text = ctx.t(caller, "cmd_not_following", lang, topic=_name(named, lang))
            return ctx.say(lang, tz, text, ephemeral=True)
    return _no_topic(ctx, caller, lang, tz, topic, mine, following=True)


async def mytopics(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """The topics the caller follows (unfollow buttons) and their personal digest time."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    followed = await ctx.store.subscriptions.followed(sub) if sub else []
    if not followed:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_mytopics_none", lang), ephemeral=True)
    paragraphs: list[Paragraph] = [
        (Span(ctx.t(caller, "cmd_mytopics_title", lang), bold=True),),
        paragraph("\n".join(f"• {_name(row, lang)}" for row in followed)),
        paragraph(_schedule_line(ctx, caller, sub, lang)),
    ]
    buttons = tuple(
        (_follow_button(ctx, caller, row, lang, True),) for row in followed if Button.fits(row.slug)
    )
    return ctx.reply(lang, tz, paragraphs, buttons, ephemeral=True)


async def digest(ctx: Context, caller: Caller, args: str = "", *, mark_sent: bool = True) -> Reply:
    """The stories on the caller's topics that are new to them, as a ``Reply.digest``; they are
    marked sent unless ``mark_sent`` is False (a preview, e.g. the App Home, uses nothing up)."""
    sub, lang = await ctx.known(caller)
    followed = await ctx.store.subscriptions.followed(sub) if sub else []
    if sub is None or not followed:
        text = ctx.t(caller, "cmd_digest_no_topics", lang)
        return ctx.say(lang, timezone_of(sub), text, ephemeral=True)
    now = ctx.clock()
    destination = personal_destination(sub, [row.slug for row in followed])
    prepared = await build_digest(ctx.store, destination, now)
    if not prepared.digest.items:
        text = ctx.t(caller, "cmd_digest_empty", lang)
        return ctx.say(lang, sub.timezone, text, ephemeral=True)
    if mark_sent:
        await ctx.store.articles.mark_sent(destination.name, prepared.article_ids, now)
    return Reply((), digest=prepared.digest, language=lang, timezone=sub.timezone)


async def schedule(ctx: Context, caller: Caller, text: str) -> Reply:
    """Set the daily personal digest: «08:00», «08:00 Africa/Cairo», «off» (or show it)."""
    sub = await ctx.subscriber(caller)
    lang = sub.language
    words = text.split()
    usage = ctx.t(caller, "cmd_schedule_usage", lang)
    if not words:
        lines = [_schedule_line(ctx, caller, sub, lang), usage]
        return ctx.reply(lang, sub.timezone, [paragraph(x) for x in lines], ephemeral=True)
    if len(words) == 1 and is_off(words[0]):
        sub = await ctx.store.subscriptions.set_schedule(sub, None)
        return ctx.say(lang, sub.timezone, ctx.t(caller, "cmd_schedule_off", lang), ephemeral=True)
    if len(words) > 2:
        return ctx.say(lang, sub.timezone, usage, ephemeral=True)
    at = parse_time(words[0])
    if at is None:
        problem = ctx.t(caller, "cmd_schedule_bad_time", lang, value=words[0])
        return ctx.reply(lang, sub.timezone, [paragraph(problem), paragraph(usage)], ephemeral=True)
    zone = sub.timezone
    if len(words) == 2:
        found = zone_name(words[1])
        if found is None:
            problem = ctx.t(caller, "cmd_schedule_bad_zone", lang, value=words[1])
            return ctx.say(lang, sub.timezone, problem, ephemeral=True)
        zone = found
    sub = await ctx.store.subscriptions.set_schedule(sub, at, zone)
    lines = [ctx.t(caller, "cmd_schedule_set", lang, time=at, timezone=zone)]
    if not await ctx.store.subscriptions.followed(sub):
        lines.append(ctx.t(caller, "cmd_schedule_no_topics", lang))
    return ctx.reply(lang, zone, [paragraph(x) for x in lines], ephemeral=True)


async def lang(ctx: Context, caller: Caller, args: str) -> Reply:
    """Choose the language of replies and digests: ar (العربية) or en (English)."""
    sub = await ctx.subscriber(caller)
    code = args.split()[0] if args.split() else ""
    chosen = language_named(code)
    if chosen is None:
        key = "cmd_lang_usage" if code.strip() else "cmd_lang_current"
        text = ctx.t(caller, key, sub.language)
        return ctx.say(sub.language, sub.timezone, text, ephemeral=True)
    sub = await ctx.store.subscriptions.set_language(sub, chosen)
    return ctx.say(chosen, sub.timezone, ctx.t(caller, "cmd_lang_set", chosen), ephemeral=True)


async def latest(ctx: Context, caller: Caller, slug: str) -> Reply:
    """The latest stories on topic ``slug`` (the last three days), with a follow button."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    topic = next((row for row in await ctx.taxonomy_topics() if row.slug == slug), None)
    if topic is None:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_button_expired", lang), ephemeral=True)
    name = _name(topic, lang)
    # Never marked sent: every call sees the topic's whole recent window.
    destination = Destination(
        name=f"latest:{topic.slug}",
        topics=(topic.slug,),
        max_items=_LATEST_ITEMS,
        lookback_hours=_LATEST_LOOKBACK_HOURS,
        language=lang,
    )
    items = (await build_digest(ctx.store, destination, ctx.clock())).digest.items
    title = ctx.t(caller, "cmd_latest_title", lang, topic=name)
    paragraphs: list[Paragraph] = [(Span(title, bold=True),)]
    if not items:
        paragraphs.append(paragraph(ctx.t(caller, "cmd_latest_none", lang, topic=name)))
    for number, item in enumerate(items, start=1):
        when = moment_text(item.published_at, lang, tz)
        paragraphs.append(
            (
                Span(f"{number}. "),
                Span(item.title, bold=True, url=item.url),
                Span(f"\n— {item.source} · {when}"),
            )
        )
    following = topic.slug in await _followed_slugs(ctx, sub)
    return ctx.reply(
        lang, tz, paragraphs, ((_follow_button(ctx, caller, topic, lang, following),),)
    )


# --------------------------------------------------------------------------- helpers


async def _followed_slugs(ctx: Context, sub: Subscriber | None) -> set[str]:
    if sub is None:
        return set()
    return {row.slug for row in await ctx.store.subscriptions.followed(sub)}


def _schedule_line(ctx: Context, caller: Caller, sub: Subscriber | None, lang: Language) -> str:
    if sub is None or sub.digest_time is None:
        return ctx.t(caller, "cmd_schedule_none", lang)
    return ctx.t(caller, "cmd_schedule_current", lang, time=sub.digest_time, timezone=sub.timezone)


def _no_topic(
    ctx: Context,
    caller: Caller,
    lang: Language,
    tz: str,
    text: str,
    match: TopicMatch,
    *,
    following: bool,
) -> Reply:
    shown = text.strip()[:60]
    if not match.candidates:
        key = "cmd_not_following" if following else "cmd_topic_unknown"
        return ctx.say(lang, tz, ctx.t(caller, key, lang, topic=shown), ephemeral=True)
    key = "cmd_topic_ambiguous" if match.ambiguous else "cmd_did_you_mean"
    names = ctx.t(caller, "list_separator", lang).join(_name(row, lang) for row in match.candidates)
    buttons = tuple(
        (_follow_button(ctx, caller, row, lang, following),)
        for row in match.candidates
        if Button.fits(row.slug)
    )
    text = ctx.t(caller, key, lang, topic=shown, names=names)
    return ctx.reply(lang, tz, [paragraph(text)], buttons, ephemeral=True)


def _name(row: TopicRow, lang: Language) -> str:
    return row.name_ar if lang == "ar" else row.name_en


def _follow_button(
    ctx: Context, caller: Caller, row: TopicRow, lang: Language, following: bool
) -> Button:
    name = _name(row, lang)
    if following:
        return Button(ctx.t(caller, "cmd_unfollow_button", lang, topic=name), "unfollow", row.slug)
    return Button(ctx.t(caller, "follow_topic", lang, topic=name), "follow", row.slug)


def _latest_button(ctx: Context, caller: Caller, row: TopicRow, lang: Language) -> Button:
    label = ctx.t(caller, "topic_more", lang, topic=_name(row, lang))
    return Button(label, "topic_latest", row.slug)


def _hit(number: int, hit: SearchHit, lang: Language, tz: str) -> Paragraph:
    spans = [Span(f"{number}. "), *marked(hit.title, hit.title_marks, url=hit.url, bold=True)]
    spans.append(Span(f"\n— {hit.source} · {moment_text(hit.published_at, lang, tz)}\n"))
    spans += marked(hit.snippet.text, hit.snippet.marks)
    return tuple(spans)
