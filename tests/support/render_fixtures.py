"""Digests for the renderer tests, built in code from short Arabic stories written for them.

Names, figures and quotations are fictional; domains are ``.example``. Each ``RenderCase``
has a golden folder ``tests/data/render/<name>/`` (see ``tests/render/test_render.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digests.compose.i18n import Language
from digests.models import Digest, DigestItem, DigestSection, Link, TopicRef

__all__ = [
    "AGES",
    "AGES_CREATED",
    "AWKWARD_TAGS",
    "AWKWARD_TOPICS",
    "CASES",
    "CREATED",
    "RenderCase",
    "item",
    "long_summary",
    "many_items",
    "tagged",
]

CREATED = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # 20:00 in Riyadh, a Sunday
# 01:30 on Monday 30 November in Riyadh, while UTC is still on Sunday the 29th.
AGES_CREATED = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)

ECONOMY = TopicRef("economy", "اقتصاد")
INFLATION = TopicRef("inflation", "التضخم")
CLIMATE = TopicRef("climate", "المناخ")
ENERGY = TopicRef("renewable-energy", "الطاقة المتجددة")
GREEN = TopicRef("طاقة-خضراء", "طاقة خضراء")  # a slug outside [a-z0-9-]: hashed payload
SPACE = TopicRef("space", "الفضاء")
SPACEX = TopicRef("spacex", "SpaceX")
SPORT = TopicRef("sport", "رياضة")


def item(
    article_id: int,
    title: str,
    summary: str,
    *,
    source: str = "وكالة الأنباء",
    url: str | None = None,
    minutes: int = 0,
    before: datetime = CREATED,
    also: tuple[Link, ...] = (),
    topics: tuple[TopicRef, ...] = (),
    related: tuple[Link, ...] = (),
) -> DigestItem:
    """A digest item published ``minutes`` before ``before`` (the digest's time)."""
    return DigestItem(
        article_id=article_id,
        title=title,
        url=url if url is not None else f"https://news.example/a/{article_id}",
        source=source,
        published_at=before - timedelta(minutes=minutes),
        summary=summary,
        also_reported_by=also,
        topics=topics,
        related=related,
    )


RATES = item(
    1,
    "البنك المركزي يرفع سعر الفائدة 0.25% لكبح التضخم",
    "قرر البنك المركزي رفع سعر الفائدة الرئيسي بمقدار 0.25 نقطة مئوية إلى 5.5%، في خطوة قال "
    "إنها تهدف إلى كبح التضخم الذي بلغ 4.8% خلال الشهر الماضي. وتوقع محللون في مؤسسة "
    "Capital Economics أن يبقي البنك أسعار الفائدة دون تغيير حتى نهاية 2027.",
    source="الاقتصادية",
    minutes=45,
    also=(
        Link("المركزي يرفع الفائدة ربع نقطة", "https://bbc.example/arabic/1", "BBC عربي"),
        Link("رفع الفائدة إلى 5.5%", "https://jazeera.example/eco/2", "الجزيرة"),
        Link("Central bank raises rates", "https://reuters.example/3", "Reuters"),
    ),
    topics=(ECONOMY, INFLATION),
    related=(
        Link("التضخم يتراجع إلى 4.8% في أكتوبر", "https://news.example/a/90", "الاقتصادية"),
        Link("أسعار الذهب تقفز 2% بعد القرار", "https://news.example/a/91", "العربية"),
        Link("الأسهم الخليجية تغلق على ارتفاع", "https://news.example/a/92", "العربية"),
    ),
)

COP = item(
    2,
    "اختتام قمة COP28 في دبي باتفاق على التحول عن الوقود الأحفوري",
    "اتفقت نحو 200 دولة في ختام قمة المناخ COP28 على خطة للتحول عن الوقود الأحفوري بحلول "
    "2050. وقال رئيس القمة إن الاتفاق «تاريخي»، فيما رأت منظمات بيئية أنه غير كافٍ.",
    source="سكاي نيوز عربية",
    minutes=120,
    also=(Link("قمة المناخ تنتهي باتفاق", "https://cnn.example/ar/4", "CNN بالعربية"),),
    topics=(CLIMATE, ENERGY, GREEN),
    related=(Link("ما هو اتفاق باريس؟", "https://news.example/a/93", "سكاي نيوز عربية"),),
)

FALCON = item(
    3,
    "SpaceX تطلق صاروخ Falcon 9 يحمل 23 قمراً من طراز Starlink",
    "أطلقت شركة SpaceX صاروخها Falcon 9 من قاعدة كيب كانافيرال في فلوريدا عند الساعة "
    "03:15 بتوقيت غرينتش، وعلى متنه 23 قمراً صناعياً.\nوهبطت المرحلة الأولى على منصة "
    "عائمة في المحيط الأطلسي للمرة 20.",
    source="العربية",
    minutes=300,
    topics=(SPACE, SPACEX),
)

FOOTBALL = item(
    4,
    "منتخب المغرب يتأهل إلى نصف النهائي بعد الفوز 2-1 ⚽",
    "تأهل منتخب المغرب إلى الدور نصف النهائي بعد فوزه على البرتغال بهدفين مقابل هدف.",
    source="beIN SPORTS",
    minutes=30,
    topics=(SPORT,),
)

WEATHER = item(
    5,
    "أمطار غزيرة متوقعة على السواحل الشمالية",
    "أمطار غزيرة متوقعة على السواحل الشمالية",  # the same as the title: not repeated
    source="الأرصاد",
    minutes=10,
)

ENGLISH = item(
    6,
    "Central bank raises rates by 0.25 points",
    "The central bank raised its main rate to 5.5%. Analysts at Capital Economics expect no "
    "further change before 2027.",
    source="Reuters",
    minutes=15,
    also=(Link("رفع الفائدة", "https://jazeera.example/eco/2", "الجزيرة"),),
    topics=(TopicRef("economy", "Economy"), TopicRef("central-banks", "Central banks")),
    related=(Link("Inflation eases to 4.8%", "https://news.example/a/90", "Reuters"),),
)

HOSTILE = (
    item(
        7,
        "<script>alert(1)</script> & <b>عاجل</b>",
        "نص فيه < و > و & و &amp; و &lt;b&gt; كما هو.",
        source="<i>مصدر</i> & شركاه",
        url="javascript:alert(1)",
        topics=(TopicRef("x<y", "<b>وسم</b>"),),
    ),
    item(
        8,
        "*عاجل* _مهم_ ~ملغى~ `code` ```block``` > اقتباس",
        "> سطر يبدأ بعلامة اقتباس\n*نجمة* و_شرطة_ و~مدة~ و`علامة`",
        source="*المصدر*",
        url="https://news.example/a/8?q=\"quoted\"&x='1'",
        related=(Link("رابط | فيه خط", "https://news.example/a/8|9>", "مصدر|آخر"),),
    ),
    item(
        9,
        "عنوان فيه \u202eقلب للاتجاه\u202c و\u2066عزل\u2069 و\u200fعلامة",
        "ملخص\u202e معكوس\x00 مع\x1b[31m تحكم\u0085 وسطر",
        source="مصدر\u202e",
        topics=(TopicRef("rtl", "وسم\u202eمقلوب"),),
    ),
    item(
        10,
        "🚀🔥 إطلاق ناجح 👨‍👩‍👧 لصاروخ Ariane 6 من Kourou 🇫🇷",
        "😀 ملخص مع رموز تعبيرية 🎉 ونسبة 99.9% 👍",
        source="📰 الأخبار",
        url="data:text/html,<script>alert(1)</script>",
        topics=(TopicRef("space", "الفضاء 🚀"),),
    ),
)

# The same kind of story at several ages, seen from AGES_CREATED: 5 minutes, 2 hours,
# yesterday in Riyadh (18:30 on the 29th: the same day in UTC), 3 days, last year.
AGES = tuple(
    item(
        20 + n,
        title,
        "قالت مصادر رسمية إن التفاصيل الكاملة ستعلن خلال مؤتمر صحفي.",
        source=source,
        minutes=minutes,
        before=AGES_CREATED,
    )
    for n, (title, source, minutes) in enumerate(
        [
            ("انطلاق معرض الكتاب الدولي بمشاركة 30 دولة", "الأخبار", 5),
            ("افتتاح جسر جديد فوق النيل", "الأهرام", 120),
            ("هطول أمطار على العاصمة", "الأرصاد", 7 * 60),
            ("توقيع اتفاقية تعاون تجاري", "الاقتصادية", 3 * 24 * 60),
            ("إطلاق قمر صناعي للاتصالات", "العربية", 361 * 24 * 60),
        ]
    )
)


@dataclass(frozen=True)
class RenderCase:
    """A digest and how to render it."""

    digest: Digest
    language: Language = "ar"
    timezone: str = "Asia/Riyadh"
    bot_username: str | None = "akhbar_digest_bot"


CASES: dict[str, RenderCase] = {
    "sections": RenderCase(
        Digest(
            destination="telegram:@akhbar",
            created_at=CREATED,
            sections=(
                DigestSection(ECONOMY, (RATES,)),
                DigestSection(CLIMATE, (COP,)),
                DigestSection(SPACE, (FALCON,)),
                DigestSection(None, (FOOTBALL, WEATHER)),
            ),
        )
    ),
    "single-section": RenderCase(
        Digest(
            destination="cli",
            created_at=CREATED,
            sections=(DigestSection(None, (FOOTBALL, RATES)),),
        ),
        bot_username=None,
    ),
    "english": RenderCase(
        Digest(
            destination="slack:#news",
            created_at=CREATED,
            sections=(DigestSection(TopicRef("economy", "Economy"), (ENGLISH, RATES)),),
        ),
        language="en",
        timezone="Europe/London",
        bot_username=None,
    ),
    "empty": RenderCase(Digest(destination="cli", created_at=CREATED)),
    "empty-english": RenderCase(
        Digest(destination="cli", created_at=CREATED, sections=(DigestSection(None, ()),)),
        language="en",
        timezone="UTC",
    ),
    "ages": RenderCase(
        Digest(
            destination="telegram:@akhbar",
            created_at=AGES_CREATED,
            sections=(DigestSection(None, AGES),),
        ),
        bot_username=None,
    ),
    "hostile": RenderCase(
        Digest(
            destination="telegram:@akhbar",
            created_at=CREATED,
            sections=(DigestSection(TopicRef("<x>", "<b>قسم</b> & *مهم*"), HOSTILE),),
        )
    ),
}


def long_summary(chars: int = 10_000) -> str:
    """Arabic sentences with mixed Latin and numbers, about ``chars`` characters long."""
    sentence = (
        "وقال المتحدث باسم الوزارة إن نسبة النمو بلغت 4.5% في الربع الثالث من 2026 "
        "بحسب تقرير Capital Economics الأخير. "
    )
    return (sentence * (chars // len(sentence) + 1))[:chars]


def many_items(count: int) -> Digest:
    """A digest of ``count`` varied items in one section."""
    base = (RATES, COP, FALCON, FOOTBALL, WEATHER)
    items = tuple(
        item(
            100 + n,
            f"{base[n % len(base)].title} ({n + 1})",
            base[n % len(base)].summary,
            source=base[n % len(base)].source,
            minutes=n,
            also=base[n % len(base)].also_reported_by,
            topics=base[n % len(base)].topics,
            related=base[n % len(base)].related,
        )
        for n in range(count)
    )
    return Digest(
        destination="telegram:@akhbar", created_at=CREATED, sections=(DigestSection(None, items),)
    )


# Topic names that are not simply words and spaces, and the tags they must become (one whole
# hashtag each on Telegram, no look-alike underscore on Slack).
AWKWARD_TOPICS = (
    TopicRef("renewable-energy", "الطاقة المتجددة"),
    TopicRef("space", "الفضاء 🚀"),
    TopicRef("oman", "عُمان"),
    TopicRef("isis", "Islamic State (ISIS)"),
    TopicRef("al-qaeda", "al-Qaeda"),
)
AWKWARD_TAGS = ("#الطاقة_المتجددة", "#الفضاء", "#عمان", "#Islamic_State_ISIS", "#al_Qaeda")


def tagged() -> Digest:
    """One story filed under every topic of ``AWKWARD_TOPICS``."""
    story = item(
        1, "تمويل جديد لمشروعات الطاقة الشمسية", "وافق الصندوق على التمويل.", topics=AWKWARD_TOPICS
    )
    return Digest(destination="t", created_at=CREATED, sections=(DigestSection(None, (story,)),))
