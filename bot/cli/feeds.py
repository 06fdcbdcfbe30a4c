"""``newsdigest poll --once`` and ``feeds list|export|import``: the feeds and their health."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.common import moment, settings_of
from bot.service import open_app
from digests.clock import utcnow
from digests.errors import NewsdigestError
from digests.ingest.opml import OpmlImport, export_opml, import_opml_feeds, parse_opml
from digests.models import Feed, PollOutcome

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the parser."""
    poll = commands.add_parser("poll", help="poll every active feed once and show a table")
    poll.add_argument("--once", action="store_true", help="one pass (the only mode; default)")
    poll.set_defaults(handler=_poll)

    feeds = commands.add_parser("feeds", help="list the feeds, or export/import them as OPML")
    feed_commands = feeds.add_subparsers(dest="feeds_command", required=True)
    feed_list = feed_commands.add_parser(
        "list", help="every feed with its health (ok, new, warning, failing, paused)"
    )
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


def _poll(args: argparse.Namespace) -> int:
    settings = settings_of(args)
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


def _feeds_list(args: argparse.Namespace) -> int:
    settings = settings_of(args)

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
            feed.state,
            moment(feed.last_success_at),
            str(feed.error_count),
            _problem(feed)[:80],
            "—" if feed.paused else moment(feed.next_check_at, none="due now"),
        )
    failing = sum(1 for f in every if f.state == "failing")
    paused = sum(1 for f in every if f.paused)
    table.caption = f"{len(every)} feeds, {failing} failing, {paused} paused"
    Console().print(table)
    return 0


def _problem(feed: Feed) -> str:
    """The "last error" cell: the error of a failing feed, the document's problem of a feed in
    warning, else nothing."""
    if feed.error_count:
        return feed.last_error or ""
    return (feed.parse_problem or "") if feed.state == "warning" else ""


def _feeds_export(args: argparse.Namespace) -> int:
    settings = settings_of(args)

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
    settings = settings_of(args)

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
