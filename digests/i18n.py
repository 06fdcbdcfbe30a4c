"""User-facing words in Arabic (the default) and English, and dates written for a reader.

Pure. Every text a user sees is looked up here, so a new language is one more table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

__all__ = ["Language", "format_datetime", "plural_items", "t"]

Language = Literal["ar", "en"]

_TEXTS: dict[str, dict[Language, str]] = {
    "digest_title": {"ar": "موجز الأخبار", "en": "News digest"},
    "no_news": {
        "ar": "لا أخبار جديدة منذ آخر موجز.",
        "en": "No new stories since the last digest.",
    },
    "read_more": {"ar": "التفاصيل", "en": "Read more"},
    "sources": {"ar": "المصادر", "en": "Sources"},
}

_MONTHS_AR = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
]
_DAYS_AR = ("الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")


def t(key: str, language: Language) -> str:
    """The text for ``key`` in ``language``."""
    return _TEXTS[key][language]


def format_datetime(when: datetime, language: Language) -> str:
    """A date and time as a reader expects it, e.g. «الأحد 29 نوفمبر 2026، 20:00»."""
    if language == "en":
        return when.strftime("%A %d %B %Y, %H:%M")
    day = _DAYS_AR[when.weekday()]
    return f"{day} {when.day} {_MONTHS_AR[when.month - 1]} {when.year}، {when:%H:%M}"


def plural_items(count: int, language: Language) -> str:
    """«3 أخبار» / «3 stories», with Arabic's number agreement for 1, 2, 3–10 and 11+."""
    if language == "en":
        return f"{count} {'story' if count == 1 else 'stories'}"
    if count == 1:
        return "خبر واحد"
    if count == 2:
        return "خبران"
    if 3 <= count % 100 <= 10:
        return f"{count} أخبار"
    return f"{count} خبرًا"
