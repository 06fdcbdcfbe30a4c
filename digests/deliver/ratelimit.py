"""Send rate limits: how long to wait before the next message to a chat may go out.

Pure: the clock is passed in (seconds, e.g. ``time.monotonic()``), nothing sleeps, no I/O.

A ``RateLimiter`` combines rules. A ``Rule`` is a ``Limit(count, seconds)`` applied per key,
and its key is a function of the chat: the chat itself (one per chat), the chat when it is a
group or channel and None otherwise (the rule then does not apply), or one constant (a global
limit). Each rule is a sliding window, exact rather than a token bucket: a send at ``t`` is
allowed when fewer than ``count`` sends of the same key happened in ``(t - seconds, t]``, so no
window of ``seconds`` ever holds more than ``count`` sends (a bucket would allow a burst on top
of a full window's refill). ``penalise`` adds a pause demanded by the platform (Telegram
``retry_after``, Slack ``Retry-After``) for one chat or for everything.

Contract: if every send is made at a time ``now`` with ``delay(chat, now) == 0`` and then
recorded, every rule holds; a sender that also ``settle``s each send when the platform
answers keeps the per-chat rules as the platform counts them (on arrival). Calls are
O(rules) amortised: each key keeps at most ``count`` times, and keys idle for longer than
their window (and expired penalties) are forgotten, so memory follows the chats active in the
last window, not every chat ever seen.

One limiter serves one platform (``RateLimiter.telegram()``, ``RateLimiter.slack()``): chat
ids of different platforms are not comparable.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "Limit",
    "RateLimiter",
    "Rule",
    "everything",
    "per_chat",
    "slack_rules",
    "telegram_group",
    "telegram_rules",
]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` sends in any ``seconds``-long window."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0:
            raise ValueError(f"a limit needs count >= 1 and seconds > 0, not {self}")


@dataclass(frozen=True, slots=True)
class Rule:
    """A limit applied to each key that ``key`` maps chats to (None: the chat is exempt)."""

    name: str
    limit: Limit
    key: Callable[[str], str | None]


def per_chat(chat: str) -> str:
    """Each chat is its own key."""
    return chat


def everything(chat: str) -> str:
    """Every chat shares one key: a global limit."""
    return ""


def telegram_group(chat: str) -> str | None:
    """Groups, supergroups and channels (negative ids, or @channel names); None for users."""
    return chat if chat.startswith(("-", "@")) else None


def telegram_rules() -> tuple[Rule, ...]:
    """Telegram's documented limits: 1/s per chat, 20/min per group or channel, 30/s overall,
    and the overall 30 spread out (one every 1/30 s) rather than sent as one burst.

    Without the pacing rule the 30 sends of each second leave together, arrive spread over the
    network's jitter, and the server's own one-second window then sees 31: bench/
    telegram_delivery.py measured 168 429s for 2,000 messages without it and none with it.
    """
    return (
        Rule("chat", Limit(1, 1.0), per_chat),
        Rule("group", Limit(20, 60.0), telegram_group),
        Rule("global", Limit(30, 1.0), everything),
        Rule("pace", Limit(1, 1 / 30), everything),
    )


def slack_rules() -> tuple[Rule, ...]:
    """Slack's chat.postMessage limit: about 1/s per channel."""
    return (Rule("channel", Limit(1, 1.0), per_chat),)


class _Window:
    """The sliding window of one rule: per key, when each of its last sends stops counting."""

    __slots__ = ("keys", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        # Least recently used first, so idle keys are found at the front.
        self.keys: OrderedDict[str, deque[float]] = OrderedDict()

    def resized(self, rule: Rule) -> _Window:
        """This window under ``rule`` (the same key and count, another length), keeping the
        sends recorded so far: each now stops counting at its send time plus the new length."""
        window = _Window(rule)
        change = rule.limit.seconds - self.rule.limit.seconds
        for key, frees in self.keys.items():
            window.keys[key] = deque((t + change for t in frees), maxlen=rule.limit.count)
        return window

    def delay(self, key: str, now: float) -> float:
        frees = self.keys.get(key)
        if frees is None or len(frees) < self.rule.limit.count:
            return 0.0
        return max(0.0, frees[0] - now)

    def record(self, key: str, now: float) -> None:
        frees = self.keys.get(key)
        if frees is None:
            frees = self.keys[key] = deque(maxlen=self.rule.limit.count)
        else:
            self.keys.move_to_end(key)
        # The time this send stops counting, computed once so every comparison agrees.
        frees.append(now + self.rule.limit.seconds)
        self.forget(now)

    def settle(self, key: str, now: float) -> None:
        frees = self.keys.get(key)
        if frees:  # the newest send: it stops counting a window after ``now`` at the earliest
            frees[-1] = max(frees[-1], now + self.rule.limit.seconds)

    def forget(self, now: float) -> None:
        while self.keys:
            key, frees = next(iter(self.keys.items()))
            if frees[-1] > now:
                return
            del self.keys[key]


class RateLimiter:
    """Rules and penalties over a caller's clock; see the module docstring for the contract."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = tuple(rules)
        self._share = 1
        self._windows = [_Window(rule) for rule in rules]
        self._penalties: dict[str, float] = {}
        self._expiries: list[tuple[float, str]] = []  # heap over _penalties, lazily pruned
        self._global_penalty = float("-inf")

    @classmethod
    def telegram(cls) -> RateLimiter:
        """A limiter with Telegram's limits."""
        return cls(telegram_rules())

    @classmethod
    def slack(cls) -> RateLimiter:
        """A limiter with Slack's limits."""
        return cls(slack_rules())

    def share(self, instances: int) -> None:
        """Keep to ``1/instances`` of every global rule (the others' shares are theirs): with N
        instances sending for one bot, each one's global windows are N times as long. Per-chat
        rules are unchanged. The sends already counted still count, over the new length."""
        instances = max(1, instances)
        if instances == self._share:
            return
        self._share = instances
        for index, rule in enumerate(self._rules):
            if rule.key is everything:
                limit = Limit(rule.limit.count, rule.limit.seconds * instances)
                self._windows[index] = self._windows[index].resized(
                    Rule(rule.name, limit, rule.key)
                )

    def delay(self, chat: str, now: float) -> float:
        """Seconds to wait before a message to ``chat`` may be sent (0.0: send now)."""
        wait = max(
            0.0,
            self._global_penalty - now,
            self._penalties.get(chat, now) - now,
        )
        for window in self._windows:
            key = window.rule.key(chat)
            if key is not None:
                wait = max(wait, window.delay(key, now))
        return wait

    def record(self, chat: str, now: float) -> None:
        """Count a message sent to ``chat`` at ``now``."""
        for window in self._windows:
            key = window.rule.key(chat)
            if key is not None:
                window.record(key, now)
            else:
                window.forget(now)
        self._forget_penalties(now)

    def settle(self, chat: str, now: float) -> None:
        """The platform answered the last message recorded for ``chat`` at ``now``: the
        per-chat rules count it from ``now`` rather than from when it was recorded.

        The platform counts a message when it arrives, which is up to the request's transit
        time after ``record``; without this, the next message to the chat could leave one
        window after the first left and arrive less than a window after the first arrived
        (a 429 whenever the first was slow on the way). Only per-chat rules settle: their sends
        go one after another anyway, while settling a global rule would serialise the sends
        to different chats behind each other's round trips."""
        for window in self._windows:
            if window.rule.key is per_chat:
                window.settle(chat, now)

    def penalise(self, chat: str | None, until: float) -> None:
        """Send nothing to ``chat`` (to any chat when None) before ``until``."""
        if chat is None:
            self._global_penalty = max(self._global_penalty, until)
            return
        if until > self._penalties.get(chat, float("-inf")):
            self._penalties[chat] = until
            heapq.heappush(self._expiries, (until, chat))

    def chat_interval(self) -> float:
        """Seconds between two sends to one chat under the per-chat rules (0.0: none)."""
        return max(
            (r.limit.seconds / r.limit.count for r in self._rules if r.key is per_chat),
            default=0.0,
        )

    def tracked(self) -> int:
        """How many keys and penalties are held in memory (for tests and metrics)."""
        return sum(len(w.keys) for w in self._windows) + len(self._penalties)

    def _forget_penalties(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            until, chat = heapq.heappop(self._expiries)
            if self._penalties.get(chat) == until:
                del self._penalties[chat]
