"""The legacy Arabic encoding of bytes that declare none: windows-1256 or ISO-8859-6.

Pure: bytes in, an encoding name out. Feeds and article pages that declare no encoding (no
HTTP charset, no XML ``encoding``, no ``<meta charset>``) mean UTF-8, but Arabic sites that
are not UTF-8 are nearly always windows-1256, sometimes ISO-8859-6; read as UTF-8, every
Arabic letter of theirs would become U+FFFD. ``legacy_arabic_encoding`` tells them apart by
the letters each decoding gives:

* Valid UTF-8 is UTF-8: None.
* Bytes that are mostly UTF-8 (more valid characters outside ASCII than invalid sequences)
  are damaged UTF-8, not a legacy encoding: None (the caller replaces the bad bytes).
* Otherwise each of **windows-1256** and **ISO-8859-6** that decodes the bytes is scored by
  the share of Arabic letters among the letters outside ASCII (markup and Latin words do not
  count); the higher score wins if it is at least 90%, windows-1256 on a tie.
  Every byte decodes in windows-1256, but ISO-8859-6 text read so turns its ق ه و ى ي into
  Latin letters with accents (â ç è é ê) and scores lower; windows-1256 text almost never
  decodes as ISO-8859-6 (its ـ ف ق ك غ are undefined there), and when it does, both readings
  score alike.
* Anything else (Latin, Cyrillic, binary): None; the caller keeps its own fallback.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["legacy_arabic_encoding"]

_CANDIDATES: Final = ("windows-1256", "iso-8859-6")
# Least share of Arabic letters among the non-ASCII letters of a legacy decoding, and least
# number of them (a stray byte or two proves nothing).
_MIN_ARABIC_SHARE: Final = 0.9
_MIN_ARABIC_LETTERS: Final = 3
# Letters are counted in the first this many characters: enough to judge, bounded in memory.
_SAMPLE: Final = 64 * 1024
_NON_ASCII = re.compile("[^\x00-\x7f]")
# Letters (word characters that are not digits or "_"; marks are not word characters).
_NON_ASCII_LETTER = re.compile(r"(?=[^\W\d_])[^\x00-\x7f]")
_ARABIC_LETTER = re.compile(
    r"(?=[^\W\d_])[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
)


def legacy_arabic_encoding(data: bytes) -> str | None:
    """``"windows-1256"`` or ``"iso-8859-6"`` when ``data`` is Arabic text in that encoding
    rather than UTF-8 (see the module docstring), else None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None
    as_utf8 = data[:_SAMPLE].decode("utf-8", "replace")
    invalid = as_utf8.count("\ufffd")
    if len(_NON_ASCII.findall(as_utf8)) - invalid >= invalid:
        return None
    best, best_share = None, 0.0
    for encoding in _CANDIDATES:
        try:
            share = _arabic_share(data.decode(encoding)[:_SAMPLE])
        except UnicodeDecodeError:
            continue
        if share > best_share:
            best, best_share = encoding, share
    return best if best_share >= _MIN_ARABIC_SHARE else None


def _arabic_share(text: str) -> float:
    """The share of Arabic letters among the letters outside ASCII (0 with too few)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    if arabic < _MIN_ARABIC_LETTERS:
        return 0.0
    return arabic / len(_NON_ASCII_LETTER.findall(text))
