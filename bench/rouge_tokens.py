"""The ROUGE tokenizer of ``../shared/eval-data/README.md``, written out literally.

NFKC; tashkeel and tatweel removed; ``[إأآٱ]`` → ا, ى → ي, ة → ه, ؤ → و, ئ → ي; Arabic-Indic
digits → ASCII; lower-case; tokens are runs of ``[^\\W_]``. The product's own
``text.arabic.tokenize`` folds the hamza seats differently (ؤ ئ → ء, for matching); scores
must not move because the product's matching changed, so the evaluations use this one.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["recipe_tokens"]

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LETTERS = str.maketrans(
    {
        "إ": "ا",
        "أ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        **{chr(0x0660 + i): str(i) for i in range(10)},
    }
)
_TOKEN = re.compile(r"[^\W_]+")


def recipe_tokens(text: str) -> list[str]:
    """The README recipe's tokens of ``text``."""
    folded = _TASHKEEL.sub("", unicodedata.normalize("NFKC", text)).translate(_LETTERS)
    return _TOKEN.findall(folded.lower())
