"""A destination a chat platform stopped, in words: what happened and what an admin does.

Pure. The sender stops a destination when its platform refuses it for good (``ChatGone``),
keeping the platform's error as it came: Slack's code (``not_in_channel``, ``is_archived``,
``channel_not_found``, ``account_inactive``, ``restricted_action``) or Telegram's description
("Forbidden: bot was kicked from the channel chat", "Bad Request: chat not found" …).
``stopped_notice`` is the admins' notice, ``stopped_state`` the line ``/destinations`` shows;
both say why and what to do in the reader's language (texts in ``texts_destinations``). An
error not known here is shown as it came, with a general step.
"""

from __future__ import annotations

from digests.compose.i18n import Language, t

__all__ = ["stopped_cause", "stopped_notice", "stopped_state"]

_SLACK_CAUSES = frozenset(
    {"not_in_channel", "is_archived", "channel_not_found", "account_inactive", "restricted_action"}
)
# Telegram's descriptions, by a phrase each holds (lower case), first match wins.
_TELEGRAM_CAUSES = (
    ("thread not found", "thread_not_found"),
    ("chat not found", "chat_not_found"),
    ("blocked by the user", "blocked"),
    ("kicked", "removed"),
    ("not a member", "removed"),
)


def stopped_cause(platform: str, error: str) -> str | None:
    """The known cause of ``error`` on ``platform`` (the suffix of its text keys), or None."""
    if platform == "slack":
        code = error.strip()
        return f"slack_{code}" if code in _SLACK_CAUSES else None
    if platform == "telegram":
        lowered = error.lower()
        for phrase, cause in _TELEGRAM_CAUSES:
            if phrase in lowered:
                return f"telegram_{cause}"
    return None


def _why_and_todo(platform: str, error: str, language: Language) -> tuple[str, str]:
    cause = stopped_cause(platform, error) or "other"
    why = t(f"stopped_why_{cause}", language, error=" ".join(error.split())[:200])
    return why, t(f"stopped_todo_{cause}", language)


def stopped_notice(name: str, platform: str, chat: str, error: str, language: Language) -> str:
    """The admins' notice that destination ``name`` (``chat`` on ``platform``) was stopped
    because of ``error``: why, what to do, and that a restart resumes it."""
    why, todo = _why_and_todo(platform, error, language)
    return t(
        "stopped_notice", language, name=name, platform=platform, chat=chat, why=why, todo=todo
    )


def stopped_state(platform: str, error: str, since: str, language: Language) -> str:
    """The state line of a stopped destination: since when (``since``, already written for
    the reader), why, and what to do."""
    why, todo = _why_and_todo(platform, error, language)
    return t("cmd_destination_stopped", language, since=since, why=why, todo=todo)
