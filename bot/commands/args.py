"""Reading commands and their arguments as people type them: the command itself, times of
day, time zones, languages.

Pure. Arabic-Indic and Persian digits count like ASCII ones; names are compared in their
normalised form (ايقاف = إيقاف). A command copied from a message often brings invisible
characters along (bidi marks and isolates, zero-width spaces): they never change what a
command means (``split_command``, ``command_name``, ``argument_text``).
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digests.compose.i18n import Language
from digests.text.arabic import normalise

__all__ = [
    "argument_text",
    "command_name",
    "is_off",
    "language_named",
    "parse_time",
    "split_command",
    "zone_name",
]

# What copying adds and nobody types: bidi marks (LRM, RLM, ALM), embeddings, overrides and
# isolates, zero-width space, word joiner and invisible operators, BOM, soft hyphen. Zero-width
# (non-)joiners are left in arguments (Persian words and emoji sequences need them).
_STRAY = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_JOINERS = re.compile("[\u200c\u200d]")
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?")

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


def split_command(text: str) -> tuple[str, str, str] | None:
    """``/name@bot argument text`` as (name in lower case, bot or "", argument text); None
    when ``text`` does not start with a command. Invisible characters anywhere in the
    command and around it are ignored: «/⁨follow⁩ روسيا» is ``("follow", "", "روسيا")``."""
    words = argument_text(text).split(maxsplit=1)
    match = _COMMAND.fullmatch(_JOINERS.sub("", words[0])) if words else None
    if match is None:
        return None
    return match.group(1).lower(), match.group(2) or "", words[1] if len(words) > 1 else ""


def command_name(word: str) -> str:
    """A command's name as typed (``follow``, Slack's ``/news`` subcommand), without invisible
    characters or surrounding space, in lower case."""
    return _JOINERS.sub("", argument_text(word)).lower()


def argument_text(text: str) -> str:
    """A command's argument text without the invisible characters copying adds, stripped."""
    return _STRAY.sub("", text).strip()


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
