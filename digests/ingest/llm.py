"""Optional summaries written by a language model behind an OpenAI-compatible chat API.

The extractive summary (``text.summarise``) is always computed first and passed in as the
fallback: on any failure this module returns it unchanged except for ``fallback_reason``, so a
digest never waits on, or breaks because of, a model. Failures include transport errors and
timeouts (one overall deadline of ``timeout_seconds``), HTTP errors, malformed answers, answers
longer than four sentences or 600 characters, and answers that are not mostly Arabic.

I/O happens only through the ``httpx.AsyncClient`` the caller passes in (tests point it at a
local server). The API key is sent as a bearer token and never logged or put in a reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from typing import Annotated

import httpx
from pydantic import ConfigDict, Field, SecretStr

from digests.text.arabic import split_sentences
from digests.text.summarise import Summary

__all__ = ["LLMSettings", "summarise_with_llm"]

log = logging.getLogger(__name__)

MAX_SENTENCES = 4
MAX_CHARS = 600
MIN_ARABIC_SHARE = 0.6  # of the letters; names and acronyms in Latin script are fine
MAX_ARTICLE_CHARS = 6000  # what is sent: bounds tokens and cost; the lead carries the news

_INSTRUCTIONS = (
    "أنت محرر أخبار محايد. لخّص الخبر التالي في جملتين أو ثلاث جمل باللغة العربية الفصحى."
    " التزم بما ورد في النص فقط ولا تضف أي معلومة أو رأي أو استنتاج."
    " اكتب الملخص وحده، من غير عنوان أو مقدمة أو تعداد نقطي."
)
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL)
_LABEL = re.compile(r"^\s*(?:الملخص|ملخص|summary)\s*[:：]\s*", re.IGNORECASE)
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06fc\u0750-\u077f\ufb50-\ufefc]")


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where and how to ask a language model for summaries (``[summary.llm]``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    base_url: Annotated[
        str,
        Field(
            description="Base URL of an OpenAI-compatible API, up to and including the version"
            " (for example http://127.0.0.1:8080/v1); /chat/completions is appended.",
            min_length=1,
        ),
    ]
    model: Annotated[str, Field(description="Model name sent with each request.", min_length=1)]
    api_key: Annotated[
        SecretStr | None,
        Field(
            description="Bearer token for the API; none for a local server without authentication."
        ),
    ] = None
    timeout_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="Overall deadline for one summary, after which the extractive one is used.",
        ),
    ] = 20.0
    max_tokens: Annotated[
        int, Field(ge=16, le=4096, description="Most tokens the model may write per summary.")
    ] = 300


def _article(title: str | None, text: str) -> str:
    """The message sent: headline and body, the body cut at a line end to MAX_ARTICLE_CHARS."""
    body = text.strip()
    if len(body) > MAX_ARTICLE_CHARS:
        cut = body.rfind("\n", 0, MAX_ARTICLE_CHARS)
        body = body[: cut if cut > 0 else MAX_ARTICLE_CHARS]
    return f"العنوان: {title.strip()}\n\n{body}" if title and title.strip() else body


def _arabic_share(text: str) -> float:
    letters = sum(1 for char in text if char.isalpha())
    return len(_ARABIC_LETTER.findall(text)) / letters if letters else 0.0


def _answer_text(response: httpx.Response) -> str | None:
    """The message content of a chat-completions answer, or None if it is not one."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        return None
    return content if isinstance(content, str) else None


def _check(answer: str) -> tuple[tuple[str, ...], str | None]:
    """The answer's sentences, or the reason it is refused."""
    answer = _LABEL.sub("", _THINKING.sub("", answer)).strip().strip("\"'«»“”").strip()
    sentences = tuple(split_sentences(answer))
    if not sentences:
        return (), "llm answer empty"
    if len(sentences) > MAX_SENTENCES or len(" ".join(sentences)) > MAX_CHARS:
        return (), "llm answer too long"
    if _arabic_share(answer) < MIN_ARABIC_SHARE:
        return (), "llm answer not in Arabic"
    return sentences, None


async def summarise_with_llm(
    client: httpx.AsyncClient,
    settings: LLMSettings,
    title: str | None,
    text: str,
    fallback: Summary,
) -> Summary:
    """Ask the model for a 2–3 sentence summary; on any failure, ``fallback`` with a reason."""
    url = settings.base_url.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    payload = {
        "model": settings.model,
        "messages": [
            {"role": "system", "content": _INSTRUCTIONS},
            {"role": "user", "content": _article(title, text)},
        ],
        "max_tokens": settings.max_tokens,
        "temperature": 0,
    }
    reason: str
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            response = await client.post(
                url, json=payload, headers=headers, timeout=settings.timeout_seconds
            )
    except (TimeoutError, httpx.TimeoutException):
        reason = f"llm timeout after {settings.timeout_seconds:g} s"
    except httpx.HTTPError as error:
        reason = f"llm request failed: {type(error).__name__}"
    else:
        answer = _answer_text(response) if response.status_code == 200 else None
        if response.status_code != 200:
            reason = f"llm http {response.status_code}"
        elif answer is None:
            reason = "llm answer malformed"
        else:
            sentences, refused = _check(answer)
            if refused is None:
                return Summary(sentences=sentences, method="llm")
            reason = refused
    log.info("LLM summary not used (%s); keeping the %s summary", reason, fallback.method)
    return replace(fallback, fallback_reason=reason)
