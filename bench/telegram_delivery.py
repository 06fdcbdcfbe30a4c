"""Telegram delivery benchmark: one digest to N private subscribers through the real send path.

    .venv/bin/python -m bench.telegram_delivery [--subscribers 2000] [--variant-subscribers 300]
    .venv/bin/python -m bench.telegram_delivery --subscribers 300         # a quick run

What it measures: how close the outbox ``Sender`` gets to Telegram's overall flood limit (30
messages per second) when one digest goes to many subscribers, and whether it ever trips the
limit (HTTP 429). The path is the production one end to end: a fresh SQLite store in a temporary
folder, ``Outbox.enqueue`` of one part per subscriber (destination ``personal:telegram:<id>``,
chat ``<id>``, ids 1..N), then ``Sender.run_once()`` in a loop until the outbox is empty, with
``TelegramTransport`` over a python-telegram-bot ``Application`` (built and initialised as
``bot.telegram_bot.TelegramBot`` builds it) and the production ``RateLimiter.telegram()``. The
Bot API is ``tests.support.fake_telegram.FakeTelegram`` on 127.0.0.1 with its default ``RateLimits``
(1/s per private chat, 20/min per group, 30/s overall, exact sliding windows).

The message is a rendered Arabic digest (``render_telegram``, three fictional stories): one part
of about 1,550 characters of HTML (1,080 visible). Two observers, neither of which changes what is
sent or when: the fake is subclassed to stamp the time it accepted or refused each
``sendMessage`` (server side), and the transport is subclassed to stamp the moment the sender
hands it a part, which is the moment the limiter recorded the send (client side). Columns:

- sent: parts marked ``sent`` in the outbox (checked against the fake's log); fail: parts not
  sent; dup: chats that got the message twice.
- wall s: from the first claim to the empty outbox (enqueueing is timed apart); msg/s and its
  % of the 30/s ceiling over that time.
- steady: the rate between the 5th and the 95th percentile of the fake's acceptance times
  (the first and last 5% of messages left out), and its % of the ceiling.
- 429s: every "Too Many Requests" of the fake; 429 st: those inside the steady-state span.
- burst: the most parts handed over within 100 ms; p50/p99 ms: transit from hand-over to the
  fake's acceptance (PTB, HTTP, the fake's parsing and queueing).

The target is at least 90% of the ceiling and no 429 in steady state. The headline row uses
``RateLimiter.telegram()`` for all N subscribers. The other rows repeat the delivery for fewer
subscribers (``--variant-subscribers``): first with ``RateLimiter.telegram()`` again, for
comparison (left out when the sizes are equal), then with the overall rule of
``telegram_rules()`` changed: a longer window, a lower count, or a pacing rule that spreads the
30 sends over the second. A last table looks at the headline run's 429s: how far apart, by the
client's clock and by the fake's, the refused send and the 30th accepted send before it were.
About 2.3 minutes for 2000 subscribers (the ceiling alone makes the headline delivery 67 s),
under a minute for 300; ``--no-variants`` runs the headline only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22 warns on every RetryAfter otherwise

import sqlalchemy as sa
from telegram.ext import Application, ApplicationBuilder

from bot.telegram_bot import TelegramTransport
from digests.deliver.ratelimit import Limit, RateLimiter, Rule, everything, telegram_rules
from digests.deliver.sender import Sender
from digests.models import Digest, DigestItem, DigestSection, Link, TopicRef
from digests.render.telegram import render_telegram
from digests.store import Store
from digests.store.database import sqlite_url
from digests.store.schema import outbox as outbox_table
from tests.support.fake_telegram import FakeChat, FakeTelegram, parse_html

CEILING = 30.0  # Telegram's overall limit, messages per second
TRIM = 0.05  # steady state: drop this share of messages at each end
NOW = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)  # 08:00 in Riyadh
BOT_USERNAME = "newsdigest_test_bot"


# --------------------------------------------------------------------------- the message


def _digest() -> Digest:
    """A morning digest of three fictional stories (domains ``.example``)."""
    economy = TopicRef("economy", "اقتصاد")
    energy = TopicRef("renewable-energy", "الطاقة المتجددة")
    health = TopicRef("health", "صحة")
    items = (
        DigestItem(
            article_id=101,
            title="البنك المركزي يبقي سعر الفائدة دون تغيير عند 5.5% للشهر الثالث",
            url="https://economy.example/a/101",
            source="الاقتصادية",
            published_at=NOW - timedelta(minutes=40),
            summary=(
                "أبقى البنك المركزي سعر الفائدة الرئيسي دون تغيير عند 5.5% للشهر الثالث على "
                "التوالي، مشيرا إلى تباطؤ التضخم إلى 3.9% في أكتوبر. وقال المحافظ في مؤتمر "
                "صحفي إن البنك سيواصل مراقبة الأسعار قبل أي خفض، فيما توقع محللون أن يبدأ "
                "التيسير النقدي في الربع الثاني من العام المقبل."
            ),
            also_reported_by=(
                Link("المركزي يثبت الفائدة", "https://bbc.example/arabic/7", "BBC عربي"),
            ),
            topics=(economy,),
        ),
        DigestItem(
            article_id=102,
            title="افتتاح أكبر محطة للطاقة الشمسية في المنطقة بقدرة 2 غيغاواط",
            url="https://energy.example/a/102",
            source="سكاي نيوز عربية",
            published_at=NOW - timedelta(hours=3),
            summary=(
                "افتتحت الحكومة محطة للطاقة الشمسية بقدرة 2 غيغاواط تكفي لتزويد نحو 400 ألف "
                "منزل بالكهرباء، وتقلل الانبعاثات بمقدار 3 ملايين طن سنويا. واستغرق بناء "
                "المحطة 30 شهرا بتكلفة بلغت 1.8 مليار دولار."
            ),
            topics=(energy, economy),
        ),
        DigestItem(
            article_id=103,
            title="وزارة الصحة تطلق حملة تطعيم موسمية ضد الإنفلونزا في المدارس",
            url="https://health.example/a/103",
            source="وكالة الأنباء",
            published_at=NOW - timedelta(hours=5),
            summary=(
                "أعلنت وزارة الصحة بدء حملة التطعيم الموسمية ضد الإنفلونزا في المدارس اعتبارا "
                "من الأحد المقبل، وتستهدف مليون طالب خلال ستة أسابيع. ودعت الوزارة الأهالي "
                "إلى تسجيل أبنائهم عبر المنصة الإلكترونية."
            ),
            topics=(health,),
        ),
    )
    return Digest(
        destination="personal:telegram:1",
        created_at=NOW,
        sections=(DigestSection(None, items),),
    )


def _payload() -> tuple[str, int, int]:
    """The outbox payload (one part, as ``deliver.queue.payloads`` makes it), with its
    length in characters of HTML and of visible text."""
    parts = render_telegram(
        _digest(), language="ar", timezone="Asia/Riyadh", bot_username=BOT_USERNAME
    )
    if len(parts) != 1:
        raise SystemExit(f"the benchmark digest should be one message, not {len(parts)}")
    text = parts[0].text
    payload = {"text": text, "disable_preview": parts[0].disable_web_page_preview}
    return json.dumps(payload, ensure_ascii=False), len(text), len(parse_html(text)[0])


# --------------------------------------------------------------------------- observers


class _StampedFake(FakeTelegram):
    """The fake Bot API, stamping (on its own clock) each send it accepted or refused."""

    def __init__(self) -> None:
        self.accepted: list[tuple[float, int]] = []  # (time, chat id)
        self.refused: list[tuple[float, int]] = []
        self._now = 0.0
        super().__init__(clock=self._clock)

    def _clock(self) -> float:
        self._now = time.monotonic()
        return self._now

    def _take_send_slot(self, chat: FakeChat) -> None:
        try:
            super()._take_send_slot(chat)
        except Exception:
            self.refused.append((self._now, chat.id))
            raise
        self.accepted.append((self._now, chat.id))


class _StampedTransport(TelegramTransport):
    """``TelegramTransport`` unchanged, stamping when the sender handed it each part."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        super().__init__(application)
        self.handed: list[tuple[float, int]] = []  # (time, chat id), in hand-over order

    async def send(self, chat: str, thread: str | None, payload: str) -> str:
        self.handed.append((time.monotonic(), int(chat)))
        return await super().send(chat, thread, payload)


# --------------------------------------------------------------------------- one run


@dataclass
class Result:
    """One delivery run, as measured."""

    label: str
    subscribers: int
    delivered: int
    wall: float
    steady: float
    rejected: int
    rejected_steady: int
    failures: int
    rounds: int  # calls of Sender.run_once
    duplicates: int
    enqueue: float  # seconds to enqueue every part
    first_send: float  # seconds from the first claim to the fake's first acceptance
    handed: list[tuple[float, int]] = field(repr=False, default_factory=list)
    accepted: list[tuple[float, int]] = field(repr=False, default_factory=list)
    refused: list[tuple[float, int]] = field(repr=False, default_factory=list)

    @property
    def rate(self) -> float:
        """Messages per second over the wall time."""
        return self.delivered / self.wall if self.wall else 0.0

    def handed_at(self, chat: int, arrived: float) -> float:
        """When the sender handed over the part of ``chat`` that reached the fake at
        ``arrived`` (a retried part is handed over twice)."""
        times = [t for t, c in self.handed if c == chat and t <= arrived]
        return max(times, default=float("nan"))

    def transits(self) -> list[float]:
        """Milliseconds from hand-over to the fake's acceptance, every accepted send, sorted."""
        first: dict[int, list[float]] = {}
        for t, chat in self.handed:
            first.setdefault(chat, []).append(t)
        out = []
        for t, chat in self.accepted:
            earlier = [h for h in first.get(chat, ()) if h <= t]
            if earlier:
                out.append(1000 * (t - max(earlier)))
        return sorted(out)

    def burst(self, seconds: float = 0.1) -> int:
        """The most parts the sender handed over within any ``seconds``."""
        times = sorted(t for t, _ in self.handed)
        most, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - seconds:
                start += 1
            most = max(most, end - start + 1)
        return most


def _steady(times: list[float]) -> tuple[float, float, float]:
    """(rate, start, end) over the messages between the TRIM and 1 - TRIM quantiles."""
    times = sorted(times)
    if len(times) < 20:
        return 0.0, 0.0, 0.0
    first, last = int(len(times) * TRIM), int(len(times) * (1 - TRIM)) - 1
    span = times[last] - times[first]
    return (last - first) / span if span > 0 else 0.0, times[first], times[last]


async def deliver(
    label: str,
    subscribers: int,
    limiter: RateLimiter,
    payload: str,
    *,
    batch: int = 200,
    idle: float = 0.25,
) -> Result:
    """Enqueue the digest for ``subscribers`` chats and run the sender until all is sent."""
    fake = _StampedFake()
    application: Application | None = None  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as folder:
        store = await Store.open(sqlite_url(Path(folder) / "newsdigest.sqlite3"))
        try:
            outbox = store.outbox
            enqueue_started = time.monotonic()
            for chat in range(1, subscribers + 1):
                fake.add_chat(chat, "private")
                destination = f"personal:telegram:{chat}"
                await outbox.enqueue(
                    destination,
                    "telegram",
                    str(chat),
                    None,
                    f"{destination}|digest|{NOW:%Y-%m-%dT%H:%M}",
                    [payload],
                    NOW,
                )
            enqueue = time.monotonic() - enqueue_started
            # As TelegramBot builds it: base URL from the settings, PTB's default request
            # (a 256-connection pool), no PTB rate limiter: the Sender owns that policy.
            application = (
                ApplicationBuilder()
                .token(fake.token)
                .base_url(fake.base_url)
                .base_file_url(fake.base_file_url)
                .build()
            )
            await application.initialize()
            transport = _StampedTransport(application)
            sender = Sender(outbox, {"telegram": transport}, {"telegram": limiter}, batch=batch)
            rounds = 0
            started = time.monotonic()
            while await outbox.depth():
                rounds += 1
                if not await sender.run_once():
                    await asyncio.sleep(idle)  # only retries left, not yet due (Sender.run)
            wall = time.monotonic() - started
            async with store.engine.connect() as conn:
                statuses = dict(
                    (
                        await conn.execute(
                            sa.select(outbox_table.c.status, sa.func.count()).group_by(
                                outbox_table.c.status
                            )
                        )
                    ).all()
                )
        finally:
            if application is not None:
                await application.shutdown()
            await store.close()
            fake.close()
    sent_chats = [s["chat_id"] for s in fake.sent()]
    rate, start, end = _steady([t for t, _ in fake.accepted])
    too_many = [r for r in fake.rejected if r.error_code == 429]
    delivered = int(statuses.get("sent", 0))
    if delivered != len(set(sent_chats)):
        print(f"warning: outbox says {delivered} sent, the fake has {len(set(sent_chats))} chats")
    return Result(
        label=label,
        subscribers=subscribers,
        delivered=delivered,
        wall=wall,
        steady=rate,
        rejected=len(too_many),
        rejected_steady=sum(1 for t, _ in fake.refused if start <= t <= end),
        failures=subscribers - delivered,
        rounds=rounds,
        duplicates=len(sent_chats) - len(set(sent_chats)),
        enqueue=enqueue,
        first_send=(fake.accepted[0][0] - started) if fake.accepted else 0.0,
        handed=transport.handed,
        accepted=fake.accepted,
        refused=fake.refused,
    )


# --------------------------------------------------------------------------- variants


def _overall(count: int, seconds: float, pace: float | None = None) -> Callable[[], RateLimiter]:
    """Telegram's rules with the overall rule replaced by ``count`` per ``seconds`` and, with
    ``pace``, a second overall rule: at most one send every ``pace`` seconds."""

    def make() -> RateLimiter:
        rules = [r for r in telegram_rules() if r.name != "global"]
        rules.append(Rule("global", Limit(count, seconds), everything))
        if pace is not None:
            rules.append(Rule("pace", Limit(1, pace), everything))
        return RateLimiter(rules)

    return make


HEADLINE = "telegram(): 30 per 1 s"
VARIANTS: list[tuple[str, Callable[[], RateLimiter]]] = [
    (HEADLINE, RateLimiter.telegram),
    ("30 per 1.05 s", _overall(30, 1.05)),
    ("29 per 1 s", _overall(29, 1.0)),
    ("30 per 1 s + 1 per 33.3 ms", _overall(30, 1.0, pace=1 / 30)),
    ("30 per 1 s + 1 per 35 ms", _overall(30, 1.0, pace=0.035)),
]


# --------------------------------------------------------------------------- report


def _table(results: list[Result]) -> None:
    header = (
        f"{'limiter':<26} {'subs':>5} {'sent':>5} {'wall s':>7} {'msg/s':>6} {'% 30/s':>6} "
        f"{'steady':>6} {'% 30/s':>6} {'429s':>5} {'429 st':>6} {'fail':>4} {'dup':>3} "
        f"{'burst':>5} {'p50 ms':>6} {'p99 ms':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        transits = r.transits() or [float("nan")]
        p50, p99 = (transits[int(q * (len(transits) - 1))] for q in (0.5, 0.99))
        print(
            f"{r.label:<26} {r.subscribers:>5} {r.delivered:>5} {r.wall:>7.1f} {r.rate:>6.2f} "
            f"{100 * r.rate / CEILING:>5.1f}% {r.steady:>6.2f} {100 * r.steady / CEILING:>5.1f}% "
            f"{r.rejected:>5} {r.rejected_steady:>6} {r.failures:>4} {r.duplicates:>3} "
            f"{r.burst():>5} {p50:>6.1f} {p99:>6.1f}"
        )


def _why(result: Result) -> None:
    """For each 429: the gap to the send 30 places earlier, by the client's and the fake's clock.

    The fake refuses a send when the 30th accepted send before it arrived less than 1 s
    earlier; the limiter let it go because, by its own clock, that send left at least 1 s
    earlier. Transit time that varies between the two is what tips it over.
    """
    rows = []
    for t_refused, chat in result.refused:
        earlier = [a for a in result.accepted if a[0] < t_refused]
        if len(earlier) < 30:
            continue
        t_30, chat_30 = earlier[-30]
        sent, sent_30 = result.handed_at(chat, t_refused), result.handed_at(chat_30, t_30)
        rows.append((sent - sent_30, t_refused - t_30, t_refused - sent, t_30 - sent_30))
    if not rows:
        return
    print()
    print(f"The {len(rows)} refused sends of '{result.label}' (ms):")
    print(f"{'':<34} {'min':>7} {'median':>7} {'max':>7}")
    names = (
        "client gap to the 30th before",
        "server gap to the 30th before",
        "transit of the refused send",
        "transit of the 30th before",
    )
    for index, name in enumerate(names):
        values = [1000 * row[index] for row in rows]
        print(
            f"{name:<34} {min(values):>7.1f} {statistics.median(values):>7.1f} {max(values):>7.1f}"
        )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument(
        "--variant-subscribers",
        type=int,
        default=300,
        help="subscribers for each limiter variant (default 300, at most --subscribers)",
    )
    parser.add_argument("--no-variants", action="store_true", help="the headline run only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the sender logs every 429: they are counted

    payload, characters, visible = _payload()
    print(
        f"One Arabic digest, 1 part of {characters} characters of HTML ({visible} visible), to "
        "each subscriber; fake Bot API on 127.0.0.1 with Telegram's limits (1/s per chat, 30/s "
        "overall); Sender batch 200"
    )
    headline = await deliver(HEADLINE, args.subscribers, RateLimiter.telegram(), payload)
    results = [headline]
    if not args.no_variants:
        small = min(args.variant_subscribers, args.subscribers)
        for label, make in VARIANTS:
            if label == HEADLINE and small == args.subscribers:
                continue  # the headline row is that run already
            results.append(await deliver(label, small, make(), payload))
    print()
    _table(results)
    print(
        f"\nsteady = rate between the {100 * TRIM:.0f}th and {100 * (1 - TRIM):.0f}th percentile "
        "of the fake's acceptance times; 429 st = 429s inside that span.\n"
        f"Headline: {headline.subscribers} parts enqueued in {headline.enqueue:.1f} s "
        f"({headline.subscribers / headline.enqueue:.0f}/s), first accepted "
        f"{1000 * headline.first_send:.0f} ms after the first claim, {headline.rounds} "
        "run_once rounds."
    )
    _why(headline)
    target = headline.steady >= 0.9 * CEILING and headline.rejected_steady == 0
    print(
        f"\ntarget (>= 90% of 30/s in steady state, no 429 in steady state): "
        f"{'met' if target else 'NOT met'} by the production limiter "
        f"({100 * headline.steady / CEILING:.1f}%, {headline.rejected_steady} 429s)"
    )
    return 0


def _cli(argv: list[str] | None = None) -> int:
    return asyncio.run(main(argv))


if __name__ == "__main__":
    sys.exit(_cli())
