"""Feed-health notices for the admins: which feeds have been failing too long, which are back.

``assess`` is the pure decision; ``FeedHealthMonitor`` runs it after every polling pass and
sends the admins one message per pass (one line per feed) through the ``notify`` callable it
is given (the service passes ``Chat.notify_admins``).

Rules:

* A feed is **failing** when it is not paused, its last poll failed (``error_count > 0``) and
  its last success — or, when it never had one, its creation — is older than
  ``failing_after`` (``[health] feed_failing_minutes``).
* A failing feed is reported once (**newly failing**); it is reported again only after it
  has **recovered** (``error_count == 0`` once more), which is reported too.
* **Outage**: when at least ``outage_share`` of the feeds polled in this pass failed (and at
  least three were polled), the failures are taken to be our own network's, not the feeds':
  nothing is reported failing for that pass and nothing is remembered as reported. The
  pipeline still counts each failure in ``error_count`` (the store records every failed
  poll); that is intended: after the outage, feeds that succeed are clean again at once, and
  a feed that keeps failing is reported at the first pass that is not an outage.
* A reported feed that is paused or removed is forgotten without a message.

State: what was reported lives on each feed in the database (``feeds.health_reported_at``),
claimed before the notice is sent and released again if sending fails. Instances sharing a
database therefore report a feed once between them, and a restart neither repeats a report nor
misses a recovery.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import ConfigDict, Field

from digests.compose.i18n import Language, t
from digests.models import Feed, PollOutcome
from digests.store import Store

__all__ = [
    "MIN_FEEDS_FOR_OUTAGE",
    "FeedHealthMonitor",
    "HealthReport",
    "HealthSettings",
    "assess",
    "health_message",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """When admins hear about failing feeds (``[health]``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    feed_failing_minutes: Annotated[
        int,
        Field(
            ge=1,
            le=60 * 24 * 30,
            description="Tell the admins when a feed has been failing this long (and again when "
            "it recovers).",
        ),
    ] = 360
    outage_share: Annotated[
        float,
        Field(
            gt=0,
            le=1,
            description="When at least this share of the feeds polled in one pass fail, it is "
            "treated as our own network outage: no feed is reported broken for it.",
        ),
    ] = 0.8


MIN_FEEDS_FOR_OUTAGE = 3
_POLLED = frozenset({"ok", "not_modified", "error"})


@dataclass(frozen=True, slots=True)
class HealthReport:
    """What one pass changes: feeds to report failing, feeds to report recovered, and
    whether the pass looked like our own outage (then ``newly_failing`` is empty)."""

    newly_failing: list[Feed] = field(default_factory=list)
    recovered: list[Feed] = field(default_factory=list)
    outage: bool = False


def is_outage(outcomes: Sequence[PollOutcome], outage_share: float) -> bool:
    """Whether this pass's failures look like our own outage: at least
    ``MIN_FEEDS_FOR_OUTAGE`` feeds polled (paused ones do not count) and at least
    ``outage_share`` of them failed."""
    polled = [o for o in outcomes if o.status in _POLLED]
    if len(polled) < MIN_FEEDS_FOR_OUTAGE:
        return False
    errors = sum(1 for o in polled if o.status == "error")
    return errors / len(polled) >= outage_share


def failing_since(feed: Feed, created: Mapping[int, datetime]) -> datetime | None:
    """Since when ``feed`` has had no success: its last success, else its creation (None
    when neither is known)."""
    return feed.last_success_at or created.get(feed.id)


def assess(
    feeds: Sequence[Feed],
    outcomes_this_pass: Sequence[PollOutcome],
    now: datetime,
    *,
    failing_after: timedelta,
    outage_share: float,
    already_reported: set[int],
    created: Mapping[int, datetime] | None = None,
) -> HealthReport:
    """Decide what to tell the admins after a pass (see the module doc for the rules).

    ``feeds`` are the feeds as stored after the pass; ``created`` maps feed ids to their
    creation time, used for feeds that never succeeded (such a feed without a known creation
    time is not judged failing). ``already_reported`` is read, never changed.
    """
    created = created or {}
    outage = is_outage(outcomes_this_pass, outage_share)
    newly_failing: list[Feed] = []
    recovered: list[Feed] = []
    for feed in feeds:
        if feed.paused:
            continue
        if feed.id in already_reported:
            if feed.error_count == 0:
                recovered.append(feed)
            continue
        if outage or feed.error_count == 0:
            continue
        since = failing_since(feed, created)
        if since is not None and now - since >= failing_after:
            newly_failing.append(feed)
    return HealthReport(newly_failing, recovered, outage)


def health_message(
    report: HealthReport,
    now: datetime,
    created: Mapping[int, datetime] | None = None,
    language: Language = "ar",
) -> str | None:
    """The admins' message for ``report``: one line per feed, a heading when there are
    several; None when there is nothing to say."""
    created = created or {}
    lines: list[str] = []
    for feed in report.newly_failing:
        since = failing_since(feed, created)
        lines.append(
            t(
                "health_failing",
                language,
                name=feed.name,
                id=feed.id,
                since=duration(now - since, language) if since else "—",
                error=(feed.last_error or "—")[:200],
            )
        )
    lines += [
        t("health_recovered", language, name=feed.name, id=feed.id) for feed in report.recovered
    ]
    if not lines:
        return None
    if len(lines) == 1:
        return lines[0]
    return t("health_title", language) + "\n" + "\n".join(f"• {line}" for line in lines)


def duration(span: timedelta, language: Language = "ar") -> str:
    """A length of time in words, in its largest whole unit: «6 ساعات», «يومين», «3 days»."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes >= 60 * 24:
        return _count(minutes // (60 * 24), "day", language)
    if minutes >= 60:
        return _count(minutes // 60, "hour", language)
    return _count(minutes, "minute", language)


# Arabic number agreement: (one, two, 3–10, 11+).
_UNITS_AR = {
    "minute": ("دقيقة", "دقيقتين", "دقائق", "دقيقة"),
    "hour": ("ساعة", "ساعتين", "ساعات", "ساعة"),
    "day": ("يوم", "يومين", "أيام", "يومًا"),
}


def _count(n: int, unit: str, language: Language) -> str:
    if language == "en":
        return f"{n} {unit}{'' if n == 1 else 's'}"
    one, two, few, many = _UNITS_AR[unit]
    if n == 1:
        return one
    if n == 2:
        return two
    return f"{n} {few if 3 <= n % 100 <= 10 else many}"


class FeedHealthMonitor:
    """Tells the admins about failing and recovered feeds after each polling pass.

    Create one per service and call ``after_poll`` with each pass's outcomes. The feed ids
    already reported are kept in the database (``reported`` is this process's view after its
    last pass). When ``notify`` raises, the error is logged and the claim is undone, so the
    same news is tried again after the next pass.
    """

    def __init__(
        self,
        store: Store,
        settings: HealthSettings,
        notify: Callable[[str], Awaitable[None]],
        *,
        language: Language = "ar",
    ) -> None:
        self._store = store
        self._settings = settings
        self._notify = notify
        self._language = language
        self._reported: set[int] = set()

    @property
    def reported(self) -> frozenset[int]:
        """The ids of the feeds reported failing and not yet recovered."""
        return frozenset(self._reported)

    async def after_poll(self, outcomes: Sequence[PollOutcome], now: datetime) -> HealthReport:
        """Assess the feeds after a pass, notify the admins once if there is news, and
        return the report (for logs and tests). What was reported is kept on the feeds in the
        database, claimed before the notice goes out, so instances sharing the database (and a
        restarted process) tell the admins about a feed once."""
        active = await self._store.feeds.all(include_paused=False)
        live = {feed.id for feed in active}
        reported = await self._store.feeds.health_reported()
        await self._store.feeds.forget_health(reported - live)  # paused or removed: forget quietly
        self._reported = reported & live
        created = await self._store.feeds.created_at()
        report = assess(
            active,
            outcomes,
            now,
            failing_after=timedelta(minutes=self._settings.feed_failing_minutes),
            outage_share=self._settings.outage_share,
            already_reported=self._reported,
            created=created,
        )
        if report.outage:
            log.warning(
                "%d of %d polled feeds failed: treated as a network outage, not reported",
                sum(1 for o in outcomes if o.status == "error"),
                sum(1 for o in outcomes if o.status in _POLLED),
            )
        failing, recovered = await self._store.feeds.claim_health_news(
            [f.id for f in report.newly_failing], [f.id for f in report.recovered], now
        )
        report = HealthReport(
            [f for f in report.newly_failing if f.id in failing],
            [f for f in report.recovered if f.id in recovered],
            report.outage,
        )
        message = health_message(report, now, created, self._language)
        if message is None:
            return report
        try:
            await self._notify(message)
        except Exception:
            log.exception("could not tell the admins about feed health; will retry")
            await self._store.feeds.undo_health_news(failing, recovered, now)
            return report
        self._reported = (self._reported | failing) - recovered
        return report
