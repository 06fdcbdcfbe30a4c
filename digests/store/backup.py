"""Backups of the SQLite database while the service runs, and restoring one.

``backup`` copies the database with SQLite's online backup API in one step: the copy is the
database as it was when the step began (a read transaction, which under WAL never blocks
the service's writes), not a file copy that could catch a write half done. The copy is
written beside its target and renamed into place only after it passed ``check_copy``
(``PRAGMA integrity_check``, a schema this release knows, the rows of every table).

``restore`` refuses while a service runs on the database: the service holds an exclusive
``flock`` on ``<database>.lock`` for as long as it runs (``service_lock``; the kernel drops
it when the process dies, so a crash leaves nothing to clean up). It checks the copy first,
keeps the database it replaces as ``<database>.before-restore``, and replaces the file with
one rename, so the database path always holds a whole database.

PostgreSQL has its own tools (``pg_dump``/``pg_restore``, docs/operations.md); both
functions refuse it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from digests.errors import StoreError
from digests.store.database import known_schema
from digests.store.schema import metadata

__all__ = ["Copy", "backup", "check_copy", "restore", "service_lock", "sqlite_file"]

_POSTGRES = (
    "backup and restore here are for SQLite; on PostgreSQL use pg_dump and pg_restore "
    "(docs/operations.md, 'Backups')"
)


@dataclass(frozen=True, slots=True)
class Copy:
    """A checked database file: its size, its schema version and the rows of each table."""

    path: Path
    bytes: int
    schema: str
    rows: dict[str, int]


def sqlite_file(url: str) -> Path:
    """The file of a SQLite database URL; ``StoreError`` for any other database."""
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        raise StoreError(_POSTGRES)
    if not parsed.database or parsed.database == ":memory:":
        raise StoreError("an in-memory database has no file to back up or restore")
    return Path(parsed.database)


@contextlib.contextmanager
def service_lock(database: Path) -> Iterator[bool]:
    """Hold the exclusive lock saying a process owns ``database`` (``<database>.lock``),
    without waiting; yields whether it was taken (False: another process holds it)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(database.with_name(database.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def backup(database: Path, target: Path) -> Copy:
    """Write a consistent, checked copy of ``database`` to ``target`` (which must not exist)
    while the service may be writing; returns what was written."""
    if not database.is_file():
        raise StoreError(f"{database}: no such database")
    if target.exists():
        raise StoreError(f"{target}: already exists; choose a new name")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        _copy(database, part)
        copy = check_copy(part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    part.replace(target)
    return Copy(target, copy.bytes, copy.schema, copy.rows)


def check_copy(path: Path) -> Copy:
    """Open ``path`` read-only and check it is a whole database of a schema this release
    knows: ``StoreError`` (with the reason) otherwise."""
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open ({exc})") from None
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise StoreError(f"{path}: integrity check failed: {'; '.join(problems[:3])}")
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        rows = {
            name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in sorted(metadata.tables)
        }
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: not a newsdigest database ({exc})") from None
    finally:
        conn.close()
    if version is None:
        raise StoreError(f"{path}: no schema version recorded")
    if not known_schema(str(version[0])):
        raise StoreError(
            f"{path}: schema {version[0]} is not one this release knows (a newer release's?)"
        )
    return Copy(path, path.stat().st_size, str(version[0]), rows)


def restore(copy: Path, database: Path) -> Copy:
    """Replace ``database`` by the checked ``copy``, refusing while a service runs on it or
    another process has it open; the replaced database is kept as
    ``<database>.before-restore`` (with its ``-wal``/``-shm``, so it opens as it was)."""
    with service_lock(database) as free:
        if not free:
            raise StoreError(
                f"the service is running on {database}: stop it first, then restore; nothing done"
            )
        checked = check_copy(copy)
        incoming = database.with_name(database.name + ".restoring")
        incoming.unlink(missing_ok=True)
        try:
            _copy(copy, incoming)
            if database.exists():
                _checkpoint(database)
                _set_aside(database, database.with_name(database.name + ".before-restore"))
            incoming.replace(database)
        finally:
            incoming.unlink(missing_ok=True)
    return Copy(database, database.stat().st_size, checked.schema, checked.rows)


def _checkpoint(database: Path) -> None:
    """Fold the WAL of ``database`` into its main file; ``StoreError`` (nothing done) when
    another process keeps it from finishing. A damaged database is left as it is: restoring
    over it is what restore is for."""
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=5)) as old:
            busy, log, done = old.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError:
        return  # not a database any more: set aside as it is
    if busy or log != done:
        raise StoreError(
            f"another process has {database} open (a newsdigest command still running?): "
            "stop it, then restore; nothing done"
        )


def _set_aside(database: Path, previous: Path) -> None:
    """Keep ``database`` as ``previous``: the main file linked (the database path never goes
    missing), its ``-wal`` and ``-shm`` moved to ``previous``'s names."""
    for suffix in ("", "-wal", "-shm"):
        previous.with_name(previous.name + suffix).unlink(missing_ok=True)
    previous.hardlink_to(database)
    for suffix in ("-wal", "-shm"):
        side = database.with_name(database.name + suffix)
        if side.exists():
            side.replace(previous.with_name(previous.name + suffix))


def _copy(source: Path, target: Path) -> None:
    """``source`` into the new file ``target`` with the online backup API, in one step (a
    snapshot), as one self-contained file (rollback journal; the service turns WAL on)."""
    with (
        contextlib.closing(sqlite3.connect(source, timeout=10)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
