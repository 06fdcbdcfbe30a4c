"""``newsdigest migrate``: bring the database schema to this release's newest version.

Every start migrates too; this command lets an operator do it on its own, before a rolling
upgrade replaces the instances (docs/deployment.md). It prints the versions before and after,
and changes nothing when the schema is current. A schema a newer release migrated is refused
(exit status 2): an older release never touches it.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.common import settings_of
from digests.errors import StoreError
from digests.store.database import migrate, schema_head

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the parser."""
    command = commands.add_parser(
        "migrate", help="bring the database schema to this release's newest version"
    )
    command.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    migration = asyncio.run(migrate(settings.database_url))
    head = schema_head()
    if migration.newer:
        raise StoreError(
            f"the database schema is at {migration.before}, newer than this release's {head}: "
            "migrate with the newer release; nothing done"
        )
    if migration.before is None:
        print(f"created the database schema at {migration.after}")
    elif migration.before == migration.after:
        print(f"the database schema is at {migration.after} already: nothing to do")
    else:
        print(f"migrated the database schema from {migration.before} to {migration.after}")
    return 0
