"""Feed fixtures built from short Arabic news stories written for these tests.

The stories are original text (no outlet's copy), with the mixed Arabic/Latin, Arabic-Indic
digits and decimals that real feeds carry. ``rss()`` and ``atom()`` turn them into documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

__all__ = ["STORIES", "Story", "atom", "rss"]


@dataclass(frozen=True)
class Story:
    """A news story: a headline, its paragraphs and a slug for its URL."""

    slug: str
    title: str
    paragraphs: tuple[str, ...]


STORIES = (
    Story(
        "rates",
        "البنك المركزي يرفع سعر الفائدة 0.25% لكبح التضخم",
        (
            "قرر البنك المركزي رفع سعر الفائدة الرئيسي بمقدار 0.25 نقطة مئوية إلى 5.5%، في خطوة "
            "قال إنها تهدف إلى كبح التضخم الذي بلغ ٤٫٨٪ خلال الشهر الماضي.",
            "وأوضح محافظ البنك في مؤتمر صحفي أن القرار اتخذ بالإجماع، وأن لجنة السياسة النقدية "
            "ستواصل مراقبة الأسعار عن كثب خلال الأشهر المقبلة قبل أي خطوة جديدة.",
            "وتوقع محللون في مؤسسة Capital Economics أن يبقي البنك أسعار الفائدة دون تغيير حتى "
            "نهاية العام، بعد أن تراجعت أسعار الطاقة والغذاء في الأسواق العالمية.",
        ),
    ),
    Story(
        "football",
        "منتخب المغرب يتأهل إلى نصف نهائي كأس الأمم الأفريقية",
        (
            "تأهل منتخب المغرب إلى الدور نصف النهائي من كأس الأمم الأفريقية بعد فوزه على نظيره "
            "السنغالي بهدفين مقابل هدف في مباراة مثيرة أقيمت مساء السبت.",
            "وسجل هدفي المغرب اللاعب يوسف النصيري في الدقيقة 23 وحكيم زياش في الدقيقة 78، بينما "
            "أحرز ساديو ماني هدف السنغال الوحيد من ركلة جزاء.",
            "ويلتقي المنتخب المغربي في الدور المقبل مع الفائز من مباراة مصر ونيجيريا المقررة "
            "يوم الأحد على ملعب القاهرة الدولي.",
        ),
    ),
    Story(
        "satellite",
        "إطلاق قمر صناعي عربي جديد لرصد المناخ",
        (
            "أطلقت وكالة الفضاء قمرا صناعيا جديدا مخصصا لرصد التغيرات المناخية ودرجات حرارة سطح "
            "البحر في منطقة الخليج العربي، على متن صاروخ Falcon 9.",
            "ويزن القمر 180 كيلوغراما، ومن المتوقع أن يرسل أولى صوره خلال أسبوعين من وصوله إلى "
            "مداره على ارتفاع 550 كيلومترا فوق سطح الأرض.",
            "وقال مدير المشروع إن البيانات ستتاح مجانا للباحثين في الجامعات العربية، للمساعدة "
            "في دراسة موجات الحر والجفاف التي تزداد تواترا.",
        ),
    ),
    Story(
        "bookfair",
        "انطلاق معرض الرياض الدولي للكتاب بمشاركة 1800 دار نشر",
        (
            "انطلقت فعاليات معرض الرياض الدولي للكتاب بمشاركة أكثر من 1800 دار نشر من 30 دولة، "
            "وسط إقبال كبير من الزوار في يومه الأول.",
            "ويتضمن برنامج المعرض ندوات وأمسيات شعرية وورش عمل للأطفال، إضافة إلى جناح خاص "
            "بالكتب الرقمية والكتب الصوتية.",
        ),
    ),
    Story(
        "floods",
        "أمطار غزيرة وسيول في عدة مدن وتحذيرات من الأرصاد",
        (
            "شهدت عدة مدن أمطارا غزيرة تسببت في جريان السيول وإغلاق عدد من الطرق، فيما حذرت "
            "هيئة الأرصاد من استمرار الحالة الجوية حتى يوم الأربعاء.",
            "ودعا الدفاع المدني السكان إلى الابتعاد عن مجاري الأودية وعدم المجازفة بعبورها، "
            "مؤكدا أن فرقه في حالة تأهب على مدار الساعة.",
        ),
    ),
)

_BASE_TIME = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _when(index: int) -> datetime:
    return _BASE_TIME + timedelta(hours=index)


def rss(
    base: str,
    stories: tuple[Story, ...] = STORIES,
    *,
    title: str = "أخبار الاختبار",
    encoding: str = "utf-8",
    declare_encoding: bool = True,
    full_content: bool = True,
    guid_prefix: str = "urn:test:",
    link_path: str = "/news/{slug}",
    ttl_minutes: int | None = None,
) -> bytes:
    """An RSS 2.0 document of ``stories`` whose links point under ``base``."""
    items = []
    for index, story in enumerate(stories):
        link = base + link_path.format(slug=story.slug)
        content = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        encoded = (
            f"<content:encoded><![CDATA[{content}]]></content:encoded>" if full_content else ""
        )
        items.append(
            f"<item><title>{escape(story.title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">{guid_prefix}{story.slug}</guid>'
            f"<pubDate>{format_datetime(_when(index))}</pubDate>"
            f"<description>{escape(story.paragraphs[0])}</description>{encoded}</item>"
        )
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if declare_encoding else ""
    ttl = f"<ttl>{ttl_minutes}</ttl>" if ttl_minutes else ""
    document = (
        f'{prolog}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>{base}/</link>"
        f"<description>{escape(title)}</description>{ttl}{''.join(items)}</channel></rss>"
    )
    # Characters outside a legacy code page travel as character references, as real sites do.
    return document.encode(encoding, errors="xmlcharrefreplace")


def atom(base: str, stories: tuple[Story, ...] = STORIES, *, title: str = "أطوم") -> bytes:
    """An Atom 1.0 document of ``stories`` with full HTML content."""
    entries = []
    for index, story in enumerate(stories):
        content = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        entries.append(
            f"<entry><title>{escape(story.title)}</title>"
            f'<link rel="alternate" href="{base}/atom/{story.slug}"/>'
            f"<id>tag:test,2026:{story.slug}</id>"
            f"<updated>{_when(index).isoformat()}</updated>"
            f"<summary>{escape(story.paragraphs[0])}</summary>"
            f'<content type="html">{escape(content)}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>tag:test,2026:feed</id>"
        f"<updated>{_BASE_TIME.isoformat()}</updated>{''.join(entries)}</feed>"
    ).encode()
