"""Bidirectional-text hygiene for mixed Arabic/Latin display text.

Pure: string in, string out; no I/O, no state.

Two jobs, done in this order by every renderer:

* ``clean`` removes what a hostile or sloppy feed can smuggle into a title, summary or source
  name to take over the layout of the whole message: explicit bidi controls (a lone U+202E
  RIGHT-TO-LEFT OVERRIDE flips everything after it) and C0/C1 control characters. Line
  breaks survive as ``\\n``.
* ``isolate_ltr_runs`` wraps left-to-right runs (Latin words, numbers, times, percentages,
  URLs) inside right-to-left lines in U+2068 FIRST STRONG ISOLATE … U+2069 POP DIRECTIONAL
  ISOLATE, so that «أطلقت SpaceX صاروخ Falcon 9 بنسبة 4.5%» keeps "Falcon 9" and "4.5%" in
  reading order whatever surrounds them. Isolates are invisible; lines without a
  right-to-left letter are returned untouched.

What a run is: it starts with a strong left-to-right character (Latin and other LTR scripts)
or a European digit, and extends over more of those, combining marks, and the joiners
``. , : / - _ ' & + %`` and spaces, as long as another letter or digit follows (so a trailing
space, comma or period stays outside); a ``%`` (or ``٪``) directly after the run joins it.
"Capital Economics", "COP28", "4.5%", "14:30", "2026-11-29" and "Falcon 9" are each one run.
A URL (``http://`` or ``https://`` up to the next space) is always one run. A chat command
(where Telegram finds one: ``/`` and a Latin letter, then letters, digits or ``_``, neither
glued to a letter, digit, ``_``, ``/``, ``<`` or ``>`` before or after) is a run that starts at
its slash, so «اكتب ⁨/help⁩» keeps the slash on the command's left and touching its name
(Telegram finds no command in ``/⁨help⁩``); «⁨/schedule 08:00⁩» takes its argument along like
any run.

``base_direction`` tells which way a client lays a paragraph out (its first strong letter
outside isolates); ``isolate`` wraps a whole token. Deciding which lines count as
right-to-left in a digest is the renderers' business (``render.common.line_is_rtl``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = [
    "FSI",
    "PDI",
    "base_direction",
    "clean",
    "has_ltr",
    "has_rtl",
    "isolate",
    "isolate_ltr_runs",
]

FSI = "\u2068"
"""FIRST STRONG ISOLATE: opens an isolate whose direction is that of its first strong letter."""
PDI = "\u2069"
"""POP DIRECTIONAL ISOLATE: closes the innermost isolate."""

_ISOLATE_OPENERS = "\u2066\u2067\u2068"

# Everything str.splitlines() breaks on becomes "\n"; tabs become spaces; the rest of C0/C1
# (and DEL), the bidi embeddings/overrides/isolates/marks and lone surrogates go.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Terminal escape sequences (ECMA-48), removed whole before the controls: without the ESC the
# rest of "ESC [31m" would stay as visible "[31m". Control strings (OSC, DCS, SOS, PM, APC) end
# at BEL or ST (ESC \); an unterminated one loses only its ESC. CSI is "ESC [" parameters,
# intermediates, a final byte; any other ESC takes intermediates and one final byte.
_ESCAPE_SEQUENCES = re.compile(
    "\x1b(?:[]PX^_][^\x07\x1b]*(?:\x07|\x1b\\\\)|\\[[0-?]*[ -/]*[@-~]|[ -/]*[0-~])"
)
_REMOVED = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f"  # C0 and C1 controls (line breaks handled above)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\ud800-\udfff]"  # lone surrogates: not encodable as UTF-8 / UTF-16
)

_RUN_JOINERS = frozenset(".,:/-_'&+% \u00a0\u2019")
_PERCENT = "%\u066a"
_URL = re.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]}»،؛'’]", re.IGNORECASE)
_LTR_CLASSES = frozenset(("L", "EN"))
_RTL_CLASSES = frozenset(("R", "AL"))
# Speed only (the result is the same without them): stretches that cannot start a run (Arabic
# and Hebrew letters, Arabic-Indic digits, spaces, ASCII punctuation) are copied in one step,
# ASCII letters and digits inside a run are taken in one step, and the common right-to-left
# blocks are found by a regex before any per-character lookup.
_NO_RUN_START = re.compile(
    "[\u0590-\u05ff\u0600-\u06ef\u06fa-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\\s"
    "!-.:-@\\[-`{-~\u060c\u061b\u061f«»“”–—…·]+"  # not "/": it may start a command
)
_COMMAND = re.compile(r"/[A-Za-z][A-Za-z0-9_]*(?![\w/<>])")  # as Telegram finds one
_ASCII_ALNUM = re.compile("[A-Za-z0-9]+")
_COMMON_RTL = re.compile("[\u0590-\u05ff\u0600-\u06ef\u06fa-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_COMMON_LTR = re.compile("[A-Za-z0-9]")


def clean(text: str) -> str:
    """``text`` without bidi controls and control characters; line breaks become ``\\n``.

    Removed: terminal escape sequences whole (``ESC [ … m`` colours and other CSI, OSC and the
    other control strings up to BEL or ``ESC \\``, two-character ``ESC`` sequences), then
    U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates), U+200E/U+200F
    (LRM/RLM), U+061C (ALM), C0 and C1 controls and DEL, lone surrogates. Kept: ``\\n`` (and
    every other line break, ``\\r\\n``, ``\\r``, U+2028/U+2029, NEL, turned into ``\\n``), and a
    tab becomes a space so that the words it separated stay apart. Zero-width joiners stay:
    emoji sequences and Persian words need them.
    """
    if "\x1b" in text:
        text = _ESCAPE_SEQUENCES.sub("", text)
    return _REMOVED.sub("", _LINE_BREAKS.sub("\n", text).replace("\t", " "))


def has_rtl(text: str) -> bool:
    """True when ``text`` holds a strong right-to-left letter (Arabic, Hebrew, Syriac …)."""
    if _COMMON_RTL.search(text):
        return True
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in set(text))


def has_ltr(text: str) -> bool:
    """True when ``text`` holds a strong left-to-right letter or a European digit."""
    if _COMMON_LTR.search(text):
        return True
    return any(unicodedata.bidirectional(char) in _LTR_CLASSES for char in set(text))


def base_direction(text: str) -> Literal["rtl", "ltr"] | None:
    """The direction a client gives a paragraph starting ``text``: that of its first strong
    letter outside isolates (Unicode bidi rules P2/P3), None when it has none."""
    depth = 0
    for char in text:
        if char in _ISOLATE_OPENERS:
            depth += 1
        elif char == PDI:
            depth = max(0, depth - 1)
        elif depth == 0:
            kind = unicodedata.bidirectional(char)
            if kind in _RTL_CLASSES:
                return "rtl"
            if kind == "L":
                return "ltr"
    return None


def isolate(text: str) -> str:
    """``text`` as one isolated unit (for a token that must stay whole, such as a hashtag)."""
    return f"{FSI}{text}{PDI}" if text else text


def isolate_ltr_runs(text: str, *, rtl: bool | None = None) -> str:
    """``text`` with its left-to-right runs wrapped in FSI … PDI inside right-to-left lines.

    ``rtl=None`` decides line by line: a line holding a right-to-left letter is treated,
    others are left alone. ``rtl=True`` treats every line (the caller knows the text sits in a
    right-to-left line, e.g. one piece of a longer line); ``rtl=False`` returns ``text``.
    Existing isolates are kept as they are, so the function is idempotent. Run ``clean``
    first on untrusted text: an unbalanced isolate from outside would swallow the line.
    """
    if rtl is False:
        return text
    return "\n".join(
        _isolate_line(line) if rtl or has_rtl(line) else line for line in text.split("\n")
    )


def _isolate_line(line: str) -> str:
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        skip = _NO_RUN_START.match(line, i)
        if skip:
            out.append(skip.group())
            i = skip.end()
            continue
        char = line[i]
        if char in _ISOLATE_OPENERS:
            end = _matching_pdi(line, i)
            out.append(line[i:end])
            i = end
            continue
        if char == "/" and _starts_command(line, i):
            end = _run_end(line, i + 1)
            out.append(isolate(line[i:end]))
            i = end
            continue
        url = _URL.match(line, i) if char in "hH" else None
        if url:
            out.append(isolate(url.group()))
            i = url.end()
            continue
        if unicodedata.bidirectional(char) in _LTR_CLASSES:
            end = _run_end(line, i)
            out.append(isolate(line[i:end]))
            i = end
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _starts_command(line: str, i: int) -> bool:
    """Whether the ``/`` at ``i`` starts a chat command (see the module docstring)."""
    if not _COMMAND.match(line, i):
        return False
    return i == 0 or not (line[i - 1].isalnum() or line[i - 1] in "_/<>")


def _run_end(line: str, start: int) -> int:
    """The end of the left-to-right run starting at ``start`` (see the module docstring)."""
    n = len(line)
    end = j = start + 1
    while j < n:
        ascii_run = _ASCII_ALNUM.match(line, j)
        if ascii_run:
            j = end = ascii_run.end()
            continue
        char = line[j]
        kind = unicodedata.bidirectional(char)
        if kind in _LTR_CLASSES or (kind == "NSM" and j == end):
            j += 1
            end = j
        elif char in _RUN_JOINERS:
            j += 1
        else:
            break
        url = _URL.match(line, j) if line[j - 1] == " " and j < n else None
        if url:
            j = end = url.end()
    if end < n and line[end] in _PERCENT:
        end += 1
    return end


def _matching_pdi(line: str, start: int) -> int:
    """The index just past the PDI closing the isolate opened at ``start`` (or the line end)."""
    depth = 0
    for j in range(start, len(line)):
        if line[j] in _ISOLATE_OPENERS:
            depth += 1
        elif line[j] == PDI:
            depth -= 1
            if depth == 0:
                return j + 1
    return len(line)
