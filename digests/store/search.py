"""Search as users see it: a query string in, a page of hits with marked snippets out.

The full-text index is SQLite FTS5 (``article_search``) or PostgreSQL full-text search over
the same Arabic stems (``text.query``: the same code builds the index text and the query).
``find`` is what the chat commands and ``newsdigest search`` call; ``rank`` is the query
under it. When no article has every word of a multi-word query, ``find`` broadens the search
to articles with any of them (and says so).

On SQLite the articles of the last ``RECENT_SEARCH`` are indexed twice: in ``article_search``
and in ``article_search_recent``, which housekeeping trims daily. FTS5's BM25 reads every
posting of each query word (or phrase) to weigh it, however few rows are ranked: over a
million articles ranking «الرئيس الأمريكي» took 12 ms, over 30 days of them 1.2 ms. A query
ranks in the recent table first and goes to the whole index only when that has fewer matches
than it ranks (docs/search.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.clock import utcnow
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

__all__ = [
    "RANKED",
    "RECENT_SEARCH",
    "REINDEX_BATCH",
    "Ranked",
    "Reindexed",
    "Search",
    "drop_from_index",
    "recent_before",
    "write_index",
]

REINDEX_BATCH = 500
"""Articles re-indexed per step (one step per polling tick, on one instance)."""
RANKED = 500
"""Matches a search ranks (the newest): pages go this deep, and a count stops here."""
RECENT_SEARCH = timedelta(days=30)
"""What ``article_search_recent`` holds on SQLite: articles that arrived this recently."""
_RECENT = "article_search_recent"
_VERSION = "search_version"  # the matching version the whole index was built with
_CURSOR = "search_reindex"  # "<version> <last article id>" while a rebuild runs


@dataclass(frozen=True, slots=True)
class Ranked:
    """One page of ranked articles; ``total`` counts the matches up to ``RANKED``, and
    ``more`` says there are more than that."""

    articles: list[Article]
    total: int
    more: bool = False


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
        ranked = await self.rank(query, filters, now=now, page=page, per_page=per_page)
        broadened = False
        if ranked.total == 0 and len(query.groups) > 1:
            ranked = await self.rank(
                query, filters, now=now, page=page, per_page=per_page, any_term=True
            )
            broadened = ranked.total > 0
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
            for a in ranked.articles
        )
        return SearchPage(
            query=text.strip(),
            hits=hits,
            total=ranked.total,
            page=page,
            per_page=per_page,
            broadened=broadened,
            more=ranked.more,
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
                    sa.select(
                        articles.c.id,
                        articles.c.title,
                        articles.c.text,
                        articles.c.snippet,
                        articles.c.created_at,
                    )
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
            # The recent index holds the 30 days before the newest article (as migration 0016
            # fills it): a rebuild of old articles leaves them out of it.
            newest = await conn.scalar(sa.select(sa.func.max(articles.c.created_at)))
            since = (newest or utcnow()) - RECENT_SEARCH
            await write_index(conn, index, sqlite=self._db.is_sqlite, recent_since=since)
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
    ) -> Ranked:
        """Articles matching ``query`` (and ``filters``), best first, with the match count up
        to ``RANKED``.

        The ``RANKED`` newest matches are ranked (the full-text index walks them newest first
        without sorting every match, which keeps common words fast; older matches only show
        when fewer than that many are newer). The score is relevance (BM25 on SQLite, title
        weighted 3×; ts_rank on PostgreSQL) divided by ``1 + age / half_life_days``: a match a
        week old counts half as much as one published now. On SQLite BM25 weighs the words
        over the recent index when it holds enough matches, else over the whole index.
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
        wanted = RANKED + 1  # one more tells whether there are more
        async with self._db.engine.connect() as conn:
            if self._db.is_sqlite:
                match = query.fts5(any_term=any_term)
                scored = await _fts5_newest(conn, _RECENT, match, conditions, wanted)
                if len(scored) < wanted:  # older matches count too: rank in the whole index
                    scored = await _fts5_newest(conn, "article_search", match, conditions, wanted)
            else:
                scored = await _tsquery_newest(
                    conn, query.tsquery(any_term=any_term), conditions, wanted
                )
            more = len(scored) > RANKED
            if more:
                del scored[min(scored)]

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
        return Ranked([loaded[i] for i in ids if i in loaded], len(scored), more)


async def _fts5_newest(
    conn: AsyncConnection,
    table: str,
    match: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> dict[int, tuple[float, datetime]]:
    """The newest ``limit`` matches in FTS5 ``table`` with their BM25 relevance."""
    fts = sa.table(table, sa.column("rowid"))
    where: list[sa.ColumnElement[bool] | sa.TextClause] = [
        sa.text(f"{table} MATCH :match").bindparams(match=match)
    ]
    if conditions:
        where.append(fts.c.rowid.in_(sa.select(articles.c.id).where(*conditions)))
    relevance: sa.Label[Any] = sa.literal_column(f"-bm25({table}, 3.0, 1.0)").label("relevance")
    rows = await conn.execute(
        sa.select(fts.c.rowid, relevance, articles.c.published_at)
        .select_from(fts)
        .join(articles, articles.c.id == fts.c.rowid)
        .where(*where)
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )
    return {row.rowid: (float(row.relevance), row.published_at) for row in rows}


async def _tsquery_newest(
    conn: AsyncConnection,
    tsquery: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> dict[int, tuple[float, datetime]]:
    """The newest ``limit`` PostgreSQL full-text matches with ts_rank."""
    query = sa.func.to_tsquery("simple", tsquery)
    vector: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
    matched = sa.select(
        articles.c.id, sa.func.ts_rank(vector, query).label("relevance"), articles.c.published_at
    ).where(vector.op("@@")(query), *conditions)
    rows = await conn.execute(matched.order_by(articles.c.id.desc()).limit(limit))
    return {row.id: (float(row.relevance), row.published_at) for row in rows}


async def write_index(
    conn: AsyncConnection,
    rows: Sequence[tuple[int, str, str]],
    *,
    sqlite: bool,
    recent_since: datetime | None = None,
) -> None:
    """Store the index text (title keys, body keys) of each article id; on SQLite also in the
    recent index for articles that arrived at or after ``recent_since`` (None: not there)."""
    if not rows:
        return
    index = [{"id": i, "title": title, "body": body} for i, title, body in rows]
    if not sqlite:  # PostgreSQL: columns only its migration adds (a generated tsvector reads them)
        await conn.execute(
            sa.text(
                "UPDATE articles SET search_title = :title, search_body = :body WHERE id = :id"
            ),
            index,
        )
        return
    await conn.execute(
        sa.text(
            "INSERT OR REPLACE INTO article_search(rowid, title, body) VALUES (:id, :title, :body)"
        ),
        index,
    )
    if recent_since is None:
        return
    await drop_from_index(conn, [i for i, _, _ in rows], whole=False)
    await conn.execute(
        sa.text(
            f"INSERT INTO {_RECENT}(rowid, title, body) "
            "SELECT id, :title, :body FROM articles WHERE id = :id AND created_at >= :since"
        ).bindparams(sa.bindparam("since", type_=articles.c.created_at.type)),
        [{**row, "since": recent_since} for row in index],
    )


async def recent_before(conn: AsyncConnection, before: datetime, limit: int) -> list[int]:
    """Up to ``limit`` ids in the recent index (SQLite) of articles that arrived before
    ``before``, oldest first: what housekeeping trims."""
    first_kept = sa.select(sa.func.min(articles.c.id)).where(articles.c.created_at >= before)
    kept_from = await conn.scalar(first_kept)
    bound = "" if kept_from is None else " WHERE rowid < :kept"
    query = sa.text(f"SELECT rowid FROM {_RECENT}{bound} ORDER BY rowid LIMIT :n")
    return list((await conn.execute(query, {"kept": kept_from, "n": limit})).scalars())


async def drop_from_index(conn: AsyncConnection, ids: Sequence[int], *, whole: bool) -> None:
    """Remove articles ``ids`` from the recent index (SQLite), and from the whole index too
    when ``whole``."""
    for table in ("article_search", _RECENT) if whole else (_RECENT,):
        await conn.execute(
            sa.text(f"DELETE FROM {table} WHERE rowid IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": list(ids)},
        )
