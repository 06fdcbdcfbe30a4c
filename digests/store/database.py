"""The database itself: one engine, one write path, the migrations, and the helpers every
repository shares.

SQLAlchemy 2 Core on asyncio. SQLite (aiosqlite, one file, WAL) is the embedded default;
the same statements run on PostgreSQL (asyncpg). The schema is created and upgraded by the
Alembic migrations in ``digests/store/migrations`` when the database opens.

SQLite has one writer, so every write goes through ``Database.write()``, which holds one
``asyncio.Lock`` on SQLite (none on PostgreSQL, where row locks and ``SKIP LOCKED`` serialise
what must be serialised). Reads use ``engine.connect()`` and run concurrently under WAL.

Migrations only add (tables, columns with defaults, indexes): a release keeps working on a
schema a newer release migrated, so instances of two consecutive releases run side by side
during a rolling upgrade. Opening a database whose schema is newer than this release knows
therefore leaves it as it is (with a warning) instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    Row = TypeVar("Row", bound=DataclassInstance)

__all__ = [
    "MIGRATION_LOCK",
    "POOL_OVERFLOW",
    "POOL_SIZE",
    "SYNC_LOCK",
    "Database",
    "Migration",
    "advisory_key",
    "database_now",
    "from_row",
    "insert_ignore",
    "known_schema",
    "migrate",
    "schema_head",
    "serialise",
    "sqlite_url",
    "update_rows",
]

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")

# PostgreSQL connections of one instance (docs/deployment.md, "Sizing"): the pool keeps up to
# POOL_SIZE open and opens up to POOL_OVERFLOW more under load; a leader lock, while held,
# keeps one of them checked out.
POOL_SIZE = 5
POOL_OVERFLOW = 10


def advisory_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for ``name`` (the same in every
    process and every release)."""
    digest = hashlib.blake2b(f"newsdigest:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Advisory locks held to the end of a transaction: while migrating, and while syncing the
# configured feeds and topics (instances that start together would both insert the same rows).
MIGRATION_LOCK = advisory_key("migrations")
SYNC_LOCK = advisory_key("config-sync")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite database file."""
    return f"sqlite+aiosqlite:///{path}"


@dataclasses.dataclass(frozen=True, slots=True)
class Migration:
    """The schema's version (its newest migration) before and after opening the database:
    ``before`` is None for a database without a schema; ``newer`` when a newer release had
    migrated it (left as it was: ``before == after``)."""

    before: str | None
    after: str | None
    newer: bool = False


class Database:
    """An engine with SQLite's single write path; create with ``await Database.open(url)``."""

    def __init__(self, engine: AsyncEngine, migration: Migration | None = None) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()
        self.migration = migration or Migration(None, None)
        """What opening did to the schema."""

    @classmethod
    async def open(cls, url: str, *, revision: str = "heads") -> Database:
        """Connect to ``url``, create the SQLite file's folder if needed, apply the migrations
        up to ``revision`` (all of them by default; one instance at a time). A schema newer than
        this release knows is left as it is, with a warning (see the module docstring)."""
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
        engine = create_async_engine(url, **({} if url.startswith("sqlite") else pool))
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        try:
            async with engine.begin() as conn:
                await serialise(conn, MIGRATION_LOCK)  # instances starting together
                migration = await conn.run_sync(_upgrade, revision)
        except BaseException:
            await engine.dispose()
            raise
        if migration.newer:
            log.warning(
                "the database schema is at %s, newer than this release's %s: running on it "
                "(migrations only add; see the rolling upgrade rule in docs/deployment.md)",
                migration.before,
                schema_head(),
            )
        return cls(engine, migration)

    @property
    def single_instance(self) -> bool:
        """True for SQLite: one process owns the database (no other instance can be live)."""
        return self.is_sqlite

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on exit, rolled back on error. On SQLite it holds the
        single write lock, so never open another write inside it."""
        lock = self._write_lock if self.is_sqlite else contextlib.nullcontext()
        async with lock, self.engine.begin() as conn:
            yield conn

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()


async def serialise(conn: AsyncConnection, key: int) -> None:
    """On PostgreSQL, wait for the advisory lock ``key`` until this transaction ends, so
    transactions of several instances that take it run one after another (SQLite has one
    writer already)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


async def database_now(conn: AsyncConnection) -> datetime:
    """The database's own clock (aware UTC): what leases and heartbeats are set and compared
    with, so instances whose clocks disagree still agree on who holds what. PostgreSQL:
    ``now()``, the time its transaction began; SQLite: the clock of its host, read by SQLite,
    to the millisecond."""
    if conn.dialect.name == "postgresql":
        value = await conn.scalar(sa.select(sa.func.now()))
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    text = await conn.scalar(sa.text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)


def insert_ignore(conn: AsyncConnection, table: sa.Table) -> Any:
    """An INSERT into ``table`` that skips rows conflicting with a unique key (both dialects)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def update_rows(
    conn: AsyncConnection, table: sa.Table, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Per-row column updates of ``table`` in one executemany: each row has the primary-key
    column ``key`` and the same other columns. (Bind names get a prefix: SQLAlchemy reserves
    the column names.)"""
    if not rows:
        return
    columns = [name for name in rows[0] if name != key]
    statement = (
        table.update()
        .where(table.c[key] == sa.bindparam(f"b_{key}"))
        .values({column: sa.bindparam(f"b_{column}") for column in columns})
    )
    await conn.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def from_row(cls: type[Row], row: Mapping[Any, Any]) -> Row:
    """An instance of the dataclass ``cls`` from a result row whose column names (or labels)
    are its field names; fields the row lacks keep their defaults."""
    present = row.keys()
    return cls(**{name: row[name] for name in _field_names(cls) if name in present})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


async def migrate(url: str, *, revision: str = "heads") -> Migration:
    """Bring the schema at ``url`` to ``revision`` (this release's newest by default) and say
    what was done; idempotent. ``newsdigest migrate`` is this; every start does it too."""
    db = await Database.open(url, revision=revision)
    await db.close()
    return db.migration


@functools.cache
def schema_head() -> str:
    """The newest schema version this release knows (its last migration)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_schema(version: str) -> bool:
    """Whether ``version`` is one of this release's schema versions (a migration it has)."""
    try:
        ScriptDirectory.from_config(_config()).get_revision(version)
    except CommandError:
        return False
    return True


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> Migration:
    config = _config(connection)
    before = MigrationContext.configure(connection).get_current_revision()
    if before is not None:
        try:
            ScriptDirectory.from_config(config).get_revision(before)
        except CommandError:  # not one of ours: a newer release migrated this database
            return Migration(before, before, newer=True)
    command.upgrade(config, revision)
    return Migration(before, MigrationContext.configure(connection).get_current_revision())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        # Only takes effect on a new file (before its first table); an existing database
        # keeps its mode until a VACUUM (docs/operations.md, "Retention").
        "auto_vacuum=INCREMENTAL",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
