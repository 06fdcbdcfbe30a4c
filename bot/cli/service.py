"""``newsdigest run``, ``digest --print`` and ``check-config``: the service and its settings."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli.common import settings_of
from bot.config import Settings, load_settings, redacted
from bot.service import open_app, run_service
from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.deliver.queue import build_digest
from digests.errors import NewsdigestError
from digests.render.text import render_text

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the parser."""
    run = commands.add_parser("run", help="run the bot until SIGINT/SIGTERM")
    run.set_defaults(handler=_run)

    digest = commands.add_parser("digest", help="compose a digest of what is new now")
    digest.add_argument(
        "--print", dest="print_", action="store_true", help="print it (nothing is marked sent)"
    )
    digest.add_argument("--destination", help="destination name (default: the first)")
    digest.set_defaults(handler=_digest)

    check = commands.add_parser("check-config", help="validate and print the configuration")
    check.set_defaults(handler=_check_config)


def _run(args: argparse.Namespace) -> int:
    asyncio.run(run_service(settings_of(args, chat=True)))
    return 0


def _digest(args: argparse.Namespace) -> int:
    settings = settings_of(args)
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


def _check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, chat=True)  # what `run` will need
    print(f"# {args.config}: valid", file=sys.stderr)
    print(json.dumps(redacted(settings), ensure_ascii=False, indent=2))
    return 0
