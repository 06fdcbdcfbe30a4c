"""Every text a user sees, in Arabic (the default) and English, by key.

Data only; ``compose.i18n.t`` looks a key up and fills its fields. A template's ``{name}``
fields are filled from ``t``'s keyword arguments; a ``{/name}`` field is a chat command,
written as the reader's platform spells it. A new language is one more column.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["TEXTS", "Language"]

Language = Literal["ar", "en"]

# Templates may hold ``{name}`` fields, filled by ``t(key, language, name=value)``.
TEXTS: dict[str, dict[Language, str]] = {
    "digest_title": {"ar": "موجز الأخبار", "en": "News digest"},
    "breaking_title": {"ar": "عاجل", "en": "Breaking news"},
    "no_news": {
        "ar": "لا أخبار جديدة منذ آخر موجز.",
        "en": "No new stories since the last digest.",
    },
    "read_more": {"ar": "التفاصيل", "en": "Read more"},
    "sources": {"ar": "المصادر", "en": "Sources"},
    # rendering (digests/render_*.py)
    "also_in": {"ar": "أيضاً في", "en": "Also in"},
    "and_more": {"ar": "و{count} غيرها", "en": "and {count} more"},
    "follow_topic": {"ar": "تابع {topic}", "en": "Follow {topic}"},
    "list_separator": {"ar": "، ", "en": ", "},
    "other_news": {"ar": "أخبار أخرى", "en": "Other news"},
    "part_of": {"ar": "(الجزء {index} من {total})", "en": "(part {index} of {total})"},
    "related": {"ar": "ذات صلة", "en": "Related"},
    "topic_more": {"ar": "المزيد عن {topic}", "en": "More on {topic}"},
    "unknown_source": {"ar": "مصدر غير معروف", "en": "Unknown source"},
    "untitled": {"ar": "خبر بلا عنوان", "en": "Untitled story"},
    # chat commands (bot/commands.py)
    "cmd_welcome_title": {"ar": "أهلاً بك في موجز الأخبار", "en": "Welcome to News digest"},
    "cmd_welcome": {
        "ar": "أجمع لك الأخبار من مصادر عدة وأختصرها في موجز قصير. تابع المواضيع التي تهمك، "
        "واختر موعداً لموجزك اليومي.",
        "en": "I gather the news from many sources and condense it into a short digest. Follow "
        "the topics you care about and pick a time for your daily digest.",
    },
    "cmd_help_title": {"ar": "الأوامر", "en": "Commands"},
    # One help line per command, in the order of bot/commands/table.py; {/name} is the
    # command as the reader's platform spells it (/follow on Telegram, /news follow on Slack).
    "help_search": {
        "ar": "{/search} كلمات البحث — ابحث في الأخبار",
        "en": "{/search} words — search the news",
    },
    "help_topics": {"ar": "{/topics} — أنشط المواضيع", "en": "{/topics} — the most active topics"},
    "help_follow": {
        "ar": "{/follow} موضوع — تابع موضوعاً (مثلاً: {/follow} إيران)",
        "en": "{/follow} topic — follow a topic (e.g. {/follow} Iran)",
    },
    "help_unfollow": {
        "ar": "{/unfollow} موضوع — ألغِ متابعة موضوع",
        "en": "{/unfollow} topic — stop following a topic",
    },
    "help_mytopics": {
        "ar": "{/mytopics} — المواضيع التي تتابعها",
        "en": "{/mytopics} — the topics you follow",
    },
    "help_digest": {
        "ar": "{/digest} — موجز مواضيعك الآن",
        "en": "{/digest} — a digest of your topics now",
    },
    "help_schedule": {
        "ar": "{/schedule} 08:00 — موعد موجزك اليومي (off لإيقافه)",
        "en": "{/schedule} 08:00 — time of your daily digest (off to stop it)",
    },
    "help_lang": {"ar": "{/lang} en — English", "en": "{/lang} ar — العربية"},
    "help_help": {"ar": "{/help} — هذه القائمة", "en": "{/help} — this list"},
    "help_admin_title": {"ar": "للمشرفين:", "en": "For admins:"},
    "help_addfeed": {
        "ar": "{/addfeed} رابط [اسم] — أضف خلاصة",
        "en": "{/addfeed} url [name] — add a feed",
    },
    "help_removefeed": {
        "ar": "{/removefeed} رقم أو رابط — احذف خلاصة",
        "en": "{/removefeed} id or url — remove a feed",
    },
    "help_pausefeed": {
        "ar": "{/pausefeed} أو {/resumefeed} رقم — أوقف خلاصة أو استأنفها",
        "en": "{/pausefeed} and {/resumefeed} id — pause or resume a feed",
    },
    "help_feeds": {"ar": "{/feeds} — حالة الخلاصات", "en": "{/feeds} — feed health"},
    "help_destinations": {
        "ar": "{/destinations} — وجهات النشر",
        "en": "{/destinations} — where digests go",
    },
    "help_importopml": {
        "ar": "{/importopml} رابط — استورد خلاصات من ملف OPML",
        "en": "{/importopml} url — import feeds from an OPML file",
    },
    "help_exportopml": {
        "ar": "{/exportopml} — الخلاصات بصيغة OPML",
        "en": "{/exportopml} — the feeds as OPML",
    },
    "help_stats": {"ar": "{/stats} — إحصاءات", "en": "{/stats} — statistics"},
    # The Telegram command menu (setMyCommands): one short description per command.
    "menu_start": {"ar": "البداية", "en": "Start"},
    "menu_help": {"ar": "المساعدة", "en": "Help"},
    "menu_search": {"ar": "ابحث في الأخبار", "en": "Search the news"},
    "menu_topics": {"ar": "الموضوعات", "en": "Topics"},
    "menu_follow": {"ar": "تابع موضوعا", "en": "Follow a topic"},
    "menu_unfollow": {"ar": "ألغ متابعة موضوع", "en": "Stop following a topic"},
    "menu_mytopics": {"ar": "موضوعاتي", "en": "My topics"},
    "menu_digest": {"ar": "موجز موضوعاتي الآن", "en": "My digest now"},
    "menu_schedule": {"ar": "موعد موجزي اليومي", "en": "Time of my daily digest"},
    "menu_lang": {"ar": "اللغة (ar/en)", "en": "Language (ar/en)"},
    "menu_addfeed": {"ar": "أضف مصدرا", "en": "Add a feed"},
    "menu_removefeed": {"ar": "احذف مصدرا", "en": "Remove a feed"},
    "menu_feeds": {"ar": "المصادر وحالتها", "en": "Feeds and their health"},
    "menu_pausefeed": {"ar": "أوقف مصدرا مؤقتا", "en": "Pause a feed"},
    "menu_resumefeed": {"ar": "استأنف مصدرا", "en": "Resume a feed"},
    "menu_destinations": {"ar": "الوجهات", "en": "Destinations"},
    "menu_stats": {"ar": "إحصاءات", "en": "Statistics"},
    "menu_importopml": {"ar": "استورد مصادر من OPML", "en": "Import feeds from OPML"},
    "menu_exportopml": {"ar": "المصادر بصيغة OPML", "en": "The feeds as OPML"},
    "cmd_unknown": {
        "ar": "لا أعرف الأمر {command}. اكتب {/help} لترى الأوامر.",
        "en": "I don't know the command {command}. Send {/help} to see the commands.",
    },
    "cmd_button_expired": {
        "ar": "انتهت صلاحية هذا الزر. أعد المحاولة بالأمر من جديد.",
        "en": "This button has expired. Please send the command again.",
    },
    "cmd_admin_only": {
        "ar": "عذراً، هذا الأمر للمشرفين فقط.",
        "en": "Sorry, this command is for admins only.",
    },
    # search
    "cmd_search_empty": {
        "ar": "اكتب ما تبحث عنه بعد الأمر، مثلاً: {/search} إيران",
        "en": "Write what to search for after the command, e.g. {/search} Iran",
    },
    "cmd_search_stopwords": {
        "ar": "كلمات البحث شائعة جداً (مثل «في» و«من»). أضف كلمة مميزة، مثلاً اسم بلد أو شخص.",
        "en": "Those words are too common to search for (like «in» or «from»). Add a distinctive "
        "word, such as the name of a country or a person.",
    },
    "cmd_search_too_long": {
        "ar": "نص البحث طويل جداً؛ الحد {max} حرف. اختصره إلى كلمات قليلة.",
        "en": "The search is too long; at most {max} characters. Use a few words.",
    },
    "cmd_search_none": {
        "ar": "لا نتائج عن «{query}». جرّب كلمة أخرى أو صيغة أقصر.",
        "en": "No results for «{query}». Try another word or a shorter phrase.",
    },
    "cmd_search_past_end": {
        "ar": "لا مزيد من النتائج عن «{query}».",
        "en": "No more results for «{query}».",
    },
    "cmd_search_header": {
        "ar": "نتائج البحث عن «{query}»: {total} (الصفحة {page} من {pages})",
        "en": "Results for «{query}»: {total} (page {page} of {pages})",
    },
    "cmd_search_header_more": {
        "ar": "نتائج البحث عن «{query}»: أكثر من {total} (الصفحة {page} من {pages})",
        "en": "Results for «{query}»: more than {total} (page {page} of {pages})",
    },
    "cmd_search_broadened": {
        "ar": "لا خبر يجمع كل الكلمات؛ هذه أخبار فيها بعضها.",
        "en": "No story has every word; these have some of them.",
    },
    "cmd_more": {"ar": "المزيد", "en": "More"},
    "cmd_previous": {"ar": "السابق", "en": "Previous"},
    # topics and follows
    "cmd_topics_title": {"ar": "أنشط المواضيع", "en": "The most active topics"},
    "cmd_topics_hint": {
        "ar": "تابع موضوعاً بالزر أو بالأمر {/follow} واسمه.",
        "en": "Follow a topic with its button or with {/follow} and its name.",
    },
    "cmd_topics_none": {
        "ar": "لا مواضيع فيها أخبار بعد. جرّب لاحقاً، أو تابع موضوعاً باسمه: {/follow} إيران",
        "en": "No topic has stories yet. Try later, or follow a topic by name: {/follow} Iran",
    },
    "cmd_follow_usage": {
        "ar": "اكتب اسم الموضوع بعد الأمر، مثلاً: {/follow} إيران — أو اختر من {/topics}",
        "en": "Write the topic's name after the command, e.g. {/follow} Iran — or pick from "
        "{/topics}",
    },
    "cmd_unfollow_usage": {
        "ar": "اكتب اسم الموضوع بعد الأمر، مثلاً: {/unfollow} إيران — مواضيعك في {/mytopics}",
        "en": "Write the topic's name after the command, e.g. {/unfollow} Iran — yours are in "
        "{/mytopics}",
    },
    "cmd_followed": {
        "ar": "تتابع الآن «{topic}»؛ ستصلك أخباره في موجزك.",
        "en": "You now follow «{topic}»; its stories will be in your digest.",
    },
    "cmd_followed_schedule_hint": {
        "ar": "ليصلك موجزك كل يوم اختر موعده، مثلاً: {/schedule} 08:00 — أو اطلبه الآن: {/digest}",
        "en": "To get your digest every day pick a time, e.g. {/schedule} 08:00 — or ask for it "
        "now: {/digest}",
    },
    "cmd_already_following": {
        "ar": "أنت تتابع «{topic}» من قبل.",
        "en": "You already follow «{topic}».",
    },
    "cmd_unfollowed": {
        "ar": "ألغيت متابعة «{topic}».",
        "en": "You no longer follow «{topic}».",
    },
    "cmd_not_following": {
        "ar": "أنت لا تتابع «{topic}». مواضيعك في {/mytopics}",
        "en": "You don't follow «{topic}». Yours are in {/mytopics}",
    },
    "cmd_topic_unknown": {
        "ar": "لم أجد موضوعاً باسم «{topic}». اختر من {/topics} أو جرّب اسماً آخر.",
        "en": "I found no topic called «{topic}». Pick one from {/topics} or try another name.",
    },
    "cmd_topic_ambiguous": {
        "ar": "«{topic}» قد يعني أكثر من موضوع: {names}. اختر واحداً:",
        "en": "«{topic}» may mean more than one topic: {names}. Pick one:",
    },
    "cmd_did_you_mean": {
        "ar": "لم أجد «{topic}» بالضبط. هل تقصد: {names}؟",
        "en": "I found no «{topic}» exactly. Did you mean: {names}?",
    },
    "cmd_unfollow_button": {"ar": "إلغاء متابعة {topic}", "en": "Unfollow {topic}"},
    "cmd_mytopics_title": {"ar": "المواضيع التي تتابعها", "en": "The topics you follow"},
    "cmd_mytopics_none": {
        "ar": "لا تتابع أي موضوع بعد. اختر من {/topics} أو اكتب مثلاً: {/follow} إيران",
        "en": "You don't follow any topic yet. Pick from {/topics} or send e.g. {/follow} Iran",
    },
    "cmd_latest_title": {"ar": "آخر أخبار {topic}", "en": "Latest on {topic}"},
    "cmd_latest_none": {
        "ar": "لا أخبار عن «{topic}» في الأيام الثلاثة الأخيرة.",
        "en": "No stories on «{topic}» in the last three days.",
    },
    # personal digest and schedule
    "cmd_digest_no_topics": {
        "ar": "موجزك يضم المواضيع التي تتابعها، ولا تتابع أياً بعد. اختر من {/topics}",
        "en": "Your digest is made of the topics you follow, and you follow none yet. "
        "Pick from {/topics}",
    },
    "cmd_digest_empty": {
        "ar": "لا أخبار جديدة في مواضيعك منذ آخر موجز.",
        "en": "No new stories on your topics since your last digest.",
    },
    "cmd_schedule_usage": {
        "ar": "اكتب الموعد بصيغة ساعة:دقيقة، ومعه المنطقة الزمنية إن شئت، مثلاً:\n"
        "{/schedule} 08:00\n{/schedule} 20:30 Africa/Cairo\n{/schedule} off لإيقاف الموجز اليومي",
        "en": "Write the time as hour:minute, with a time zone if you like, e.g.\n"
        "{/schedule} 08:00\n{/schedule} 20:30 Europe/London\n"
        "{/schedule} off to stop the daily digest",
    },
    "cmd_schedule_bad_time": {
        "ar": "«{value}» ليس وقتاً صحيحاً؛ اكتب الساعة من 00:00 إلى 23:59.",
        "en": "«{value}» is not a valid time; write it from 00:00 to 23:59.",
    },
    "cmd_schedule_bad_zone": {
        "ar": "لا أعرف المنطقة الزمنية «{value}». اكتبها كما في قائمة IANA، مثل Asia/Riyadh أو "
        "Africa/Cairo أو UTC.",
        "en": "I don't know the time zone «{value}». Write an IANA name such as Asia/Riyadh, "
        "Europe/London or UTC.",
    },
    "cmd_schedule_set": {
        "ar": "سيصلك موجزك كل يوم الساعة {time} بتوقيت {timezone}.",
        "en": "Your digest will arrive every day at {time} ({timezone} time).",
    },
    "cmd_schedule_off": {
        "ar": "أوقفت موجزك اليومي. يمكنك طلبه متى شئت: {/digest}",
        "en": "Your daily digest is off. Ask for it any time: {/digest}",
    },
    "cmd_schedule_none": {
        "ar": "لا موعد لموجزك اليومي.",
        "en": "Your daily digest has no time set.",
    },
    "cmd_schedule_current": {
        "ar": "موجزك اليومي الساعة {time} بتوقيت {timezone}.",
        "en": "Your daily digest comes at {time} ({timezone} time).",
    },
    "cmd_schedule_no_topics": {
        "ar": "لن يصلك شيء قبل أن تتابع موضوعاً: اختر من {/topics}",
        "en": "Nothing will arrive until you follow a topic: pick from {/topics}",
    },
    "cmd_lang_set": {"ar": "ستصلك الردود بالعربية.", "en": "Replies will be in English."},
    "cmd_lang_current": {
        "ar": "ردودي بالعربية. للإنجليزية: {/lang} en",
        "en": "I reply in English. For Arabic: {/lang} ar",
    },
    "cmd_lang_usage": {
        "ar": "اللغات المتاحة: ar (العربية) و en (English)، مثلاً: {/lang} en",
        "en": "Available languages: ar (العربية) and en (English), e.g. {/lang} ar",
    },
    # admin: feeds
    "cmd_addfeed_usage": {
        "ar": "اكتب رابط الخلاصة كاملاً بعد الأمر، مثلاً: {/addfeed} https://example.com/rss",
        "en": "Write the feed's full URL after the command, e.g. {/addfeed} https://example.com/rss",
    },
    "cmd_addfeed_private": {
        "ar": "لا أضيف خلاصات من عناوين داخلية أو خاصة ({host}).",
        "en": "I don't add feeds from internal or private addresses ({host}).",
    },
    "cmd_addfeed_not_feed": {
        "ar": "هذا الرابط لا يعيد خلاصة RSS أو Atom. ابحث في الموقع عن رابط الخلاصة.",
        "en": "That URL does not return an RSS or Atom feed. Look for the feed's link on the site.",
    },
    "cmd_addfeed_done": {
        "ar": "أضفت الخلاصة «{name}» (رقم {id}). عنوانها: {title}، وفيها الآن {items}. "
        "ستُجلب في الجولة التالية.",
        "en": "Added the feed «{name}» (id {id}). Its title: {title}; it has {items} now. "
        "It will be polled on the next round.",
    },
    "cmd_addfeed_malformed": {
        "ar": "تنبيه: في الخلاصة أخطاء في الصياغة، وقد تُقرأ بعض عناصرها ناقصة.",
        "en": "Note: the feed is malformed; some of its items may be read incompletely.",
    },
    "cmd_feed_exists": {
        "ar": "هذه الخلاصة موجودة من قبل: «{name}» (رقم {id}).",
        "en": "That feed is already there: «{name}» (id {id}).",
    },
    "cmd_feed_exists_url": {
        "ar": "هذه الخلاصة موجودة من قبل. اعرض الخلاصات: {/feeds}",
        "en": "That feed is already there. See the feeds: {/feeds}",
    },
    "cmd_feed_not_found": {
        "ar": "لم أجد خلاصة «{feed}». اكتب رقمها أو رابطها أو اسمها كما في {/feeds}",
        "en": "I found no feed «{feed}». Give its id, URL or name as {/feeds} shows them",
    },
    "cmd_removefeed_done": {
        "ar": "حذفت الخلاصة «{name}» (رقم {id}). تبقى أخبارها المحفوظة في البحث.",
        "en": "Removed the feed «{name}» (id {id}). Its stored stories stay searchable.",
    },
    "cmd_removefeed_config": {
        "ar": "الخلاصة «{name}» من ملف الإعدادات: احذفها منه، أو أوقفها بالأمر {/pausefeed}",
        "en": "The feed «{name}» comes from the configuration file: remove it there, or pause "
        "it with {/pausefeed}",
    },
    "cmd_pausefeed_done": {
        "ar": "أوقفت جلب الخلاصة «{name}» (رقم {id}). لاستئنافها: {/resumefeed} {id}",
        "en": "Paused the feed «{name}» (id {id}). To resume it: {/resumefeed} {id}",
    },
    "cmd_resumefeed_done": {
        "ar": "استأنفت جلب الخلاصة «{name}» (رقم {id})؛ ستُجلب الآن.",
        "en": "Resumed the feed «{name}» (id {id}); it will be polled now.",
    },
    "cmd_feeds_title": {
        "ar": "الخلاصات: {count} (متعثرة: {failing})",
        "en": "Feeds: {count} (failing: {failing})",
    },
    "cmd_feeds_none": {
        "ar": "لا خلاصات بعد. أضف واحدة: {/addfeed} رابط",
        "en": "No feeds yet. Add one: {/addfeed} url",
    },
    "cmd_feed_state": {"ar": "الحالة: {state}", "en": "State: {state}"},
    "cmd_feed_ok": {"ar": "تعمل", "en": "working"},
    "cmd_feed_warning": {"ar": "تعمل مع تحذير", "en": "working, with a warning"},
    "cmd_feed_paused": {"ar": "موقوفة", "en": "paused"},
    "cmd_feed_failing": {
        "ar": "متعثرة ({count} أخطاء متتالية)",
        "en": "failing ({count} errors in a row)",
    },
    "cmd_feed_last_success": {"ar": "آخر جلب ناجح: {when}", "en": "Last success: {when}"},
    "cmd_feed_last_error": {"ar": "آخر خطأ: {error}", "en": "Last error: {error}"},
    "cmd_feed_problem": {"ar": "المشكلة: {problem}", "en": "Problem: {problem}"},
    "cmd_feed_next_check": {"ar": "الجلب التالي: {when}", "en": "Next check: {when}"},
    "cmd_feed_due_now": {"ar": "الآن", "en": "now"},
    "feed_error_http": {
        "ar": "أجاب الخادم بالرمز HTTP {status}؛ لا يمكن استخدام هذا الرابط.",
        "en": "The server answered HTTP {status}; that URL cannot be used.",
    },
    "feed_error_timeout": {
        "ar": "لم يُجب الخادم في الوقت المحدد. جرّب لاحقاً.",
        "en": "The server did not answer in time. Try again later.",
    },
    "feed_error_dns": {
        "ar": "لم أجد هذا النطاق. تحقق من كتابة الرابط.",
        "en": "That domain could not be found. Check the URL.",
    },
    "feed_error_connect": {
        "ar": "تعذّر الاتصال بالخادم.",
        "en": "Could not connect to the server.",
    },
    "feed_error_too_large": {
        "ar": "الخلاصة أكبر من الحد المسموح.",
        "en": "The feed is larger than the allowed size.",
    },
    "feed_error_invalid_url": {
        "ar": "هذا ليس رابط http أو https صحيحاً.",
        "en": "That is not a valid http or https URL.",
    },
    "feed_error_other": {
        "ar": "تعذّر جلب الخلاصة: {detail}",
        "en": "The feed could not be fetched: {detail}",
    },
    # admin: destinations and stats
    "cmd_destinations_title": {"ar": "وجهات النشر", "en": "Destinations"},
    "cmd_destinations_none": {
        "ar": "لا وجهات نشر في ملف الإعدادات.",
        "en": "No destinations in the configuration file.",
    },
    "cmd_destination_line": {
        "ar": "المنصة: {platform} · الجدول: {schedule} ({timezone}) · المواضيع: {topics} · "
        "اللغة: {lang_code}",
        "en": "Platform: {platform} · schedule: {schedule} ({timezone}) · topics: {topics} · "
        "language: {lang_code}",
    },
    "cmd_all_topics": {"ar": "كل المواضيع", "en": "every topic"},
    "cmd_stats_title": {"ar": "إحصاءات", "en": "Statistics"},
    "cmd_stats_feeds": {
        "ar": "الخلاصات: {count} (موقوفة {paused}، متعثرة {failing})",
        "en": "Feeds: {count} ({paused} paused, {failing} failing)",
    },
    "cmd_stats_articles": {
        "ar": "الأخبار المحفوظة: {count} (اليوم {today})",
        "en": "Stored articles: {count} ({today} today)",
    },
    "cmd_stats_stories": {"ar": "قصص اليوم: {count}", "en": "Stories today: {count}"},
    "cmd_stats_subscribers": {
        "ar": "المشتركون: {count} (نشطون {active})",
        "en": "Subscribers: {count} ({active} active)",
    },
    "cmd_stats_topics": {
        "ar": "المواضيع: {taxonomy} من التصنيف و{keyphrases} عبارة مكتشفة",
        "en": "Topics: {taxonomy} in the taxonomy, {keyphrases} found keyphrases",
    },
    # feed health (digests/feedhealth.py) and OPML (bot/commands.py)
    "health_title": {"ar": "حالة المصادر:", "en": "Feed health:"},
    "health_failing": {
        "ar": "المصدر {name} (رقم {id}) يتعطل منذ {since}: آخر خطأ {error}",
        "en": "The feed {name} (id {id}) has been failing for {since}: last error {error}",
    },
    "health_recovered": {
        "ar": "عاد المصدر {name} (رقم {id}) إلى العمل",
        "en": "The feed {name} (id {id}) works again",
    },
    "cmd_importopml_usage": {
        "ar": "اكتب رابط ملف OPML كاملاً بعد الأمر، مثلاً: {/importopml} https://example.com/feeds.opml",
        "en": "Write the OPML file's full URL after the command, "
        "e.g. {/importopml} https://example.com/feeds.opml",
    },
    "cmd_importopml_not_opml": {
        "ar": "لم أستطع قراءة هذا الملف على أنه OPML: {reason}",
        "en": "I could not read that file as OPML: {reason}",
    },
    "cmd_importopml_done": {
        "ar": "استيراد OPML: أضفت {added}، وكانت {present} موجودة من قبل، ورفضت {refused}.",
        "en": "OPML import: added {added}, {present} already present, {refused} refused.",
    },
    "cmd_importopml_added": {"ar": "أضيفت:", "en": "Added:"},
    "cmd_importopml_refused": {"ar": "رُفضت:", "en": "Refused:"},
    "cmd_importopml_too_many": {
        "ar": "في الملف {count} مصدراً، والحد {limit}. استخدم الأمر newsdigest feeds import.",
        "en": "The file lists {count} feeds; the limit is {limit}. "
        "Use the command newsdigest feeds import.",
    },
    "cmd_exportopml_title": {
        "ar": "المصادر بصيغة OPML ({count}):",
        "en": "The feeds as OPML ({count}):",
    },
    "cmd_exportopml_too_long": {
        "ar": "المصادر ({count}) أكثر من أن تُرسل في رسالة. استخدم الأمر newsdigest feeds export.",
        "en": "There are too many feeds ({count}) for one message. "
        "Use the command newsdigest feeds export.",
    },
    "opml_refused_private": {"ar": "عنوان داخلي أو خاص", "en": "internal or private address"},
    "opml_refused_scheme": {"ar": "ليس رابط http(s)", "en": "not an http(s) URL"},
    "opml_refused_twice": {"ar": "مكرر في الملف", "en": "listed twice in the file"},
    "opml_refused_dns": {"ar": "لا يُعرف عنوان الخادم", "en": "the host name does not resolve"},
}

# Keyword alerts: the /alert command and the alert messages (texts_alerts.py).
from digests.compose.texts_alerts import ALERT_TEXTS  # noqa: E402

TEXTS.update(ALERT_TEXTS)

# The web archive and the archive link of chat digests (texts_web.py).
from digests.compose.texts_web import WEB_TEXTS  # noqa: E402

TEXTS.update(WEB_TEXTS)

# A destination a platform stopped: the notice, its state, what to do (texts_destinations.py).
from digests.compose.texts_destinations import DESTINATION_TEXTS  # noqa: E402

TEXTS.update(DESTINATION_TEXTS)
