"""The admins' commands: feeds (add, remove, pause, resume, health, OPML), destinations, stats.

Each handler is ``async (ctx, caller, args) -> Reply``; only admins reach them (the table marks
them and the dispatcher refuses everyone else, changing nothing). Every change is logged with
``extra={"admin": user_id, "platform": platform}`` and names the admin.

Adding a feed fetches and parses it first, and refuses hosts that resolve to private,
loopback, link-local or otherwise non-global addresses unless ``admin.allow_private_feed_urls``.
The fetcher enforces that where it counts, on the address each connection (every redirect hop
included) is opened to; the check here answers the admin before any request, resolving with
the fetcher's resolver, and covers the feeds an OPML file lists, which are not fetched here.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.commands.context import Caller, Context, moment_text, timezone_of
from digests.compose.i18n import Language, plural_items
from digests.compose.reply import Paragraph, Reply, Span, paragraph
from digests.compose.stopped import stopped_state
from digests.errors import FetchError, ParseError, PrivateAddress, StoreError
from digests.ingest.addresses import host_problem
from digests.ingest.opml import (
    LISTED_TWICE,
    NOT_HTTP,
    OpmlImport,
    export_opml,
    import_opml_feeds,
    parse_opml,
)
from digests.ingest.parse import parse_feed
from digests.models import Feed, FetchResult

__all__ = [
    "addfeed",
    "destinations",
    "exportopml",
    "feeds",
    "importopml",
    "pausefeed",
    "removefeed",
    "resumefeed",
    "stats",
]

_FEEDS_SHOWN = 25
_OPML_MAX_FEEDS = 200  # more in one chat import: use the CLI
_OPML_MAX_CHARS = 3500  # an exported OPML longer than this is not sent (chat limit ~4000)
_OPML_LINES_SHOWN = 15


async def addfeed(ctx: Context, caller: Caller, args: str) -> Reply:
    """Fetch and parse a feed (``<url> [name]``), and add it when it is a usable, public feed."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    words = args.split()
    url, name = (words[0], " ".join(words[1:])) if words else ("", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_addfeed_usage", lang), ephemeral=True)
    existing = await ctx.store.feeds.find(url)
    if existing is not None:
        text = ctx.t(caller, "cmd_feed_exists", lang, id=existing.id, name=existing.name)
        return ctx.say(lang, tz, text, ephemeral=True)
    fetched = await _fetch_checked(ctx, caller, url, lang)
    if isinstance(fetched, str):
        return ctx.say(lang, tz, fetched, ephemeral=True)
    result = fetched
    try:
        parsed = parse_feed(result.body, result.final_url, result.headers)
    except ParseError:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_addfeed_not_feed", lang), ephemeral=True)
    title = parsed.title.strip() if parsed.title and parsed.title.strip() else None
    feed_url = result.permanent_redirect or url
    feed_name = name or title or parts.hostname
    try:
        feed = await ctx.store.feeds.add(feed_url, feed_name, ctx.clock(), title=title)
    except StoreError:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_feed_exists_url", lang), ephemeral=True)
    ctx.audit(caller, "added feed #%d %s (%s)", feed.id, feed.name, feed.url)
    lines = [
        ctx.t(
            caller,
            "cmd_addfeed_done",
            lang,
            name=feed.name,
            id=feed.id,
            title=title or "—",
            items=plural_items(len(parsed.entries), lang),
        )
    ]
    if parsed.problem:
        lines.append(ctx.t(caller, "cmd_addfeed_malformed", lang))
    return ctx.reply(lang, tz, [paragraph(x) for x in lines], ephemeral=True)


async def importopml(ctx: Context, caller: Caller, args: str) -> Reply:
    """Fetch an OPML file and add the feeds it lists that are not there yet.

    The OPML URL gets the private-address check of ``addfeed`` (before the request and on the
    final URL), and so does the host of every listed feed. The listed feeds are not fetched
    here (a long list would take minutes): the next polls try them, and the feed-health
    notices report the ones that keep failing.
    """
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    url = args.split()[0] if args.split() else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_importopml_usage", lang), ephemeral=True)
    fetched = await _fetch_checked(ctx, caller, url, lang)
    if isinstance(fetched, str):
        return ctx.say(lang, tz, fetched, ephemeral=True)
    try:
        found = parse_opml(fetched.body, "the file")
    except ParseError as error:
        text = ctx.t(caller, "cmd_importopml_not_opml", lang, reason=str(error)[:300])
        return ctx.say(lang, tz, text, ephemeral=True)
    if len(found) > _OPML_MAX_FEEDS:
        text = ctx.t(
            caller, "cmd_importopml_too_many", lang, count=len(found), limit=_OPML_MAX_FEEDS
        )
        return ctx.say(lang, tz, text, ephemeral=True)

    async def check(feed_url: str) -> str | None:
        problem = await _host_problem(ctx, feed_url)
        if problem is None:
            return None
        key = "opml_refused_private" if problem == "private" else "opml_refused_dns"
        return ctx.t(caller, key, lang)

    done = await import_opml_feeds(ctx.store, found, ctx.clock(), check=check)
    for feed in done.added:
        ctx.audit(caller, "added feed #%d %s (%s) from OPML %s", feed.id, feed.name, feed.url, url)
    return ctx.reply(lang, tz, _import_paragraphs(ctx, caller, done, lang), ephemeral=True)


async def exportopml(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """The feeds as an OPML 2.0 document in a plain-text reply (no link spans); when it would
    be too long for a chat message, the count and the CLI command instead."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    every = await ctx.store.feeds.all()
    document = export_opml(every, "newsdigest feeds")
    if len(document) > _OPML_MAX_CHARS:
        text = ctx.t(caller, "cmd_exportopml_too_long", lang, count=len(every))
        return ctx.say(lang, tz, text, ephemeral=True)
    title = (Span(ctx.t(caller, "cmd_exportopml_title", lang, count=len(every)), bold=True),)
    return ctx.reply(lang, tz, [title, paragraph(document.rstrip("\n"))], ephemeral=True)


async def removefeed(ctx: Context, caller: Caller, feed: str) -> Reply:
    """Remove an admin-added feed (its articles stay); configured feeds are refused."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    found = await ctx.store.feeds.find(feed) if feed.strip() else None
    not_found = ctx.t(caller, "cmd_feed_not_found", lang, feed=feed)
    if found is None:
        return ctx.say(lang, tz, not_found, ephemeral=True)
    try:
        removed = await ctx.store.feeds.remove(found.id)
    except StoreError:
        text = ctx.t(caller, "cmd_removefeed_config", lang, name=found.name)
        return ctx.say(lang, tz, text, ephemeral=True)
    if not removed:
        return ctx.say(lang, tz, not_found, ephemeral=True)
    ctx.audit(caller, "removed feed #%d %s (%s)", found.id, found.name, found.url)
    text = ctx.t(caller, "cmd_removefeed_done", lang, name=found.name, id=found.id)
    return ctx.say(lang, tz, text, ephemeral=True)


async def pausefeed(ctx: Context, caller: Caller, feed: str) -> Reply:
    """Stop polling a feed until it is resumed."""
    return await _set_paused(ctx, caller, feed, paused=True)


async def resumefeed(ctx: Context, caller: Caller, feed: str) -> Reply:
    """Poll a paused feed again, at once."""
    return await _set_paused(ctx, caller, feed, paused=False)


async def feeds(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """Every feed's health: failing ones first, then those with a warning, then by id."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    every = await ctx.store.feeds.all()
    if not every:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_feeds_none", lang), ephemeral=True)
    ordered = sorted(every, key=lambda f: (f.paused, -f.error_count, f.state != "warning", f.id))
    failing = sum(1 for f in every if f.error_count and not f.paused)
    title = ctx.t(caller, "cmd_feeds_title", lang, count=len(every), failing=failing)
    paragraphs: list[Paragraph] = [(Span(title, bold=True),)]
    paragraphs += [_feed_paragraph(ctx, caller, f, lang, tz) for f in ordered[:_FEEDS_SHOWN]]
    if len(ordered) > _FEEDS_SHOWN:
        more = ctx.t(caller, "and_more", lang, count=len(ordered) - _FEEDS_SHOWN)
        paragraphs.append(paragraph(more))
    return ctx.reply(lang, tz, paragraphs, ephemeral=True)


async def destinations(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """The configured destinations with their schedules and filters, and their state: active,
    or stopped by the platform (since when, why, what to do)."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    configured = ctx.settings.destinations
    if not configured:
        return ctx.say(lang, tz, ctx.t(caller, "cmd_destinations_none", lang), ephemeral=True)
    stopped = await ctx.store.stopped.details()
    title = ctx.t(caller, "cmd_destinations_title", lang)
    paragraphs: list[Paragraph] = [(Span(title, bold=True),)]
    for destination in configured:
        topics = ", ".join(destination.topics) or ctx.t(caller, "cmd_all_topics", lang)
        detail = ctx.t(
            caller,
            "cmd_destination_line",
            lang,
            platform=destination.platform,
            schedule=destination.schedule,
            timezone=destination.timezone,
            topics=topics,
            lang_code=destination.language,
        )
        halt = stopped.get(destination.name)
        if halt is None:
            state = ctx.t(caller, "cmd_destination_active", lang)
        else:
            since = moment_text(halt.stopped_at, lang, tz)
            state = stopped_state(destination.platform, halt.reason, since, lang)
        paragraphs.append((Span(destination.name, bold=True), Span(f"\n{detail}\n{state}")))
    return ctx.reply(lang, tz, paragraphs, ephemeral=True)


async def stats(ctx: Context, caller: Caller, args: str = "") -> Reply:
    """Counts: feeds, articles, stories today (caller's time zone), subscribers, topics."""
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    store = ctx.store
    every = await store.feeds.all()
    local = ctx.clock().astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    articles_today, stories_today = await store.articles.arrivals_since(midnight)
    lines = [
        ctx.t(
            caller,
            "cmd_stats_feeds",
            lang,
            count=len(every),
            paused=sum(1 for f in every if f.paused),
            failing=sum(1 for f in every if f.error_count and not f.paused),
        ),
        ctx.t(
            caller,
            "cmd_stats_articles",
            lang,
            count=await store.articles.count(),
            today=articles_today,
        ),
        ctx.t(caller, "cmd_stats_stories", lang, count=stories_today),
        ctx.t(
            caller,
            "cmd_stats_subscribers",
            lang,
            count=await store.subscriptions.count(),
            active=await store.subscriptions.count(active=True),
        ),
        ctx.t(
            caller,
            "cmd_stats_topics",
            lang,
            taxonomy=len(await store.topics.all(origin="taxonomy")),
            keyphrases=len(await store.topics.all(origin="keyphrase")),
        ),
    ]
    title = (Span(ctx.t(caller, "cmd_stats_title", lang), bold=True),)
    return ctx.reply(lang, tz, [title, paragraph("\n".join(lines))], ephemeral=True)


# --------------------------------------------------------------------------- helpers


async def _set_paused(ctx: Context, caller: Caller, feed: str, *, paused: bool) -> Reply:
    sub, lang = await ctx.known(caller)
    tz = timezone_of(sub)
    found = await ctx.store.feeds.find(feed) if feed.strip() else None
    changed = await ctx.store.feeds.set_paused(found.id, paused) if found else None
    if changed is None:
        text = ctx.t(caller, "cmd_feed_not_found", lang, feed=feed)
        return ctx.say(lang, tz, text, ephemeral=True)
    ctx.audit(caller, "%s feed #%d %s", "paused" if paused else "resumed", changed.id, changed.name)
    key = "cmd_pausefeed_done" if paused else "cmd_resumefeed_done"
    text = ctx.t(caller, key, lang, name=changed.name, id=changed.id)
    return ctx.say(lang, tz, text, ephemeral=True)


async def _host_problem(ctx: Context, url: str) -> str | None:
    if ctx.allow_private:
        return None
    return await host_problem(
        url, within=ctx.settings.poll.timeout_seconds, resolver=ctx.fetcher.resolver
    )


async def _fetch_checked(
    ctx: Context, caller: Caller, url: str, lang: Language
) -> FetchResult | str:
    """Fetch ``url`` once it (and where it redirected to) is known not to be a private
    address; returns the response, or the problem to tell the admin."""
    refused = await _refusal(ctx, caller, url, lang)
    if refused is not None:
        return refused
    try:
        result = await ctx.fetcher.fetch(url)
    except FetchError as error:
        return _fetch_problem(ctx, caller, error, lang)
    if result.final_url != url:
        refused = await _refusal(ctx, caller, result.final_url, lang)
        if refused is not None:
            return refused
    return result


async def _refusal(ctx: Context, caller: Caller, url: str, lang: Language) -> str | None:
    """Why ``url``'s host may not be fetched, in the admin's words; None when it may."""
    problem = await _host_problem(ctx, url)
    if problem == "dns":
        return ctx.t(caller, "feed_error_dns", lang)
    if problem == "private":
        return ctx.t(caller, "cmd_addfeed_private", lang, host=urlsplit(url).hostname or "")
    return None


def _fetch_problem(ctx: Context, caller: Caller, error: FetchError, lang: Language) -> str:
    if isinstance(error, PrivateAddress):  # a redirect's host, refused before connecting
        return ctx.t(caller, "cmd_addfeed_private", lang, host=error.host)
    if error.kind == "http" and error.status is not None:
        return ctx.t(caller, "feed_error_http", lang, status=error.status)
    known = {"timeout", "dns", "connect", "too_large", "invalid_url"}
    if error.kind in known:
        return ctx.t(caller, f"feed_error_{error.kind}", lang)
    return ctx.t(caller, "feed_error_other", lang, detail=str(error)[:200])


def _feed_paragraph(ctx: Context, caller: Caller, feed: Feed, lang: Language, tz: str) -> Paragraph:
    if feed.paused:
        state = ctx.t(caller, "cmd_feed_paused", lang)
    elif feed.error_count:
        state = ctx.t(caller, "cmd_feed_failing", lang, count=feed.error_count)
    elif feed.state == "warning":
        state = ctx.t(caller, "cmd_feed_warning", lang)
    else:
        state = ctx.t(caller, "cmd_feed_ok", lang)
    lines = [
        ctx.t(caller, "cmd_feed_state", lang, state=state),
        ctx.t(
            caller,
            "cmd_feed_last_success",
            lang,
            when=moment_text(feed.last_success_at, lang, tz),
        ),
    ]
    if feed.last_error and feed.error_count:
        lines.append(ctx.t(caller, "cmd_feed_last_error", lang, error=feed.last_error[:160]))
    elif feed.parse_problem and feed.state == "warning":
        lines.append(ctx.t(caller, "cmd_feed_problem", lang, problem=feed.parse_problem[:160]))
    if not feed.paused:
        if feed.next_check_at is None:
            due = ctx.t(caller, "cmd_feed_due_now", lang)
        else:
            due = moment_text(feed.next_check_at, lang, tz)
        lines.append(ctx.t(caller, "cmd_feed_next_check", lang, when=due))
    return (
        Span(f"#{feed.id} "),
        Span(feed.name, bold=True),
        Span(f"\n{feed.url}\n" + "\n".join(lines)),
    )


def _import_paragraphs(
    ctx: Context, caller: Caller, done: OpmlImport, lang: Language
) -> list[Paragraph]:
    summary = ctx.t(
        caller,
        "cmd_importopml_done",
        lang,
        added=len(done.added),
        present=len(done.present),
        refused=len(done.refused),
    )
    paragraphs: list[Paragraph] = [(Span(summary, bold=True),)]
    if done.added:
        lines = [f"#{feed.id} {feed.name}" for feed in done.added[:_OPML_LINES_SHOWN]]
        if len(done.added) > _OPML_LINES_SHOWN:
            lines.append(ctx.t(caller, "and_more", lang, count=len(done.added) - _OPML_LINES_SHOWN))
        heading = ctx.t(caller, "cmd_importopml_added", lang)
        paragraphs.append(paragraph(heading + "\n" + "\n".join(lines)))
    if done.refused:
        reasons = {
            NOT_HTTP: ctx.t(caller, "opml_refused_scheme", lang),
            LISTED_TWICE: ctx.t(caller, "opml_refused_twice", lang),
        }
        lines = [
            f"{url[:120]} — {reasons.get(reason, reason)}"
            for url, reason in done.refused[:_OPML_LINES_SHOWN]
        ]
        if len(done.refused) > _OPML_LINES_SHOWN:
            more = ctx.t(caller, "and_more", lang, count=len(done.refused) - _OPML_LINES_SHOWN)
            lines.append(more)
        heading = ctx.t(caller, "cmd_importopml_refused", lang)
        paragraphs.append(paragraph(heading + "\n" + "\n".join(lines)))
    return paragraphs
