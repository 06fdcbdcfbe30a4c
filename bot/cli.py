"""The ``newsdigest`` command line.

    newsdigest [--config PATH] run              the long-running service
    newsdigest [--config PATH] poll --once      one polling pass, then a table per feed
    newsdigest [--config PATH] digest --print   compose and print what is new now
    newsdigest extract PATH|URL|-               the clean text of one article page
    newsdigest [--config PATH] search QUERY     Arabic-aware search of stored articles
    newsdigest [--config PATH] check-config     the effective configuration, secrets redacted

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

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.config import DEFAULT_CONFIG, DestinationSettings, Settings, load_settings, redacted
from bot.delivery import build_digest
from bot.logs import setup_logging
from bot.service import open_app, run_service
from digests.errors import ExtractError, FetchError, NewsdigestError
from digests.extract import extract_article
from digests.fetch import Fetcher
from digests.finder import find
from digests.models import ExtractedArticle, PollOutcome
from digests.pipeline import utcnow
from digests.policy import PollSettings
from digests.render_text import render_text
from digests.search import SearchFilters, SearchPage

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

    search = commands.add_parser("search", help="search stored articles (Arabic-aware)")
    search.add_argument("query", nargs="+", help='words; quote a phrase as «…» or "…"')
    search.add_argument("--topic", help="only articles with this topic slug")
    search.add_argument("--source", help="only articles from this source name")
    search.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD (UTC)")
    search.add_argument("--until", type=_date, help="published before YYYY-MM-DD (UTC)")
    search.add_argument("--page", type=int, default=1)
    search.add_argument("--per-page", type=int, default=10)
    search.set_defaults(handler=_search)

    check = commands.add_parser("check-config", help="validate and print the configuration")
    check.set_defaults(handler=_check_config)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    setup_logging(settings.log.level)
    return settings


def _run(args: argparse.Namespace) -> int:
    asyncio.run(run_service(_settings(args)))
    return 0


def _poll(args: argparse.Namespace) -> int:
    settings = _settings(args)
    console = Console(stderr=True)

    async def poll() -> list[PollOutcome]:
        async with open_app(settings) as app:
            feeds = await app.store.list_feeds(include_paused=False)
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
        async with open_app(settings) as app:
            prepared = await build_digest(app.store, destination, utcnow())
        return render_text(
            prepared.digest, language=destination.language, timezone=destination.timezone
        )

    sys.stdout.write(asyncio.run(compose()))
    return 0


def _destination(settings: Settings, name: str | None) -> DestinationSettings:
    if name is None:
        return (
            settings.destinations[0]
            if settings.destinations
            else DestinationSettings(name="console")
        )
    for destination in settings.destinations:
        if destination.name == name:
            return destination
    known = ", ".join(d.name for d in settings.destinations) or "none configured"
    raise NewsdigestError(f"no destination named {name!r} (known: {known})")


def _extract(args: argparse.Namespace) -> int:
    source: str = args.source
    if source.startswith(("http://", "https://")):
        article = asyncio.run(_extract_url(source))
    else:
        try:
            data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            raise NewsdigestError(f"cannot read {source}: {exc.strerror or exc}") from None
        article = extract_article(data, None)
    sys.stdout.write(_article_text(article))
    return 0


async def _extract_url(url: str) -> ExtractedArticle:
    async with Fetcher(PollSettings()) as fetcher:
        try:
            page = await fetcher.fetch(url)
        except FetchError as exc:
            raise ExtractError(url, f"cannot fetch {url}: {exc}") from None
    return extract_article(page.body, page.final_url)


def _article_text(article: ExtractedArticle) -> str:
    blocks = ([article.title] if article.title else []) + list(article.paragraphs)
    return "\n\n".join(blocks) + "\n"


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
        async with open_app(settings) as app:
            return await find(
                app.store,
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


def _check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    print(f"# {args.config}: valid", file=sys.stderr)
    print(json.dumps(redacted(settings), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
