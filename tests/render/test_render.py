"""The three renderers: golden files, hostile input, and the platform limits as properties.

Golden files live in ``tests/data/render/<case>/`` (``telegram.html`` with messages separated
by a ``-----8<-----`` line, ``slack.json``, ``text.txt``); the digests are built in
``tests/support/render_fixtures.py``. After an intended change, regenerate them with
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/render/test_render.py`` and review the diff.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import replace
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digests.models import Digest, DigestItem, DigestSection, Link, TopicRef
from digests.render.common import ELLIPSIS, safe_url, shorten, utf16_len
from digests.render.slack import (
    FOLLOW_TOPIC_ACTION_ID,
    TOPIC_MORE_ACTION_ID,
    SlackMessage,
    render_slack,
)
from digests.render.telegram import (
    TelegramMessage,
    parse_topic_payload,
    render_telegram,
    topic_payload,
)
from digests.render.text import render_text
from digests.text.bidi import FSI, PDI
from tests.support.render_fixtures import (
    AGES,
    CASES,
    CREATED,
    HOSTILE,
    RATES,
    RenderCase,
    item,
    long_summary,
    many_items,
)

GOLDEN = Path(__file__).parents[1] / "data" / "render"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
MESSAGE_SEPARATOR = "\n-----8<-----\n"
SURFACES = ("telegram.html", "slack.json", "text.txt")


def rendered(case: RenderCase, surface: str) -> str:
    options: dict[str, Any] = {"language": case.language, "timezone": case.timezone}
    if surface == "telegram.html":
        messages = render_telegram(case.digest, bot_username=case.bot_username, **options)
        return MESSAGE_SEPARATOR.join(message.text for message in messages) + "\n"
    if surface == "slack.json":
        slack = [
            {"text": m.text, "blocks": list(m.blocks)} for m in render_slack(case.digest, **options)
        ]
        return json.dumps(slack, ensure_ascii=False, indent=2) + "\n"
    return render_text(case.digest, **options)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, surface: str) -> None:
    path = GOLDEN / name / surface
    actual = rendered(CASES[name], surface)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def test_every_golden_folder_has_a_case() -> None:
    folders = {p.name for p in GOLDEN.iterdir() if p.is_dir()}
    assert folders == set(CASES)


# --------------------------------------------------------------------------- validators


_ALLOWED_TAGS = {
    "b": (),
    "strong": (),
    "i": (),
    "em": (),
    "u": (),
    "ins": (),
    "s": (),
    "strike": (),
    "del": (),
    "code": (),
    "pre": (),
    "blockquote": (),
    "tg-spoiler": (),
    "a": ("href",),
}
_OPEN_TAG = re.compile(r'<([a-z][a-z-]*)((?:\s+[a-z-]+="[^"<>]*")*)\s*>')
_CLOSE_TAG = re.compile(r"</([a-z][a-z-]*)\s*>")
_ATTRIBUTE = re.compile(r'\s+([a-z-]+)="([^"<>]*)"')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def telegram_visible_text(message: str) -> str:
    """What Telegram shows of ``message``; raises ValueError unless it is valid Bot API HTML.

    Strict: only the Bot API's tags, properly nested, no link inside a link, ``href``
    required on ``<a>`` and an http(s) URL; outside tags, ``<``, ``>`` and ``&`` only as
    entities; attribute values escaped too.
    """
    visible: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(message):
        char = message[i]
        if char == "<":
            closing = _CLOSE_TAG.match(message, i)
            if closing:
                if not stack or stack[-1] != closing.group(1):
                    raise ValueError(f"misnested </{closing.group(1)}> at {i}")
                stack.pop()
                i = closing.end()
                continue
            opening = _OPEN_TAG.match(message, i)
            if not opening or opening.group(1) not in _ALLOWED_TAGS:
                raise ValueError(f"not an allowed tag at {i}: {message[i : i + 20]!r}")
            tag = opening.group(1)
            attributes = dict(_ATTRIBUTE.findall(opening.group(2)))
            if set(attributes) - set(_ALLOWED_TAGS[tag]):
                raise ValueError(f"attribute not allowed on <{tag}>: {attributes}")
            if tag == "a":
                if "a" in stack:
                    raise ValueError("link inside a link")
                raw = attributes.get("href", "")
                if "&" in _ENTITY.sub("", raw):
                    raise ValueError(f"unescaped & in href {raw!r}")
                href = html.unescape(raw)
                if urlsplit(href).scheme not in ("http", "https") or not urlsplit(href).hostname:
                    raise ValueError(f"not an http(s) link: {href!r}")
            stack.append(tag)
            i = opening.end()
        elif char == ">":
            raise ValueError(f"unescaped > at {i}")
        elif char == "&":
            entity = _ENTITY.match(message, i)
            if not entity:
                raise ValueError(f"unescaped & at {i}")
            visible.append(html.unescape(entity.group()))
            i = entity.end()
        else:
            visible.append(char)
            i += 1
    if stack:
        raise ValueError(f"unclosed tags {stack}")
    return "".join(visible)


def test_the_validator_rejects_what_telegram_rejects() -> None:
    assert telegram_visible_text('<b>a &amp; <a href="https://x.example/?a=1&amp;b">b</a></b>') == (
        "a & b"
    )
    for bad in (
        "1 < 2",
        "a > b",
        "R&D",
        "<script>x</script>",
        "<b>open",
        "<b><i>x</b></i>",
        '<a href="javascript:alert(1)">x</a>',
        "<a>x</a>",
        '<a href="https://x.example" onclick="y">x</a>',
        '<a href="https://a.example"><a href="https://b.example">x</a></a>',
        '<a href="https://x.example/?a&b">x</a>',
    ):
        with pytest.raises(ValueError):
            telegram_visible_text(bad)


ITEM_TITLE_LINE = re.compile(f"^<b>{FSI}?([0-9]+){PDI}?\\. ", re.MULTILINE)
ITEM_SOURCE_LINE = re.compile(r"^<i>— ", re.MULTILINE)


def check_telegram(messages: list[TelegramMessage], items: int) -> None:
    """Valid HTML, within 4096 UTF-16 units, items whole, each exactly once and in order."""
    assert messages
    numbers: list[int] = []
    for message in messages:
        assert message.parse_mode == "HTML" and message.disable_web_page_preview
        visible = telegram_visible_text(message.text)
        assert 0 < utf16_len(visible) <= 4096
        assert visible.strip()
        here = [int(n) for n in ITEM_TITLE_LINE.findall(message.text)]
        # a whole item: each title line is followed by its source line in the same message
        markers = sorted(
            [(m.start(), "title") for m in ITEM_TITLE_LINE.finditer(message.text)]
            + [(m.start(), "source") for m in ITEM_SOURCE_LINE.finditer(message.text)]
        )
        assert [kind for _, kind in markers] == ["title", "source"] * len(here)
        numbers += here
    assert numbers == list(range(1, items + 1))


_SLACK_LINK = re.compile(r"<https?://[^\s|<>]+\|[^<>|]*>")
_SLACK_ENTITY = re.compile(r"&(?:amp|lt|gt);")


def check_mrkdwn(text: str) -> None:
    """Only ``<url|text>`` links use < and >; & only in entities; within 3000 units."""
    assert 0 < utf16_len(text) <= 3000
    rest = _SLACK_LINK.sub("", text)
    assert "<" not in rest and ">" not in rest, text
    assert "&" not in _SLACK_ENTITY.sub("", rest), text


def check_slack(messages: list[SlackMessage], items: int) -> None:
    """The Block Kit limits, and each item's blocks exactly once, together, in order."""
    assert messages
    numbers: list[int] = []
    for message in messages:
        assert 0 < utf16_len(message.text) <= 40_000
        assert 0 < len(message.blocks) <= 50
        action_ids: list[str] = []
        block_ids = [block["block_id"] for block in message.blocks]
        assert len(set(block_ids)) == len(block_ids)
        for block in message.blocks:
            kind = block["type"]
            if kind == "header":
                assert block["text"]["type"] == "plain_text"
                assert 0 < utf16_len(block["text"]["text"]) <= 150
            elif kind == "section":
                assert block["text"]["type"] == "mrkdwn" and block["text"]["verbatim"]
                check_mrkdwn(block["text"]["text"])
            elif kind == "context":
                assert 0 < len(block["elements"]) <= 10
                for element in block["elements"]:
                    check_mrkdwn(element["text"])
            elif kind == "actions":
                assert 0 < len(block["elements"]) <= 25
                for button in block["elements"]:
                    assert 0 < utf16_len(button["text"]["text"]) <= 75
                    assert 0 < len(button["action_id"]) <= 255
                    assert 0 < utf16_len(button["value"]) <= 2000
                    assert FOLLOW_TOPIC_ACTION_ID.match(
                        button["action_id"]
                    ) or TOPIC_MORE_ACTION_ID.match(button["action_id"])
                    action_ids.append(button["action_id"])
            else:
                raise AssertionError(f"unexpected block {kind}")
        assert len(set(action_ids)) == len(action_ids)
        here = [int(b[5:]) for b in block_ids if re.fullmatch(r"item-[0-9]+", b)]
        for number in here:
            assert f"item-{number}-meta" in block_ids
        numbers += here
    assert numbers == list(range(1, items + 1))


def render_all(
    digest: Digest, bot_username: str | None = "akhbar_digest_bot"
) -> tuple[list[TelegramMessage], list[SlackMessage], str]:
    return (
        render_telegram(digest, language="ar", timezone="Asia/Riyadh", bot_username=bot_username),
        render_slack(digest, language="ar", timezone="Asia/Riyadh"),
        render_text(digest, language="ar", timezone="Asia/Riyadh"),
    )


def bare(text: str) -> str:
    """``text`` without the bidi isolates the chat renderers add."""
    return text.replace(FSI, "").replace(PDI, "")


def one(*items: DigestItem) -> Digest:
    return Digest(destination="t", created_at=CREATED, sections=(DigestSection(None, items),))


# --------------------------------------------------------------------------- golden cases hold


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_cases_satisfy_the_platform_rules(name: str) -> None:
    case = CASES[name]
    options: dict[str, Any] = {"language": case.language, "timezone": case.timezone}
    count = len(case.digest.items)
    check_telegram(render_telegram(case.digest, bot_username=case.bot_username, **options), count)
    check_slack(render_slack(case.digest, **options), count)


# --------------------------------------------------------------------------- times


def test_each_item_says_how_old_it_is_in_the_readers_time_zone() -> None:
    digest = CASES["ages"].digest  # 01:30 on the 30th in Riyadh, the 29th in UTC
    ages = {
        "ar": ["منذ 5 دقائق", "منذ ساعتين", "أمس 18:30", "27 نوفمبر", "4 ديسمبر 2025"],
        "en": ["5 minutes ago", "2 hours ago", "yesterday 18:30", "27 Nov", "4 Dec 2025"],
    }
    for language, expected in ages.items():
        options: dict[str, Any] = {"language": language, "timezone": "Asia/Riyadh"}
        [telegram] = render_telegram(digest, **options)
        source_lines = [line for line in telegram.text.split("\n") if ITEM_SOURCE_LINE.match(line)]
        shown = [bare(telegram_visible_text(line)) for line in source_lines]
        assert [line.rsplit(" · ", 1)[1] for line in shown] == expected
        assert shown[0].startswith(f"— {AGES[0].source} · ")
        [slack] = render_slack(digest, **options)
        meta = [b["elements"][0]["text"] for b in slack.blocks if b["block_id"].endswith("-meta")]
        assert [bare(text).rsplit(" · ", 1)[1] for text in meta] == expected
    # Numbers inside the Arabic lines stay isolated, on both surfaces.
    [telegram] = render_telegram(digest, language="ar", timezone="Asia/Riyadh")
    assert f"<i>— الأخبار · منذ {FSI}5{PDI} دقائق</i>" in telegram.text
    assert f"<i>— العربية · {FSI}4{PDI} ديسمبر {FSI}2025{PDI}</i>" in telegram.text
    [slack] = render_slack(digest, language="ar", timezone="Asia/Riyadh")
    last_meta = slack.blocks[-1]["elements"][0]["text"]
    assert last_meta == f"— العربية · {FSI}4{PDI} ديسمبر {FSI}2025{PDI}"
    assert f"— الأرصاد · أمس {FSI}18:30{PDI}" in json.dumps(slack.blocks, ensure_ascii=False)
    # In UTC the digest is composed on the 29th: the same article is today's.
    assert "— الأرصاد · اليوم 15:30" in render_text(digest, language="ar", timezone="UTC")


# --------------------------------------------------------------------------- hostile input


def test_markup_in_titles_is_shown_not_obeyed() -> None:
    telegram, slack, text = render_all(one(HOSTILE[0]))
    check_telegram(telegram, 1)
    check_slack(slack, 1)
    visible = bare(telegram_visible_text(telegram[0].text))
    assert "<script>alert(1)</script> & <b>عاجل</b>" in visible
    assert "<script" not in telegram[0].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;عاجل&lt;/b&gt;" in bare(
        json.dumps([m.blocks for m in slack], ensure_ascii=False)
    )
    assert "<script>alert(1)</script> & <b>عاجل</b>" in text


def test_slack_formatting_characters_in_titles_cannot_restyle_the_message() -> None:
    _, slack, _ = render_all(one(HOSTILE[1]))
    section = slack[0].blocks[2]["text"]["text"]
    title_line, quote_line, _ = section.split("\n")
    assert title_line.startswith("*") and title_line.endswith(">*")
    assert not set("*_~`") & set(title_line[1:-1])
    assert quote_line.startswith("\u00ad&gt;")  # not a block quote


def test_hostile_bidi_controls_never_reach_any_surface() -> None:
    telegram, slack, text = render_all(one(HOSTILE[2]))
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u200e\u200f\x00\x1b\x85"
    blocks = json.dumps([m.blocks for m in slack], ensure_ascii=False)
    everything = telegram[0].text + blocks + text
    assert not set(controls) & set(everything)
    assert "قلب للاتجاه" in text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "JaVaScRiPt:x"])
def test_only_http_urls_become_links(url: str) -> None:
    digest = one(item(1, "عنوان", "ملخص", url=url, related=(Link("ذو صلة", url, "مصدر"),)))
    telegram, slack, text = render_all(digest)
    check_telegram(telegram, 1)
    check_slack(slack, 1)
    scheme = url.split(":")[0]
    assert scheme not in telegram[0].text.lower()
    assert scheme not in json.dumps([m.blocks for m in slack]).lower()
    assert scheme not in text.lower()
    assert "عنوان" in telegram_visible_text(telegram[0].text)


def test_a_url_with_quotes_stays_inside_its_attribute() -> None:
    url = "https://news.example/a?q=\"x\" onmouseover='alert(1)'&b=<c>"
    assert safe_url(url) is None  # spaces: not a URL at all
    url = "https://news.example/a?q=\"x\"&onmouseover='alert(1)'"
    telegram, slack, _ = render_all(one(item(1, "عنوان", "ملخص", url=url)))
    check_telegram(telegram, 1)
    check_slack(slack, 1)
    hrefs = re.findall(r'<a href="([^"]*)">', telegram[0].text)
    assert html.unescape(hrefs[0]) == url
    section = slack[0].blocks[2]["text"]["text"]
    assert "<https://news.example/a?q=\"x\"&amp;onmouseover='alert(1)'|" in section


def test_a_10000_character_summary_is_shortened_at_a_sentence_boundary() -> None:
    summary = long_summary(10_000)
    telegram, slack, text = render_all(one(item(1, "عنوان طويل", summary)))
    check_telegram(telegram, 1)
    check_slack(slack, 1)
    assert len(telegram) == 1
    visible = telegram_visible_text(telegram[0].text)
    assert utf16_len(visible) > 3500  # the room was used
    assert "الأخير. …" in visible  # whole sentences, marked as cut
    section = slack[0].blocks[2]["text"]["text"]
    assert section.endswith("الأخير. …")
    assert summary in text  # the terminal has no limit


def test_emoji_count_two_units_and_a_word_without_spaces_is_cut_by_character() -> None:
    telegram, slack, _ = render_all(one(item(1, "رموز", "😀" * 5000)))
    check_telegram(telegram, 1)
    check_slack(slack, 1)
    visible = telegram_visible_text(telegram[0].text)
    assert 4000 < utf16_len(visible) <= 4096
    assert 1950 < visible.count("😀") < 2048  # each emoji counted as two units
    assert "😀" + ELLIPSIS in visible


def test_200_items_are_split_between_items_only() -> None:
    digest = many_items(200)
    telegram, slack, text = render_all(digest)
    check_telegram(telegram, 200)
    check_slack(slack, 200)
    assert len(telegram) > 5 and len(slack) > 10
    assert "موجز الأخبار" in telegram[0].text and "موجز الأخبار" not in telegram[1].text
    assert slack[0].blocks[0]["type"] == "header" and slack[1].blocks[0]["type"] != "header"
    assert bare(slack[1].text).endswith(f"(الجزء 2 من {len(slack)})")
    assert "\n200. " in text


def test_a_long_first_item_shares_the_first_message_with_the_heading() -> None:
    telegram, _, _ = render_all(one(item(1, "أول", long_summary(8000)), item(2, "ثان", "قصير")))
    check_telegram(telegram, 2)
    assert len(telegram) == 2
    assert "موجز الأخبار" in telegram[0].text and "أول" in telegram[0].text


def test_an_empty_digest_says_there_is_no_news() -> None:
    telegram, slack, text = render_all(Digest(destination="t", created_at=CREATED))
    assert len(telegram) == 1 and "لا أخبار جديدة منذ آخر موجز." in telegram[0].text
    assert len(slack) == 1 and "لا أخبار جديدة" in json.dumps(slack[0].blocks, ensure_ascii=False)
    assert text.endswith("لا أخبار جديدة منذ آخر موجز.\n")


def test_items_keep_the_composers_order_and_are_numbered_across_sections() -> None:
    first = item(1, "الأول", "", minutes=500)
    second = item(2, "الثاني", "", minutes=1)
    digest = Digest(
        destination="t",
        created_at=CREATED,
        sections=(
            DigestSection(TopicRef("a", "أ"), (first,)),
            DigestSection(TopicRef("b", "ب"), ()),
            DigestSection(None, (second,)),
        ),
    )
    text = render_text(digest, language="ar", timezone="UTC")
    assert text.index("◆ أ") < text.index("1. الأول") < text.index("◆ أخبار أخرى")
    assert text.index("◆ أخبار أخرى") < text.index("2. الثاني")
    assert "◆ ب" not in text


def test_naive_timestamps_are_utc_not_the_machines_zone() -> None:
    morning = CREATED - timedelta(hours=8)  # 09:00 UTC, 12:00 in Riyadh
    naive = replace(item(1, "عنوان", "ملخص"), published_at=morning.replace(tzinfo=None))
    text = render_text(one(naive), language="ar", timezone="Asia/Riyadh")
    assert "· اليوم 12:00 ·" in text


def test_also_reported_by_names_at_most_five_and_counts_the_rest() -> None:
    also = tuple(Link(f"t{n}", f"https://s{n}.example/", f"مصدر {n}") for n in range(8))
    telegram, _, text = render_all(one(item(1, "عنوان", "ملخص", also=also)))
    assert "أيضاً في: مصدر 0، مصدر 1، مصدر 2، مصدر 3، مصدر 4 و3 غيرها" in text
    assert telegram[0].text.count('href="https://s') == 5


# --------------------------------------------------------------------------- topics


def test_topic_tags_are_deep_links_only_with_a_bot_username() -> None:
    linked, _, _ = render_all(one(RATES))
    plain, _, _ = render_all(one(RATES), bot_username=None)
    assert '<a href="https://t.me/akhbar_digest_bot?start=t-economy">#اقتصاد</a>' in linked[0].text
    assert "t.me" not in plain[0].text and "#اقتصاد" in plain[0].text
    at_sign = render_telegram(
        one(RATES), language="ar", timezone="Asia/Riyadh", bot_username="@akhbar_digest_bot"
    )
    assert at_sign == linked


@pytest.mark.parametrize("bad", ["", "a b", "bot?start=x", "ab", "x" * 40])
def test_a_malformed_bot_username_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        render_telegram(one(RATES), language="ar", timezone="UTC", bot_username=bad)


@pytest.mark.parametrize(
    ("slug", "payload"),
    [
        ("economy", "t-economy"),
        ("renewable-energy", "t-renewable-energy"),
        ("x" * 62, "t-" + "x" * 62),
    ],
)
def test_simple_slugs_are_their_own_payload(slug: str, payload: str) -> None:
    assert topic_payload(slug) == payload
    assert parse_topic_payload(payload) == slug


@pytest.mark.parametrize("slug", ["طاقة-خضراء", "x" * 63, "a b", "", "x<y"])
def test_other_slugs_get_a_stable_hashed_payload_read_back_with_the_taxonomy(slug: str) -> None:
    payload = topic_payload(slug)
    assert re.fullmatch(r"h-[0-9a-f]{16}", payload)
    assert payload == topic_payload(slug)
    assert parse_topic_payload(payload) is None
    assert parse_topic_payload(payload, known_slugs=["economy", slug]) == slug


@pytest.mark.parametrize("payload", ["", "t-", "economy", "t-a b", "h-xyz", "h-" + "0" * 17])
def test_foreign_payloads_are_not_topics(payload: str) -> None:
    assert parse_topic_payload(payload, known_slugs=["economy"]) is None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100))
def test_every_payload_is_valid_for_telegram(slug: str) -> None:
    payload = topic_payload(slug)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    assert parse_topic_payload(payload, known_slugs=[slug]) == slug


def test_slack_buttons_follow_the_first_two_topics() -> None:
    digest = one(COP_WITH_THREE_TOPICS)
    _, slack, _ = render_all(digest)
    actions = slack[0].blocks[-1]
    assert actions["type"] == "actions"
    assert [b["action_id"] for b in actions["elements"]] == [
        "follow_topic:1.1",
        "topic_more:1.1",
        "follow_topic:1.2",
        "topic_more:1.2",
    ]
    assert [b["value"] for b in actions["elements"]] == ["climate", "climate", "energy", "energy"]
    assert actions["elements"][0]["text"]["text"] == "تابع المناخ"
    assert actions["elements"][3]["text"]["text"] == "المزيد عن الطاقة"


COP_WITH_THREE_TOPICS = item(
    1,
    "قمة المناخ",
    "ملخص",
    topics=(TopicRef("climate", "المناخ"), TopicRef("energy", "الطاقة"), TopicRef("un", "الأمم")),
)


def test_a_long_topic_name_is_shortened_to_fit_a_button() -> None:
    topic = TopicRef("long", "اسم موضوع طويل جدا " * 10)
    _, slack, _ = render_all(one(item(1, "عنوان", "ملخص", topics=(topic,))))
    check_slack(slack, 1)
    label = slack[0].blocks[-1]["elements"][1]["text"]["text"]
    assert label.startswith("المزيد عن اسم موضوع") and label.endswith(ELLIPSIS)


def test_shorten_prefers_sentences_then_words_then_characters() -> None:
    text = "الجملة الأولى هنا. الجملة الثانية أطول قليلا من الأولى. الثالثة."
    assert shorten(text, lambda s: len(s) <= 60) == (
        "الجملة الأولى هنا. الجملة الثانية أطول قليلا من الأولى. …"
    )
    assert shorten(text, lambda s: len(s) <= 15) == "الجملة الأولى…"
    assert shorten("كلمةواحدةطويلة", lambda s: len(s) <= 5) == "كلمة…"
    assert shorten(text, lambda s: len(s) <= 0) == ""


# --------------------------------------------------------------------------- properties

_WORDS = (
    "البنك",
    "المركزي",
    "COP28",
    "Falcon 9",
    "4.5%",
    "2026",
    "Capital Economics",
    "😀",
    "👨‍👩‍👧",
    "<b>",
    "</a>",
    "&amp;",
    "&",
    "*",
    "_",
    "`",
    "~",
    ">",
    "|",
    "\u202e",
    "\n",
    "#",
    ".",
    "؟",
)
_TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),
)
# Long texts by repetition: drawing thousands of arbitrary characters would make the run slow.
_LONG = st.builds(
    lambda text, times: text * times, st.text(min_size=1, max_size=20), st.integers(1, 400)
)
_SUMMARY = st.one_of(
    _TEXT,
    _LONG,
    st.integers(0, 9000).map(long_summary),
    st.integers(0, 3000).map(lambda n: "😀" * n),
)
_URL = st.one_of(
    st.sampled_from(
        [
            "https://news.example/a/1",
            "javascript:alert(1)",
            'https://news.example/"q"&<x>|y',
            "",
            "ftp://x.example/",
            "https://" + "a" * 3000 + ".example/",
            "https://news.example/" + "&|" * 700,
        ]
    ),
    st.text(max_size=20).map(lambda path: "https://news.example/" + path),
)
_SLUG = st.one_of(st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True), _TEXT, _LONG)


@st.composite
def digests(draw: st.DrawFn) -> Digest:
    """Any digest. Its strings come from small pools drawn first: drawing every field
    independently would spend the test's time inside hypothesis rather than the renderers."""
    texts = draw(st.lists(st.one_of(_TEXT, _LONG), min_size=1, max_size=8))
    text = st.sampled_from(texts)
    summary = st.sampled_from(draw(st.lists(_SUMMARY, min_size=1, max_size=3)))
    url = st.sampled_from(draw(st.lists(_URL, min_size=1, max_size=4)))
    slug = st.sampled_from(draw(st.lists(_SLUG, min_size=1, max_size=4)))
    topic = st.builds(TopicRef, slug=slug, name=text)
    link = st.builds(Link, title=text, url=url, source=text)
    count = draw(st.integers(0, 12))
    items = tuple(
        DigestItem(
            article_id=n,
            title=draw(text),
            url=draw(url),
            source=draw(text),
            published_at=CREATED - timedelta(minutes=draw(st.integers(0, 5000))),
            summary=draw(summary),
            also_reported_by=tuple(draw(st.lists(link, max_size=7))),
            topics=tuple(draw(st.lists(topic, max_size=5))),
            related=tuple(draw(st.lists(link, max_size=3))),
        )
        for n in range(count)
    )
    cuts = sorted(draw(st.lists(st.integers(0, count), max_size=3)))
    bounds = [0, *cuts, count]
    sections = tuple(
        DigestSection(draw(st.one_of(st.none(), topic)), items[start:end])
        for start, end in pairwise(bounds)
    )
    return Digest(destination="t", created_at=CREATED, sections=sections)


_PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(digests(), st.sampled_from([None, "akhbar_digest_bot"]), st.sampled_from(["ar", "en"]))
def test_any_digest_renders_into_valid_telegram_messages(
    digest: Digest, bot: str | None, language: str
) -> None:
    messages = render_telegram(
        digest,
        language="ar" if language == "ar" else "en",
        timezone="Asia/Riyadh",
        bot_username=bot,
    )
    check_telegram(messages, len(digest.items))


@_PROPERTY
@given(digests())
def test_any_digest_renders_into_valid_slack_messages(digest: Digest) -> None:
    check_slack(render_slack(digest, language="ar", timezone="Asia/Riyadh"), len(digest.items))


def test_a_reply_headline_is_one_link_and_bold_runs_are_marked_once() -> None:
    from digests.compose.reply import Reply, Span
    from digests.render.slack import render_reply as slack_reply
    from digests.render.telegram import render_reply as telegram_reply

    url = "https://news.example/a/1"
    headline = (  # a search result: the headline bold throughout, «إندونيسي» the match
        Span("1. "),
        Span("فتى ", url, bold=True),
        Span("إندونيسي", url, bold=True),
        Span(" يبقى…", url, bold=True),
    )
    snippet = (Span("في "), Span("إيران", bold=True), Span(" "), Span("والعراق", bold=True))
    reply = Reply((headline, snippet))

    assert telegram_reply(reply) == (
        f'1. <a href="{url}"><b>فتى إندونيسي يبقى…</b></a>\n\nفي <b>إيران</b> <b>والعراق</b>'
    )
    texts = [block["text"]["text"] for block in slack_reply(reply)]
    assert texts == [f"1. *<{url}|فتى إندونيسي يبقى…>*", "في *إيران* *والعراق*"]
    bold_words = Reply(((Span("إيران", bold=True), Span("والعراق ", bold=True), Span("اليوم")),))
    assert slack_reply(bold_words)[0]["text"]["text"] == "*إيرانوالعراق* اليوم"
