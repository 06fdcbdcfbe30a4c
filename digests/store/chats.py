"""Chats that moved: Telegram turns a group into a supergroup with a new id (ChatMigrated).

``move_chat`` moves a chat's unsent outbox parts to its new id and records the alias;
``current_chat`` gives the id a part for a chat must be enqueued under. Aliases are kept one
hop deep (a chat that moves twice points straight to its newest id). Both run inside the
caller's transaction (the outbox's write path).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.store.schema import chat_aliases, outbox

__all__ = ["current_chat", "move_chat"]


async def current_chat(conn: AsyncConnection, platform: str, chat: str) -> str:
    """The chat's current id (``chat`` itself unless it moved)."""
    moved = await conn.execute(
        sa.select(chat_aliases.c.new_chat).where(
            chat_aliases.c.platform == platform, chat_aliases.c.old_chat == chat
        )
    )
    return moved.scalar_one_or_none() or chat


async def move_chat(
    conn: AsyncConnection,
    platform: str,
    old: str,
    new: str,
    now: datetime,
    *,
    unsent: Sequence[str],
) -> int:
    """Move the parts of chat ``old`` whose status is in ``unsent`` to ``new`` and point ``old``
    (and every chat that pointed to it) at ``new``; returns how many parts moved."""
    moved = await conn.execute(
        outbox.update()
        .where(outbox.c.platform == platform, outbox.c.chat == old, outbox.c.status.in_(unsent))
        .values(chat=new)
    )
    same_platform = chat_aliases.c.platform == platform
    await conn.execute(
        chat_aliases.delete().where(same_platform, chat_aliases.c.old_chat.in_((old, new)))
    )
    await conn.execute(
        chat_aliases.update()
        .where(same_platform, chat_aliases.c.new_chat == old)
        .values(new_chat=new)
    )
    await conn.execute(
        chat_aliases.insert().values(platform=platform, old_chat=old, new_chat=new, created_at=now)
    )
    return int(moved.rowcount)
