"""``newsdigest stats``, ``backup PATH`` and ``restore PATH``: what the database holds, and
copies of it (``digests.store.housekeeping``, ``digests.store.backup``; docs/operations.md).

``stats`` prints a table per database table (rows, size with its indexes), the whole size
and the oldest row of each kind retention removes. ``backup`` writes a checked copy of the
SQLite database while the service runs; ``restore`` replaces the database by one, only
while no service runs on it. Both refuse PostgreSQL (exit status 2) with a pointer to
pg_dump.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.common import moment, settings_of
from digests.store import Store
from digests.store.backup import Copy, backup, restore, sqlite_file
from digests.store.housekeeping import StoreStats, store_stats

__all__ = ["register", "size"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the parser."""
    stats = commands.add_parser("stats", help="rows and sizes per table, oldest rows kept")
    stats.set_defaults(handler=_stats)
    copy = commands.add_parser(
        "backup", help="write a checked copy of the SQLite database (while the service runs)"
    )
    copy.add_argument("path", type=Path, help="the copy to write (must not exist)")
    copy.set_defaults(handler=_backup)
    back = commands.add_parser(
        "restore", help="replace the SQLite database by a backup (the service must be stopped)"
    )
    back.add_argument("path", type=Path, help="the backup to restore")
    back.set_defaults(handler=_restore)


def size(count: int | None) -> str:
    """Bytes as the tables show them (binary units, one decimal)."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _stats(args: argparse.Namespace) -> int:
    settings = settings_of(args)

    async def read() -> StoreStats:
        store = await Store.open(settings.database_url)
        try:
            return await store_stats(store.db)
        finally:
            await store.close()

    stats = asyncio.run(read())
    print(f"{'table':<22} {'rows':>12} {'size':>12}")
    for table in stats.tables:
        print(f"{table.name:<22} {table.rows:>12,} {size(table.bytes):>12}")
    line = f"database: {size(stats.total_bytes)}"
    if stats.free_bytes is not None:
        line += f" ({size(stats.free_bytes)} free; auto_vacuum {stats.auto_vacuum})"
    print(line)
    print("oldest kept:")
    for label, when in stats.oldest.items():
        print(f"  {label:<16} {moment(when, none='none')}")
    return 0


def _backup(args: argparse.Namespace) -> int:
    database = sqlite_file(settings_of(args).database_url)
    _report("wrote", backup(database, args.path))
    return 0


def _restore(args: argparse.Namespace) -> int:
    database = sqlite_file(settings_of(args).database_url)
    restored = restore(args.path, database)
    _report(f"restored {args.path} to", restored)
    previous = database.with_name(database.name + ".before-restore")
    if previous.exists():
        print(f"the replaced database is kept as {previous}")
    return 0


def _report(verb: str, copy: Copy) -> None:
    print(f"{verb} {copy.path}: {size(copy.bytes)}, schema {copy.schema}, integrity ok")
    for name, rows in copy.rows.items():
        print(f"  {name:<22} {rows:>12,}")
