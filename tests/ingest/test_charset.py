"""Undeclared legacy Arabic encodings: windows-1256 and ISO-8859-6 told from UTF-8 and apart."""

from __future__ import annotations

import pytest

from digests.ingest.charset import legacy_arabic_encoding

# Written for these tests, within what ISO-8859-6 encodes (no tatweel, no Persian letters).
TITLES = (
    "وقال الوزير في مؤتمر صحفي إن الخطة ستمول من الموازنة العامة",
    "فيضانات تجتاح مدن الساحل وفرق الإنقاذ في الميدان",
    "انطلاق معرض الكتاب بمشاركة واسعة من دور النشر العربية",
)


def feed(titles: tuple[str, ...] = TITLES) -> str:
    items = "".join(
        f"<item><title>{t}</title><link>http://a.example/{n}</link></item>"
        for n, t in enumerate(titles)
    )
    return f'<rss version="2.0"><channel><title>أخبار</title>{items}</channel></rss>'


@pytest.mark.parametrize("encoding", ["windows-1256", "iso-8859-6"])
def test_arabic_in_a_legacy_encoding_is_recognised(encoding: str) -> None:
    data = feed().encode(encoding)
    assert legacy_arabic_encoding(data) == encoding
    assert data.decode(encoding) == feed()


def test_each_title_alone_is_recognised_too() -> None:
    for title in TITLES:
        for encoding in ("windows-1256", "iso-8859-6"):
            assert legacy_arabic_encoding(feed((title,)).encode(encoding)) == encoding, title


def test_utf8_is_not_a_legacy_encoding() -> None:
    assert legacy_arabic_encoding(feed().encode("utf-8")) is None
    assert legacy_arabic_encoding(b"<rss/>") is None


def test_damaged_utf8_stays_utf8() -> None:
    data = feed().encode("utf-8")
    damaged = data[:100] + b"\xff\xfe\xc3" + data[100:]
    assert legacy_arabic_encoding(damaged) is None


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("<p>Le café de la gare, à côté de l'église, ouvre à huit heures.</p>", "cp1252"),
        ("<p>Правительство объявило о новых мерах поддержки.</p>", "cp1251"),
    ],
)
def test_other_languages_are_left_to_other_guesses(text: str, encoding: str) -> None:
    assert legacy_arabic_encoding(text.encode(encoding)) is None
