"""``newsdigest topics list|promote``: the topics found, and making a keyphrase a topic."""

from __future__ import annotations

import argparse
import asyncio

from rich.console import Console
from rich.table import Table

from bot.cli.common import settings_of
from bot.service import load_taxonomy, open_app
from digests.models import TopicRow
from digests.text.arabic import normalise
from digests.text.taxonomy import KINDS, promote, to_toml_entry

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the parser."""
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


def _topics_list(args: argparse.Namespace) -> int:
    settings = settings_of(args)

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
    settings = settings_of(args)
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
