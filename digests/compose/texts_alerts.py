"""The texts of keyword alerts: the ``/alert`` command's replies and the alert messages.

Data only, merged into ``compose.texts.TEXTS`` (same conventions: ``{name}`` fields,
``{/name}`` commands spelt per platform).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digests.compose.texts import Language

__all__ = ["ALERT_TEXTS"]

ALERT_TEXTS: dict[str, dict[Language, str]] = {
    "alert_title": {"ar": "🔔 تنبيهاتك", "en": "🔔 Your alerts"},
    "alert_held": {
        "ar": "بلغت تنبيهاتك حدها لهذه الساعة؛ أخبار أخرى طابقتها ولن تُرسل: {count} (ابحث"
        " عنها بـ {/search})",
        "en": "your alerts reached this hour's limit; more matching stories will not be sent:"
        " {count} (find them with {/search})",
    },
    "help_alert": {
        "ar": "{/alert} كلمات — نبّهني بكل خبر جديد فيه هذه الكلمات ({/alert} وحده: تنبيهاتك)",
        "en": "{/alert} words — tell me of every new story with these words ({/alert} alone:"
        " your alerts)",
    },
    "menu_alert": {"ar": "تنبيهات بكلمات", "en": "Keyword alerts"},
    "cmd_alert_added": {
        "ar": "سيصلك كل خبر جديد يطابق «{rule}» (حتى {per_hour} في الساعة).",
        "en": "You will get every new story that matches «{rule}» (up to {per_hour} an hour).",
    },
    "cmd_alert_exists": {
        "ar": "لديك تنبيه «{rule}» من قبل.",
        "en": "You already have the alert «{rule}».",
    },
    "cmd_alert_full": {
        "ar": "لديك {count} تنبيهات، وهذا الحد. احذف واحداً أولاً، مثلاً: {/alert} حذف 1",
        "en": "You have {count} alerts, the most allowed. Remove one first, e.g. {/alert} remove 1",
    },
    "cmd_alert_list_title": {
        "ar": "تنبيهاتك ({count} من {limit}):",
        "en": "Your alerts ({count} of {limit}):",
    },
    "cmd_alert_list_how": {
        "ar": "احذف تنبيهاً برقمه: {/alert} حذف 2 — أو كلها: {/alert} حذف الكل",
        "en": "Remove an alert by its number: {/alert} remove 2 — or all: {/alert} remove all",
    },
    "cmd_alert_none": {
        "ar": "ليست لديك تنبيهات. أضف واحداً، مثلاً: {/alert} إيران -كرة\nكل الكلمات يجب أن"
        " تكون في الخبر؛ ضع العبارة بين علامتي تنصيص «مجلس الأمن»؛ والكلمة بعد - تستبعد"
        " الخبر.",
        "en": "You have no alerts. Add one, e.g. {/alert} Iran -football\nEvery word must be in"
        ' the story; put a phrase in quotes "Security Council"; a word after - rules a story'
        " out.",
    },
    "cmd_alert_removed": {
        "ar": "حُذف التنبيه «{rule}».",
        "en": "Removed the alert «{rule}».",
    },
    "cmd_alert_removed_all": {
        "ar": "حُذفت تنبيهاتك كلها ({count}).",
        "en": "Removed all your alerts ({count}).",
    },
    "cmd_alert_no_number": {
        "ar": "لا تنبيه بالرقم {number}. تنبيهاتك مرقمة في {/alert}",
        "en": "There is no alert number {number}. Your alerts are numbered in {/alert}",
    },
    "cmd_alert_remove_usage": {
        "ar": "اكتب رقم التنبيه بعد «حذف»، مثلاً: {/alert} حذف 1",
        "en": "Write the alert's number after «remove», e.g. {/alert} remove 1",
    },
    "cmd_alert_empty": {
        "ar": "لم أجد كلمة أبحث عنها: الكلمات الشائعة مثل «في» و«من» لا تُحسب. مثلاً: {/alert}"
        " السودان «وقف إطلاق النار»",
        "en": 'There is no word to look for: common words such as "in" or "from" do not count.'
        ' E.g. {/alert} Sudan "ceasefire"',
    },
    "cmd_alert_only_excluded": {
        "ar": "التنبيه يحتاج كلمة يبحث عنها، لا كلمات مستبعدة (بعد -) فقط. مثلاً: {/alert}"
        " إيران -كرة",
        "en": "An alert needs a word to look for, not only words after -. E.g. {/alert} Iran"
        " -football",
    },
    "cmd_alert_too_long": {
        "ar": "التنبيه أطول من {max} حرفاً. اختصره.",
        "en": "The alert is longer than {max} characters. Make it shorter.",
    },
    "cmd_alert_too_many": {
        "ar": "في التنبيه أكثر من {max} كلمات أو عبارات. اختصره أو قسّمه تنبيهين.",
        "en": "The alert has more than {max} words or phrases. Shorten it or make two alerts.",
    },
}
