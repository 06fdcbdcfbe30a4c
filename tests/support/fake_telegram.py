"""A local fake of the Telegram Bot API: a real HTTP server on 127.0.0.1, for tests.

Point python-telegram-bot at it with ``Bot(fake.token, base_url=fake.base_url,
base_file_url=fake.base_file_url)`` (PTB builds ``base_url + token + "/" + method``), or
``ApplicationBuilder().token(fake.token).base_url(fake.base_url)``. The server runs in
background threads (one per connection), so a long ``getUpdates`` poll never blocks it and it
answers while the test's event loop is busy running the bot. Only loopback; no network.

Faithful to the real Bot API:

* **Protocol**: ``/bot<token>/<method>`` by GET or POST, parameters in the query string or a
  body that is ``application/x-www-form-urlencoded`` (what PTB v22 sends: strings raw, other
  values JSON-encoded), ``multipart/form-data`` or ``application/json``; method names are
  case-insensitive. Replies are ``{"ok": true, "result": ...}`` or ``{"ok": false,
  "error_code": N, "description": "...", "parameters": {...}}`` with HTTP status N. An unknown
  token gets 401 "Unauthorized", an unknown method 404 "Not Found".
* **HTML parse mode**: a port of tdlib's parser (the one the Bot API server runs): the same
  tags (b strong i em u ins s strike del span class="tg-spoiler" tg-spoiler a code pre
  blockquote [expandable] tg-emoji), the same entity decoding (``&lt; &gt; &amp; &quot;`` and
  numeric, ``;`` optional), the same error texts with UTF-8 byte offsets ("can't parse
  entities: Unsupported start tag ...", "Unclosed start tag ...", "Unmatched end tag ...",
  "Can't find end tag corresponding to start tag b", ...), and the same entities in the
  returned ``Message`` (offsets and lengths in UTF-16 code units; ``<pre><code
  class="language-x">`` becomes ``pre`` with ``language``).
* **Text limits**: leading and trailing whitespace is trimmed; an empty result is 400 "message
  text is empty"; more than 4096 UTF-16 code units of visible text (tags out, entities
  decoded) is 400 "message is too long".
* **Errors by chat state**: blocked private chat (403 "bot was blocked by the user"), bot
  removed from a group/supergroup/channel (403), unknown chat (400 "chat not found"), migrated
  group (400 with ``parameters.migrate_to_chat_id``), unknown forum topic (400 "message thread
  not found"), edits ("message to edit not found", "message is not modified: ..."), callback
  answers ("query is too old ..."), ``callback_data`` over 64 bytes ("BUTTON_DATA_INVALID").
* **getUpdates**: ``offset`` confirms (and forgets) earlier updates, a negative offset keeps
  only the last ``-offset``; ``limit`` 1-100; ``timeout`` long-polls without blocking the
  server; ``allowed_updates`` is remembered between calls (empty = default, which leaves out
  ``chat_member``, ``message_reaction`` and ``message_reaction_count``); a newer poll ends an
  older one with 409 "Conflict: terminated by other getUpdates request ..."; getUpdates while a
  webhook is set is 409.
* **Automatic entities**: in a bot's message the server adds the ``bot_command`` and
  ``hashtag`` entities it finds in the visible text (tdlib's ``find_entities``: a command is
  ``/`` and 1-64 of ``[A-Za-z0-9_]`` (and ``@bot``), not preceded or followed by a letter,
  digit, ``_``, ``/``, ``<`` or ``>``; a hashtag is ``#`` not preceded by a hashtag letter,
  then hashtag letters (Unicode letters, decimal digits, ``_``, ZWNJ, ``·``), at least one of
  them a letter, not followed by ``#``). A found entity that overlaps a link, a mention,
  ``code``, ``pre`` or a custom emoji is dropped; bold, italic and the like do not stop it.
* **Chat actions** (``sendChatAction``): ``action`` must be one of the documented actions
  (else 400 "wrong parameter action in request"); the chat and the forum topic are checked
  like a message's. Accepted actions are recorded in ``actions``.
* **Rate limits**: 429 "Too Many Requests: retry after N" with ``parameters.retry_after``,
  and the wait is enforced: until it has passed, every send to that chat (after a per-chat
  limit) or to any chat (after the overall, bot-wide limit) is refused again with the time
  left. Such a send is a flood violation, recorded in ``violations``, when it reached the
  server after the 429 was given (one already in flight then is refused but not counted).

Simplified or stricter (say so when a test relies on it):

* ``strict_html=True`` (the default) also rejects what the API docs forbid but the server
  tolerates: a ``&`` that does not start an entity (the server keeps it literally) and an
  ``<a href>`` that is not a valid link (the server silently drops the link). A bare ``>``
  is accepted, as by the server. ``strict_html=False`` behaves like the server.
* Rate limits are exact sliding windows (configurable through ``RateLimits``): by default 1
  message per second per private chat, 20 per minute per group or channel (negative ids), 30
  per second overall. The server is looser with short bursts. Only ``sendMessage`` counts;
  edits are not limited. ``force_retry_after`` makes the next sends answer 429 on demand (its
  wait is enforced like the others); the windows run on ``clock`` so a test can move time
  instead of sleeping.
* ``latency`` (method name → seconds) makes the server take that long before it handles each
  call of a method (a slow or overloaded server); the call is handled even if the client has
  given up meanwhile, as a real server does with a request it has received.
* MarkdownV2/Markdown texts are accepted unparsed (no entities). No automatic url, mention,
  cashtag or bank-card entities in bot messages; injected user messages get ``bot_command``
  entities only. Chat actions are recorded, not rate limited (a client shows one until the
  bot's next message, or for 5 seconds).
* Chats not configured are created on first use when ``auto_chats=True`` (the default):
  positive ids are private chats, ids below -10**12 supergroups, other negative ids groups.
* A webhook is recorded, never called. No files, inline mode or payments. Photos
  (``sendPhoto``) only by http(s) URL, never fetched: a URL in ``unreachable_photos`` (or not
  http(s)) is 400 "wrong file identifier/HTTP URL specified"; the caption is parsed like a
  text, at most 1024 UTF-16 units after parsing (400 "message caption is too long"). A photo
  counts against the rate limits like a message; ``editMessageCaption`` rewrites its caption
  and ``editMessageText`` refuses it ("there is no text in the message to edit").
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import math
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_MESSAGE_UNITS",
    "Call",
    "EntityParseError",
    "FakeChat",
    "FakeTelegram",
    "RateLimits",
    "Rejection",
    "bot_command_entities",
    "entity_texts",
    "fake_telegram",
    "found_entities",
    "hashtag_entities",
    "parse_html",
    "utf16_len",
]

DEFAULT_TOKEN = "7000000001:AAFakeTokenForNewsdigestTests_0123456"
MAX_MESSAGE_UNITS = 4096
MAX_CAPTION_UNITS = 1024
"""The Bot API's limit on a message's visible text, in UTF-16 code units."""

JSON = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's unit: most emoji count 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# ----------------------------------------------------------------------------- HTML parse mode


class EntityParseError(ValueError):
    """The text is not valid Bot API HTML; the message is the server's (after "can't parse
    entities: ")."""


_ALLOWED_TAGS = frozenset(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split()
)
_SPACE = frozenset(" \t\r\n\v\f\0")  # tdlib's is_space; "\0" stands for the end of the text
_SIMPLE = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_PRIORITY = {  # tdlib's MessageEntity::get_type_priority, for the order of entities
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite"})
_USER_LINK = re.compile(r"tg://user\?id=(\d{1,15})", re.IGNORECASE)
_HOST = re.compile(r"[\w.-]+|\[[0-9a-fA-F:.]+\]")


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset of the entity in the visible text
    begin: int  # index into the output pieces, to read the inner text of a bare <a>
    expandable: bool


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character an entity at ``pos`` stands for and the index after it (tdlib rules)."""

    def at(k: int) -> str:
        return text[k] if k < len(text) else "\0"

    end = pos + 1
    if at(end) == "#":
        end += 1
        code = 0
        if at(end) == "x":
            end += 1
            while at(end) in "0123456789abcdefABCDEF":
                code = code * 16 + int(at(end), 16)
                end += 1
        else:
            while at(end) in "0123456789":
                code = code * 10 + int(at(end))
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while at(end).isascii() and at(end).isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if at(end) == ";":
        end += 1
    return char, end


def _checked_link(url: str) -> str | None:
    """The link as the server keeps it, or None when it is not a usable link."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return None
    scheme_match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(?!\d)", url)
    if "://" in url:
        scheme = url.split("://", 1)[0].lower()
    elif scheme_match and "." not in scheme_match.group(1):
        scheme = scheme_match.group(1).lower()
    else:
        url, scheme = "http://" + url, "http"
    if scheme not in _LINK_SCHEMES:
        return None
    if scheme in ("http", "https"):
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return None
        host = parts.netloc.rpartition("@")[2]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if not host or not _HOST.fullmatch(host):
            return None
        if not parts.path:
            url = parts._replace(path="/").geturl()
    return url


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JSON]]:
    """The visible text and the Bot API ``MessageEntity`` list of an HTML-mode text.

    Raises ``EntityParseError`` with the server's message. ``strict`` additionally rejects a
    ``&`` that starts no entity and an invalid ``href`` (see the module doc).
    """
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    def byte_offset(k: int) -> int:
        return len(text[:k].encode("utf-8", "surrogatepass"))

    out: list[str] = []
    units = 0
    stack: list[_Open] = []
    entities: list[JSON] = []
    has_surrogate = False
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                char, i = decoded
                has_surrogate = has_surrogate or 0xD800 <= ord(char) <= 0xDFFF
                out.append(char)
                units += 1 if ord(char) <= 0xFFFF else 2
                continue
            if strict:
                raise EntityParseError(
                    f'Character "&" at byte offset {byte_offset(i)} starts no entity; '
                    'escape it as "&amp;" (fake server, strict mode)'
                )
        if c != "<":
            out.append(c)
            units += 1 if ord(c) <= 0xFFFF else 2
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":  # a start tag
            while at(i) not in _SPACE and at(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _ALLOWED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            argument = ""
            expandable = False
            while at(i) != ">":
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) == ">":
                    break
                name_begin = i
                while at(i) not in _SPACE and at(i) not in "=>":
                    i += 1
                name = text[name_begin:i]
                if not name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and name.lower() == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {byte_offset(begin)}'
                    )
                i += 1
                while i < n and at(i) in _SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                if at(i) not in "'\"":  # a name token
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if at(i) not in _SPACE and at(i) != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset "
                            f"{byte_offset(token_begin)}"
                        )
                else:  # a string literal
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_entity(text, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                            if strict:
                                raise EntityParseError(
                                    f'Character "&" at byte offset {byte_offset(i)} starts no '
                                    'entity; escape it as "&amp;" (fake server, strict mode)'
                                )
                        chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {byte_offset(begin)}"
                    )
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value.removeprefix("language-")
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value.removeprefix("tg-")
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append(_Open(tag, argument, units, len(out), expandable))
            i += 1  # past ">"
            continue

        # an end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        while at(i) not in _SPACE and at(i) != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and at(i) in _SPACE:
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        opened = stack[-1]
        if end_name and end_name != opened.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{end_name}>"'
            )
        if units > opened.offset:
            inner = "".join(out[opened.begin :])
            _close_entity(opened, units - opened.offset, inner, entities, strict=strict)
        stack.pop()
        i += 1  # past ">"
    if stack:
        raise EntityParseError(f"Can't find end tag corresponding to start tag {stack[-1].tag}")
    if has_surrogate and any(0xD800 <= ord(ch) <= 0xDFFF for ch in "".join(out)):
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    for entity in entities:
        entity.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
    return "".join(out), entities


def _close_entity(
    opened: _Open, length: int, inner: str, entities: list[JSON], *, strict: bool
) -> None:
    """Append the entity an end tag closes (tdlib's rules, including pre/code merging)."""
    offset, tag, argument = opened.offset, opened.tag, opened.argument
    same_span = bool(entities) and (entities[-1]["offset"], entities[-1]["length"]) == (
        offset,
        length,
    )
    if tag in _SIMPLE:
        entities.append({"type": _SIMPLE[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit() or not 0 < int(argument) < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        url = argument or inner
        user = _USER_LINK.fullmatch(url)
        if user:
            entities.append(
                {
                    "type": "text_mention",
                    "offset": offset,
                    "length": length,
                    "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
                }
            )
        elif (checked := _checked_link(url)) is not None:
            entities.append(
                {"type": "text_link", "offset": offset, "length": length, "url": checked}
            )
        elif strict:
            raise EntityParseError(f'Invalid URL "{url}" in the tag "a" (fake server, strict mode)')
    elif tag == "pre":
        last = entities[-1] if same_span else None
        if last is not None and last["type"] == "code" and last.get("_language"):
            last["type"] = "pre"
            last["language"] = last.pop("_language")
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if same_span else None
        if last is not None and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            code: JSON = {"type": "code", "offset": offset, "length": length}
            if argument:
                code["_language"] = argument
            entities.append(code)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.expandable else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


_TRIM = " \t\r\n"


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip leading and trailing whitespace as the server does, moving entities with it."""
    lead = len(text) - len(text.lstrip(_TRIM))  # ASCII: one UTF-16 unit each
    stripped = text.strip(_TRIM)
    size = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - lead)
        end = min(size, int(entity["offset"]) + int(entity["length"]) - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# ----------------------------------------------------------------------------- state


@dataclass(frozen=True)
class RateLimits:
    """Flood limits the fake enforces; ``None`` for a count disables that limit."""

    per_private_chat: int | None = 1
    private_window: float = 1.0
    per_group: int | None = 20
    group_window: float = 60.0
    overall: int | None = 30
    overall_window: float = 1.0


@dataclass
class FakeChat:
    """A chat the fake knows, with the state that decides how sends to it are answered."""

    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    is_forum: bool = False
    topics: dict[int, str] = field(default_factory=dict)
    admins: list[int] = field(default_factory=list)
    members: set[int] = field(default_factory=set)
    blocked: bool = False
    migrated_to: int | None = None
    next_message_id: int = 1

    def as_json(self) -> JSON:
        """The Bot API ``Chat`` object."""
        chat: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or f"User {self.id}"
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass(frozen=True)
class Rejection:
    """A request the fake answered with an error."""

    method: str
    params: JSON
    error_code: int
    description: str
    parameters: JSON | None = None


@dataclass(frozen=True)
class Call:
    """A request the fake received with a valid token, its parameters decoded."""

    method: str
    params: JSON


class _Truncated(Exception):
    """The request body ended before its Content-Length (the client died while sending)."""


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad(description: str, parameters: JSON | None = None) -> _ApiError:
    return _ApiError(400, "Bad Request: " + description, parameters)


_INT_FIELDS = frozenset(
    "chat_id message_id message_thread_id offset limit user_id cache_time max_connections "
    "reply_to_message_id from_chat_id".split()
)
_FLOAT_FIELDS = frozenset({"timeout"})
_JSON_FIELDS = frozenset(
    "reply_markup entities allowed_updates commands scope link_preview_options "
    "reply_parameters".split()
)
_BOOL_FIELDS = frozenset(
    "disable_notification protect_content disable_web_page_preview show_alert "
    "drop_pending_updates allow_sending_without_reply".split()
)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CALLBACK_DATA_MAX = 64  # bytes
_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def _coerce(name: str, value: Any) -> Any:
    """A form value as the Bot API reads it (form values arrive as strings)."""
    if not isinstance(value, str):
        return value
    try:
        if name in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
            return int(value)
        if name in _FLOAT_FIELDS and value:
            return float(value)
        if name in _JSON_FIELDS:
            return json.loads(value)
    except ValueError as exc:
        raise _bad(f"can't parse {name} JSON object") from exc
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def bot_command_entities(text: str) -> list[JSON]:
    """``bot_command`` entities as the server marks them in a user's message (tdlib's rule)."""
    entities: list[JSON] = []
    for match in re.finditer(r"/([A-Za-z0-9_]+)(@[A-Za-z0-9_]*)?", text):
        start, end = match.span()
        before = text[start - 1] if start else ""
        if before and (_is_word_char(before) or before in "/<>"):
            continue
        if not 1 <= len(match.group(1)) <= 64:
            continue
        mention = match.group(2)
        if mention is not None and not 3 <= len(mention) - 1 <= 32:
            continue
        after = text[end] if end < len(text) else ""
        if after and (_is_word_char(after) or after in "/<>"):
            continue
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[:start]),
                "length": utf16_len(text[start:end]),
            }
        )
    return entities


def entity_texts(message: JSON, kind: str) -> list[str]:
    """The text of each ``kind`` entity (``bot_command``, ``hashtag``, ``text_link`` …) of a
    message as ``FakeTelegram.sent`` records it."""
    units = str(message["visible_text"]).encode("utf-16-le", "surrogatepass")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message["entities"]
        if e["type"] == kind
    ]


def _is_hashtag_letter(ch: str) -> bool:
    """tdlib's ``is_hashtag_letter``: a letter, a decimal digit, ``_``, ZWNJ, ``·``, Sinhala."""
    if ch in "_\u200c\u00b7" or "\u0d80" <= ch <= "\u0dff":
        return True
    category = unicodedata.category(ch)
    return category[0] == "L" or category == "Nd"


def hashtag_entities(text: str) -> list[JSON]:
    """``hashtag`` entities as the server finds them (tdlib's ``match_hashtags``; the
    ``#tag@bot`` form is left out)."""
    entities: list[JSON] = []
    for match in re.finditer("#", text):
        start = match.start()
        if start and _is_hashtag_letter(text[start - 1]):
            continue
        end = start + 1
        while end < len(text) and _is_hashtag_letter(text[end]):
            end += 1
        body = text[start + 1 : end]
        if end < len(text) and text[end] == "#":
            continue
        if not any(unicodedata.category(ch)[0] == "L" for ch in body):
            continue
        entities.append(
            {
                "type": "hashtag",
                "offset": utf16_len(text[:start]),
                "length": utf16_len(text[start : start + 1 + min(len(body), 256)]),
            }
        )
    return entities


_SPLITTABLE = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_BLOCKQUOTES = frozenset({"blockquote", "expandable_blockquote"})


def found_entities(text: str, entities: list[JSON]) -> list[JSON]:
    """``entities`` (from the markup) with the ``bot_command`` and ``hashtag`` entities the
    server finds in a bot's ``text`` merged in (tdlib's ``merge_new_entities``): a found
    entity that overlaps a link, mention, code, pre or custom emoji is dropped."""
    found = sorted(bot_command_entities(text) + hashtag_entities(text), key=lambda e: e["offset"])
    blocking = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] not in _SPLITTABLE and e["type"] not in _BLOCKQUOTES
    ]
    merged = list(entities)
    for entity in found:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if not any(start < b_end and b_start < end for b_start, b_end in blocking):
            merged.append(entity)
    merged.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
    return merged


# ----------------------------------------------------------------------------- the server


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients give up on long polls mid-answer: that is normal


class FakeTelegram:
    """A Bot API server on 127.0.0.1 (an ephemeral port) until ``close()``; see module doc."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "newsdigest_test_bot",
        bot_name: str = "Newsdigest",
        limits: RateLimits | None = None,
        strict_html: bool = True,
        auto_chats: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.limits = limits if limits is not None else RateLimits()
        self.strict_html = strict_html
        self.auto_chats = auto_chats
        self.clock = clock
        self.requests: list[str] = []
        """Method names of every request, in order (also the rejected ones)."""
        self.calls: list[Call] = []
        self.rejected: list[Rejection] = []
        self.answers: list[JSON] = []
        """Every accepted ``answerCallbackQuery``, its parameters."""
        self.actions: list[JSON] = []
        """Every accepted ``sendChatAction``: ``chat_id`` (resolved), ``action`` and
        ``message_thread_id`` (None outside a forum topic), with ``after`` the number of
        messages the fake had accepted before it (to tell what came first)."""
        self.webhook: JSON | None = None
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, JSON] = {}
        self._sent: list[JSON] = []
        self._messages: dict[tuple[int, int], JSON] = {}
        self._updates: list[JSON] = []
        self._allowed_updates: list[str] = []
        self._update_ids = itertools.count(100_001)
        self._query_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._poll_generation = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._gone: set[int] = set()
        self._forced: dict[int | None, deque[int]] = {}
        # Per chat (None: bot-wide), the 429 being waited out: when it was given, and until.
        self._holds: dict[int | None, tuple[float, float]] = {}
        self._arrival = threading.local()  # when the request a handler thread serves arrived
        self.violations: list[Rejection] = []
        """Sends made before a ``retry_after`` the fake had answered had passed (see above)."""
        self.latency: dict[str, float] = {}
        """Method name → seconds the server waits before handling each call of it."""
        self.unreachable_photos: set[str] = set()
        """Photo URLs the server cannot fetch: sendPhoto answers "wrong file identifier"."""
        self._chat_sends: dict[int, deque[float]] = {}
        self._all_sends: deque[float] = deque()
        self._closed = False
        self._changed = threading.Condition(threading.RLock())
        self._methods: dict[str, tuple[str, Callable[[JSON], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._ok,
                "close": self._ok,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "sendPhoto": self._send_photo,
                "editMessageCaption": self._edit_message_caption,
                "sendChatAction": self._send_chat_action,
                "answerCallbackQuery": self._answer_callback_query,
                "getChat": self._get_chat,
                "getChatAdministrators": self._get_chat_administrators,
                "getChatMember": self._get_chat_member,
            }.items()
        }
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the client's delayed ACK
            # would hold every answer back by ~40 ms.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ addresses

    @property
    def base(self) -> str:
        """The server's root URL, without a trailing slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` takes (it appends the token, then ``/method``)."""
        return self.base + "/bot"

    @property
    def base_file_url(self) -> str:
        """What PTB's ``base_file_url`` takes (files are not served: always 404)."""
        return self.base + "/file/bot"

    @property
    def bot_user(self) -> JSON:
        """The bot's ``User`` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ configuration

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        is_forum: bool = False,
    ) -> FakeChat:
        """Make ``chat_id`` known (its type inferred from the id unless given)."""
        with self._changed:
            self._gone.discard(chat_id)
            chat = self.chats.get(chat_id)
            if chat is None:
                chat = FakeChat(chat_id, chat_type or _infer_type(chat_id))
                self.chats[chat_id] = chat
            elif chat_type:
                chat.type = chat_type
            chat.title = title or chat.title
            chat.username = username or chat.username
            chat.first_name = first_name or chat.first_name
            chat.is_forum = chat.is_forum or is_forum
            return chat

    def add_user(self, user_id: int, first_name: str = "", username: str | None = None) -> JSON:
        """Make a user known (name and username for the updates that mention them)."""
        with self._changed:
            user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name or "User"}
            if username:
                user["username"] = username
            self.users[user_id] = user
            return user

    def add_topic(self, chat_id: int, thread_id: int, name: str = "Topic") -> None:
        """Give a supergroup a forum topic (the chat becomes a forum)."""
        chat = self.add_chat(chat_id, is_forum=True)
        with self._changed:
            chat.topics[thread_id] = name

    def set_admins(self, chat_id: int, user_ids: list[int]) -> None:
        """The chat's administrators; the first is its creator."""
        chat = self.add_chat(chat_id)
        with self._changed:
            chat.admins = list(user_ids)
            chat.members.update(user_ids)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot (private chat), or the bot was removed (group, channel)."""
        chat = self.add_chat(chat_id)
        with self._changed:
            chat.blocked = True

    def unblock(self, chat_id: int) -> None:
        """Undo ``block``."""
        chat = self.add_chat(chat_id)
        with self._changed:
            chat.blocked = False

    def migrate(self, chat_id: int, new_id: int) -> FakeChat:
        """The group became the supergroup ``new_id``; sends to the old id answer 400."""
        old = self.add_chat(chat_id)
        new = self.add_chat(new_id, "supergroup", title=old.title, username=old.username)
        with self._changed:
            old.migrated_to = new_id
            new.admins, new.members = list(old.admins), set(old.members)
        return new

    def remove_chat(self, chat_id: int) -> None:
        """Forget the chat: requests for it answer "chat not found" (even with auto_chats)."""
        with self._changed:
            self.chats.pop(chat_id, None)
            self._gone.add(chat_id)

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """Delete a message (as a chat admin would): editing it answers "message to edit not
        found"."""
        with self._changed:
            self._messages.pop((chat_id, message_id), None)

    def force_retry_after(self, chat_id: int | None, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` sends to ``chat_id`` (any chat: None) with a 429."""
        with self._changed:
            self._forced.setdefault(chat_id, deque()).extend([retry_after] * times)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands set for a scope (default scope when None) and language."""
        with self._changed:
            return list(self._commands.get(_scope_key(scope, language_code), []))

    # ------------------------------------------------------------------ injecting updates

    def inject_update(self, update: JSON) -> JSON:
        """Queue a raw update (``update_id`` is assigned when missing)."""
        with self._changed:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._changed.notify_all()
            return update

    def inject_message(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        username: str | None = None,
        first_name: str | None = None,
        chat_type: str | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """Queue a user's text message, with ``bot_command`` entities as Telegram marks them.

        ``chat_type`` defaults to the type of a known chat, else one inferred from the id
        ("private" for positive ids).
        """
        with self._changed:
            user = self._user(user_id, username, first_name)
            chat = self.chats.get(chat_id) or self.add_chat(chat_id, chat_type)
            if chat.type == "private" and chat.first_name is None:
                chat.first_name = user["first_name"]
                chat.username = chat.username or user.get("username")
            chat.members.add(user_id)
            message = self._new_message(chat, user, text)
            message["text"] = text
            commands = bot_command_entities(text)
            if commands:
                message["entities"] = commands
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
                if chat.is_forum:
                    message["is_topic_message"] = True
            return self.inject_update({"message": message})

    def inject_callback(
        self,
        user_id: int,
        chat_id: int,
        data: str,
        message_id: int,
        *,
        username: str | None = None,
    ) -> JSON:
        """Queue a press on an inline button under message ``message_id`` of ``chat_id``."""
        with self._changed:
            user = self._user(user_id, username, None)
            chat = self.chats.get(chat_id) or self.add_chat(chat_id)
            message = self._messages.get((chat.id, message_id))
            if message is None:  # what Telegram sends for a message it no longer gives out
                message = {"chat": chat.as_json(), "message_id": message_id, "date": 0}
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": f"{abs(chat_id)}0",
                "data": data,
            }
            return self.inject_update({"callback_query": query})

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._changed:
            return list(self._updates)

    # ------------------------------------------------------------------ inspecting

    def sent(self, chat_id: int | None = None) -> list[JSON]:
        """Every accepted sendMessage/editMessageText, oldest first, optionally for one chat.

        Each is the request's parameters (``text`` as sent, HTML included) plus ``method``,
        ``chat_id`` (resolved), ``message_id``, ``visible_text`` and parsed ``entities``.
        """
        with self._changed:
            return [dict(s) for s in self._sent if chat_id is None or s["chat_id"] == chat_id]

    async def wait_for_sent(
        self,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline, like the sync variant
    ) -> JSON:
        """The first sent message matching ``predicate``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._find_sent(predicate)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._nothing_sent(timeout))
            await asyncio.sleep(0.005)

    def wait_for_sent_sync(
        self, predicate: Callable[[JSON], bool] | None = None, timeout: float = 5.0
    ) -> JSON:
        """``wait_for_sent`` for code that does not run on an event loop."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (found := self._find_sent(predicate)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._nothing_sent(timeout))
                self._changed.wait(remaining)
            return found

    async def wait_for_request(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline
    ) -> None:
        """Wait until ``method`` has been requested ``count`` times (e.g. the bot is polling)."""
        deadline = time.monotonic() + timeout
        while self.requests.count(method) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{method} not requested {count}x: {self.requests!r}")
            await asyncio.sleep(0.005)

    def _find_sent(self, predicate: Callable[[JSON], bool] | None) -> JSON | None:
        with self._changed:
            return next((dict(s) for s in self._sent if predicate is None or predicate(s)), None)

    def _nothing_sent(self, timeout: float) -> str:
        return (
            f"no matching message within {timeout}s; sent: {self.sent()!r}; "
            f"rejected: {self.rejected!r}; requests: {self.requests!r}"
        )

    def close(self) -> None:
        """Stop serving; pending long polls return at once."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()

    # ------------------------------------------------------------------ HTTP

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        self._arrival.at = self.clock()
        url = urlsplit(handler.path)
        try:
            params = self._read_params(handler, url.query)
        except _ApiError as error:
            self._reply(handler, error.code, _error_body(error))
            return
        except _Truncated:
            handler.close_connection = True  # the client died mid-request: never processed
            return
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z_]*)", url.path)
        if match is None:
            self._reply(handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, raw_method = match.groups()
        method, run = self._methods.get(raw_method.lower(), (raw_method, None))
        with self._changed:
            self.requests.append(method)
        try:
            if token != self.token:
                raise _ApiError(401, "Unauthorized")
            if run is None:
                raise _ApiError(404, "Not Found")
            with self._changed:
                self.calls.append(Call(method, params))
                delay = self.latency.get(method, 0.0)
                if delay > 0:  # woken early only by close()
                    self._changed.wait_for(lambda: self._closed, timeout=delay)
            result = run(params)
        except _ApiError as error:
            with self._changed:
                self.rejected.append(
                    Rejection(method, params, error.code, error.description, error.parameters)
                )
            self._reply(handler, error.code, _error_body(error))
            return
        self._reply(handler, 200, {"ok": True, "result": result})

    @staticmethod
    def _read_params(handler: BaseHTTPRequestHandler, query: str) -> JSON:
        raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if len(body) < length:
            raise _Truncated
        content_type = handler.headers.get("Content-Type", "")
        if body and content_type.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise _bad("can't parse JSON object") from exc
            if not isinstance(decoded, dict):
                raise _bad("can't parse JSON object")
            raw.update(decoded)
        elif body and content_type.startswith("multipart/form-data"):
            head = f"Content-Type: {content_type}\r\n\r\n".encode()
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if not isinstance(name, str) or not isinstance(payload, bytes):
                    continue
                is_file = part.get_filename() is not None
                raw[name] = payload if is_file else payload.decode("utf-8", "replace")
        elif body:
            raw.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return {name: _coerce(name, value) for name, value in raw.items()}

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: JSON) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client abandoned the request (a cancelled long poll)

    # ------------------------------------------------------------------ chats and users

    def _user(self, user_id: int, username: str | None, first_name: str | None) -> JSON:
        user = self.users.get(user_id)
        if user is None or username or first_name:
            previous = user or {}
            user = self.add_user(
                user_id,
                first_name or previous.get("first_name") or f"User{user_id}",
                username or previous.get("username"),
            )
        return user

    def _chat(self, params: JSON, name: str = "chat_id") -> FakeChat:
        """The chat a request targets: unknown → 400 chat not found, migrated → 400."""
        raw = params.get(name)
        if raw is None or raw == "":
            raise _bad(f"{name} is empty")
        chat: FakeChat | None = None
        if isinstance(raw, str) and raw.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == raw[1:]), None)
        elif isinstance(raw, int):
            chat = self.chats.get(raw)
            if chat is None and self.auto_chats and raw not in self._gone and raw != 0:
                chat = self.add_chat(raw)
        if chat is None:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise _bad(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    @staticmethod
    def _check_writable(chat: FakeChat) -> None:
        if not chat.blocked:
            return
        if chat.type == "private":
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type == "channel":
            raise _ApiError(403, "Forbidden: bot is not a member of the channel chat")
        raise _ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")

    def _new_message(self, chat: FakeChat, sender: JSON, text: str) -> JSON:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.as_json(),
            "date": int(time.time()),
            "text": text,
        }
        self._messages[(chat.id, message_id)] = message
        return message

    # ------------------------------------------------------------------ message checks

    def _visible(self, params: JSON, *, caption: bool = False) -> tuple[str, list[JSON]]:
        """The text (or a photo's ``caption``) as the chat will show it and its entities; 400
        for what Telegram refuses."""
        raw = params.get("caption" if caption else "text")
        if caption and (raw is None or raw == ""):
            return "", []
        if raw is None or raw == "":
            raise _bad("message text is empty")
        text = str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                visible, entities = parse_html(text, strict=self.strict_html)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from exc
        elif mode in ("", "markdown", "markdownv2"):
            visible = text
            given = params.get("entities") if not mode else None
            entities = list(given) if isinstance(given, list) else []
        else:
            raise _bad("unsupported parse_mode")
        visible, entities = _trim(visible, entities)
        if not visible:
            raise _bad("message text is empty")
        entities = found_entities(visible, entities)
        if caption and utf16_len(visible) > MAX_CAPTION_UNITS:
            raise _bad("message caption is too long")
        if utf16_len(visible) > MAX_MESSAGE_UNITS:
            raise _bad("message is too long")
        return visible, entities

    @staticmethod
    def _check_markup(params: JSON) -> None:
        markup = params.get("reply_markup")
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= _CALLBACK_DATA_MAX:
                    raise _bad("BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise _bad("text buttons are unallowed in the inline keyboard")

    def _check_thread(self, chat: FakeChat, params: JSON) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None:
            return None
        if not isinstance(thread, int) or thread not in chat.topics:
            raise _bad("message thread not found")
        return thread

    def _check_reply(self, chat: FakeChat, params: JSON) -> int | None:
        reply = params.get("reply_parameters")
        target = reply.get("message_id") if isinstance(reply, dict) else None
        target = target if target is not None else params.get("reply_to_message_id")
        if target is None:
            return None
        allowed = (isinstance(reply, dict) and reply.get("allow_sending_without_reply")) or (
            params.get("allow_sending_without_reply")
        )
        if (chat.id, target) not in self._messages:
            if allowed:
                return None
            raise _bad("message to be replied not found")
        return int(target)

    def _take_send_slot(self, chat: FakeChat) -> None:
        """429 when a flood limit is reached (or one was forced) or one's wait has not yet
        passed (a violation, when the send arrived after that 429); otherwise count the
        send."""
        now = self.clock()
        for key in (chat.id, None):
            given, until = self._holds.get(key, (now, now))
            if now < until:
                error = _too_many(until - now)
                if getattr(self._arrival, "at", now) >= given:
                    self.violations.append(
                        Rejection(
                            "sendMessage",
                            {"chat_id": chat.id},
                            error.code,
                            error.description,
                            error.parameters,
                        )
                    )
                raise error
        for key in (chat.id, None):
            forced = self._forced.get(key)
            if forced:
                raise self._hold(key, forced.popleft(), now)
        limits = self.limits
        if chat.type == "private":
            limit, window = limits.per_private_chat, limits.private_window
        else:
            limit, window = limits.per_group, limits.group_window
        chat_sends = self._chat_sends.setdefault(chat.id, deque())
        for key, sends, count, span in (
            (chat.id, chat_sends, limit, window),
            (None, self._all_sends, limits.overall, limits.overall_window),
        ):
            while sends and sends[0] <= now - span:
                sends.popleft()
            if count is not None and len(sends) >= count:
                raise self._hold(key, max(1, math.ceil(sends[-count] + span - now)), now)
        chat_sends.append(now)
        self._all_sends.append(now)

    def _hold(self, chat_id: int | None, seconds: int, now: float) -> _ApiError:
        """The 429 telling the client to wait ``seconds`` before the next send to ``chat_id``
        (any chat: None); sends before then are refused."""
        self._holds[chat_id] = (now, now + seconds)
        return _too_many(seconds)

    def _record_sent(self, method: str, params: JSON, message: JSON, entities: list[JSON]) -> None:
        record = {
            **params,
            "method": method,
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "visible_text": message.get("text", message.get("caption", "")),
            "entities": entities,
        }
        self._sent.append(record)
        self._changed.notify_all()

    # ------------------------------------------------------------------ methods

    @staticmethod
    def _ok(params: JSON) -> bool:
        return True

    def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params: JSON) -> JSON:
        with self._changed:
            chat = self._chat(params)
            self._check_writable(chat)
            thread = self._check_thread(chat, params)
            visible, entities = self._visible(params)
            self._check_markup(params)
            reply_to = self._check_reply(chat, params)
            self._take_send_slot(chat)
            message = self._new_message(chat, self.bot_user, visible)
            if entities:
                message["entities"] = entities
            if thread is not None:
                message["message_thread_id"] = thread
                message["is_topic_message"] = True
            if reply_to is not None:
                message["reply_to_message"] = self._messages[(chat.id, reply_to)]
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self._record_sent("sendMessage", params, message, entities)
            return message

    def _edit_message_text(self, params: JSON) -> JSON:
        with self._changed:
            if params.get("inline_message_id") is not None:
                raise _bad("inline messages are not supported by the fake server")
            chat = self._chat(params)
            self._check_writable(chat)
            message_id = params.get("message_id")
            message = (
                self._messages.get((chat.id, message_id)) if isinstance(message_id, int) else None
            )
            if message is None:
                raise _bad("message to edit not found")
            if message["from"]["id"] != self.bot_id:
                raise _bad("message can't be edited")
            if "text" not in message:
                raise _bad("there is no text in the message to edit")
            visible, entities = self._visible(params)
            self._check_markup(params)
            markup = params.get("reply_markup")
            if (visible, entities, markup) == (
                message["text"],
                message.get("entities", []),
                message.get("reply_markup"),
            ):
                raise _bad(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            message["text"] = visible
            message["edit_date"] = int(time.time())
            message.pop("entities", None)
            message.pop("reply_markup", None)
            if entities:
                message["entities"] = entities
            if markup:
                message["reply_markup"] = markup
            self._record_sent("editMessageText", params, message, entities)
            return dict(message)

    def _send_photo(self, params: JSON) -> JSON:
        with self._changed:
            chat = self._chat(params)
            self._check_writable(chat)
            thread = self._check_thread(chat, params)
            photo = params.get("photo")
            if not isinstance(photo, str) or not photo:
                raise _bad("there is no photo in the request")
            if not photo.startswith(("http://", "https://")) or photo in self.unreachable_photos:
                raise _bad("wrong file identifier/HTTP URL specified")
            visible, entities = self._visible(params, caption=True)
            self._take_send_slot(chat)
            message = self._new_message(chat, self.bot_user, "")
            del message["text"]
            size = {"width": 1280, "height": 720, "file_size": 100_000}
            file = f"photo-{len(self._sent)}"
            message["photo"] = [{"file_id": file, "file_unique_id": file, **size}]
            if visible:
                message["caption"] = visible
            if entities:
                message["caption_entities"] = entities
            if thread is not None:
                message["message_thread_id"] = thread
                message["is_topic_message"] = True
            self._record_sent("sendPhoto", params, message, entities)
            return message

    def _edit_message_caption(self, params: JSON) -> JSON:
        with self._changed:
            chat = self._chat(params)
            self._check_writable(chat)
            message_id = params.get("message_id")
            message = (
                self._messages.get((chat.id, message_id)) if isinstance(message_id, int) else None
            )
            if message is None:
                raise _bad("message to edit not found")
            if message["from"]["id"] != self.bot_id:
                raise _bad("message can't be edited")
            if "photo" not in message:
                raise _bad("there is no caption in the message to edit")
            visible, entities = self._visible(params, caption=True)
            if (visible, entities) == (
                message.get("caption", ""),
                message.get("caption_entities", []),
            ):
                raise _bad(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            message["caption"] = visible
            message["edit_date"] = int(time.time())
            message.pop("caption_entities", None)
            if entities:
                message["caption_entities"] = entities
            self._record_sent("editMessageCaption", params, message, entities)
            return dict(message)

    def _send_chat_action(self, params: JSON) -> bool:
        with self._changed:
            chat = self._chat(params)
            self._check_writable(chat)
            thread = self._check_thread(chat, params)
            action = params.get("action")
            if action not in _CHAT_ACTIONS:
                raise _bad("wrong parameter action in request")
            self.actions.append(
                {
                    "chat_id": chat.id,
                    "action": action,
                    "message_thread_id": thread,
                    "after": len(self._sent),
                }
            )
            self._changed.notify_all()
            return True

    def _answer_callback_query(self, params: JSON) -> bool:
        with self._changed:
            query_id = str(params.get("callback_query_id", ""))
            if query_id not in self._open_queries:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            self._open_queries.discard(query_id)
            self.answers.append(dict(params))
            return True

    def _get_chat(self, params: JSON) -> JSON:
        with self._changed:
            chat = self._chat(params)
            return {
                **chat.as_json(),
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        with self._changed:
            chat = self._chat(params)
            if chat.type == "private":
                raise _bad("there are no administrators in the private chat")
            return [self._member(chat, user_id) for user_id in chat.admins]

    def _get_chat_member(self, params: JSON) -> JSON:
        with self._changed:
            chat = self._chat(params)
            user_id = params.get("user_id")
            if not isinstance(user_id, int):
                raise _bad("invalid user_id specified")
            return self._member(chat, user_id)

    def _member(self, chat: FakeChat, user_id: int) -> JSON:
        user = self.bot_user if user_id == self.bot_id else self._user(user_id, None, None)
        if chat.admins and user_id == chat.admins[0]:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            rights = (
                "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
                "can_promote_members can_change_info can_invite_users can_post_stories "
                "can_edit_stories can_delete_stories can_pin_messages"
            ).split()
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                **dict.fromkeys(rights, True),
            }
        in_chat = (
            user_id in chat.members
            or user_id == self.bot_id
            or (chat.type == "private" and user_id == chat.id)
        )
        return {"status": "member" if in_chat else "left", "user": user}

    def _get_updates(self, params: JSON) -> list[JSON]:
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        allowed = params.get("allowed_updates")
        if not isinstance(limit, int) or not isinstance(timeout, int | float):
            raise _bad("wrong parameter type")
        limit = min(max(limit, 1), 100)
        deadline = time.monotonic() + max(float(timeout), 0.0)
        with self._changed:
            if self.webhook is not None:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed.notify_all()  # an older poll ends with 409
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed]
            if isinstance(offset, int) and offset < 0:
                self._updates = self._updates[offset:]
            elif isinstance(offset, int):
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                if self._poll_generation != generation:
                    raise _ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                self._updates = [u for u in self._updates if self._allowed(u)]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._closed:
                    return self._updates[:limit]
                self._changed.wait(remaining)

    def _allowed(self, update: Mapping[str, Any]) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        with self._changed:
            if not url:
                self.webhook = None
                return True
            if not url.startswith("https://"):
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
            self.webhook = dict(params)
            self._changed.notify_all()
            return True

    def _delete_webhook(self, params: JSON) -> bool:
        with self._changed:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
            return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        with self._changed:
            return {
                "url": self.webhook["url"] if self.webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("command description must be non-empty")
        key = _scope_key(params.get("scope"), str(params.get("language_code", "")))
        with self._changed:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
            return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands(params.get("scope"), str(params.get("language_code", "")))

    def _delete_my_commands(self, params: JSON) -> bool:
        key = _scope_key(params.get("scope"), str(params.get("language_code", "")))
        with self._changed:
            self._commands.pop(key, None)
            return True


def _infer_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if chat_id < -(10**12) else "group"


def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) and scope else {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code


def _too_many(wait: float) -> _ApiError:
    seconds = max(1, math.ceil(wait))
    return _ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def _error_body(error: _ApiError) -> JSON:
    body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return body


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fresh fake Bot API server for one test."""
    fake = FakeTelegram()
    yield fake
    fake.close()
