"""The ``newsdigest`` command line.

    newsdigest [--config PATH] run              the long-running service
    newsdigest [--config PATH] poll --once      one polling pass, then a table per feed
    newsdigest [--config PATH] digest --print   compose and print what is new now
    newsdigest extract PATH|URL|-               the clean text of one article page
    newsdigest summarise PATH|URL|-             the summary of one article
    newsdigest [--config PATH] topics list      topics by number of articles (promote: keyphrases)
    newsdigest [--config PATH] search QUERY     Arabic-aware search of stored articles
    newsdigest [--config PATH] reindex          rebuild the search index after an upgrade
    newsdigest [--config PATH] check-config     the effective configuration, secrets redacted
    newsdigest [--config PATH] migrate          the database schema to this release's newest
    newsdigest [--config PATH] stats            rows and sizes per table, oldest rows kept
    newsdigest [--config PATH] backup PATH      a checked copy of the SQLite database, live
    newsdigest [--config PATH] restore PATH     replace the SQLite database (service stopped)
    newsdigest [--config PATH] feeds list       every feed with its health
    newsdigest [--config PATH] feeds export [PATH|-]   the feeds as OPML 2.0 (default: stdout)
    newsdigest [--config PATH] feeds import PATH|-     add the feeds an OPML file lists

Errors the user can fix (configuration, unreadable input) are printed as one clear message
and exit with status 2; there is no traceback for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import articles, feeds, schema, service, storage, topics
from bot.config import DEFAULT_CONFIG
from digests.errors import NewsdigestError

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
    for group in (service, feeds, articles, topics, schema, storage):
        group.register(commands)
    return parser
