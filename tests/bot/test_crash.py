"""Prove the outbox: the real bot process, killed mid-digest, loses nothing and repeats nothing.

The bot runs as a subprocess (``python -m bot.cli --config X run``) against the fake Telegram
Bot API and the fake Slack, which live in threads of *this* process and keep running while the
bot is killed. Three destinations get one big digest each (``digest_on_start``): a Telegram
channel, a Slack channel and a Telegram private chat (a subscriber: positive user id). The
expected parts are read from the outbox table itself (its payloads, by id), so the tests check
exactly what was rendered, in the rendered order, against what each fake received.

* ``test_sigkill_mid_digest_loses_nothing``: SIGKILL while parts are going out, restart, every
  part arrives, in order, exactly once -- except at most one duplicate per chat when the kill
  landed between the platform's accept and the outbox's ``mark_sent`` (the outbox is documented
  at-least-once); the test detects that window from the outbox and the fakes, it never guesses.
* ``test_sigterm_mid_digest_exits_cleanly_and_resumes``: SIGTERM while sending exits 0 within
  ``[delivery] shutdown_grace_seconds`` plus a margin, leaves nothing leased, and a restart
  delivers the rest, again exactly once and in order.

Fakes' limits: the fake Telegram's 20/min per channel window is turned off, because the bot's
own rate limiter lives in memory and starts empty after a restart (the real server would answer
429 with ``retry_after`` and the bot would wait: correct, but ~a minute). The per-private-chat
1/s and Slack's 1/s per channel stay on.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram, RateLimits
from tests.support.feedserver import FeedServer
from tests.support.fixtures import Story, rss

pytestmark = pytest.mark.slow  # a real process per instance: `make test-fast` skips it

ROOT = Path(__file__).parents[2]
TAXONOMY = ROOT / "config" / "topics.toml"
CHANNEL, SUBSCRIBER, SLACK_CHANNEL = -1001234567890, 424242, "C0NEWS01"
GRACE = 4.0  # [delivery] shutdown_grace_seconds
EXIT_MARGIN = 6.0  # adapters stopping, the process exiting
SHUTDOWN_MARGIN = 3.0  # past the grace: closing connections, the process exiting

# ----------------------------------------------------------------------------- stories

# Original text written for these tests: sentences assembled from parts (who, what, where,
# how much, why) so that every story is distinct and long, with mixed digits and decimals.
_CITIES = (
    "الرياض",
    "القاهرة",
    "عمّان",
    "الرباط",
    "تونس",
    "بيروت",
    "الدوحة",
    "مسقط",
    "الكويت",
    "المنامة",
    "الجزائر",
    "بغداد",
    "الخرطوم",
    "نواكشوط",
    "طرابلس",
    "دمشق",
    "صنعاء",
    "أبوظبي",
    "جدة",
    "الإسكندرية",
    "مراكش",
    "صفاقس",
    "إربد",
    "الموصل",
    "وهران",
    "بنغازي",
    "طنجة",
)
_SECTORS = (
    (
        "مشروع لتحلية مياه البحر",
        "وزارة المياه",
        "محطة التحلية",
        "ألف متر مكعب يوميا",
        "سد العجز في مياه الشرب خلال أشهر الصيف",
    ),
    (
        "خطة لتوسيع شبكة القطارات",
        "هيئة النقل",
        "الخط الحديدي الجديد",
        "كيلومترا من السكك",
        "تخفيف الازدحام على الطرق السريعة بين المدن",
    ),
    (
        "برنامج لدعم المزارعين",
        "وزارة الزراعة",
        "القروض الميسرة",
        "هكتارا من الأراضي",
        "رفع إنتاج القمح وتقليص الاعتماد على الاستيراد",
    ),
    (
        "حملة وطنية للتطعيم",
        "وزارة الصحة",
        "المراكز الصحية المتنقلة",
        "ألف جرعة",
        "الحد من انتشار الحصبة بين الأطفال في القرى",
    ),
    (
        "مهرجان للكتاب والفنون",
        "وزارة الثقافة",
        "معرض الكتاب",
        "دار نشر",
        "تشجيع القراءة بين الشباب ودعم الناشرين المحليين",
    ),
    (
        "محطة جديدة للطاقة الشمسية",
        "شركة الكهرباء",
        "الألواح الشمسية",
        "ميغاواط",
        "خفض استهلاك الوقود في توليد الكهرباء",
    ),
    (
        "إصلاح لمناهج التعليم",
        "وزارة التربية",
        "المدارس الحكومية",
        "مدرسة",
        "تحسين مهارات الطلاب في الرياضيات والعلوم",
    ),
    (
        "مشروع إسكان للشباب",
        "صندوق الإسكان",
        "الوحدات السكنية",
        "وحدة سكنية",
        "تلبية الطلب المتزايد على المساكن بأسعار معقولة",
    ),
    (
        "ميناء تجاري موسع",
        "سلطة الموانئ",
        "أرصفة الحاويات",
        "ألف حاوية سنويا",
        "جذب خطوط الشحن الدولية وزيادة الصادرات",
    ),
    (
        "شبكة ألياف ضوئية",
        "هيئة الاتصالات",
        "الإنترنت فائق السرعة",
        "ألف منزل",
        "سد الفجوة الرقمية بين المدن والأرياف",
    ),
    (
        "خطة لحماية الغابات",
        "وكالة البيئة",
        "فرق الإطفاء",
        "ألف شجرة",
        "مواجهة الحرائق التي تتكرر مع موجات الحر",
    ),
    (
        "مستشفى جامعي جديد",
        "جامعة الطب",
        "أقسام الطوارئ",
        "سريرا",
        "تقليص قوائم الانتظار للعمليات الجراحية",
    ),
    (
        "برنامج لتمويل الشركات الناشئة",
        "البنك المركزي",
        "صندوق الابتكار",
        "مليون دولار",
        "توفير فرص عمل للخريجين في قطاع التقنية",
    ),
    (
        "مشروع لترميم المدينة القديمة",
        "دائرة الآثار",
        "الأسواق التاريخية",
        "مبنى أثريا",
        "إحياء السياحة الثقافية وحماية التراث المعماري",
    ),
    (
        "سباق دولي للدراجات",
        "اتحاد الدراجات",
        "المرحلة الجبلية",
        "دراجا",
        "الترويج للرياضة والسياحة في المناطق الداخلية",
    ),
)
_OFFICIALS = (
    "الوزير",
    "المتحدث الرسمي",
    "رئيس البلدية",
    "المدير العام",
    "نائب المحافظ",
    "رئيس اللجنة البرلمانية",
    "الخبير الاقتصادي",
    "ممثل النقابة",
)
_WHEN = (
    "يوم الأحد",
    "صباح الاثنين",
    "مساء الثلاثاء",
    "يوم الأربعاء",
    "فجر الخميس",
    "ظهر الجمعة",
    "مساء السبت",
)
_VERBS = ("تطلق", "تعلن", "تدشن", "تقر", "تبدأ تنفيذ", "توقع اتفاقا بشأن", "تعتمد")
_WHERE = (
    "في الأحياء الشرقية",
    "بتمويل من صندوق عربي",
    "بشراكة مع القطاع الخاص",
    "قرب المطار",
    "على الساحل الشمالي",
    "في المناطق الريفية",
    "بدعم من البنك الدولي",
    "وسط المدينة",
    "بمشاركة الجامعات",
    "في الضواحي الجنوبية",
    "بمساهمة المغتربين",
)
_FIRST = (
    "سامي",
    "ليلى",
    "خالد",
    "منى",
    "يوسف",
    "هدى",
    "عمر",
    "ريم",
    "طارق",
    "سلمى",
    "نبيل",
    "دينا",
    "كريم",
)
_LAST = (
    "الحداد",
    "العمري",
    "بن علي",
    "الزعبي",
    "المنصوري",
    "الشريف",
    "الكبيسي",
    "التميمي",
    "الفاسي",
    "السويدي",
    "الخطيب",
    "النجار",
    "القاسمي",
    "البناء",
    "الراشد",
    "الدباغ",
    "الحلبي",
)


def make_story(index: int) -> Story:
    """One long, distinct story: a headline and seven sentences of 250-300 characters.

    Its parts are picked with co-prime strides, so two stories share a city, a sector, a verb
    or a setting only by chance and rarely more than one of them: the bot's same-story
    clustering (TF-IDF over title and lead) keeps every story apart."""
    rng = random.Random(index)
    city = _CITIES[index % len(_CITIES)]
    subject, body, thing, unit, aim = _SECTORS[index % len(_SECTORS)]
    verb = _VERBS[index % len(_VERBS)]
    where = _WHERE[(index * 3) % len(_WHERE)]
    person = f"{_FIRST[(index * 5) % len(_FIRST)]} {_LAST[(index * 2) % len(_LAST)]}"
    other = _CITIES[(index * 7 + 3) % len(_CITIES)]
    official, second = rng.sample(_OFFICIALS, 2)
    when = _WHEN[index % len(_WHEN)]
    amount, months = rng.randint(12, 950), rng.randint(6, 48)
    share = rng.randint(3, 60) + rng.randint(1, 9) / 10
    budget, year = rng.randint(2, 90) * 10, 2026 + rng.randint(1, 4)
    title = f"{city} {verb} {subject} {where}"
    paragraphs = (
        f"قال {person}، {official} في {city}، {when} إن {body} {verb} "
        f"{subject} {where} بكلفة تبلغ {budget} مليون دولار، في خطوة تهدف إلى {aim} خلال "
        f"السنوات الخمس المقبلة، وفق بيان وزع على وسائل الإعلام المحلية.",
        f"وأضاف {person} في مؤتمر صحفي عقده في مقر الحكومة المحلية أن المرحلة الأولى تشمل "
        f"{amount} {unit}، وأن الأعمال ستبدأ خلال {months} شهرا بعد استكمال الدراسات الفنية "
        f"وطرح المناقصات على الشركات المحلية والأجنبية المؤهلة.",
        f"وأوضح أن {thing} ستخدم نحو {share}% من السكان في المنطقة، وأن التمويل يأتي من "
        f"الموازنة العامة وقروض ميسرة من صناديق التنمية العربية والدولية، مع مراجعة مستقلة "
        f"للحسابات كل ستة أشهر ونشر نتائجها على موقع الوزارة.",
        f"ورحب سكان {city} بالإعلان، لكن بعضهم عبر عن قلقه من تأخر المشاريع السابقة، "
        f"مطالبين بنشر جدول زمني واضح ومتابعة دورية لسير العمل أمام الرأي العام، وبإشراك "
        f"المجالس البلدية المنتخبة في اختيار المواقع وتحديد الأولويات.",
        f"من جهته، أشار {second} إلى أن تجربة مماثلة في {other} حققت نتائج مشجعة، إذ "
        f"ارتفعت المؤشرات بنسبة {rng.randint(5, 40)}% خلال العامين الأولين من التشغيل، "
        f"داعيا إلى الاستفادة من دروسها في التخطيط والتنفيذ وتدريب الكوادر المحلية.",
        f"وينتظر أن يعرض المشروع على مجلس الوزراء للمصادقة النهائية قبل نهاية الربع "
        f"الحالي، على أن يكتمل تنفيذه بالكامل بحلول عام {year} وفق التقديرات الرسمية، "
        f"في حين يتوقع خبراء أن ترتفع الكلفة إذا استمر ارتفاع أسعار مواد البناء.",
        f"ويأتي الإعلان في وقت تسعى فيه الحكومة إلى تنويع مصادر الدخل وجذب الاستثمارات "
        f"الخاصة، بعد تراجع النمو إلى {rng.randint(1, 4)}.{rng.randint(0, 9)}% العام الماضي، "
        f"وارتفاع معدلات البطالة بين الشباب في المدن المتوسطة والصغيرة.",
    )
    return Story(f"story-{index + 1:03d}", title, paragraphs)


def make_stories(count: int) -> tuple[Story, ...]:
    return tuple(make_story(i) for i in range(count))


# ----------------------------------------------------------------------------- the bot process


def write_config(
    tmp_path: Path, server: FeedServer, telegram: FakeTelegram, slack: FakeSlack
) -> Path:
    digest = (
        'schedule = "0 8 * * *"\ndigest_on_start = true\nmax_items = 200\n'
        "summary_chars = 2000\nsummary_sentences = 6\n"
    )
    ops = "[ops]\nport = 0\n\n" if "ops" in Settings.model_fields else ""
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[poll]\ntimeout_seconds = 5\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 100\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        f"[delivery]\nshutdown_grace_seconds = {GRACE}\n\n{ops}"
        f'[telegram]\nbase_url = "{telegram.base_url}"\n'
        f'base_file_url = "{telegram.base_file_url}"\npoll_timeout_seconds = 1\n\n'
        f'[slack]\nbase_url = "{slack.base_url}"\n\n'
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{server.url("/rss")}"\nallow_private = true\n\n'
        f'[[destinations]]\nname = "channel"\nplatform = "telegram"\nchat = "{CHANNEL}"\n'
        f"{digest}\n"
        f'[[destinations]]\nname = "newsroom"\nplatform = "slack"\nchat = "{SLACK_CHANNEL}"\n'
        f"{digest}\n"
        f'[[destinations]]\nname = "subscriber"\nplatform = "telegram"\nchat = "{SUBSCRIBER}"\n'
        f"{digest}",
        encoding="utf-8",
    )
    return path


class BotProcess:
    """``python -m bot.cli --config X run`` with the fakes' tokens; output to a log file."""

    def __init__(self, config: Path, telegram: FakeTelegram, slack: FakeSlack) -> None:
        self.config = config
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST", "SLACK_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=telegram.token,
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_APP_TOKEN=slack.app_token,
            PTB_TIMEDELTA="true",
            PYTHONPATH=str(ROOT),
        )
        self.env = env
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.runs += 1
        log = (self.config.parent / f"bot-{self.runs}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--config", str(self.config), "run"],
            cwd=self.config.parent,  # no stray .env
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def log(self) -> str:
        return "\n".join(
            f"--- run {n} ---\n"
            + (self.config.parent / f"bot-{n}.log").read_text("utf-8", "replace")[-6000:]
            for n in range(1, self.runs + 1)
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeSlack]]:
    telegram = FakeTelegram(limits=RateLimits(per_group=None))
    telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    telegram.add_chat(SUBSCRIBER, "private", first_name="مشترك")
    slack = FakeSlack()
    yield telegram, slack
    telegram.close()
    slack.close()


@pytest.fixture
def bot(
    tmp_path: Path, feed_server: FeedServer, fakes: tuple[FakeTelegram, FakeSlack]
) -> Iterator[BotProcess]:
    telegram, slack = fakes
    process = BotProcess(write_config(tmp_path, feed_server, telegram, slack), telegram, slack)
    yield process
    process.close()


# ----------------------------------------------------------------------------- what was sent


class Chats:
    """What each chat should get (the outbox's parts) and what it got (the fakes)."""

    def __init__(self, db: Path, telegram: FakeTelegram, slack: FakeSlack) -> None:
        self.db = db
        self.telegram = telegram
        self.slack = slack

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(sql, args).fetchall()

    def expected(self) -> dict[str, list[str]]:
        """Per chat, the texts of its parts in the order they must arrive (outbox id order)."""
        texts: dict[str, list[str]] = {}
        for chat, payload in self.query(
            "SELECT chat, payload FROM outbox WHERE destination != 'admin' ORDER BY id"
        ):
            texts.setdefault(chat, []).append(json.loads(payload)["text"])
        return texts

    def received(self, chat: str) -> list[str]:
        if chat.startswith("C"):
            return [m["text"] for m in self.slack.posted(chat)]
        return [m["text"] for m in self.telegram.sent(int(chat)) if m["method"] == "sendMessage"]

    def status(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for chat, status, count in self.query(
            "SELECT chat, status, count(*) FROM outbox GROUP BY chat, status"
        ):
            counts.setdefault(chat, {})[status] = count
        return counts


def wait_until(condition: Callable[[], bool], timeout: float, what: Callable[[], str]) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what()}")
        time.sleep(0.05)
    return time.monotonic() - started


def start_and_enqueue(
    bot: BotProcess, server: FeedServer, fakes: tuple[FakeTelegram, FakeSlack], stories: int
) -> tuple[Chats, dict[str, list[str]]]:
    """Serve the feed, start the bot, wait until the three digests are in the outbox."""
    telegram, slack = fakes
    server.add("/rss", rss(server.base, make_stories(stories)))
    bot.start()
    chats = Chats(bot.config.parent / "data" / "newsdigest.sqlite3", telegram, slack)

    def queued() -> bool:
        assert bot.alive(), bot.log()
        try:
            return len(chats.expected()) == 3
        except sqlite3.Error:
            return False  # not created / migrated yet

    wait_until(queued, 30, bot.log)
    return chats, chats.expected()


def assert_delivered_once_in_order(
    chats: Chats, expected: dict[str, list[str]], duplicated: dict[str, int]
) -> None:
    """Each chat got its parts in order, each once; ``duplicated[chat]`` is the index of the
    one part that may legitimately arrive twice (accepted by the platform, not yet marked)."""
    # 429s (the fake's exact 1/s window vs network jitter) and the 409 that ends the killed
    # process's long poll are expected; a 400 (bad HTML, too long) is not.
    refused = [r for r in chats.telegram.rejected if r.error_code == 400]
    assert not refused, refused
    assert not [r for r in chats.slack.rejected if r.get("error") != "ratelimited"]
    for chat, parts in expected.items():
        got = chats.received(chat)
        want = list(parts)
        if chat in duplicated:
            index = duplicated[chat]
            want.insert(index, parts[index])
        assert len(got) == len(want), (chat, len(got), len(want), duplicated)
        for number, (a, b) in enumerate(zip(got, want, strict=True), start=1):
            assert a == b, f"{chat}: message {number} is not part {number} of the digest"
    assert all(s.keys() == {"sent"} for s in chats.status().values()), chats.status()


# ----------------------------------------------------------------------------- the tests


def test_sigkill_mid_digest_loses_nothing(
    bot: BotProcess, feed_server: FeedServer, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    began = time.monotonic()
    chats, expected = start_and_enqueue(bot, feed_server, fakes, stories=125)
    tg_chats = [c for c in expected if not c.startswith("C")]
    # One-sentence summaries: about eleven messages per Telegram chat for 125 stories.
    assert all(len(expected[c]) >= 10 for c in tg_chats), {c: len(p) for c, p in expected.items()}
    assert len(expected[SLACK_CHANNEL]) >= 2

    # Kill while every Telegram chat is about a third through its digest.
    wait_until(
        lambda: all(len(chats.received(c)) >= 4 for c in tg_chats) and bot.alive(),
        40,
        lambda: f"first parts: {[len(chats.received(c)) for c in expected]}\n{bot.log()}",
    )
    assert bot.process is not None
    bot.process.kill()
    assert bot.process.wait(10) == -signal.SIGKILL
    time.sleep(0.5)  # a request already written reaches the fakes (they outlive the bot)
    killed_at = time.monotonic() - began

    # Which chats were caught between the platform's accept and mark_sent?
    status = chats.status()
    duplicated: dict[str, int] = {}
    for chat in expected:
        received, marked = len(chats.received(chat)), status[chat].get("sent", 0)
        assert received in (marked, marked + 1), (chat, received, status[chat])
        if received == marked + 1:
            duplicated[chat] = marked  # at-least-once: that part goes out again
    in_flight = chats.query("SELECT count(*) FROM outbox WHERE status = 'sending'")[0][0]
    assert 0 < sum(len(chats.received(c)) for c in expected) < sum(map(len, expected.values()))

    # The dead sender's leased parts are handed back at start-up (SQLite: a single instance).
    bot.start()
    restarted = time.monotonic()
    wait_until(
        lambda: all(
            len(chats.received(c)) >= len(p) + (c in duplicated) for c, p in expected.items()
        ),
        # The channel's 20-a-minute window starts afresh with the new process, so its last
        # parts wait for the minute to turn.
        90,
        lambda: f"the rest: {[len(chats.received(c)) for c in expected]}\n{bot.log()}",
    )
    resumed_in = time.monotonic() - restarted
    time.sleep(1.0)  # anything extra (a duplicate, a re-queued digest) would show up now
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(GRACE + EXIT_MARGIN) == 0, bot.log()

    assert_delivered_once_in_order(chats, expected, duplicated)
    print(
        f"\nparts: { {c: len(p) for c, p in expected.items()} }, killed at {killed_at:.1f}s "
        f"with {in_flight} leased, rest in {resumed_in:.1f}s, duplicates: {duplicated}, "
        f"total {time.monotonic() - began:.1f}s"
    )


def test_sigterm_mid_digest_exits_cleanly_and_resumes(
    bot: BotProcess, feed_server: FeedServer, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:

    began = time.monotonic()
    chats, expected = start_and_enqueue(bot, feed_server, fakes, stories=75)
    wait_until(
        lambda: all(len(chats.received(c)) >= 2 for c in expected if not c.startswith("C")),
        30,
        lambda: f"first parts: {[len(chats.received(c)) for c in expected]}\n{bot.log()}",
    )
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    code = bot.process.wait(GRACE + EXIT_MARGIN)
    exited_in = time.monotonic() - asked
    assert code == 0, bot.log()
    assert exited_in <= GRACE + EXIT_MARGIN

    # A clean stop leaves no lease behind and no part marked that the platform did not take.
    status = chats.status()
    assert not any("sending" in s for s in status.values()), status
    for chat in expected:
        assert len(chats.received(chat)) == status[chat].get("sent", 0), (chat, status)
    assert any("pending" in s for s in status.values()), "stopped too late to prove resumption"

    bot.start()
    wait_until(
        lambda: all(len(chats.received(c)) >= len(p) for c, p in expected.items()),
        40,
        lambda: f"the rest: {[len(chats.received(c)) for c in expected]}\n{bot.log()}",
    )
    time.sleep(1.0)
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(GRACE + EXIT_MARGIN) == 0, bot.log()
    assert_delivered_once_in_order(chats, expected, {})
    print(
        f"\nparts: { {c: len(p) for c, p in expected.items()} }, SIGTERM exit in "
        f"{exited_in:.2f}s, total {time.monotonic() - began:.1f}s"
    )


def test_sigterm_during_a_slowed_delivery_exits_within_the_grace(
    bot: BotProcess, feed_server: FeedServer, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    """SIGTERM while Telegram answers slowly, digest parts in flight and users' commands
    waiting for their replies: the process exits within ``shutdown_grace_seconds`` plus a
    small margin (sends still in progress are cancelled), and the parts cut short are still in
    the outbox, due again, not lost."""
    telegram, _ = fakes
    telegram.latency["sendMessage"] = 4.5  # each answered after 4.5 s (the bot waits 5)
    chats, _ = start_and_enqueue(bot, feed_server, fakes, stories=30)
    wait_until(lambda: "getUpdates" in telegram.requests, 20, bot.log)
    for user in range(800001, 800006):
        telegram.inject_message(user, user, "/help")

    def in_flight() -> list[int]:
        return [
            row[0]
            for row in chats.query(
                "SELECT id FROM outbox WHERE status = 'sending' AND chat NOT LIKE 'C%'"
            )
        ]

    def replying() -> bool:
        return any(
            call.method == "sendMessage" and call.params.get("chat_id", 0) > 800000
            for call in list(telegram.calls)
        )

    wait_until(lambda: bool(in_flight()) and replying(), 20, bot.log)
    cut_short = in_flight()
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    code = bot.process.wait(GRACE + EXIT_MARGIN + 30)
    exited_in = time.monotonic() - asked
    assert code == 0, bot.log()
    assert exited_in <= GRACE + SHUTDOWN_MARGIN, (exited_in, bot.log())

    placeholders = ",".join("?" * len(cut_short))
    rows = chats.query(
        f"SELECT status, attempts FROM outbox WHERE id IN ({placeholders})", *cut_short
    )
    assert rows == [("pending", 0)] * len(cut_short), rows  # given back untried
    assert not any("sending" in s for s in chats.status().values())
    print(f"\nSIGTERM exit in {exited_in:.2f}s with {len(cut_short)} parts cut short")
