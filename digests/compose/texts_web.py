"""The texts of the web archive (``bot/web``) and of the archive link in chat digests.

Data only, merged into ``compose.texts.TEXTS`` (same conventions: ``{name}`` fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digests.compose.texts import Language

__all__ = ["WEB_TEXTS"]

WEB_TEXTS: dict[str, dict[Language, str]] = {
    # the link under a chat digest's overview (render.telegram, render.slack)
    "open_archive": {"ar": "افتح الموجز في المتصفح", "en": "Open this digest in the browser"},
    # pages
    "web_site_title": {"ar": "أرشيف الموجز", "en": "Digest archive"},
    "web_home_intro": {
        "ar": "موجزات الأخبار كما نُشرت، وأرشيف كل قناة وخلاصاتها.",
        "en": "News digests as they were posted, with each channel's archive and feeds.",
    },
    "web_home": {"ar": "الرئيسية", "en": "Home"},
    "web_latest": {"ar": "أحدث موجز", "en": "Latest digest"},
    "web_no_digest": {"ar": "لم يُنشر موجز بعد.", "en": "No digest has been posted yet."},
    "web_archive_title": {"ar": "أرشيف {name}", "en": "{name}: archive"},
    "web_archive_link": {"ar": "الأرشيف", "en": "Archive"},
    "web_page_of": {"ar": "الصفحة {page} من {pages}", "en": "Page {page} of {pages}"},
    "web_paging": {"ar": "التنقل بين الصفحات", "en": "Pages"},
    "web_newer": {"ar": "الأحدث", "en": "Newer"},
    "web_older": {"ar": "الأقدم", "en": "Older"},
    "web_feeds": {"ar": "الخلاصات", "en": "Feeds"},
    "web_full_story": {"ar": "القصة كاملة", "en": "Full story"},
    "web_story_title": {"ar": "القصة", "en": "Story"},
    "web_coverage": {"ar": "التغطية", "en": "Coverage"},
    "web_more_articles": {
        "ar": "وتقارير أخرى لم تُعرض: {count}",
        "en": "and {count} more reports not shown",
    },
    "web_related_earlier": {"ar": "قصص سابقة ذات صلة", "en": "Related earlier stories"},
    "web_topics": {"ar": "المواضيع", "en": "Topics"},
    "web_topic_chart": {
        "ar": "عدد القصص يومياً في آخر 30 يوماً",
        "en": "Stories per day over the last 30 days",
    },
    "web_topic_total": {"ar": "في آخر 30 يوماً: {stories}", "en": "Last 30 days: {stories}"},
    "web_chart_day": {"ar": "{day}: {stories}", "en": "{day}: {stories}"},
    "web_latest_stories": {"ar": "أحدث القصص", "en": "Latest stories"},
    "web_no_stories": {"ar": "لا قصص في هذا الموضوع بعد.", "en": "No stories on this topic yet."},
    "web_search": {"ar": "بحث", "en": "Search"},
    "web_search_label": {"ar": "ابحث في الأخبار", "en": "Search the news"},
    "web_not_found_title": {"ar": "الصفحة غير موجودة", "en": "Page not found"},
    "web_not_found": {
        "ar": "لا شيء هنا: ربما تغيّر الرابط، أو أن هذه الصفحة ليست عامة.",
        "en": "Nothing here: the link may have changed, or this page is not public.",
    },
    "web_feed_title": {"ar": "{name} — موجز الأخبار", "en": "{name} — News digest"},
}
