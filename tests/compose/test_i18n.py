"""Dates and counts written for a reader: how old an article is, in Arabic and English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digests.compose.i18n import Language, format_age, plural_items

RIYADH = ZoneInfo("Asia/Riyadh")
# 01:30 on Monday 30 November in Riyadh, still Sunday 29 November in UTC.
NOW = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)


def age(language: Language, **ago: float) -> str:
    return format_age((NOW - timedelta(**ago)).astimezone(RIYADH), NOW.astimezone(RIYADH), language)


@pytest.mark.parametrize(
    ("minutes", "arabic", "english"),
    [
        (0, "الآن", "just now"),
        (1, "منذ دقيقة", "1 minute ago"),
        (2, "منذ دقيقتين", "2 minutes ago"),
        (3, "منذ 3 دقائق", "3 minutes ago"),
        (5, "منذ 5 دقائق", "5 minutes ago"),
        (10, "منذ 10 دقائق", "10 minutes ago"),
        (11, "منذ 11 دقيقة", "11 minutes ago"),
        (45, "منذ 45 دقيقة", "45 minutes ago"),
        (59, "منذ 59 دقيقة", "59 minutes ago"),
        (60, "منذ ساعة", "1 hour ago"),
        (119, "منذ ساعة", "1 hour ago"),
        (120, "منذ ساعتين", "2 hours ago"),
        (180, "منذ 3 ساعات", "3 hours ago"),
        (5 * 60 + 59, "منذ 5 ساعات", "5 hours ago"),
    ],
)
def test_a_recent_article_says_how_long_ago_with_arabic_number_agreement(
    minutes: int, arabic: str, english: str
) -> None:
    assert age("ar", minutes=minutes) == arabic
    assert age("en", minutes=minutes) == english


def test_an_older_article_says_its_day_in_the_readers_time_zone() -> None:
    # 7 hours before 01:30 on the 30th in Riyadh is 18:30 on the 29th: yesterday there,
    # although it is the same day in UTC.
    assert age("ar", hours=7) == "أمس 18:30"
    assert age("en", hours=7) == "yesterday 18:30"
    # Six hours and more within the reader's today: the clock time, said to be today's.
    morning = NOW + timedelta(hours=8)  # 09:30 in Riyadh
    early = datetime(2026, 11, 30, 0, 10, tzinfo=UTC)  # 03:10 in Riyadh
    assert format_age(early.astimezone(RIYADH), morning.astimezone(RIYADH), "ar") == "اليوم 03:10"
    assert format_age(early.astimezone(RIYADH), morning.astimezone(RIYADH), "en") == "today 03:10"
    # Before yesterday: the date, with the year only when it is not this year.
    assert age("ar", days=3) == "27 نوفمبر"
    assert age("en", days=3) == "27 Nov"
    assert age("ar", days=361) == "4 ديسمبر 2025"
    assert age("en", days=361) == "4 Dec 2025"
    assert age("ar", days=40) == "21 أكتوبر"


def test_a_date_ahead_of_the_digest_is_not_called_recent() -> None:
    assert age("ar", seconds=-90) == "الآن"  # a feed's clock a little ahead
    assert age("ar", hours=-3) == "اليوم 04:30"
    assert age("en", days=-2) == "2 Dec"


def test_plural_items_keeps_its_agreement() -> None:
    assert [plural_items(n, "ar") for n in (1, 2, 3, 10, 11, 100, 103)] == [
        "خبر واحد",
        "خبران",
        "3 أخبار",
        "10 أخبار",
        "11 خبرًا",
        "100 خبرًا",
        "103 أخبار",
    ]
    assert [plural_items(n, "en") for n in (1, 2)] == ["1 story", "2 stories"]
