"""Search as users see it: a query string in, a page of hits with marked snippets out.

The full-text index is SQLite FTS5 (``article_search``) or PostgreSQL full-text search over
the same Arabic stems (``text.query``: the same code builds the index text and the query).
``find`` is what the chat commands and ``newsdigest search`` call; ``rank`` is the query
under it. When no article has every word of a multi-word query, ``find`` broadens the search
to articles with any of them (and says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.models import Article
from digests.store.articles import article_of, with_source
from digests.store.database import Database
from digests.store.meta import read_meta, write_meta
from digests.store.schema import article_topics, articles, feeds, topics
from digests.text.query import (
    Query,
    SearchFilters,
    SearchHit,
    SearchPage,
    index_terms,
    make_snippet,
    marks_in,
    parse_query,
)

__all__ = ["REINDEX_BATCH", "Reindexed", "Search", "write_index"]

REINDEX_BATCH = 500
"""Articles re-indexed per step (one step per polling tick, on one instance)."""
_VERSION = "search_version"  # the matching version the whole index was built with
_CURSOR = "search_reindex"  # "<version> <last article id>" while a rebuild runs


@dataclass(frozen=True, slots=True)
class Reindexed:
    """One step of a rebuild: articles indexed in it, and whether the rebuild is done."""

    articles: int
    done: bool


class Search:
    """The full-text index of the articles."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(
        self,
        text: str,
        *,
        now: datetime,
        filters: SearchFilters | None = None,
        page: int = 1,
        per_page: int = 5,
    ) -> SearchPage:
        """Search for ``text``; raises ``QueryError`` (with a reason) for a query that cannot
        run."""
        query = parse_query(text)
        filters = filters or SearchFilters()
        page = max(1, page)
        rows, total = await self.rank(query, filters, now=now, page=page, per_page=per_page)
        broadened = False
        if total == 0 and len(query.groups) > 1:
            rows, total = await self.rank(
                query, filters, now=now, page=page, per_page=per_page, any_term=True
            )
            broadened = total > 0
        hits = tuple(
            SearchHit(
                article_id=a.id,
                title=a.title,
                source=a.source,
                url=a.url,
                published_at=a.published_at,
                snippet=make_snippet(a.text or a.snippet, query),
                title_marks=marks_in(a.title, query.stems),
            )
            for a in rows
        )
        return SearchPage(
            query=text.strip(),
            hits=hits,
            total=total,
            page=page,
            per_page=per_page,
            broadened=broadened,
        )

    async def version(self) -> str | None:
        """The matching version the whole index was built with (None: not recorded yet)."""
        async with self._db.engine.connect() as conn:
            return await read_meta(conn, _VERSION)

    async def reindex_step(
        self,
        version: str,
        *,
        batch: int = REINDEX_BATCH,
        before_first: Callable[[], Any] | None = None,
    ) -> Reindexed | None:
        """Re-index the next ``batch`` enriched articles for matching ``version``; None when
        the index is already at ``version``. Progress is stored, so a restart (or another
        instance taking over) resumes where the last step ended; articles enriched meanwhile
        are indexed with the new keys already. ``before_first`` (awaited once, when a rebuild
        starts) re-keys what else the old version made, such as keyphrase topics."""
        async with self._db.engine.connect() as conn:
            current = await read_meta(conn, _VERSION)
            cursor = await read_meta(conn, _CURSOR)
        if current == version:
            return None
        building, _, after = (cursor or "").partition(" ")
        last = int(after) if building == version and after.isdigit() else None
        if last is None and before_first is not None:
            await before_first()
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(articles.c.id, articles.c.title, articles.c.text, articles.c.snippet)
                    .where(articles.c.enriched_at.is_not(None), articles.c.id > (last or 0))
                    .order_by(articles.c.id)
                    .limit(batch)
                )
            ).all()
        index = await asyncio.to_thread(
            lambda: [(r.id, index_terms(r.title), index_terms(r.text or r.snippet)) for r in rows]
        )
        done = len(rows) < batch
        async with self._db.write() as conn:
            await write_index(conn, index, sqlite=self._db.is_sqlite)
            if done:
                await write_meta(conn, _VERSION, version)
                await write_meta(conn, _CURSOR, None)
            else:
                await write_meta(conn, _CURSOR, f"{version} {rows[-1].id}")
        return Reindexed(len(rows), done)

    async def index_text(self, article_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """The stored index text (title keys, body keys) of each indexed article of
        ``article_ids``: what keyword rules are matched against."""
        out: dict[int, tuple[str, str]] = {}
        ids = sorted(set(article_ids))
        async with self._db.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                if self._db.is_sqlite:
                    query = sa.text(
                        "SELECT rowid AS id, title, body FROM article_search WHERE rowid IN :ids"
                    ).bindparams(sa.bindparam("ids", expanding=True))
                    rows = await conn.execute(query, {"ids": chunk})
                else:
                    rows = await conn.execute(
                        sa.text(
                            "SELECT id, search_title AS title, search_body AS body FROM articles "
                            "WHERE id IN :ids AND search_title IS NOT NULL"
                        ).bindparams(sa.bindparam("ids", expanding=True)),
                        {"ids": chunk},
                    )
                out.update({row.id: (row.title or "", row.body or "") for row in rows})
        return out

    async def rank(
        self,
        query: Query,
        filters: SearchFilters,
        *,
        now: datetime,
        page: int = 1,
        per_page: int = 5,
        any_term: bool = False,
        half_life_days: float = 7.0,
        candidates: int = 500,
    ) -> tuple[list[Article], int]:
        """Articles matching ``query`` (and ``filters``), best first, and the total count.

        The score is relevance (BM25 on SQLite, title weighted 3×; ts_rank on PostgreSQL)
        divided by ``1 + age / half_life_days``: a match a week old counts half as much as one
        published now. On SQLite the ``candidates`` most recently stored matches are ranked
        (the full-text index walks them newest first without sorting every match), which keeps
        common words fast; older matches only show when fewer than that many are newer.
        """
        conditions: list[sa.ColumnElement[bool]] = []
        if filters.topic:
            conditions.append(
                articles.c.id.in_(
                    sa.select(article_topics.c.article_id)
                    .join(topics, topics.c.id == article_topics.c.topic_id)
                    .where(topics.c.slug == filters.topic)
                )
            )
        if filters.source:
            conditions.append(
                articles.c.feed_id.in_(sa.select(feeds.c.id).where(feeds.c.name == filters.source))
            )
        if filters.since:
            conditions.append(articles.c.published_at >= filters.since)
        if filters.until:
            conditions.append(articles.c.published_at < filters.until)
        async with self._db.engine.connect() as conn:
            if self._db.is_sqlite:
                scored, total = await _fts5_candidates(
                    conn, query.fts5(any_term=any_term), conditions, candidates
                )
            else:
                scored, total = await _tsquery_candidates(
                    conn, query.tsquery(any_term=any_term), conditions, candidates
                )

            def score(article_id: int) -> tuple[float, int]:
                relevance, published = scored[article_id]
                age_days = max(0.0, (now - published).total_seconds() / 86400)
                return relevance / (1.0 + age_days / half_life_days), article_id

            ranked = sorted(scored, key=score, reverse=True)
            ids = ranked[(max(page, 1) - 1) * per_page :][:per_page]
            loaded = {
                row["id"]: article_of(row)
                for row in (
                    await conn.execute(with_source().where(articles.c.id.in_(ids)))
                ).mappings()
            }
        return [loaded[i] for i in ids if i in loaded], total


async def _fts5_candidates(
    conn: AsyncConnection,
    match: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> tuple[dict[int, tuple[float, datetime]], int]:
    """The newest ``limit`` FTS5 matches with their BM25 relevance, and the match count."""
    fts = sa.table("article_search", sa.column("rowid"))
    where: list[sa.ColumnElement[bool] | sa.TextClause] = [
        sa.text("article_search MATCH :match").bindparams(match=match)
    ]
    if conditions:
        where.append(fts.c.rowid.in_(sa.select(articles.c.id).where(*conditions)))
    relevance: sa.Label[Any] = sa.literal_column("-bm25(article_search, 3.0, 1.0)").label(
        "relevance"
    )
    rows = await conn.execute(
        sa.select(fts.c.rowid, relevance, articles.c.published_at)
        .select_from(fts)
        .join(articles, articles.c.id == fts.c.rowid)
        .where(*where)
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )
    scored = {row.rowid: (float(row.relevance), row.published_at) for row in rows}
    if len(scored) < limit:
        return scored, len(scored)  # every match is a candidate: no need to count
    count = await conn.execute(sa.select(sa.func.count()).select_from(fts).where(*where))
    return scored, int(count.scalar_one())


async def _tsquery_candidates(
    conn: AsyncConnection,
    tsquery: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> tuple[dict[int, tuple[float, datetime]], int]:
    """The newest ``limit`` PostgreSQL full-text matches with ts_rank, and the match count."""
    query = sa.func.to_tsquery("simple", tsquery)
    vector: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
    matched = sa.select(
        articles.c.id, sa.func.ts_rank(vector, query).label("relevance"), articles.c.published_at
    ).where(vector.op("@@")(query), *conditions)
    rows = await conn.execute(matched.order_by(articles.c.id.desc()).limit(limit))
    count = await conn.execute(sa.select(sa.func.count()).select_from(matched.subquery()))
    scored = {row.id: (float(row.relevance), row.published_at) for row in rows}
    return scored, int(count.scalar_one())


async def write_index(
    conn: AsyncConnection, rows: Sequence[tuple[int, str, str]], *, sqlite: bool
) -> None:
    """Store the index text (title keys, body keys) of each article id."""
    if not rows:
        return
    index = [{"id": i, "title": title, "body": body} for i, title, body in rows]
    if sqlite:
        await conn.execute(
            sa.text(
                "INSERT OR REPLACE INTO article_search(rowid, title, body) "
                "VALUES (:id, :title, :body)"
            ),
            index,
        )
    else:  # PostgreSQL: columns only its migration adds (a generated tsvector reads them)
        await conn.execute(
            sa.text(
                "UPDATE articles SET search_title = :title, search_body = :body WHERE id = :id"
            ),
            index,
        )
