"""Small named values the store keeps about itself (``store_meta``): the matching version the
search index was built with and how far a rebuild has got."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.store.database import Database
from digests.store.schema import store_meta

__all__ = ["Meta", "read_meta", "write_meta"]


async def read_meta(conn: AsyncConnection, name: str) -> str | None:
    """The value called ``name``, or None."""
    row = await conn.execute(sa.select(store_meta.c.value).where(store_meta.c.name == name))
    return row.scalar_one_or_none()


async def write_meta(conn: AsyncConnection, name: str, value: str | None) -> None:
    """Set (or with None, remove) the value called ``name``."""
    await conn.execute(store_meta.delete().where(store_meta.c.name == name))
    if value is not None:
        await conn.execute(store_meta.insert().values(name=name, value=value))


class Meta:
    """``store_meta`` on its own (the repositories use ``read_meta``/``write_meta`` inside
    their own transactions)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, name: str) -> str | None:
        """The value called ``name``, or None."""
        async with self._db.engine.connect() as conn:
            return await read_meta(conn, name)

    async def set(self, name: str, value: str | None) -> None:
        """Set (or with None, remove) the value called ``name``."""
        async with self._db.write() as conn:
            await write_meta(conn, name, value)
