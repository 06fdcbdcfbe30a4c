"""A topic's stories per day as the geometry of a small bar chart, drawn server-side as SVG.

Pure: times in, numbers out; the template draws the bars (``templates/_chart.html``). The
chart has fixed dimensions (``WIDTH`` × ``HEIGHT``, also written on the ``<svg>``), so the
page does not move when it is drawn. In a right-to-left page time runs from right to left:
the oldest day is the rightmost bar.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DAYS", "HEIGHT", "WIDTH", "Bar", "Chart", "stories_per_day"]

DAYS = 30
WIDTH = 600
HEIGHT = 160
_TOP = 8  # room above the tallest bar
_GAP = 4  # between bars


@dataclass(frozen=True, slots=True)
class Bar:
    """One day's bar: its place and size in the chart, its day and its count."""

    x: int
    y: int
    width: int
    height: int
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class Chart:
    """The bars of ``DAYS`` days ending on ``last``, and the largest and total counts."""

    bars: tuple[Bar, ...]
    peak: int
    total: int
    first: date
    last: date
    width: int = WIDTH
    height: int = HEIGHT


def stories_per_day(
    starts: Iterable[datetime], today: date, zone: ZoneInfo, *, rtl: bool, days: int = DAYS
) -> Chart:
    """The chart of ``days`` days up to ``today`` (in ``zone``) from each story's first time;
    times outside those days are not counted. ``rtl``: the oldest day on the right."""
    first = today - timedelta(days=days - 1)
    counts = Counter(start.astimezone(zone).date() for start in starts)
    per_day = [(day, counts.get(day, 0)) for day in (first + timedelta(n) for n in range(days))]
    peak = max((count for _, count in per_day), default=0)
    slot = WIDTH // days
    usable = HEIGHT - _TOP
    bars = []
    for index, (day, count) in enumerate(per_day):
        position = days - 1 - index if rtl else index
        height = round(usable * count / peak) if peak else 0
        if count and height < 2:
            height = 2  # a day with a story always shows
        bars.append(
            Bar(
                x=position * slot + _GAP // 2,
                y=HEIGHT - height,
                width=slot - _GAP,
                height=height,
                day=day,
                count=count,
            )
        )
    total = sum(count for _, count in per_day)
    return Chart(bars=tuple(bars), peak=peak, total=total, first=first, last=today)
