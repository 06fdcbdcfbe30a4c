"""Search as users see it: a query string in, a page of hits with marked snippets out.

Used by ``newsdigest search`` and by the chat commands. Parsing and snippets are the pure
functions of ``digests.search``; the store runs the full-text query. When no article has every
word of a multi-word query, the search is broadened to articles with any of them (and says so).
"""

from __future__ import annotations

from datetime import datetime

from digests.search import SearchFilters, SearchHit, SearchPage, make_snippet, marks_in, parse_query
from digests.store import Store

__all__ = ["find"]


async def find(
    store: Store,
    text: str,
    *,
    now: datetime,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 5,
) -> SearchPage:
    """Search for ``text``; raises ``QueryError`` (with a reason) for a query that cannot run."""
    query = parse_query(text)
    filters = filters or SearchFilters()
    page = max(1, page)
    rows, total = await store.search(query, filters, now=now, page=page, per_page=per_page)
    broadened = False
    if total == 0 and len(query.groups) > 1:
        rows, total = await store.search(
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
