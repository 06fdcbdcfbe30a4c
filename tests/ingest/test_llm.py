"""The optional LLM backend, against a real OpenAI-compatible fake on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pydantic
import pytest
from pydantic import TypeAdapter

from bot.config import setting_fields
from digests.ingest.llm import LLMSettings, summarise_with_llm
from digests.text.summarise import Summary

API_KEY = "sk-test-0123456789"
FALLBACK = Summary(sentences=("الملخص الاستخراجي.",), method="extractive")
TITLE = "البنك المركزي يرفع سعر الفائدة"
TEXT = "رفع البنك المركزي سعر الفائدة نصف نقطة. وقال محافظ البنك إن القرار يهدف إلى كبح التضخم."
GOOD = "رفع البنك المركزي سعر الفائدة نصف نقطة مئوية. وأوضح المحافظ أن الهدف كبح التضخم."


@dataclass
class FakeChatAPI:
    """What the fake server answers next, and what it received."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, content: str) -> None:
        self.status = 200
        self.body = json.dumps({"choices": [{"message": {"content": content}}]}).encode()


def _handler(api: FakeChatAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            api.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                status, body = 401, b'{"error": "bad key"}'
            else:
                status, body = api.status, api.body
            time.sleep(api.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[tuple[FakeChatAPI, str]]:
    fake = FakeChatAPI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _settings(base_url: str, **changes: Any) -> LLMSettings:
    values: dict[str, Any] = {"base_url": base_url, "model": "test-model", "api_key": API_KEY}
    # Validated as the configuration file's [summary.llm] table is.
    return TypeAdapter(LLMSettings).validate_python(values | changes)


async def _ask(base_url: str, **changes: Any) -> Summary:
    async with httpx.AsyncClient() as client:
        return await summarise_with_llm(
            client, _settings(base_url, **changes), TITLE, TEXT, FALLBACK
        )


async def test_success_returns_the_model_summary(api: tuple[FakeChatAPI, str]) -> None:
    fake, url = api
    fake.answer(GOOD)
    summary = await _ask(url)
    assert summary == Summary(
        sentences=(
            "رفع البنك المركزي سعر الفائدة نصف نقطة مئوية.",
            "وأوضح المحافظ أن الهدف كبح التضخم.",
        ),
        method="llm",
    )
    (request,) = fake.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == f"Bearer {API_KEY}"
    sent = request["json"]
    assert sent["model"] == "test-model"
    assert sent["max_tokens"] == 300
    assert sent["messages"][0]["role"] == "system"
    assert "الفصحى" in sent["messages"][0]["content"]
    assert TITLE in sent["messages"][1]["content"] and TEXT in sent["messages"][1]["content"]


async def test_labels_and_thinking_are_removed(api: tuple[FakeChatAPI, str]) -> None:
    fake, url = api
    fake.answer(f"<think>reasoning in English</think>\nالملخص: «{GOOD}»")
    summary = await _ask(url)
    assert summary.method == "llm"
    assert summary.text == GOOD


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, b'{"error": "boom"}', "llm http 500"),
        (200, b"{not json", "llm answer malformed"),
        (200, b'{"choices": []}', "llm answer malformed"),
        (200, b'{"choices": [{"message": {"content": null}}]}', "llm answer malformed"),
    ],
    ids=["http-500", "malformed-json", "no-choices", "null-content"],
)
async def test_errors_fall_back(
    api: tuple[FakeChatAPI, str], status: int, body: bytes, reason: str
) -> None:
    fake, url = api
    fake.status, fake.body = status, body
    summary = await _ask(url)
    assert summary == Summary(FALLBACK.sentences, "extractive", fallback_reason=reason)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("The central bank raised interest rates by half a point.", "llm answer not in Arabic"),
        (" ".join(["رفع البنك سعر الفائدة."] * 5), "llm answer too long"),
        ("رفع البنك المركزي سعر الفائدة " * 30 + ".", "llm answer too long"),
        ("   ", "llm answer empty"),
    ],
    ids=["english", "five-sentences", "over-600-chars", "empty"],
)
async def test_unusable_answers_fall_back(
    api: tuple[FakeChatAPI, str], content: str, reason: str
) -> None:
    fake, url = api
    fake.answer(content)
    summary = await _ask(url)
    assert summary.sentences == FALLBACK.sentences
    assert summary.fallback_reason == reason


async def test_latin_names_inside_arabic_are_fine(api: tuple[FakeChatAPI, str]) -> None:
    fake, url = api
    fake.answer("أعلنت شركة Apple عن هاتف iPhone جديد في مؤتمرها السنوي بكاليفورنيا.")
    assert (await _ask(url)).method == "llm"


async def test_timeout_falls_back_quickly(api: tuple[FakeChatAPI, str]) -> None:
    fake, url = api
    fake.answer(GOOD)
    fake.delay = 1.0
    started = time.perf_counter()
    summary = await _ask(url, timeout_seconds=0.2)
    assert time.perf_counter() - started < 0.9
    assert summary.sentences == FALLBACK.sentences
    assert summary.fallback_reason == "llm timeout after 0.2 s"


async def test_wrong_key_is_an_http_error(api: tuple[FakeChatAPI, str]) -> None:
    fake, url = api
    fake.answer(GOOD)
    summary = await _ask(url, api_key="sk-wrong")
    assert summary.fallback_reason == "llm http 401"
    assert "sk-wrong" not in repr(summary)


async def test_no_key_sends_no_authorization(api: tuple[FakeChatAPI, str]) -> None:
    fake, url = api
    fake.answer(GOOD)
    summary = await _ask(url, api_key=None)
    assert fake.requests[0]["authorization"] is None
    assert summary.fallback_reason == "llm http 401"


async def test_unreachable_server_falls_back() -> None:
    summary = await _ask("http://127.0.0.1:9/v1", timeout_seconds=2)  # discard port: refused
    assert summary.sentences == FALLBACK.sentences
    assert summary.fallback_reason is not None
    assert summary.fallback_reason.startswith(("llm request failed", "llm timeout"))


async def test_the_key_is_never_logged(
    api: tuple[FakeChatAPI, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, url = api
    fake.status, fake.body = 500, b"{}"
    with caplog.at_level("DEBUG"):
        await _ask(url)
    assert caplog.records
    assert API_KEY not in caplog.text


def test_settings_hide_the_key_and_refuse_unknown_fields() -> None:
    settings = _settings("http://127.0.0.1:1/v1")
    assert API_KEY not in repr(settings) and API_KEY not in str(settings)
    assert settings.timeout_seconds == 20 and settings.max_tokens == 300
    with pytest.raises(pydantic.ValidationError):
        _settings("http://x", temperature=0.2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.model = "other"  # type: ignore[misc]


def test_every_setting_is_documented() -> None:
    for name, info, _ in setting_fields(LLMSettings):
        assert info.description, name
