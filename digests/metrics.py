"""Prometheus metrics of polling, summarising and delivery, and one-line helpers to record them.

Every metric lives on the module's own ``REGISTRY`` (not prometheus_client's global default),
so the ops server exposes exactly these and tests can read their values. Call sites use the
``record_*`` helpers; each is one line and never raises for an unknown label value (it is
counted under ``other`` instead, which also keeps the label sets small).

    feeds_polled_total{status}                 ok, not_modified, error, paused
    fetch_errors_total{kind}                   dns, connect, private, timeout, http,
                                               too_large, invalid_url, parse, other
    articles_stored_total                      new articles the store accepted
    summaries_total{method}                    llm, extractive, article, truncated, empty
    deliveries_total{platform,outcome}         sent, retried, failed, dropped, gone
    outbox_dropped_stale_total                 parts dropped for waiting too long
    outbox_depth                               unsent parts (refreshed on each scrape)
    outbox_oldest_age_seconds                  age of the oldest unsent part (idem)
    last_successful_poll_timestamp             Unix time of the last feed polled without error
    poll_duration_seconds                      one feed's poll, fetch to stored
    delivery_latency_seconds{platform}         enqueue to sent, per part
    personal_digest_failures_total{platform}   subscribers' digests that could not be queued
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from digests.models import PollOutcome

__all__ = [
    "ARTICLES_STORED",
    "DELIVERIES",
    "DELIVERY_LATENCY",
    "DELIVERY_OUTCOMES",
    "FEEDS_POLLED",
    "FETCH_ERRORS",
    "FETCH_ERROR_KINDS",
    "LAST_SUCCESSFUL_POLL",
    "OUTBOX_DEPTH",
    "OUTBOX_DROPPED_STALE",
    "OUTBOX_OLDEST_AGE",
    "PERSONAL_DIGEST_FAILURES",
    "PLATFORMS",
    "POLL_DURATION",
    "POLL_STATUSES",
    "REGISTRY",
    "SUMMARIES",
    "SUMMARY_METHODS",
    "DeliveryOutcome",
    "last_successful_poll",
    "record_delivery",
    "record_dropped",
    "record_dropped_stale",
    "record_fetch_error",
    "record_personal_digest_failure",
    "record_poll",
    "record_summary",
    "set_outbox",
]

# The *_created series (a counter's creation time) only add noise to this exposition.
disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry(auto_describe=True)

POLL_STATUSES = ("ok", "not_modified", "error", "paused")
FETCH_ERROR_KINDS = (
    "dns",
    "connect",
    "private",
    "timeout",
    "http",
    "too_large",
    "invalid_url",
    "parse",
    "other",
)
SUMMARY_METHODS = ("llm", "extractive", "article", "truncated", "empty", "other")
PLATFORMS = ("telegram", "slack", "console")
DELIVERY_OUTCOMES = ("sent", "retried", "failed", "dropped", "gone")
DeliveryOutcome = Literal["sent", "retried", "failed", "dropped", "gone"]

FEEDS_POLLED = Counter(
    "feeds_polled",
    "Feed polls, by outcome status.",
    ["status"],
    registry=REGISTRY,
)
FETCH_ERRORS = Counter(
    "fetch_errors",
    "Feed fetches and parses that failed, by kind of error.",
    ["kind"],
    registry=REGISTRY,
)
ARTICLES_STORED = Counter(
    "articles_stored",
    "New articles stored by feed polls.",
    registry=REGISTRY,
)
SUMMARIES = Counter(
    "summaries",
    "Summaries stored, by the method that wrote them.",
    ["method"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "deliveries",
    "Outbox parts handled by the sender, by platform and outcome.",
    ["platform", "outcome"],
    registry=REGISTRY,
)
OUTBOX_DROPPED_STALE = Counter(
    "outbox_dropped_stale",
    "Outbox parts dropped because they waited longer than delivery.max_age_minutes.",
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "outbox_depth",
    "Outbox parts not yet sent (pending or sending).",
    registry=REGISTRY,
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_age_seconds",
    "Seconds since the oldest unsent outbox part was enqueued (0 when none waits).",
    registry=REGISTRY,
)
LAST_SUCCESSFUL_POLL = Gauge(
    "last_successful_poll_timestamp",
    "Unix time of the last feed poll that ended without error (0: none yet).",
    registry=REGISTRY,
)
POLL_DURATION = Histogram(
    "poll_duration_seconds",
    "Duration of one feed's poll, from fetch to stored articles.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0),
    registry=REGISTRY,
)
DELIVERY_LATENCY = Histogram(
    "delivery_latency_seconds",
    "Seconds from a part's enqueueing to its successful send, by platform.",
    ["platform"],
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0),
    registry=REGISTRY,
)
PERSONAL_DIGEST_FAILURES = Counter(
    "personal_digest_failures",
    "Subscribers' personal digests that could not be composed, rendered or queued, by platform.",
    ["platform"],
    registry=REGISTRY,
)

# Known label values start at zero, so dashboards and alerts see every series from the start.
for _status in POLL_STATUSES:
    FEEDS_POLLED.labels(status=_status)
for _kind in FETCH_ERROR_KINDS:
    FETCH_ERRORS.labels(kind=_kind)
for _platform in PLATFORMS:
    DELIVERY_LATENCY.labels(platform=_platform)
    for _outcome in DELIVERY_OUTCOMES:
        DELIVERIES.labels(platform=_platform, outcome=_outcome)
for _platform in ("telegram", "slack"):  # subscribers are on a chat platform
    PERSONAL_DIGEST_FAILURES.labels(platform=_platform)

_last_poll: datetime | None = None


def _known(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "other"


def record_poll(outcome: PollOutcome) -> None:
    """Count one feed's poll: its status, its error kind, new articles, duration, success time.

    The error kind is the prefix of ``outcome.error`` (``"timeout: …"``, ``"parse: …"``), as
    the pipeline writes it from ``FetchError.kind``.
    """
    global _last_poll
    FEEDS_POLLED.labels(status=_known(outcome.status, POLL_STATUSES)).inc()
    if outcome.status == "paused":
        return
    POLL_DURATION.observe(max(0.0, outcome.elapsed))
    if outcome.status == "error":
        kind = (outcome.error or "other").split(":", 1)[0].strip()
        record_fetch_error(kind)
        return
    if outcome.new_articles > 0:
        ARTICLES_STORED.inc(outcome.new_articles)
    _last_poll = datetime.now(UTC)
    LAST_SUCCESSFUL_POLL.set(_last_poll.timestamp())


def record_fetch_error(kind: str) -> None:
    """Count one failed fetch or parse of kind ``kind`` (``FetchError.kind`` or ``parse``)."""
    FETCH_ERRORS.labels(kind=_known(kind, FETCH_ERROR_KINDS)).inc()


def record_summary(method: str, count: int = 1) -> None:
    """Count ``count`` stored summaries written by ``method`` (``Summary.method``)."""
    if count > 0:
        SUMMARIES.labels(method=_known(method, SUMMARY_METHODS)).inc(count)


def record_delivery(platform: str, outcome: DeliveryOutcome, seconds: float | None = None) -> None:
    """Count one outbox part's ``outcome`` on ``platform``.

    sent: posted; retried: handed back to wait (rate limit, transient error); failed: refused
    or out of attempts; gone: the chat is gone (its destination's other parts are counted
    with ``record_dropped``). ``seconds`` (enqueue to sent) is observed as delivery latency
    when the part was sent.
    """
    DELIVERIES.labels(platform=platform, outcome=outcome).inc()
    if outcome == "sent" and seconds is not None:
        DELIVERY_LATENCY.labels(platform=platform).observe(max(0.0, seconds))


def record_personal_digest_failure(platform: str) -> None:
    """Count one subscriber's personal digest that raised while being built or queued."""
    PERSONAL_DIGEST_FAILURES.labels(platform=_known(platform, PLATFORMS)).inc()


def record_dropped(platform: str, count: int) -> None:
    """Count ``count`` parts of a gone destination dropped unsent on ``platform``."""
    if count > 0:
        DELIVERIES.labels(platform=platform, outcome="dropped").inc(count)


def record_dropped_stale(count: int) -> None:
    """Count ``count`` outbox parts dropped for waiting too long (``Outbox.drop_stale``)."""
    if count > 0:
        OUTBOX_DROPPED_STALE.inc(count)


def set_outbox(depth: int, oldest_age_seconds: float) -> None:
    """Set the outbox gauges (the ops server does it on every scrape)."""
    OUTBOX_DEPTH.set(depth)
    OUTBOX_OLDEST_AGE.set(oldest_age_seconds)


def last_successful_poll() -> datetime | None:
    """When a feed was last polled without error in this process (None: not yet)."""
    return _last_poll
