"""The refresh pipeline, top to bottom: one feed in, new articles with clean text out.

    load feed → conditional fetch (ETag, Last-Modified) → parse → store returns only the new
    entries → complete their text (feed content, else the page, else the snippet) → enrich
    them (topics, story, related, search index) → record the outcome and the next check time
    on the feed.

At most ``max_page_fetches_per_feed`` article pages are fetched for one feed in one poll, for
its newest articles; the others keep the feed's text for good (a feed of thousands of entries
costs one poll's worth of page fetches, once). Each batch logs one line per feed on its pages.
Every fetch, pages included, gets the address check of ``fetch``. A configured feed's
``allow_private`` covers its pages and images only on the feed's own host: a link in an
intranet feed to any other host (written by whoever wrote the item) gets the check.

Errors of one feed are recorded on that feed and never stop the others. Only new work reaches
the later steps: the store decides what is new.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from digests import metrics
from digests.errors import ExtractError, FetchError, ParseError
from digests.ingest.backoff import cache_max_age, next_check_after_error, next_check_after_success
from digests.ingest.extract import clean_paragraphs, extract_article
from digests.ingest.fetch import Fetcher
from digests.ingest.llm import LLMSettings, summarise_with_llm
from digests.ingest.parse import parse_feed
from digests.ingest.settings import PollSettings
from digests.models import Article, Feed, PollOutcome
from digests.store import Store
from digests.store.articles import ArticleText, NewArticle, StoredSummary
from digests.store.feeds import FeedUpdate
from digests.text.enrich import Enricher
from digests.text.summarise import summarise

__all__ = ["Pipeline", "utcnow"]

log = logging.getLogger(__name__)

# How long a claimed feed stays claimed if its poll never reports back (crash, shutdown).
_CLAIM_LEASE = timedelta(minutes=10)
# With several instances, an article younger than this may still be in another one's poll
# (a poll fetching many pages takes a while): only older ones count as left behind.
_LEFT_BEHIND = timedelta(minutes=30)
# Reading what other instances enriched: at most once a second (before each batch is enriched),
# looking back an overlap that covers clock skew between machines (keep them NTP-synced) and
# transactions that committed late (an article already in the index is skipped).
_CATCH_UP_EVERY = timedelta(seconds=1)
_CATCH_UP_OVERLAP = timedelta(seconds=30)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Pipeline:
    """Polls feeds into the store. Holds no state of its own beyond its collaborators."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        settings: PollSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        enricher: Enricher | None = None,
        llm: tuple[httpx.AsyncClient, LLMSettings] | None = None,
        keep_articles: timedelta | None = None,
    ) -> None:
        """``keep_articles`` (``[storage] keep_articles_days``): entries published longer ago
        than that are not stored. Housekeeping removes such articles, so storing one again
        would post, as new, an article whose record of being sent is gone."""
        self._store = store
        self._keep_articles = keep_articles
        self._fetcher = fetcher
        self._settings = settings
        self._clock = clock
        self._enricher = enricher
        self._llm = llm
        self._llm_slots = asyncio.Semaphore(4)
        # Feeds being processed at once: bounds memory (fetched bodies waiting for the single
        # SQLite writer) as the fetcher's semaphores bound the network.
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._caught_up_at = clock()  # open_app restored the index just before

    async def poll_due(self, *, limit: int = 500) -> list[PollOutcome]:
        """Poll the feeds that are due now, up to ``limit``, claiming them a few at a time.

        Feeds are claimed as slots free up (``concurrency`` in flight, claims of at least half
        that), never all at once: instances sharing the database each take what they can work
        on, so the due feeds spread over them. Stops claiming when nothing more is due.
        """
        size = self._settings.concurrency
        outcomes: list[PollOutcome] = []
        running: set[asyncio.Task[PollOutcome]] = set()
        claimed = 0
        more = True
        try:
            while True:
                free = size - len(running)
                if more and claimed < limit and (free >= max(1, size // 2) or not running):
                    due = await self._store.feeds.claim_due(
                        self._clock(), limit=min(free, limit - claimed), lease=_CLAIM_LEASE
                    )
                    claimed += len(due)
                    more = bool(due)
                    running |= {asyncio.create_task(self._poll_one(feed)) for feed in due}
                if not running:
                    return outcomes
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if (error := task.exception()) is not None:  # e.g. the database failed
                        log.error("a poll failed", exc_info=error)
                    else:
                        outcomes.append(task.result())
        finally:
            for task in running:  # cancelled mid-pass (shutdown): the claims' leases expire
                task.cancel()

    async def poll_feeds(
        self,
        feeds: Sequence[Feed],
        *,
        on_done: Callable[[PollOutcome], None] | None = None,
    ) -> list[PollOutcome]:
        """Poll ``feeds`` concurrently (the fetcher bounds how many requests are in flight)."""

        async def one(feed: Feed) -> PollOutcome:
            outcome = await self._poll_one(feed)
            if on_done is not None:
                on_done(outcome)
            return outcome

        return list(await asyncio.gather(*(one(feed) for feed in feeds)))

    async def _poll_one(self, feed: Feed) -> PollOutcome:
        async with self._slots:
            outcome = await self.poll_feed(feed)
        metrics.record_poll(outcome)
        return outcome

    async def poll_feed(self, feed: Feed) -> PollOutcome:
        """Poll one feed and record the outcome on it; never raises for the feed's own faults."""
        started = time.perf_counter()
        context = {"feed_id": feed.id, "feed_url": feed.url}
        if feed.paused:
            return PollOutcome(feed.id, feed.name, feed.url, "paused", None, 0, 0.0)
        try:
            result = await self._fetcher.fetch(
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                allow_private=feed.allow_private,
            )
            now = self._clock()
            max_age = cache_max_age(result.headers)
            if result.not_modified:
                next_check = next_check_after_success(
                    now, self._settings, ttl_seconds=None, max_age=max_age
                )
                await self._store.feeds.record_success(
                    feed.id,
                    now,
                    FeedUpdate(
                        next_check_at=next_check,
                        etag=result.headers.get("etag", feed.etag),
                        last_modified=result.headers.get("last-modified", feed.last_modified),
                        new_url=result.permanent_redirect,
                        parse_problem=feed.parse_problem,
                    ),
                )
                log.debug("feed not modified", extra=context)
                return self._outcome(feed, "not_modified", 304, 0, started)
            parsed = parse_feed(result.body, result.final_url, result.headers)
            entries = parsed.entries
            if self._keep_articles is not None:
                oldest = now - self._keep_articles
                entries = tuple(e for e in entries if e.published is None or e.published >= oldest)
                if len(entries) < len(parsed.entries):
                    log.debug(
                        "%d entries published before %s skipped (past keep_articles_days)",
                        len(parsed.entries) - len(entries),
                        oldest.date(),
                        extra=context,
                    )
            new = await self._store.articles.insert_entries(
                feed,
                entries,
                now,
                dedup_window=timedelta(hours=self._settings.dedup_window_hours),
            )
            await self._complete_texts(new, private=_private_hosts([feed]))
            await self._store.feeds.record_success(
                feed.id,
                self._clock(),
                FeedUpdate(
                    next_check_at=next_check_after_success(
                        now, self._settings, ttl_seconds=parsed.ttl_seconds, max_age=max_age
                    ),
                    etag=result.headers.get("etag"),
                    last_modified=result.headers.get("last-modified"),
                    title=parsed.title,
                    new_url=result.permanent_redirect,
                    parse_problem=parsed.problem,
                ),
            )
            if result.permanent_redirect:
                log.info("feed moved permanently to %s", result.permanent_redirect, extra=context)
            if parsed.problem:
                log.warning("feed is malformed: %s", parsed.problem, extra=context)
            log.info("feed polled: %d new articles", len(new), extra=context)
            return self._outcome(feed, "ok", result.status, len(new), started)
        except FetchError as exc:
            return await self._failed(feed, str(exc), exc.status, exc.retry_after, started)
        except ParseError as exc:
            return await self._failed(feed, f"parse: {exc}", None, None, started)
        except Exception as exc:  # a bug or an input nobody foresaw: this feed fails, not the pass
            log.exception("feed poll failed unexpectedly", extra=context)
            return await self._failed(feed, f"internal: {exc!r}"[:300], None, None, started)

    async def _failed(
        self,
        feed: Feed,
        error: str,
        http_status: int | None,
        retry_after: float | None,
        started: float,
    ) -> PollOutcome:
        now = self._clock()
        next_check = next_check_after_error(
            now, self._settings, error_count=feed.error_count + 1, retry_after=retry_after
        )
        await self._store.feeds.record_failure(feed.id, now, error=error, next_check_at=next_check)
        log.warning(
            "feed failed (%d in a row): %s; next try %s",
            feed.error_count + 1,
            error,
            next_check.isoformat(timespec="seconds"),
            extra={"feed_id": feed.id, "feed_url": feed.url},
        )
        return self._outcome(feed, "error", http_status, 0, started, error)

    async def complete_pending(self, *, limit: int = 100) -> int:
        """Complete articles left half-done (a poll cut short by shutdown or a crash); returns
        how many. With several instances on the database, only articles older than a poll
        can take count: younger ones may be in another instance's hands."""
        before = None if self._store.single_instance else self._clock() - _LEFT_BEHIND
        pending = await self._store.articles.missing_text(limit=limit, created_before=before)
        if pending:
            feeds = await self._store.feeds.all()
            private = _private_hosts(feeds)
            await self._complete_texts([NewArticle(a, None) for a in pending], private=private)
        unenriched = await self._store.topics.to_enrich(limit=limit, created_before=before)
        await self._enrich(unenriched)
        return len(pending) + len(unenriched)

    async def _catch_up_index(self) -> int:
        """Add to the story index the articles other instances enriched since the last call
        (at most one look a second), so stories and related links form across instances;
        returns how many were added. Nothing to do on SQLite, where this process is the only
        writer."""
        if self._enricher is None or self._store.single_instance:
            return 0
        now = self._clock()
        if now - self._caught_up_at < _CATCH_UP_EVERY:
            return 0
        since = self._caught_up_at - _CATCH_UP_OVERLAP
        self._caught_up_at = now
        enricher = self._enricher
        unknown = [i for i in await self._store.topics.enriched_since(since) if i not in enricher]
        if not unknown:
            return 0
        return enricher.restore(
            await self._store.topics.index_rows(now - enricher.horizon, ids=unknown)
        )

    async def _complete_texts(
        self, new: Sequence[NewArticle], *, private: Mapping[int, str]
    ) -> None:
        """Give ``new`` articles their text (``private``: the feeds whose own host may be on a
        private address, by feed id), then enrich and summarise them."""
        wanting = sorted(
            (item for item in new if self._wants_page(item)),
            key=lambda item: item.article.published_at,
            reverse=True,
        )
        per_feed: Counter[int] = Counter()
        fetched: set[int] = set()
        for item in wanting:
            if per_feed[item.article.feed_id] < self._settings.max_page_fetches_per_feed:
                per_feed[item.article.feed_id] += 1
                fetched.add(item.article.id)
        texts = await asyncio.gather(
            *(
                self._text_of(
                    item,
                    page=item.article.id in fetched,
                    allow_private=_may_be_private(item.article.url, item, private),
                )
                for item in new
            )
        )
        self._log_pages(wanting, fetched, texts)
        await self._store.articles.set_texts(texts)
        await self._check_images(new, texts, private)
        by_id = {t.article_id: t.text for t in texts}
        completed = [replace(item.article, text=by_id[item.article.id]) for item in new]
        await self._enrich(completed)
        await self._summarise_with_llm(completed)

    async def _check_images(
        self, new: Sequence[NewArticle], texts: Sequence[ArticleText], private: Mapping[int, str]
    ) -> None:
        """Store each new article's lead image: the feed's image, else (when the feed has none
        or it fails) the ``og:image`` of the page its text came from, the first that passes
        ``Fetcher.image_problem`` (public address, an image, small enough); articles with
        none that passes are left without one."""
        from_page = {t.article_id: t.image for t in texts}

        async def check(item: NewArticle) -> str | None:
            candidates = dict.fromkeys(u for u in (item.image, from_page.get(item.article.id)) if u)
            for url in candidates:
                allow = _may_be_private(url, item, private)
                problem = await self._fetcher.image_problem(url, allow_private=allow)
                if problem is None:
                    return url
                log.info("image of article %d left out: %s", item.article.id, problem)
            return None

        found = await asyncio.gather(*(check(item) for item in new))
        await self._store.articles.set_images(
            {item.article.id: url for item, url in zip(new, found, strict=True) if url}
        )

    async def _summarise_with_llm(self, articles: Sequence[Article]) -> None:
        """With the LLM backend configured, store its summary of each article (or why not)."""
        if self._llm is None or not articles:
            return
        client, settings = self._llm

        async def one(article: Article) -> StoredSummary:
            text = article.text or article.snippet
            fallback = summarise(article.title, text, max_sentences=3)
            async with self._llm_slots:
                result = await summarise_with_llm(client, settings, article.title, text, fallback)
            metrics.record_summary(result.method)
            if result.method == "llm":
                return StoredSummary(article.id, result.text, "llm")
            return StoredSummary(article.id, None, result.method, result.fallback_reason)

        await self._store.articles.set_summaries(await asyncio.gather(*(one(a) for a in articles)))

    async def _enrich(self, articles: Sequence[Article]) -> None:
        """Topics, story, related articles and search text, in publication order."""
        if self._enricher is None or not articles:
            return
        await self._catch_up_index()  # what other instances just enriched can be this story
        ordered = sorted(articles, key=lambda a: (a.published_at, a.id))
        enrichments = [self._enricher.enrich(article) for article in ordered]
        await self._store.topics.save_enrichments(enrichments, self._clock())

    def _full_content(self, item: NewArticle) -> str | None:
        """The feed's own full text of ``item``, when it carries one long enough."""
        content = item.content
        return (
            content if content and len(content) >= self._settings.full_content_min_chars else None
        )

    def _wants_page(self, item: NewArticle) -> bool:
        """Whether ``item``'s text would come from its page (no full text in the feed)."""
        return (
            self._settings.fetch_pages
            and self._full_content(item) is None
            and item.article.url.startswith(("http://", "https://"))
        )

    async def _text_of(self, item: NewArticle, *, page: bool, allow_private: bool) -> ArticleText:
        """A new article's clean text: full feed content, else its page (when ``page``), else
        the snippet."""
        article = item.article
        if (content := self._full_content(item)) is not None:
            paragraphs = clean_paragraphs(content.split("\n"), article.title)
            return ArticleText(article.id, "\n\n".join(paragraphs), "feed")
        error = None
        if page:
            try:
                fetched = await self._fetcher.fetch(article.url, allow_private=allow_private)
                extracted = extract_article(
                    fetched.body, fetched.final_url, encoding=_charset(fetched.headers)
                )
                return ArticleText(article.id, extracted.text, "page", image=extracted.image)
            except (FetchError, ExtractError, ValueError) as exc:
                error = str(exc)
                context = {"feed_id": article.feed_id, "article_id": article.id}
                log.debug("article page unusable, keeping the feed's text: %s", exc, extra=context)
        elif self._wants_page(item):
            error = "page not fetched: over poll.max_page_fetches_per_feed"
        paragraphs = clean_paragraphs((item.content or article.snippet).split("\n"), article.title)
        return ArticleText(article.id, "\n\n".join(paragraphs), "snippet", error)

    def _log_pages(
        self, wanting: Sequence[NewArticle], fetched: set[int], texts: Sequence[ArticleText]
    ) -> None:
        """One line per feed whose articles wanted their pages: read, unusable, not fetched."""
        sources = {t.article_id: t.source for t in texts}
        by_feed: dict[int, Counter[str]] = {}
        for item in wanting:
            article_id = item.article.id
            if article_id not in fetched:
                outcome = "skipped"
            else:
                outcome = "read" if sources[article_id] == "page" else "unusable"
            by_feed.setdefault(item.article.feed_id, Counter())[outcome] += 1
        cap = self._settings.max_page_fetches_per_feed
        for feed_id, counts in by_feed.items():
            log.info(
                "article pages: %d read, %d unusable, %d not fetched "
                "(over poll.max_page_fetches_per_feed = %d); those keep the feed's text",
                counts["read"],
                counts["unusable"],
                counts["skipped"],
                cap,
                extra={"feed_id": feed_id},
            )

    def _outcome(
        self,
        feed: Feed,
        status: str,
        http_status: int | None,
        new: int,
        started: float,
        error: str | None = None,
    ) -> PollOutcome:
        return PollOutcome(
            feed.id,
            feed.name,
            feed.url,
            status,
            http_status,
            new,
            time.perf_counter() - started,
            error,
        )


def _charset(headers: dict[str, str]) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"').strip()
    return None


def _private_hosts(feeds: Sequence[Feed]) -> dict[int, str]:
    """The feeds that opted in to private addresses, by id, each with its own host."""
    return {f.id: urlsplit(f.url).hostname or "" for f in feeds if f.allow_private}


def _may_be_private(url: str, item: NewArticle, private: Mapping[int, str]) -> bool:
    """Whether ``url`` (a page or image of ``item``) may be on a private address: only on the
    host of a feed that opted in."""
    host = private.get(item.article.feed_id)
    return bool(host) and urlsplit(url).hostname == host
