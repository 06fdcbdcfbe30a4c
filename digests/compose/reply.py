"""What a reader is shown, as data: runs of text, paragraphs, buttons, and command replies.

Pure types, no behaviour beyond validation. The chat commands (``bot/commands``) answer with
a ``Reply``; the digest renderers build their lines from ``Span``s too. Each platform's
renderer (``render.telegram``, ``render.slack``, ``render.text``) turns these into its own
markup with its one escaper, so no adapter escapes anything itself.

* **Spans.** A ``Span`` is a run of text, perhaps bold, perhaps a link (shown only when the
  URL is a plain http(s) URL), perhaps ``whole`` (a hashtag: isolated as one unit in a
  right-to-left line, never broken apart).
* **Buttons are short data.** ``Button.data`` is ``<action code>:<value>`` — at most 62 ASCII
  bytes, within Telegram's 64-byte ``callback_data`` (Slack puts it in the button's
  ``value``). The adapter hands it back to the command layer's ``press``.
* **Replies.** ``Reply.paragraphs`` are runs of spans, split into messages only between
  paragraphs. ``Reply.digest`` carries a composed ``Digest`` that the renderer shows after the
  paragraphs, in ``Reply.language`` and ``Reply.timezone``. ``Reply.ephemeral`` marks what
  concerns only the caller (errors, refusals, personal settings, admin output): Slack shows it
  to them alone; Telegram ignores it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from digests.compose.destination import DEFAULT_TIMEZONE
from digests.compose.i18n import Language
from digests.models import Digest

__all__ = [
    "MAX_BUTTON_VALUE",
    "Action",
    "Button",
    "Paragraph",
    "Reply",
    "Span",
    "marked",
    "paragraph",
    "parse_button_data",
]

Action = Literal["follow", "unfollow", "search_page", "topic_latest"]
MAX_BUTTON_VALUE = 60

_ACTION_CODES: dict[Action, str] = {
    "follow": "f",
    "unfollow": "u",
    "search_page": "s",
    "topic_latest": "t",
}
_ACTIONS_BY_CODE: dict[str, Action] = {code: action for action, code in _ACTION_CODES.items()}
_BUTTON_VALUE = re.compile(rf"[!-~]{{1,{MAX_BUTTON_VALUE}}}")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text: perhaps a link, perhaps bold, perhaps one unit that must stay whole.

    ``whole=True`` (hashtags) isolates the span as one unit in a right-to-left line instead of
    isolating its left-to-right runs one by one, so "#COP28" is not broken apart.
    """

    text: str
    url: str | None = None
    bold: bool = False
    whole: bool = False


Paragraph = tuple[Span, ...]


def paragraph(text: str) -> Paragraph:
    """A paragraph of one plain span."""
    return (Span(text),)


def marked(
    text: str, marks: Sequence[tuple[int, int]], *, url: str | None = None, bold: bool = False
) -> list[Span]:
    """``text`` cut into spans, the ``marks`` ranges (start, end) bold: a search result's
    matched words (``text.query``). With ``bold`` the whole text is bold (a headline); every
    span carries ``url``. Overlapping or empty ranges are skipped."""
    spans: list[Span] = []
    at = 0
    for start, end in marks:
        if start < at or end <= start:
            continue
        if start > at:
            spans.append(Span(text[at:start], bold=bold, url=url))
        spans.append(Span(text[start:end], bold=True, url=url))
        at = end
    if at < len(text):
        spans.append(Span(text[at:], bold=bold, url=url))
    return spans


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a reply; pressing it sends ``data`` back to the command layer.

    ``value`` is printable ASCII without spaces, at most ``MAX_BUTTON_VALUE`` characters.
    """

    label: str
    action: Action
    value: str

    def __post_init__(self) -> None:
        if self.action not in _ACTION_CODES:
            raise ValueError(f"unknown button action {self.action!r}")
        if not _BUTTON_VALUE.fullmatch(self.value):
            raise ValueError(f"button value must be 1-{MAX_BUTTON_VALUE} ASCII: {self.value!r}")

    @property
    def data(self) -> str:
        """``<code>:<value>``, at most 62 bytes (Telegram's callback_data allows 64)."""
        return f"{_ACTION_CODES[self.action]}:{self.value}"

    @staticmethod
    def fits(value: str) -> bool:
        """Whether ``value`` can be a button's value (a topic slug usually can)."""
        return _BUTTON_VALUE.fullmatch(value) is not None


def parse_button_data(data: str) -> tuple[Action, str] | None:
    """The action and value of a ``Button.data`` string, or None when it is not one."""
    code, _, value = data.partition(":")
    action = _ACTIONS_BY_CODE.get(code)
    if action is None or not _BUTTON_VALUE.fullmatch(value):
        return None
    return action, value


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: paragraphs, rows of buttons, perhaps a digest (see module doc)."""

    paragraphs: tuple[Paragraph, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    ephemeral: bool = False
    digest: Digest | None = None
    language: Language = "ar"
    timezone: str = DEFAULT_TIMEZONE

    @property
    def text(self) -> str:
        """The paragraphs as plain text, separated by blank lines (for consoles and tests)."""
        return "\n\n".join("".join(span.text for span in p) for p in self.paragraphs)
