"""Reading command arguments as people type them: times of day, time zones, languages.

Pure. Arabic-Indic and Persian digits count like ASCII ones; names are compared in their
normalised form (ايقاف = إيقاف).
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digests.compose.i18n import Language
from digests.text.arabic import normalise

__all__ = ["is_off", "language_named", "parse_time", "zone_name"]

_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_OFF = frozenset({"off", "stop", "none", "ايقاف", "الغاء", "لا", "توقف"})
_LANGUAGE_NAMES: dict[str, Language] = {
    "ar": "ar",
    "arabic": "ar",
    "عربي": "ar",
    "العربيه": "ar",
    "عربيه": "ar",
    "en": "en",
    "english": "en",
    "انجليزي": "en",
    "الانجليزيه": "en",
    "انكليزي": "en",
    "الانكليزيه": "en",
}


def parse_time(word: str) -> str | None:
    """«8:00», «08:30», «٨:٠٠» or «20.15» as ``HH:MM``; None when it is not a time of day."""
    match = _TIME.fullmatch(word.translate(_DIGITS))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def is_off(word: str) -> bool:
    """Whether ``word`` asks to switch something off («off», «إيقاف», «لا» …)."""
    return normalise(word) in _OFF


def language_named(word: str) -> Language | None:
    """The language ``word`` names («en», «English», «العربية» …), or None."""
    return _LANGUAGE_NAMES.get(normalise(word.strip()))


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def zone_name(word: str) -> str | None:
    """The IANA name ``word`` spells (case-insensitively), or None when there is none."""
    try:
        ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        return _zones_by_folded_name().get(word.casefold())
    return _zones_by_folded_name().get(word.casefold(), word)
