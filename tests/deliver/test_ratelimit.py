"""Send rate limits on a fake clock (plain floats): per chat, per group, global, penalties."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.deliver.ratelimit import (
    Limit,
    RateLimiter,
    Rule,
    everything,
    per_chat,
    telegram_group,
    telegram_rules,
)


def unpaced() -> RateLimiter:
    """Telegram's documented limits alone, without the pacing rule (to test each limit)."""
    return RateLimiter(tuple(rule for rule in telegram_rules() if rule.name != "pace"))


def test_one_chat_gets_one_message_a_second() -> None:
    limiter = unpaced()
    assert limiter.delay("42", 0.0) == 0.0
    limiter.record("42", 0.0)

    assert limiter.delay("42", 0.0) == 1.0
    assert limiter.delay("42", 0.25) == 0.75
    assert limiter.delay("42", 1.0) == 0.0
    assert limiter.delay("43", 0.0) == 0.0  # another chat is not held back


def test_a_send_counts_from_when_the_platform_answered_for_its_chat_only() -> None:
    """The platform counts a message on arrival: a send recorded at 0.0 and answered at 0.3
    holds its chat until 1.3, and the other chats only by the global rules."""
    limiter = RateLimiter.telegram()
    limiter.record("42", 0.0)
    limiter.settle("42", 0.3)
    assert limiter.delay("42", 1.0) == pytest.approx(0.3)
    assert limiter.delay("42", 1.3) == 0.0
    assert limiter.delay("43", 0.05) == 0.0  # the 1/30 s pace counts from the recording
    limiter.settle("44", 0.5)  # nothing recorded for it: nothing to settle
    assert limiter.delay("44", 0.5) == 0.0


def test_many_chats_share_the_global_limit() -> None:
    limiter = unpaced()
    for user in range(30):
        assert limiter.delay(str(user), 0.5) == 0.0
        limiter.record(str(user), 0.5)

    assert limiter.delay("1000", 0.5) == 1.0
    assert limiter.delay("1000", 1.2) == pytest.approx(0.3)
    assert limiter.delay("1000", 1.5) == 0.0


def test_a_group_gets_twenty_messages_a_minute_and_a_user_is_not_a_group() -> None:
    limiter = unpaced()
    for second in range(20):
        for chat in ("-100123", "42"):
            assert limiter.delay(chat, float(second)) == 0.0
            limiter.record(chat, float(second))

    assert limiter.delay("-100123", 20.0) == 40.0  # the first of the twenty leaves at 60 s
    assert limiter.delay("@channel", 20.0) == 0.0
    assert limiter.delay("42", 20.0) == 0.0
    assert limiter.delay("-100123", 60.0) == 0.0
    limiter.record("-100123", 60.0)
    assert limiter.delay("-100123", 61.0) == 0.0  # the second left at 61 s
    limiter.record("-100123", 61.0)
    assert limiter.delay("-100123", 61.5) == 0.5  # both: one per second, the third left at 62


def test_slack_limits_each_channel_to_one_a_second() -> None:
    limiter = RateLimiter.slack()
    for channel in ("C1", "C2", "C3"):
        limiter.record(channel, 0.0)
    assert [limiter.delay(c, 0.5) for c in ("C1", "C2", "C4")] == [0.5, 0.5, 0.0]


def test_retry_after_penalises_one_chat_or_everything() -> None:
    limiter = RateLimiter.telegram()
    limiter.penalise("-1", 10.0)
    assert limiter.delay("-1", 0.0) == 10.0
    assert limiter.delay("-2", 0.0) == 0.0
    limiter.penalise("-1", 5.0)  # an earlier end never shortens a penalty
    assert limiter.delay("-1", 4.0) == 6.0

    limiter.penalise(None, 3.0)
    assert limiter.delay("-2", 1.0) == 2.0
    assert limiter.delay("-1", 1.0) == 9.0
    assert limiter.delay("-2", 3.0) == 0.0
    assert limiter.delay("-1", 10.0) == 0.0


def test_idle_chats_and_spent_penalties_are_forgotten() -> None:
    limiter = unpaced()
    for n in range(1000):
        limiter.record(f"-{n}", n / 100)
        limiter.penalise(str(n), n / 100 + 1)
    assert limiter.tracked() > 1000

    limiter.record("-1", 1000.0)
    assert limiter.tracked() == 3  # "-1" in the chat and group windows, and the global key


def test_limits_must_allow_something() -> None:
    with pytest.raises(ValueError):
        Limit(0, 1.0)
    with pytest.raises(ValueError):
        Limit(1, 0.0)


CHATS = st.sampled_from(["1", "2", "3", "-100", "-200", "@news"])
SMALL_RULES = (
    Rule("chat", Limit(2, 1.5), per_chat),
    Rule("group", Limit(3, 5.0), telegram_group),
    Rule("global", Limit(4, 1.0), everything),
)


@settings(max_examples=200, deadline=None)
@given(
    rules=st.sampled_from([SMALL_RULES, telegram_rules()]),
    events=st.lists(
        st.tuples(
            CHATS,
            st.floats(min_value=0.0, max_value=3.0, allow_nan=False),
            st.sampled_from(["none", "chat", "global"]),
            st.floats(min_value=0.0, max_value=5.0, allow_nan=False),
        ),
        max_size=150,
    ),
)
def test_sends_that_respect_delay_never_overfill_a_window(
    rules: tuple[Rule, ...], events: list[tuple[str, float, str, float]]
) -> None:
    limiter = RateLimiter(rules)
    now = 1000.0
    sends: list[tuple[str, float]] = []
    penalties: dict[str | None, float] = {}
    for chat, gap, penalty, length in events:
        now += gap
        if penalty != "none":
            target = chat if penalty == "chat" else None
            limiter.penalise(target, now + length)
            penalties[target] = max(penalties.get(target, 0.0), now + length)
        for _ in range(3):  # waiting what delay() says is enough: a second look only rounds
            wait = limiter.delay(chat, now)
            if wait == 0.0:
                break
            now += wait
        assert limiter.delay(chat, now) == 0.0
        assert now >= penalties.get(chat, 0.0) and now >= penalties.get(None, 0.0)
        limiter.record(chat, now)
        sends.append((chat, now))

    for rule in rules:
        times: dict[str, list[float]] = defaultdict(list)
        for chat, when in sends:
            key = rule.key(chat)
            if key is not None:
                times[key].append(when)
        for series in times.values():
            for first, later in zip(series, series[rule.limit.count :], strict=False):
                # The (count+1)-th send after `first` comes when `first` has left the window.
                assert first + rule.limit.seconds <= later, (rule.name, first, later)


def test_telegram_pacing_spreads_the_thirty_a_second() -> None:
    limiter = RateLimiter.telegram()
    now, sends = 0.0, []
    for n in range(90):  # 90 different chats, as fast as the limiter allows
        chat = str(n)
        while (wait := limiter.delay(chat, now)) > 0:
            now += wait
        limiter.record(chat, now)
        sends.append(now)
    assert all(b - a >= 1 / 30 - 1e-9 for a, b in itertools.pairwise(sends))
    assert max(sum(1 for t in sends if start <= t < start + 0.1) for start in sends) <= 4
    assert sends[-1] <= 3.0  # still 30 a second


def test_instances_share_the_global_limit_and_keep_the_per_chat_one() -> None:
    limiter = unpaced()
    limiter.share(3)  # three instances send for one bot: 10 a second each
    for user in range(30):
        limiter.record(str(user), 0.0)
    assert limiter.delay("1000", 0.0) == 3.0  # 30 sends now count for three seconds
    assert limiter.delay("0", 0.5) == 2.5  # the global share outweighs its own second
    limiter.share(2)  # one left: the sends made still count, over two seconds now
    assert limiter.delay("1000", 0.0) == 2.0
    limiter.share(1)
    assert limiter.delay("1000", 0.0) == 1.0
    assert limiter.delay("1000", 1.0) == 0.0
    assert limiter.delay("0", 0.5) == 0.5  # per-chat windows are kept


def test_the_per_chat_interval_is_what_the_outbox_paces_chats_by() -> None:
    assert RateLimiter.telegram().chat_interval() == 1.0
    assert RateLimiter.slack().chat_interval() == 1.0
    assert RateLimiter((Rule("all", Limit(30, 1.0), everything),)).chat_interval() == 0.0
