"""The ``newsdigest`` command line.

    newsdigest [--config PATH] run              the long-running service
    newsdigest [--config PATH] poll --once      one polling pass, then a table per feed
    newsdigest [--config PATH] digest --print   compose and print what is new now
    newsdigest extract PATH|URL|-               the clean text of one article page
    newsdigest summarise PATH|URL|-             the summary of one article
    newsdigest [--config PATH] topics list      topics by number of articles (promote: keyphrases)
    newsdigest [--config PATH] search QUERY     Arabic-aware search of stored articles
    newsdigest [--config PATH] check-config     the effective configuration, secrets redacted
    newsdigest [--config PATH] feeds list       every feed with its health
    newsdigest [--config PATH] feeds export [PATH|-]   the feeds as OPML 2.0 (default: stdout)
    newsdigest [--config PATH] feeds import PATH|-     add the feeds an OPML file lists

Errors the user can fix (configuration, unreadable input) are printed as one clear message
and exit with status 2; there is no traceback for them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.config import DEFAULT_CONFIG, Settings, load_settings, redacted
from bot.logs import secret_values, setup_logging
from bot.service import load_taxonomy, open_app, run_service
from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.deliver.queue import build_digest
from digests.errors import ExtractError, FetchError, NewsdigestError
from digests.ingest.extract import extract_article, extract_text_lines
from digests.ingest.fetch import Fetcher
from digests.ingest.llm import LLMSettings, summarise_with_llm
from digests.ingest.opml import OpmlImport, export_opml, import_opml_feeds, parse_opml
from digests.ingest.settings import PollSettings
from digests.models import ExtractedArticle, Feed, PollOutcome, TopicRow
from digests.render.text import render_text
from digests.text.arabic import normalise
from digests.text.query import SearchFilters, SearchPage
from digests.text.summarise import Summary, summarise
from digests.text.taxonomy import KINDS, promote, to_toml_entry

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except NewsdigestError as exc:
        print(f"newsdigest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdigest", description="Arabic news feeds condensed into digests."
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("NEWSDIGEST_CONFIG", DEFAULT_CONFIG)),
        help="configuration file (default: $NEWSDIGEST_CONFIG or config/newsdigest.toml)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot until SIGINT/SIGTERM")
    run.set_defaults(handler=_run)

    poll = commands.add_parser("poll", help="poll every active feed once and show a table")
    poll.add_argument("--once", action="store_true", help="one pass (the only mode; default)")
    poll.set_defaults(handler=_poll)

    digest = commands.add_parser("digest", help="compose a digest of what is new now")
    digest.add_argument(
        "--print", dest="print_", action="store_true", help="print it (nothing is marked sent)"
    )
    digest.add_argument("--destination", help="destination name (default: the first)")
    digest.set_defaults(handler=_digest)

    extract = commands.add_parser("extract", help="print the clean text of one article page")
    extract.add_argument("source", help="an HTML file, an http(s) URL, or - for standard input")
    extract.set_defaults(handler=_extract)

    summary = commands.add_parser("summarise", help="print the summary of one article")
    summary.add_argument(
        "source", help="an HTML page, a text file (first line = title), a URL, or -"
    )
    summary.add_argument("--sentences", type=int, default=3, help="most sentences (default 3)")
    summary.add_argument("--chars", type=int, default=None, help="most characters")
    summary.add_argument(
        "--llm", action="store_true", help="ask the [summary.llm] model of the configuration"
    )
    summary.set_defaults(handler=_summarise)

    topics = commands.add_parser("topics", help="list topics, or promote a keyphrase")
    topic_commands = topics.add_subparsers(dest="topics_command", required=True)
    listing = topic_commands.add_parser("list", help="topics by number of articles")
    listing.add_argument("--keyphrases", action="store_true", help="only found keyphrases")
    listing.add_argument("--limit", type=int, default=40)
    listing.set_defaults(handler=_topics_list)
    promote_cmd = topic_commands.add_parser(
        "promote", help="make a keyphrase a taxonomy topic (appended to the taxonomy file)"
    )
    promote_cmd.add_argument("phrase", help="the keyphrase as shown by `topics list`")
    promote_cmd.add_argument("--slug", required=True, help="ASCII slug, e.g. saif-al-adel")
    promote_cmd.add_argument("--en", required=True, help="English name")
    promote_cmd.add_argument(
        "--kind", default="theme", choices=sorted(KINDS), help="kind of topic (default theme)"
    )
    promote_cmd.set_defaults(handler=_topics_promote)

    search = commands.add_parser("search", help="search stored articles (Arabic-aware)")
    search.add_argument("query", nargs="+", help='words; quote a phrase as «…» or "…"')
    search.add_argument("--topic", help="only articles with this topic slug")
    search.add_argument("--source", help="only articles from this source name")
    search.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD (UTC)")
    search.add_argument("--until", type=_date, help="published before YYYY-MM-DD (UTC)")
    search.add_argument("--page", type=int, default=1)
    search.add_argument("--per-page", type=int, default=10)
    search.set_defaults(handler=_search)

    feeds = commands.add_parser("feeds", help="list the feeds, or export/import them as OPML")
    feed_commands = feeds.add_subparsers(dest="feeds_command", required=True)
    feed_list = feed_commands.add_parser("list", help="every feed with its health")
    feed_list.set_defaults(handler=_feeds_list)
    export = feed_commands.add_parser("export", help="write the feeds as OPML 2.0")
    export.add_argument(
        "path", nargs="?", default="-", help="file to write, or - for standard output (default)"
    )
    export.set_defaults(handler=_feeds_export)
    import_ = feed_commands.add_parser(
        "import", help="add the feeds an OPML file lists (those not present yet)"
    )
    import_.add_argument("path", help="an OPML file, or - for standard input")
    import_.set_defaults(handler=_feeds_import)

    check = commands.add_parser("check-config", help="validate and print the configuration")
    check.set_defaults(handler=_check_config)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    setup_logging(
        settings.log.level,
        json_logs=settings.ops.json_logs,
        secrets=secret_values(settings.secrets),
    )
    return settings


def _run(args: argparse.Namespace) -> int:
    asyncio.run(run_service(_settings(args)))
    return 0


def _poll(args: argparse.Namespace) -> int:
    settings = _settings(args)
    console = Console(stderr=True)

    async def poll() -> list[PollOutcome]:
        async with open_app(settings) as app:
            feeds = await app.store.feeds.all(include_paused=False)
            with Progress(
                TextColumn("polling feeds"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=not console.is_terminal,
            ) as progress:
                task = progress.add_task("poll", total=len(feeds))
                return await app.pipeline.poll_feeds(
                    feeds, on_done=lambda _: progress.advance(task)
                )

    outcomes = asyncio.run(poll())
    Console().print(_outcome_table(outcomes))
    if not outcomes:
        print("newsdigest: no active feeds in the configuration", file=sys.stderr)
        return 1
    return 1 if all(o.status == "error" for o in outcomes) else 0


def _outcome_table(outcomes: Sequence[PollOutcome]) -> Table:
    table = Table(title="poll --once")
    for column in ("feed", "status", "HTTP", "new", "304", "time", "error"):
        table.add_column(column, justify="right" if column in ("new", "time", "HTTP") else "left")
    for o in outcomes:
        table.add_row(
            o.name,
            o.status,
            str(o.http_status or ""),
            str(o.new_articles),
            "yes" if o.status == "not_modified" else "no",
            f"{o.elapsed:.2f}s",
            o.error or "",
        )
    new = sum(o.new_articles for o in outcomes)
    failed = sum(o.status == "error" for o in outcomes)
    table.caption = f"{len(outcomes)} feeds, {new} new articles, {failed} failed"
    return table


def _digest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    destination = _destination(settings, args.destination)

    async def compose() -> str:
        async with open_app(settings, polling=False) as app:
            prepared = await build_digest(app.store, destination, utcnow())
        return render_text(
            prepared.digest, language=destination.language, timezone=destination.timezone
        )

    sys.stdout.write(asyncio.run(compose()))
    return 0


def _destination(settings: Settings, name: str | None) -> Destination:
    if name is None:
        return settings.destinations[0] if settings.destinations else Destination(name="console")
    for destination in settings.destinations:
        if destination.name == name:
            return destination
    known = ", ".join(d.name for d in settings.destinations) or "none configured"
    raise NewsdigestError(f"no destination named {name!r} (known: {known})")


def _extract(args: argparse.Namespace) -> int:
    data, url = _read_source(args.source)
    sys.stdout.write(_article_text(extract_article(data, url)))
    return 0


def _article_text(article: ExtractedArticle) -> str:
    blocks = ([article.title] if article.title else []) + list(article.paragraphs)
    return "\n\n".join(blocks) + "\n"


def _read_source(source: str) -> tuple[bytes, str | None]:
    """The bytes of a file, standard input or URL, and the URL when it was one."""
    if source.startswith(("http://", "https://")):
        return asyncio.run(_fetch_page(source)), source
    try:
        return (sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()), None
    except OSError as exc:
        raise NewsdigestError(f"cannot read {source}: {exc.strerror or exc}") from None


async def _fetch_page(url: str) -> bytes:
    async with Fetcher(PollSettings()) as fetcher:
        try:
            return (await fetcher.fetch(url)).body
        except FetchError as exc:
            raise ExtractError(url, f"cannot fetch {url}: {exc}") from None


def _article_from(data: bytes, url: str | None) -> ExtractedArticle:
    """An HTML page is extracted; anything else is plain text whose first line is the title."""
    head = data[:2048].lstrip().lower()
    if (
        url
        or head.startswith((b"<!doctype", b"<html", b"<?xml"))
        or b"<p" in head
        or b"<body" in head
    ):
        return extract_article(data, url)
    return extract_text_lines(data.decode("utf-8", errors="replace"), url)


def _summarise(args: argparse.Namespace) -> int:
    if args.sentences < 1 or (args.chars is not None and args.chars < 20):
        raise NewsdigestError("--sentences must be at least 1 and --chars at least 20")
    data, url = _read_source(args.source)
    article = _article_from(data, url)
    result = summarise(
        article.title, article.text, max_sentences=args.sentences, max_chars=args.chars
    )
    if args.llm:
        llm = _settings(args).summary.llm
        if llm is None:
            raise NewsdigestError(f"{args.config}: no [summary.llm] table: the model is not set")
        result = asyncio.run(_llm_summary(llm, article, result))
    lines = ([article.title, ""] if article.title else []) + [result.text or "(no text)"]
    sys.stdout.write("\n".join(lines) + "\n")
    note = f" ({result.fallback_reason})" if result.fallback_reason else ""
    print(f"# {result.method}: {len(result.sentences)} sentences{note}", file=sys.stderr)
    return 0


async def _llm_summary(llm: LLMSettings, article: ExtractedArticle, fallback: Summary) -> Summary:
    async with httpx.AsyncClient() as client:
        return await summarise_with_llm(client, llm, article.title, article.text, fallback)


def _topics_list(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def run() -> list[tuple[TopicRow, int]]:
        async with open_app(settings, polling=False) as app:
            origin = "keyphrase" if args.keyphrases else None
            return await app.store.topics.counts(origin=origin, limit=args.limit)

    table = Table(title="topics")
    for column in ("slug", "name", "kind", "articles"):
        table.add_column(column, justify="right" if column == "articles" else "left")
    for row, count in asyncio.run(run()):
        table.add_row(row.slug, row.name_ar, row.kind, str(count))
    Console().print(table)
    return 0


def _topics_promote(args: argparse.Namespace) -> int:
    settings = _settings(args)
    taxonomy = load_taxonomy(settings)
    topic = promote(args.phrase, slug=args.slug, en=args.en, kind=args.kind)
    taxonomy.with_topic(topic)  # validates: a bad or taken slug raises ConfigError
    path = settings.topics.taxonomy_file
    with path.open("a", encoding="utf-8") as file:
        file.write("\n" + to_toml_entry(topic))

    async def run() -> int:
        async with open_app(
            settings, polling=False
        ) as app:  # re-reads the taxonomy and syncs the new topic
            moved = 0
            for found in await app.store.topics.all(origin="keyphrase"):
                if normalise(found.name_ar) == normalise(args.phrase):
                    moved += await app.store.topics.move(found.slug, topic.slug)
            return moved

    moved = asyncio.run(run())
    print(f"added topic {topic.slug} ({topic.ar}) to {path}; {moved} articles moved to it")
    return 0


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-29") from None


def _search(args: argparse.Namespace) -> int:
    settings = _settings(args)
    filters = SearchFilters(
        topic=args.topic, source=args.source, since=args.since, until=args.until
    )

    async def run() -> SearchPage:
        async with open_app(settings, polling=False) as app:
            return await app.store.search.find(
                " ".join(args.query),
                now=utcnow(),
                filters=filters,
                page=args.page,
                per_page=max(1, min(args.per_page, 50)),
            )

    result = asyncio.run(run())
    console = Console(highlight=False)
    if not result.hits:
        console.print(f"no results for «{result.query}»")
        return 0
    note = (
        " (no article has every word; showing articles with any of them)"
        if result.broadened
        else ""
    )
    console.print(f"{result.total} results, page {result.page} of {result.pages}{note}\n")
    for hit in result.hits:
        console.print(_marked(hit.title, hit.title_marks, "bold"))
        console.print(f"   {hit.source} · {hit.published_at:%Y-%m-%d %H:%M} UTC · {hit.url}")
        console.print(Text("   ") + _marked(hit.snippet.text, hit.snippet.marks, "bold yellow"))
        console.print()
    return 0


def _marked(text: str, marks: Sequence[tuple[int, int]], style: str) -> Text:
    rich_text = Text(text)
    for start, end in marks:
        rich_text.stylize(style, start, end)
    return rich_text


def _feeds_list(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def run() -> list[Feed]:
        async with open_app(settings, polling=False) as app:
            return await app.store.feeds.all()

    every = asyncio.run(run())
    table = Table(title="feeds")
    for column in ("id", "name", "url", "status", "last success", "errors", "last error", "next"):
        table.add_column(column, justify="right" if column in ("id", "errors") else "left")
    for feed in every:
        table.add_row(
            str(feed.id),
            feed.name,
            feed.url,
            _feed_status(feed),
            _moment(feed.last_success_at),
            str(feed.error_count),
            (feed.last_error or "")[:80] if feed.error_count else "",
            "—" if feed.paused else _moment(feed.next_check_at, none="due now"),
        )
    failing = sum(1 for f in every if _feed_status(f) == "failing")
    paused = sum(1 for f in every if f.paused)
    table.caption = f"{len(every)} feeds, {failing} failing, {paused} paused"
    Console().print(table)
    return 0


def _feed_status(feed: Feed) -> str:
    """paused, failing (the last poll failed), ok, or new (never polled)."""
    if feed.paused:
        return "paused"
    if feed.error_count:
        return "failing"
    return "ok" if feed.last_success_at else "new"


def _moment(when: datetime | None, *, none: str = "never") -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC" if when is not None else none


def _feeds_export(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def run() -> list[Feed]:
        async with open_app(settings, polling=False) as app:
            return await app.store.feeds.all()

    every = asyncio.run(run())
    document = export_opml(every, "newsdigest feeds", created=utcnow())
    if args.path == "-":
        sys.stdout.write(document)
    else:
        try:
            Path(args.path).write_text(document, encoding="utf-8")
        except OSError as exc:
            raise NewsdigestError(f"cannot write {args.path}: {exc.strerror or exc}") from None
        print(f"wrote {len(every)} feeds to {args.path}", file=sys.stderr)
    return 0


def _feeds_import(args: argparse.Namespace) -> int:
    """Add the listed feeds as admin feeds. The operator is trusted: unlike the chat command,
    no private-address check is made, and the feeds are not fetched before they are added."""
    try:
        data = sys.stdin.buffer.read() if args.path == "-" else Path(args.path).read_bytes()
    except OSError as exc:
        raise NewsdigestError(f"cannot read {args.path}: {exc.strerror or exc}") from None
    found = parse_opml(data, "standard input" if args.path == "-" else args.path)
    settings = _settings(args)

    async def run() -> OpmlImport:
        async with open_app(settings, polling=False) as app:
            return await import_opml_feeds(app.store, found, utcnow())

    done = asyncio.run(run())
    for feed in done.added:
        print(f"added         #{feed.id} {feed.name} <{feed.url}>")
    for listed, existing in done.present:
        known = f" as #{existing.id} {existing.name}" if existing is not None else ""
        print(f"already there {listed.name} <{listed.url}>{known}")
    for url, reason in done.refused:
        print(f"refused       <{url}>: {reason}")
    print(
        f"{len(done.added)} added, {len(done.present)} already present, {len(done.refused)} refused"
    )
    return 0


def _check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    print(f"# {args.config}: valid", file=sys.stderr)
    print(json.dumps(redacted(settings), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
