"""What the admins read about a destination a platform stopped: every refusal the adapters
report for good has its cause, in Arabic and English, and an unknown one is shown as it came."""

from __future__ import annotations

import pytest

from digests.compose.stopped import stopped_cause, stopped_notice, stopped_state

# (platform, the error as the adapter keeps it, its cause)
REFUSALS = [
    ("slack", "not_in_channel", "slack_not_in_channel"),
    ("slack", "is_archived", "slack_is_archived"),
    ("slack", "channel_not_found", "slack_channel_not_found"),
    ("slack", "account_inactive", "slack_account_inactive"),
    ("slack", "restricted_action", "slack_restricted_action"),
    ("telegram", "Forbidden: bot was kicked from the channel chat", "telegram_removed"),
    ("telegram", "Forbidden: bot was kicked from the supergroup chat", "telegram_removed"),
    ("telegram", "Forbidden: bot is not a member of the channel chat", "telegram_removed"),
    ("telegram", "Forbidden: bot was blocked by the user", "telegram_blocked"),
    ("telegram", "Bad Request: chat not found", "telegram_chat_not_found"),
    ("telegram", "Bad Request: message thread not found", "telegram_thread_not_found"),
]


@pytest.mark.parametrize(("platform", "error", "cause"), REFUSALS)
def test_every_refusal_has_its_cause_in_both_languages(
    platform: str, error: str, cause: str
) -> None:
    assert stopped_cause(platform, error) == cause
    arabic = stopped_notice("newsroom", platform, "C0NEWS01", error, "ar")
    english = stopped_notice("newsroom", platform, "C0NEWS01", error, "en")
    assert arabic.startswith("توقف النشر في الوجهة «newsroom»") and "ما العمل:" in arabic
    assert english.startswith("Posting to the destination «newsroom»") and "What to do:" in english
    assert error not in arabic and error not in english  # explained, not quoted


def test_an_unknown_refusal_is_shown_as_it_came() -> None:
    assert stopped_cause("slack", "team_access_not_granted") is None
    notice = stopped_notice("newsroom", "slack", "C0NEWS01", "team_access_not_granted", "ar")
    assert "(team_access_not_granted)" in notice and "ما العمل:" in notice
    state = stopped_state("telegram", "Forbidden: something new", "الأحد 6 ديسمبر", "en")
    assert state.startswith("State: stopped since الأحد 6 ديسمبر: the platform refused")
    assert "(Forbidden: something new)" in state
