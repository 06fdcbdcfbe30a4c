"""Article pages to clean text: the headline and body paragraphs, without the site around them.

Pure: takes data, returns data. No I/O, no clock, no globals beyond constant tables.

``extract_article`` decodes a page (honouring the charset it declares, windows-1256 and
ISO-8859-6 included, and recognising them undeclared), finds the headline in its metadata and
the main text with trafilatura (a plain ``<article>``/``<p>`` reading when trafilatura finds
nothing), then runs ``clean_paragraphs``. A page whose text is short (a photo gallery) is
refused rather than padded out with the site's menus: the feed's summary is better.
``clean_paragraphs`` is also what full text from a feed goes through, and
``extract_text_lines`` is the same for plain text. Boilerplate is recognised on
``text.arabic.normalise``-d text, so hamza, tashkeel and digit variants match alike; the
original orthography is what comes out.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any, Final, Literal
from urllib.parse import urljoin

import trafilatura
from trafilatura.settings import Document
from trafilatura.utils import decode_file

from digests.errors import ExtractError
from digests.ingest.charset import legacy_arabic_encoding
from digests.models import ExtractedArticle
from digests.text.arabic import normalise

__all__ = ["clean_paragraphs", "extract_article", "extract_text_lines"]

# trafilatura logs every page it cannot read at ERROR ("parsed tree length: 0"), thousands a
# poll on a flooding feed. An unusable page is ours to report: it raises ExtractError, and the
# pipeline counts those in one line per feed.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# Fewer words of prose than this after cleaning is an error page or an index, not an article:
# a "404 / page not found" notice stays under it, and menus and headline lists are not prose.
_MIN_PROSE_WORDS: Final = 20
# A line this long is prose even without a final full stop (many sites leave it out);
# a shorter one needs a full stop and this many words.
_LONG_LINE_WORDS: Final = 15
_MIN_SENTENCE_WORDS: Final = 6
# Boilerplate and headlines are short; a longer line is body text whatever words it starts with.
_MAX_BOILERPLATE_WORDS: Final = 30
# Category links run together above the headline are this short and carry no punctuation.
_MAX_CRUMB_WORDS: Final = 8
# The headline is repeated near the top of the text if at all; look no further for crumbs.
_HEAD_WINDOW: Final = 6

Action = Literal["drop", "cut"]

# Optional punctuation around a boilerplate phrase ("اقرأ أيضاً:", "شارك |", "* ").
_P = r"[\s:.!؟?،,;؛*|/»«>\-–—•·…]*"
_SHARE_TARGET = (
    r"(?:فيسبوك|فيس بوك|تويتر|x|واتساب|واتس اب|تيليجرام|تيلجرام|تلغرام|تيلقرام|تلجرام"
    r"|لينكدان|لينكد ان|بينترست|ماسنجر|ريديت|البريد(?: الالكتروني)?|طباعه"
    r"|facebook|twitter|whatsapp|telegram|linkedin|pinterest|messenger|reddit|email|print)"
)
_SHARE_TOKEN = (
    r"(?:(?:شارك|شاركها|مشاركه|انشر)(?: (?:علي|عبر|في|الخبر|المقال|هذا المقال|هذا الخبر))*"
    rf"(?: {_SHARE_TARGET})?|{_SHARE_TARGET}|(?:انسخ|نسخ|تم نسخ) الرابط|share)"
)

_COMMENT_FORM_LABEL = (
    r"(?:التعليق|الاسم|البريد الالكتروني|الموقع الالكتروني|ارسال التعليق|الغاء الرد)"
)
_RIGHTS = r"(?:(?:جميع|كل) الحقوق|حقوق (?:النشر|الطبع))"
_BACK_TO_TOP = r"(?:زر )?(?:الذهاب|العوده|الرجوع|انتقل) (?:الي |ل)?(?:الاعلي|اعلي الصفحه)"


def _rule(action: Action, pattern: str) -> tuple[Action, re.Pattern[str]]:
    return action, re.compile(pattern)


# What to do with a line whose normalised text matches the whole pattern. "cut" ends the article
# at that line: what follows is site furniture. "drop" removes the line alone. Only lines of at
# most _MAX_BOILERPLATE_WORDS words are tried, and a pattern must match the whole line, so a body
# paragraph that merely mentions "تعليق" or starts with "شارك في" is never touched.
_RULES: Final = (
    # Related-articles and "more from us" blocks close the article; nothing after is ours.
    _rule("cut", rf"{_P}(?:مواضيع|موضوعات|مقالات|اخبار|قصص) (?:ذات صله|متعلقه|مشابهه){_P}"),
    _rule("cut", rf"{_P}(?:قد|ربما) (?:يعجبك|يهمك|تهمك)(?: ايضا)?{_P}"),
    # Sidebar widget headings that trafilatura sometimes keeps after the body.
    _rule("cut", rf"{_P}(?:الاكثر (?:قراءه|مشاهده|تداولا)|اخر الاخبار|احدث الاخبار){_P}"),
    # The comment form (WordPress and friends) comes after the article and never inside it.
    _rule("cut", rf"{_P}(?:اترك|اضف|اكتب) (?:تعليقا?|ردا?|رايك)(?: الغاء الرد)?{_P}"),
    _rule("cut", rf"{_P}(?:التعليقات|تعليقات|\d+ تعليقات?|لا توجد تعليقات){_P}"),
    # Comment-form notices and labels, in case they come without their heading.
    _rule("drop", r"لن يتم نشر (?:عنوان )?بريدك الالكتروني.*"),
    _rule("drop", r".*الحقول (?:الالزاميه|المطلوبه) (?:مشار اليها|عليها علامه).*"),
    _rule("drop", r"احفظ اسمي،? (?:و)?بريدي الالكتروني.*"),
    _rule("drop", rf"{_P}{_COMMENT_FORM_LABEL}{_P}"),
    # The theme's "back to top" button (Jannah's "زر الذهاب إلى الأعلى").
    _rule("drop", rf"{_P}{_BACK_TO_TOP}{_P}"),
    # Inline link inserts between paragraphs ("اقرأ أيضاً: <another story's headline>") and
    # "read more" links. A short line opening with these words is never prose.
    _rule("drop", rf"{_P}(?:اقرا|طالع|شاهد) (?:ايضا|كذلك|المزيد)\b.*"),
    # Share buttons, alone or run together ("شارك على فيسبوك", "فيسبوكتويترواتساب").
    _rule("drop", rf"{_P}(?:{_SHARE_TOKEN}{_P})+"),
    # Copyright notices from the footer: a © anywhere, or a line opening with "all rights
    # reserved" (a sentence that merely says some rights are reserved does not open so).
    _rule("drop", r".*(?:©|\(c\) ?\d{4}|copyright).*"),
    _rule("drop", rf"(?:\d{{4}}{_P})?{_RIGHTS}.{{0,20}} محفوظه.*"),
    # Breadcrumb trails: "الرئيسية / أخبار العالم / ..." (ئ is ء once normalised).
    _rule("drop", r"الرءيسيه ?[/»›>].*"),
)
# A bare "اقرأ أيضاً" heading opens a related-stories list at the end of an article, but the same
# words head an inline insert when body text follows; it ends the article only in the first case.
_READ_ALSO_HEADING: Final = re.compile(rf"{_P}(?:اقرا|طالع|شاهد) (?:ايضا|كذلك){_P}")
_SENTENCE_PUNCTUATION: Final = re.compile(r"[.!?؟؛:،,\"“”«»]")
_SENTENCE_END: Final = re.compile(r"[.!…][\"'”»)\]]*$")
_LETTER_OR_DIGIT: Final = re.compile(r"[^\W_]")
# Zero-width and bidi marks, which editors leave on otherwise empty lines.
_INVISIBLE: Final = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

# Separators between a headline and the site name in <title> and og:title.
_TITLE_SEPARATORS: Final = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " · ")
_MAX_SITE_NAME_WORDS: Final = 4
_MAX_IMAGE_URL: Final = 2048  # as for a feed's image (parse._image)

_BOM_ENCODINGS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# <meta charset="..."> and <meta http-equiv="Content-Type" content="text/html; charset=...">,
# and an XML declaration's encoding="...". Browsers look at the first 1024 bytes; be generous.
_DECLARED_CHARSET: Final = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)|<\?xml[^>]*encoding\s*=\s*["']([-\w.:]+)""",
    re.IGNORECASE,
)
_CHARSET_WINDOW: Final = 8192
# Labels browsers read differently from Python's codec of the same name (WHATWG Encoding).
_CHARSET_ALIASES: Final = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "x-mac-arabic": "mac-arabic",
    "utf-16": "utf-8",  # a declaration inside the bytes cannot be UTF-16 without a BOM
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}


def extract_article(
    html: str | bytes, url: str | None = None, *, encoding: str | None = None
) -> ExtractedArticle:
    """Return the headline and clean body paragraphs of the article page ``html``.

    Bytes are decoded by their byte-order mark, else ``encoding`` (the charset of the HTTP
    ``Content-Type``, which wins as in browsers), else the page's ``<meta>`` declaration, else
    UTF-8, else windows-1256 or ISO-8859-6 when that gives Arabic text
    (``charset.legacy_arabic_encoding``), else a guess from the bytes. ``url`` is only context
    for trafilatura and the error. The title is ``og:title``, the first ``<h1>`` or
    ``<title>``, without a site-name suffix; it is ``None`` when the page has none. The body is
    trafilatura's main text in precision mode when it holds at least ``_MIN_PROSE_WORDS`` words
    of prose after ``clean_paragraphs``; a page whose precise text is shorter (a photo gallery)
    raises ``ExtractError``, so the caller keeps the feed's own summary. Only when precision
    mode finds no text at all are trafilatura's default mode, then the page's ``<p>`` elements,
    tried the same way. Raises ``ExtractError`` when none holds enough prose. The image is the
    page's ``og:image`` (or ``twitter:image``) made absolute against ``url``, http(s) only; it is
    a claim of the page, to be checked before use (``Fetcher.image_problem``).
    """
    text = _decode(html, encoding) if isinstance(html, bytes) else html
    tree = trafilatura.load_html(text) if text.strip() else None
    if tree is None:
        raise ExtractError(url or "", "not an HTML page")
    title = _find_title(tree)
    precise = _main_text(tree, url, precise=True)
    found = any(map(_tidy, precise))
    # When precision mode finds the page's text and it is short (a photo gallery, a video),
    # the looser readings would only make it up with the site's menus, counters and buttons.
    for lines in [precise] if found else _looser_readings(tree, url):
        paragraphs = clean_paragraphs(lines, title)
        if sum(len(p.split()) for p in paragraphs if _is_prose(p)) >= _MIN_PROSE_WORDS:
            return ExtractedArticle(
                title=title, paragraphs=paragraphs, image=_find_image(tree, url)
            )
    raise ExtractError(url or "", "article text too short" if found else "no article text found")


def extract_text_lines(text: str, url: str | None = None) -> ExtractedArticle:
    """Return the article in plain ``text``: its first non-empty line is the title, the rest
    are paragraphs (one per line), cleaned by ``clean_paragraphs``.

    Raises ``ExtractError`` when no paragraph is left. Plain text was given to us as the article,
    so unlike a page it needs no minimum length.
    """
    lines = [line for line in map(_tidy, text.splitlines()) if line]
    if not lines:
        raise ExtractError(url or "", "empty text")
    title, body = lines[0], lines[1:]
    paragraphs = clean_paragraphs(body, title)
    if not paragraphs:
        raise ExtractError(url or "", "no article text after the title")
    return ExtractedArticle(title=title, paragraphs=paragraphs)


def clean_paragraphs(paragraphs: Iterable[str], title: str | None) -> tuple[str, ...]:
    """Return ``paragraphs`` without the site boilerplate that survives extraction.

    Removed: empty lines; category links run together above the headline and the headline
    itself wherever it is repeated; share buttons, inline "اقرأ أيضاً:" inserts, comment-form
    notices, "back to top" and copyright lines; and everything from a related-articles,
    most-read or comment-form heading on. Lines are compared after ``normalise``, so
    hamza and tashkeel variants match; kept lines are returned with inner white space
    collapsed and their orthography untouched. Lines longer than ``_MAX_BOILERPLATE_WORDS``
    words are always kept.
    """
    lines = [line for line in map(_tidy, paragraphs) if line]
    # Long lines are kept whatever they say, so only short ones pay for normalising.
    keys = [normalise(line) if not _is_long(line) else "" for line in lines]
    title_key = _bare(normalise(title)) if title else ""
    start = _after_headline(lines, keys, title_key)
    kept: list[str] = []
    for index in range(start, len(lines)):
        line, key = lines[index], keys[index]
        if _is_long(line):
            kept.append(line)
            continue
        if title_key and _bare(key) == title_key:
            continue
        action: Action | None
        if _READ_ALSO_HEADING.fullmatch(key):
            action = "drop" if any(map(_is_prose, lines[index + 1 :])) else "cut"
        else:
            action = _boilerplate(key)
        if action == "cut" and kept:
            break
        if action is None:
            kept.append(line)
    return tuple(kept)


def _tidy(line: str) -> str:
    """The line with invisible marks removed and white space (nbsp included) collapsed."""
    line = " ".join(_INVISIBLE.sub("", line).split())
    return line if _LETTER_OR_DIGIT.search(line) else ""


def _is_long(line: str) -> bool:
    """Whether the line is too long to be boilerplate or a headline."""
    return len(line.split()) > _MAX_BOILERPLATE_WORDS


def _bare(key: str) -> str:
    """A normalised line without the punctuation around it, for comparing headlines."""
    return key.strip(" :.!؟?،,;؛*|-–—«»\"'“”")


def _boilerplate(key: str) -> Action | None:
    """The rule that matches the normalised line, if any."""
    for action, pattern in _RULES:
        if pattern.fullmatch(key):
            return action
    return None


def _is_prose(line: str) -> bool:
    """Whether the line reads like article prose rather than a menu item or a headline.

    A question mark does not count as a sentence end: headlines ask questions too.
    """
    words = len(line.split())
    if words >= _LONG_LINE_WORDS:
        return True
    return words >= _MIN_SENTENCE_WORDS and _SENTENCE_END.search(line) is not None


def _after_headline(lines: list[str], keys: list[str], title_key: str) -> int:
    """Index of the first line after breadcrumbs and the headline at the top, else 0.

    Category links run together ("أخبار العالمأهم الأخبارتقارير") are recognised only by
    standing above the headline: short, without sentence punctuation.
    """
    if not title_key:
        return 0
    for index, key in enumerate(keys[:_HEAD_WINDOW]):
        if _bare(key) == title_key:
            crumbs = lines[:index]
            if all(
                len(c.split()) <= _MAX_CRUMB_WORDS and not _SENTENCE_PUNCTUATION.search(c)
                for c in crumbs
            ):
                return index + 1
            return 0
    return 0


def _decode(data: bytes, encoding: str | None) -> str:
    """The page as text: BOM, then ``encoding``, then the declared charset, then guesses."""
    for bom, codec in _BOM_ENCODINGS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    declared = _codec(encoding) if encoding else None
    if declared is None:
        match = _DECLARED_CHARSET.search(data[:_CHARSET_WINDOW])
        if match:
            declared = _codec((match.group(1) or match.group(2)).decode("ascii", "replace"))
    for candidate in (declared, "utf-8"):
        if candidate is not None:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                pass
    # Mislabelled or unlabelled: Arabic in a legacy encoding by the same rule as feeds, else
    # trafilatura's guess (charset_normalizer), replacing what still does not decode.
    legacy = legacy_arabic_encoding(data)
    return data.decode(legacy) if legacy else decode_file(data)


def _codec(label: str) -> str | None:
    """Python's codec for a charset label as pages write it, or None for an unknown label."""
    label = label.strip().lower()
    try:
        return codecs.lookup(_CHARSET_ALIASES.get(label, label)).name
    except LookupError:
        return None


def _looser_readings(tree: Any, url: str | None) -> Iterator[list[str]]:
    """The page's candidate body texts when precision mode found none, best first, each
    computed only when asked for."""
    # Precision mode gives up on some pages with unusual markup; the default mode keeps more
    # (menus too, which are not prose and so do not make an error page pass).
    yield _main_text(tree, url, precise=False)
    yield _plain_paragraphs(tree)


def _main_text(tree: Any, url: str | None, *, precise: bool) -> list[str]:
    """The lines of trafilatura's main text, or none when it finds nothing."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=precise,
        include_comments=False,
        include_tables=False,
        with_metadata=False,
    )
    if isinstance(document, Document) and document.text:
        return document.text.splitlines()
    return []


def _plain_paragraphs(tree: Any) -> list[str]:
    """The ``<p>`` texts of the page's ``<article>`` (or ``<main>``, or body), in order."""
    for path in ("//article", "//*[@itemprop='articleBody']", "//main", "//body"):
        containers = tree.xpath(path)
        if containers:
            return [str(p.text_content()) for p in containers[0].iter("p")]
    return []


def _find_title(tree: Any) -> str | None:
    """The headline: ``og:title``, else the first ``<h1>``, else ``<title>``, site name removed.

    When an ``<h1>`` begins the chosen title, the ``<h1>`` is the headline without the suffix.
    """
    site_names = {
        _tidy(str(name))
        for name in tree.xpath(
            "//meta[@property='og:site_name' or @name='application-name']/@content"
        )
    } - {""}
    h1s = [_tidy(str(h.text_content())) for h in tree.xpath("//h1")]
    h1 = next((h for h in h1s if h and h not in site_names), None)
    for raw in (
        *tree.xpath("//meta[@property='og:title' or @name='og:title']/@content"),
        *tree.xpath("//meta[@name='twitter:title']/@content"),
        h1,
        *(t.text_content() for t in tree.xpath("//title")),
    ):
        candidate = _tidy(str(raw)) if raw else ""
        if not candidate:
            continue
        if h1 and _begins_with_headline(candidate, h1):
            return h1
        return _strip_site_name(candidate, site_names)
    return None


def _find_image(tree: Any, url: str | None) -> str | None:
    """The page's lead image: ``og:image`` (its secure URL first), else ``twitter:image``,
    resolved against ``url``; None unless it is an http(s) URL of sane length."""
    for raw in (
        *tree.xpath("//meta[@property='og:image:secure_url']/@content"),
        *tree.xpath("//meta[@property='og:image' or @name='og:image']/@content"),
        *tree.xpath("//meta[@property='og:image:url']/@content"),
        *tree.xpath(
            "//meta[@name='twitter:image' or @name='twitter:image:src'"
            " or @property='twitter:image']/@content"
        ),
    ):
        found = urljoin(url or "", str(raw).strip())
        if found.startswith(("http://", "https://")) and len(found) <= _MAX_IMAGE_URL:
            return found
    return None


def _begins_with_headline(title: str, h1: str) -> bool:
    """Whether ``title`` is ``h1`` alone or followed by a separator (and a site name)."""
    title_key, h1_key = normalise(title), normalise(h1)
    rest = title_key.removeprefix(h1_key)
    return rest != title_key and (not rest or rest.lstrip()[:1] in set("|-–—:«»·"))


def _strip_site_name(title: str, site_names: set[str]) -> str:
    """``title`` without a known site name at either end, else without short last segments.

    A last segment goes when it has at most ``_MAX_SITE_NAME_WORDS`` words and fewer than what
    precedes it ("headline | section | site"), so "غزة - القصف يتواصل" keeps its place name.
    """
    for name in site_names:
        for separator in _TITLE_SEPARATORS:
            if title.endswith(separator + name):
                return title[: -len(separator + name)].strip()
            if title.startswith(name + separator):
                return title[len(name + separator) :].strip()
    while (cut := max(title.rfind(separator) for separator in _TITLE_SEPARATORS)) > 0:
        head, tail = title[:cut].strip(), title[cut:].strip(" |-–—:«»·")
        tail_words = len(tail.split())
        if tail_words > _MAX_SITE_NAME_WORDS or len(head.split()) <= tail_words:
            break
        title = head
    return title
