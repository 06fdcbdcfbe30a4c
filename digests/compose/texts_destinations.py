"""The texts of a destination a platform stopped: the admins' notice, its state in
``/destinations``, and for each refusal what happened and what to do (``compose.stopped``).

Data only, merged into ``texts.TEXTS``; same conventions (Arabic and English, ``{name}``
fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digests.compose.texts import Language

__all__ = ["DESTINATION_TEXTS"]

DESTINATION_TEXTS: dict[str, dict[Language, str]] = {
    "stopped_notice": {
        "ar": "توقف النشر في الوجهة «{name}» ({platform}: {chat}): {why}\nما العمل: {todo}\n"
        "ثم أعد تشغيل الخدمة لتُستأنف الوجهة.",
        "en": "Posting to the destination «{name}» ({platform}: {chat}) has stopped: {why}\n"
        "What to do: {todo}\nThen restart the service to resume the destination.",
    },
    "cmd_destination_active": {"ar": "الحالة: تعمل", "en": "State: active"},
    "cmd_destination_stopped": {
        "ar": "الحالة: متوقفة منذ {since}: {why}\nما العمل: {todo} ثم أعد تشغيل الخدمة.",
        "en": "State: stopped since {since}: {why}\nWhat to do: {todo} Then restart the service.",
    },
    # Slack's errors (chat.postMessage)
    "stopped_why_slack_not_in_channel": {
        "ar": "التطبيق ليس عضواً في القناة.",
        "en": "the app is not a member of the channel.",
    },
    "stopped_todo_slack_not_in_channel": {
        "ar": "ادعُ التطبيق إلى القناة: اكتب فيها /invite ثم @ واسم التطبيق.",
        "en": "invite the app to the channel: type /invite in it, then @ and the app's name.",
    },
    "stopped_why_slack_is_archived": {
        "ar": "القناة مؤرشفة.",
        "en": "the channel is archived.",
    },
    "stopped_todo_slack_is_archived": {
        "ar": "أخرج القناة من الأرشيف (Unarchive)، أو انقل الوجهة إلى قناة أخرى في ملف الإعدادات.",
        "en": "unarchive the channel, or move the destination to another channel in the "
        "configuration file.",
    },
    "stopped_why_slack_channel_not_found": {
        "ar": "لم يجد Slack القناة: حُذفت، أو معرّفها خاطئ، أو هي قناة خاصة لم يُدعَ إليها التطبيق.",
        "en": "Slack found no such channel: it was deleted, its id is wrong, or it is a private "
        "channel the app was not invited to.",
    },
    "stopped_todo_slack_channel_not_found": {
        "ar": "تحقق من معرّف القناة (chat) في ملف الإعدادات، وإن كانت خاصة فادعُ التطبيق إليها "
        "(/invite ثم @ واسم التطبيق).",
        "en": "check the channel id (chat) in the configuration file; for a private channel, "
        "invite the app to it (/invite, then @ and the app's name).",
    },
    "stopped_why_slack_account_inactive": {
        "ar": "حساب التطبيق معطّل، أو أُزيل التطبيق من مساحة العمل.",
        "en": "the app's account is deactivated, or the app was removed from the workspace.",
    },
    "stopped_todo_slack_account_inactive": {
        "ar": "ثبّت التطبيق في مساحة العمل من جديد، وضع رمزه الجديد في SLACK_BOT_TOKEN.",
        "en": "install the app in the workspace again and put its new token in SLACK_BOT_TOKEN.",
    },
    "stopped_why_slack_restricted_action": {
        "ar": "إعدادات مساحة العمل لا تسمح للتطبيق بالنشر في هذه القناة.",
        "en": "the workspace's settings do not let the app post in this channel.",
    },
    "stopped_todo_slack_restricted_action": {
        "ar": "اطلب من مسؤولي مساحة العمل أن يسمحوا له بالنشر فيها.",
        "en": "ask the workspace's admins to let it post there.",
    },
    # Telegram's errors (sendMessage)
    "stopped_why_telegram_removed": {
        "ar": "أُخرج البوت من المحادثة، أو لم يعد عضواً فيها.",
        "en": "the bot was removed from the chat, or is no longer a member of it.",
    },
    "stopped_todo_telegram_removed": {
        "ar": "أضف البوت إلى المحادثة من جديد (في القنوات: مشرفاً يستطيع نشر الرسائل).",
        "en": "add the bot to the chat again (to a channel: as an administrator who can post "
        "messages).",
    },
    "stopped_why_telegram_blocked": {
        "ar": "حظر المستخدم البوت.",
        "en": "the user blocked the bot.",
    },
    "stopped_todo_telegram_blocked": {
        "ar": "على المستخدم أن يلغي حظر البوت ويبدأ محادثته من جديد.",
        "en": "the user has to unblock the bot and start it again.",
    },
    "stopped_why_telegram_chat_not_found": {
        "ar": "لم يجد Telegram المحادثة: معرّفها خاطئ، أو حُذفت، أو لم يُضف البوت إليها قط.",
        "en": "Telegram found no such chat: its id is wrong, it was deleted, or the bot was "
        "never added to it.",
    },
    "stopped_todo_telegram_chat_not_found": {
        "ar": "تحقق من معرّف المحادثة (chat) في ملف الإعدادات (معرّف القناة يبدأ بـ -100، أو "
        "اكتب @واسمها)، وأضف البوت إليها.",
        "en": "check the chat id (chat) in the configuration file (a channel's id starts with "
        "-100, or write @ and its name) and add the bot to it.",
    },
    "stopped_why_telegram_thread_not_found": {
        "ar": "موضوع المنتدى (thread) لم يعد موجوداً.",
        "en": "the forum topic (thread) does not exist any more.",
    },
    "stopped_todo_telegram_thread_not_found": {
        "ar": "اجعل thread_id في ملف الإعدادات رقم موضوع موجود، أو احذفه.",
        "en": "set thread_id in the configuration file to an existing topic, or remove it.",
    },
    # anything else a platform answers for good
    "stopped_why_other": {
        "ar": "رفضت المنصة النشر هناك ({error}).",
        "en": "the platform refused to post there ({error}).",
    },
    "stopped_todo_other": {
        "ar": "تحقق من أن البوت ما زال في تلك المحادثة ويستطيع النشر فيها.",
        "en": "check that the bot is still in that chat and may post there.",
    },
}
