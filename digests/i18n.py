"""User-facing words in Arabic (the default) and English, and dates written for a reader.

Pure. Every text a user sees is looked up here, so a new language is one more table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

__all__ = ["Language", "direction", "format_datetime", "plural_items", "t"]

Language = Literal["ar", "en"]

# Templates may hold ``{name}`` fields, filled by ``t(key, language, name=value)``.
_TEXTS: dict[str, dict[Language, str]] = {
    "digest_title": {"ar": "موجز الأخبار", "en": "News digest"},
    "breaking_title": {"ar": "عاجل", "en": "Breaking news"},
    "no_news": {
        "ar": "لا أخبار جديدة منذ آخر موجز.",
        "en": "No new stories since the last digest.",
    },
    "read_more": {"ar": "التفاصيل", "en": "Read more"},
    "sources": {"ar": "المصادر", "en": "Sources"},
    # rendering (digests/render_*.py)
    "also_in": {"ar": "أيضاً في", "en": "Also in"},
    "and_more": {"ar": "و{count} غيرها", "en": "and {count} more"},
    "follow_topic": {"ar": "تابع {topic}", "en": "Follow {topic}"},
    "list_separator": {"ar": "، ", "en": ", "},
    "other_news": {"ar": "أخبار أخرى", "en": "Other news"},
    "part_of": {"ar": "(الجزء {index} من {total})", "en": "(part {index} of {total})"},
    "related": {"ar": "ذات صلة", "en": "Related"},
    "topic_more": {"ar": "المزيد عن {topic}", "en": "More on {topic}"},
    "unknown_source": {"ar": "مصدر غير معروف", "en": "Unknown source"},
    "untitled": {"ar": "خبر بلا عنوان", "en": "Untitled story"},
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


def direction(language: Language) -> Literal["rtl", "ltr"]:
    """The writing direction of ``language``."""
    return "rtl" if language == "ar" else "ltr"


def t(key: str, language: Language, **fields: object) -> str:
    """The text for ``key`` in ``language``, its ``{name}`` fields filled from ``fields``."""
    text = _TEXTS[key][language]
    return text.format(**fields) if fields else text


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
