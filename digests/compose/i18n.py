"""User-facing words in Arabic (the default) and English, and dates written for a reader.

Pure. Every text a user sees is looked up with ``t`` in the table of ``compose.texts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from digests.compose.texts import TEXTS, Language

__all__ = ["Language", "direction", "format_datetime", "plural_items", "t"]

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
