"""User-facing words in Arabic (the default) and English, and dates written for a reader.

Pure. Every text a user sees is looked up with ``t`` in the table of ``compose.texts``;
dates, ages and counts, which need Arabic number agreement, are written here. Months are
the names of the Gregorian calendar used in Egypt and the Gulf (يناير … ديسمبر), as in
every date the product shows; numbers are written in Western digits («منذ 5 دقائق»).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Literal

from digests.compose.texts import TEXTS, Language

__all__ = [
    "Language",
    "direction",
    "format_age",
    "format_datetime",
    "format_day",
    "plural_items",
    "t",
]

_COMMAND = re.compile(r"\{/([a-z]+)\}")


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
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Below this age an item says how long ago it was published («منذ 3 ساعات»); from it on,
# its day: a clock time of today or yesterday is easier to place than «منذ 9 ساعات».
_RELATIVE_FOR = timedelta(hours=6)
# A feed whose clock runs a little ahead is still "just now", not a time to come.
_CLOCK_SKEW = timedelta(minutes=5)


def direction(language: Language) -> Literal["rtl", "ltr"]:
    """The writing direction of ``language``."""
    return "rtl" if language == "ar" else "ltr"


def t(
    key: str,
    language: Language,
    *,
    spell: Callable[[str], str] | None = None,
    **fields: object,
) -> str:
    """The text for ``key`` in ``language``, its ``{name}`` fields filled from ``fields``.

    A ``{/name}`` field is a chat command: ``spell(name)`` writes it as the reader's platform
    expects (``/follow`` on Telegram, ``/news follow`` on Slack); without ``spell``, ``/name``.
    """
    text = TEXTS[key][language]
    if "{/" in text:
        spelt = spell or _slash
        fields = {**fields, **{f"/{name}": spelt(name) for name in _COMMAND.findall(text)}}
    return text.format(**fields) if fields else text


def _slash(name: str) -> str:
    return f"/{name}"


def format_datetime(when: datetime, language: Language) -> str:
    """A date and time as a reader expects it, e.g. «الأحد 29 نوفمبر 2026، 20:00»."""
    if language == "en":
        return when.strftime("%A %d %B %Y, %H:%M")
    day = _DAYS_AR[when.weekday()]
    return f"{day} {when.day} {_MONTHS_AR[when.month - 1]} {when.year}، {when:%H:%M}"


def format_day(day: date, language: Language) -> str:
    """A calendar day as a reader expects it, e.g. «29 نوفمبر 2026» / "29 Nov 2026"."""
    months = _MONTHS_AR if language == "ar" else _MONTHS_EN
    return f"{day.day} {months[day.month - 1]} {day.year}"


def format_age(when: datetime, now: datetime, language: Language) -> str:
    """How old something published at ``when`` is at ``now``, both in the reader's time zone.

    Under a minute «الآن» / "just now"; under an hour «منذ 5 دقائق» / "5 minutes ago"; under
    six hours «منذ ساعتين» / "2 hours ago"; then by the reader's calendar day: «اليوم 09:15»
    / "today 09:15", «أمس 18:40» / "yesterday 18:40", «3 ديسمبر» / "3 Dec", and with the year
    when it is not ``now``'s, «3 ديسمبر 2024» / "3 Dec 2024". A ``when`` ahead of ``now`` by
    more than a few minutes is shown by its day, never as recent.
    """
    age = now - when
    if -_CLOCK_SKEW <= age < timedelta(minutes=1):
        return "الآن" if language == "ar" else "just now"
    if timedelta(0) < age < _RELATIVE_FOR:
        minutes = int(age.total_seconds() // 60)
        if minutes < 60:
            return _ago(minutes, ("دقيقة", "دقيقتين", "دقائق", "دقيقة"), "minute", language)
        return _ago(minutes // 60, ("ساعة", "ساعتين", "ساعات", "ساعة"), "hour", language)
    days = (now.date() - when.date()).days
    if days in (0, 1):
        word = {("ar", 0): "اليوم", ("ar", 1): "أمس", ("en", 0): "today", ("en", 1): "yesterday"}
        return f"{word[language, days]} {when:%H:%M}"
    months = _MONTHS_AR if language == "ar" else _MONTHS_EN
    date = f"{when.day} {months[when.month - 1]}"
    return date if when.year == now.year else f"{date} {when.year}"


def _ago(count: int, arabic: tuple[str, str, str, str], english: str, language: Language) -> str:
    """«منذ 3 ساعات» / "3 hours ago" (``arabic``: the forms ``_arabic_count`` takes)."""
    if language == "en":
        return f"{count} {english}{'' if count == 1 else 's'} ago"
    return f"منذ {_arabic_count(count, *arabic)}"


def plural_items(count: int, language: Language) -> str:
    """«3 أخبار» / «3 stories», with Arabic's number agreement for 1, 2, 3–10 and 11+."""
    if language == "en":
        return f"{count} {'story' if count == 1 else 'stories'}"
    return _arabic_count(count, "خبر واحد", "خبران", "أخبار", "خبرًا")


def _arabic_count(count: int, one: str, two: str, few: str, many: str) -> str:
    """A counted noun with Arabic's number agreement: ``one`` and ``two`` stand alone (the
    singular, the dual), ``few`` follows 3–10 (the plural), ``many`` 11 and up (singular)."""
    if count == 1:
        return one
    if count == 2:
        return two
    if 3 <= count % 100 <= 10:
        return f"{count} {few}"
    return f"{count} {many}"
