"""Article extraction: golden pages (``tests/data/pages/<case>/``) and the boilerplate rules.

Each case folder holds ``page.html`` (bytes, in whatever charset the page declares) and either
``expected.txt`` (UTF-8: the title, a blank line, then paragraphs separated by blank lines) or
``expected-error.txt`` (the name of the exception ``extract_article`` must raise).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.errors import ExtractError
from digests.ingest.extract import clean_paragraphs, extract_article, extract_text_lines
from digests.models import ExtractedArticle

PAGES = Path(__file__).parents[1] / "data" / "pages"
CASES = sorted(folder.name for folder in PAGES.iterdir() if (folder / "page.html").exists())

BODY = (
    "أعلنت وزارة الصحة، اليوم الأحد، عن خطة جديدة لتوسيع شبكة المراكز الصحية في المناطق "
    "الريفية، تشمل بناء 40 مركزاً خلال السنوات الثلاث المقبلة."
)
MORE_BODY = (
    "وقال الوزير في مؤتمر صحفي إن الخطة ستُموَّل من الموازنة العامة وبقروض ميسرة، "
    "وإن العمل في المرحلة الأولى سيبدأ مطلع العام المقبل."
)


def render(article: ExtractedArticle) -> str:
    """The golden-file form of an extracted article."""
    return f"{article.title}\n\n" + "\n\n".join(article.paragraphs) + "\n"


def page(body: str, head: str = "") -> str:
    """A minimal Arabic page around ``body``."""
    return (
        f'<!DOCTYPE html><html dir="rtl" lang="ar"><head>{head}</head>'
        f"<body><article>{body}</article></body></html>"
    )


def test_required_cases_are_present() -> None:
    assert {"seed", "wordpress", "windows1256", "wikipedia", "notfound"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden_page(case: str) -> None:
    folder = PAGES / case
    html = (folder / "page.html").read_bytes()
    url = f"https://example.test/{case}"
    error = folder / "expected-error.txt"
    if error.exists():
        with pytest.raises(ExtractError) as raised:
            extract_article(html, url)
        assert type(raised.value).__name__ == error.read_text(encoding="utf-8").strip()
        assert raised.value.url == url
        return
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    assert render(extract_article(html, url)) == expected


def test_seed_as_scraped_is_cleaned_to_headline_and_nine_paragraphs() -> None:
    """The seed article as first scraped: category run, headline, body, then boilerplate."""
    scraped = (PAGES / "seed" / "scraped.txt").read_text(encoding="utf-8").splitlines()
    title, *paragraphs = (PAGES / "seed" / "expected.txt").read_text(encoding="utf-8").split("\n\n")
    assert clean_paragraphs(scraped, title) == tuple(p.strip() for p in paragraphs)
    assert len(paragraphs) == 9


def test_string_and_bytes_give_the_same_article() -> None:
    html = (PAGES / "wordpress" / "page.html").read_bytes()
    assert extract_article(html.decode("utf-8")) == extract_article(html)


@pytest.mark.parametrize(
    "line",
    [
        # comment-form notices (the form's heading ends the article, see below)
        "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
        "لن يتم نشر عنوان بريدك الالكتروني.",
        "الحقول الإلزاميّة مشار إليها بـ *",
        "احفظ اسمي، بريدي الإلكتروني، والموقع الإلكتروني في هذا المتصفح لاستخدامها المرة "
        "المقبلة في تعليقي.",
        "التعليق *",
        # back to top
        "زر الذهاب إلى الأعلى",
        "زر الذهاب الى الاعلى",
        "العودة إلى أعلى الصفحة",
        # inline link inserts
        "اقرأ أيضا: أسعار النفط تتراجع مع تزايد المخاوف من تباطؤ الطلب",
        "إقرأ أيضاً: أسعار النفط تتراجع",
        "اقْرَأْ أَيْضًا: أسعار النفط تتراجع",
        "اقرأ ايضا.. أسعار النفط تتراجع",
        "اقرأ المزيد",
        "اقرأ المزيد:",
        "شاهد أيضا: جولة داخل أكبر مصنع للهيدروجين الأخضر",
        "طالع أيضاً: قصة السيمفونية التاسعة",
        # share buttons
        "شارك",
        "شارك على فيسبوك",
        "شارك عبر واتساب",
        "تويتر",
        "واتساب",
        "انسخ الرابط",
        "تم نسخ الرابط",
        "مشاركة عبر البريد",
        "فيسبوكتويترواتساب",
        "فيسبوك | تويتر | واتساب | تيليجرام",
        "Facebook Twitter WhatsApp",
        "شارك هذا المقال",
        # copyright
        "جميع الحقوق محفوظة ©",
        "© 2024 المرصد الإخباري. جميع الحقوق محفوظة.",
        "جميع الحقوق محفوظة لجريدة الوادي © 2023",
        "2024 - جميع الحقوق محفوظة",
        "حقوق النشر محفوظة لشبكة الخليج",
        "Copyright 2024 Example Media",
        # breadcrumbs and empty lines
        "الرئيسية / أخبار العالم / تقارير",
        "الرئيسية » اقتصاد",
        "",
        "   ",
        "\xa0",
        "\xa0 \u200f",
        "***",
    ],
)
def test_boilerplate_line_is_dropped(line: str) -> None:
    assert clean_paragraphs([BODY, line, MORE_BODY], title=None) == (BODY, MORE_BODY)


@pytest.mark.parametrize(
    "heading",
    [
        "موضوعات ذات صلة",
        "مواضيع ذات صلة",
        "مَوَاضِيعُ ذاتُ صِلَة",
        "مقالات ذات صلة:",
        "أخبار ذات صلة",
        "اقرأ أيضا",
        "إقرأ أيضاً:",
        "الأكثر قراءة",
        "اترك تعليقاً",
        "اترك تعليقًا",
        "أترك تعليقا",
        "اترك رداً إلغاء الرد",
        "التعليقات",
    ],
)
def test_section_heading_ends_the_article(heading: str) -> None:
    tail = [
        heading,
        "الحوثيون يكشفون عن طائرة مسيرة جديدة",
        "طالبان ترسل مبعوثا جديدا إلى طهران",
        "من هو إسماعيل قاآني؟",
    ]
    assert clean_paragraphs([BODY, MORE_BODY, *tail], title=None) == (BODY, MORE_BODY)


def test_comment_section_is_cut_with_the_comments_in_it() -> None:
    comment = (
        "مقال ممتاز وشكرا للكاتب على هذا التحليل العميق، وأتمنى أن نقرأ المزيد من هذه التقارير."
    )
    assert clean_paragraphs([BODY, "اترك تعليقاً", comment], title=None) == (BODY,)


def test_bare_read_also_followed_by_prose_is_an_insert_not_the_end() -> None:
    lines = [BODY, "اقرأ أيضاً", "أسعار النفط تتراجع", MORE_BODY]
    assert clean_paragraphs(lines, title=None) == (BODY, "أسعار النفط تتراجع", MORE_BODY)


def test_section_heading_before_any_body_is_dropped_not_cut() -> None:
    assert clean_paragraphs(["الأكثر قراءة", BODY, MORE_BODY], title=None) == (BODY, MORE_BODY)


@pytest.mark.parametrize(
    "paragraph",
    [
        "وفي تعليق على النتائج، قال المتحدث باسم الوزارة إن الأرقام مشجعة.",
        "شارك في المؤتمر أكثر من 300 خبير من 40 دولة.",
        "التعليقات التي نشرها المستخدمون على المنصة أثارت جدلا واسعا.",
        "الأكثر قراءة بين الشباب هي الروايات البوليسية، بحسب الاستطلاع.",
        "وأكدت الشركة أن جميع الحقوق محفوظة لها بموجب العقد الموقع مع المنتج.",
        "ردود الفعل الدولية",  # a short subheading inside the body
        "اقرأ أيضا في هذا التقرير الطويل كيف تحولت المدينة خلال عقدين من بلدة صغيرة على "
        "ضفاف النهر إلى مركز صناعي يعمل فيه أكثر من مئة ألف شخص، وما الذي خسرته في الطريق.",
    ],
)
def test_body_paragraph_is_kept(paragraph: str) -> None:
    lines = [BODY, paragraph, MORE_BODY]
    assert clean_paragraphs(lines, title=None) == (BODY, paragraph, MORE_BODY)


def test_crumbs_and_headline_at_the_top_are_dropped_in_any_spelling() -> None:
    title = "وزارة الصحة تعلن خطة لتوسيع المراكز الصحية"
    lines = ["محلياتأهم الأخبارصحة", "وزارةُ الصحة تُعلن خطة لتوسيع المراكز الصحيّة", BODY, MORE_BODY]
    assert clean_paragraphs(lines, title) == (BODY, MORE_BODY)


def test_short_lines_at_the_top_are_kept_when_the_headline_is_not_there() -> None:
    lines = ["ردود الفعل الدولية", BODY]
    assert clean_paragraphs(lines, "عنوان آخر تماما") == ("ردود الفعل الدولية", BODY)


def test_repeated_headline_is_dropped_anywhere() -> None:
    title = "وزارة الصحة تعلن خطة لتوسيع المراكز الصحية"
    assert clean_paragraphs([BODY, title + ".", MORE_BODY], title) == (BODY, MORE_BODY)


def test_white_space_is_collapsed_and_orthography_kept() -> None:
    line = "  تشمل مؤلفاته\xa0للأوركسترا  تسـعة سيمفونيات،\tكما ألّف مقطوعات.  "
    expected = "تشمل مؤلفاته للأوركسترا تسـعة سيمفونيات، كما ألّف مقطوعات."
    assert clean_paragraphs([line], title=None) == (expected,)


def test_extract_text_lines() -> None:
    text = (
        f"\n  العنوان الرئيسي \n\n{BODY}\n\xa0\nاقرأ أيضا: خبر آخر\n{MORE_BODY}\n"
        "زر الذهاب إلى الأعلى\n"
    )
    article = extract_text_lines(text)
    assert article == ExtractedArticle(title="العنوان الرئيسي", paragraphs=(BODY, MORE_BODY))


@pytest.mark.parametrize("text", ["", " \n\xa0\n", "العنوان وحده\n\nشارك\nتويتر\n"])
def test_extract_text_lines_without_body_raises(text: str) -> None:
    with pytest.raises(ExtractError):
        extract_text_lines(text)


def test_iso_8859_6_declared_by_http_equiv() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-6">'
    html = page(f"<h1>عنوان الخبر</h1><p>{BODY}</p><p>{MORE_BODY}</p>", head)
    # ISO-8859-6 has no tashkeel beyond the basic harakat and no ٪; keep to what it encodes
    data = html.encode("iso8859-6")
    assert extract_article(data).paragraphs == (BODY, MORE_BODY)


def test_http_charset_wins_over_a_wrong_meta_declaration() -> None:
    html = page(f"<h1>عنوان الخبر</h1><p>{BODY}</p><p>{MORE_BODY}</p>", '<meta charset="utf-8">')
    data = html.encode("cp1256")
    assert extract_article(data, encoding="windows-1256").paragraphs == (BODY, MORE_BODY)


def test_undeclared_legacy_charset_is_guessed() -> None:
    html = page(f"<h1>عنوان الخبر</h1><p>{BODY}</p><p>{MORE_BODY}</p>")
    assert extract_article(html.encode("cp1256")).paragraphs == (BODY, MORE_BODY)


def test_utf8_bom() -> None:
    html = page(f"<h1>عنوان الخبر</h1><p>{BODY}</p><p>{MORE_BODY}</p>")
    assert extract_article(b"\xef\xbb\xbf" + html.encode("utf-8")).title == "عنوان الخبر"


@pytest.mark.parametrize(
    ("head", "h1", "title"),
    [
        ("<title>سقوط أمطار غزيرة على العاصمة - BBC News عربي</title>", "", None),
        ("<title>سقوط أمطار غزيرة على العاصمة | الجزيرة نت</title>", "", None),
        (
            '<meta property="og:title" content="سقوط أمطار غزيرة على العاصمة - أخبار اليوم">'
            '<meta property="og:site_name" content="أخبار اليوم">',
            "",
            None,
        ),
        (
            '<meta property="og:site_name" content="المرصد">'
            "<title>المرصد | سقوط أمطار غزيرة على العاصمة</title>",
            "",
            None,
        ),
        (
            "<title>سقوط أمطار غزيرة على العاصمة | محليات | المرصد</title>",
            "<h1>سقوط أمطار غزيرة على العاصمة</h1>",
            None,
        ),
        ("<title>سقوط أمطار غزيرة على العاصمة | محليات | المرصد</title>", "", None),
        (
            "<title>غزة - القصف يتواصل لليوم الثالث على التوالي</title>",
            "",
            "غزة - القصف يتواصل لليوم الثالث على التوالي",
        ),
        ("<title>عاجل - انفجار كبير في بيروت</title>", "", "عاجل - انفجار كبير في بيروت"),
    ],
)
def test_title_without_site_name(head: str, h1: str, title: str | None) -> None:
    article = extract_article(page(f"{h1}<p>{BODY}</p><p>{MORE_BODY}</p>", head))
    assert article.title == (title or "سقوط أمطار غزيرة على العاصمة")


def test_page_without_title_has_none() -> None:
    assert extract_article(page(f"<p>{BODY}</p><p>{MORE_BODY}</p>")).title is None


@pytest.mark.parametrize("html", [b"", b"   ", "<html><body><p>404</p></body></html>"])
def test_no_text_raises(html: str | bytes) -> None:
    with pytest.raises(ExtractError):
        extract_article(html, "https://example.test/missing")
