"""The optional LLM backend wired in: configuration, the pipeline storing its summaries, and
digests using them — against the OpenAI-compatible fake on 127.0.0.1 from test_llm."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter

from bot.config import load_settings
from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.deliver.queue import build_digest
from digests.errors import ConfigError
from digests.ingest.fetch import Fetcher
from digests.ingest.llm import LLMSettings
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings, PollSettings
from digests.store import Store
from tests.ingest.test_llm import API_KEY, GOOD, FakeChatAPI, api  # noqa: F401  (fixture)
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss


def test_llm_settings_come_from_the_file_and_the_key_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[summary.llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
    settings = load_settings(config, environ={"NEWSDIGEST_LLM_API_KEY": API_KEY}, dotenv=None)
    assert settings.summary.llm is not None and settings.summary.llm.api_key is not None
    assert settings.summary.llm.api_key.get_secret_value() == API_KEY
    assert API_KEY not in repr(settings)

    config.write_text('[summary.llm]\nbase_url = "x"\nmodel = "m"\napi_key = "sk-in-file"\n')
    with pytest.raises(ConfigError, match="NEWSDIGEST_LLM_API_KEY"):
        load_settings(config, environ={}, dotenv=None)


async def poll_with_llm(
    store: Store, server: FeedServer, settings: PollSettings, base_url: str
) -> None:
    server.add("/rss", rss(server.base, STORIES[:2]))
    await store.feeds.sync_config([FeedSettings(url=server.url("/rss"), name="مصدر")], utcnow())
    llm = TypeAdapter(LLMSettings).validate_python(
        {"base_url": base_url, "model": "test-model", "api_key": API_KEY, "timeout_seconds": 2}
    )
    async with Fetcher(settings, allow_private=True) as fetcher, httpx.AsyncClient() as client:
        pipeline = Pipeline(store, fetcher, settings, llm=(client, llm))
        await pipeline.poll_feeds(await store.feeds.all())


async def test_pipeline_stores_the_llm_summary_and_digests_use_it(
    store: Store,
    feed_server: FeedServer,
    poll_settings: PollSettings,
    api: tuple[FakeChatAPI, str],  # noqa: F811
) -> None:
    fake, base_url = api
    fake.answer(GOOD)
    await poll_with_llm(store, feed_server, poll_settings, base_url)

    assert len(fake.requests) == 2
    assert all(r["authorization"] == f"Bearer {API_KEY}" for r in fake.requests)
    digest = (await build_digest(store, Destination(name="c"), utcnow())).digest
    assert [item.summary for item in digest.items] == [GOOD, GOOD]


async def test_a_failing_llm_leaves_the_extractive_summary_and_the_reason(
    store: Store,
    feed_server: FeedServer,
    poll_settings: PollSettings,
    api: tuple[FakeChatAPI, str],  # noqa: F811
) -> None:
    fake, base_url = api
    fake.status, fake.body = 500, b"{}"
    await poll_with_llm(store, feed_server, poll_settings, base_url)

    digest = (await build_digest(store, Destination(name="c"), utcnow())).digest
    assert all(item.summary and item.summary != GOOD for item in digest.items)
    assert STORIES[1].paragraphs[0][:30] in digest.items[0].summary
