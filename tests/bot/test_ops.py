"""The ops endpoint (/healthz, /metrics) on a real port, the metrics, JSON logs and redaction."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.cli import main
from bot.logs import REDACTED, secret_values, setup_logging
from bot.ops import OpsServer
from bot.sections import OpsSettings, Secrets
from digests import metrics
from digests.errors import ConfigError
from digests.models import PollOutcome
from digests.store import Store
from digests.store.database import sqlite_url

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"

# Real-looking credentials (not real ones): the shapes the platforms issue.
TELEGRAM_TOKEN = "123456789:AAHk3xQ9vZr2LmN8pT5wY1cB7dF0gJ4sE6u"
SLACK_BOT_TOKEN = "xoxb-1234567890123-4567890123456-Zq8Yx7Wv6Ut5Sr4Qp3On2Ml1"
SLACK_APP_TOKEN = "xapp-1-A0123456789-4567890123456-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
LLM_KEY = "sk-proj-Tz7Qw9Er2Ty5Ui8Op1As4Df6Gh3Jk0Lz"
SECRETS = (TELEGRAM_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, LLM_KEY)

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def servers() -> AsyncIterator[list[OpsServer]]:
    started: list[OpsServer] = []
    yield started
    for server in started:
        await server.stop()


async def start_server(
    started: list[OpsServer],
    store: Store,
    *,
    running: bool = True,
    last_poll: datetime | None = NOW,
    port: int | None = None,
) -> OpsServer:
    server = OpsServer(
        OpsSettings(listen="127.0.0.1", port=free_port() if port is None else port),
        store=store,
        outbox=store.outbox,
        scheduler_running=lambda: running,
        last_poll=lambda: last_poll,
        clock=lambda: NOW + timedelta(minutes=5),
    )
    started.append(server)
    await server.start()
    return server


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


# -- /healthz ------------------------------------------------------------------------------


async def test_healthz_is_ready_with_a_database_and_a_running_scheduler(
    store: Store, servers: list[OpsServer]
) -> None:
    server = await start_server(servers, store)
    status, content_type, body = await get(f"{server.url}/healthz")
    assert status == 200
    assert content_type.startswith("application/json")
    assert json.loads(body) == {
        "status": "ok",
        "live": True,
        "ready": True,
        "database": "ok",
        "scheduler": "running",
        "last_successful_poll": "2026-11-29T18:00:00+00:00",
        "outbox_depth": 0,
        "outbox_oldest_age_seconds": 0.0,
    }


async def test_healthz_reports_the_outbox_backlog(store: Store, servers: list[OpsServer]) -> None:
    await store.outbox.enqueue("news", "telegram", "-1001", None, "d|1", ["{}", "{}"], NOW)
    server = await start_server(servers, store, last_poll=None)
    status, _, body = await get(f"{server.url}/healthz")
    document = json.loads(body)
    assert status == 200
    assert document["outbox_depth"] == 2
    assert document["outbox_oldest_age_seconds"] == 300.0
    assert document["last_successful_poll"] is None


async def test_healthz_is_not_ready_when_the_scheduler_stopped(
    store: Store, servers: list[OpsServer]
) -> None:
    server = await start_server(servers, store, running=False)
    status, _, body = await get(f"{server.url}/healthz")
    document = json.loads(body)
    assert status == 503
    assert document["status"] == "degraded"
    assert document["live"] is True
    assert document["ready"] is False
    assert document["scheduler"] == "stopped"
    assert document["database"] == "ok"


async def test_healthz_is_not_ready_when_the_database_is_unreachable(
    tmp_path: Path, servers: list[OpsServer]
) -> None:
    folder = tmp_path / "db"
    lost = await Store.open(sqlite_url(folder / "lost.sqlite3"))
    await lost.close()
    shutil.rmtree(folder)  # the connection pool is closed and the file is gone
    server = await start_server(servers, lost)
    status, _, body = await get(f"{server.url}/healthz")
    document = json.loads(body)
    assert status == 503
    assert document["ready"] is False
    assert document["status"] == "degraded"
    assert document["database"].startswith("error: ")
    assert document["scheduler"] == "running"
    assert document["outbox_depth"] is None
    await settle_failed_connections()


async def settle_failed_connections() -> None:
    """Let aiosqlite's thread of the refused connection finish before the loop closes."""
    for _ in range(200):
        if not any("_connection_worker_thread" in t.name for t in threading.enumerate()):
            return
        await asyncio.sleep(0.01)


async def test_port_zero_turns_the_server_off(store: Store) -> None:
    server = OpsServer(
        OpsSettings(port=0),
        store=store,
        outbox=store.outbox,
        scheduler_running=lambda: True,
        last_poll=lambda: None,
    )
    await server.start()
    assert not server.enabled
    assert server.url is None
    await server.stop()


async def test_a_port_in_use_is_a_clear_configuration_error(
    store: Store, servers: list[OpsServer]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match=r"ops: cannot listen on 127\.0\.0\.1:\d+"):
            await start_server(servers, store, port=int(taken.getsockname()[1]))


# -- /metrics ------------------------------------------------------------------------------

METRIC_NAMES = (
    "feeds_polled_total",
    "fetch_errors_total",
    "articles_stored_total",
    "summaries_total",
    "deliveries_total",
    "outbox_dropped_stale_total",
    "outbox_depth",
    "outbox_oldest_age_seconds",
    "last_successful_poll_timestamp",
    "poll_duration_seconds",
    "delivery_latency_seconds",
    "personal_digest_failures_total",
)


async def test_metrics_expose_every_metric_and_a_fresh_outbox_depth(
    store: Store, servers: list[OpsServer]
) -> None:
    server = await start_server(servers, store)
    status, content_type, body = await get(f"{server.url}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    for name in METRIC_NAMES:
        assert f"# TYPE {name.removesuffix('_total')}" in body, name
    assert "\noutbox_depth 0.0\n" in body

    await store.outbox.enqueue("news", "slack", "C0123456", None, "d|1", ["{}", "{}", "{}"], NOW)
    _, _, body = await get(f"{server.url}/metrics")
    assert "\noutbox_depth 3.0\n" in body
    assert "\noutbox_oldest_age_seconds 300.0\n" in body


def value(name: str, **labels: str) -> float:
    sample = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if sample is None else sample


def test_the_record_helpers_count_what_happened() -> None:
    before = {
        "ok": value("feeds_polled_total", status="ok"),
        "error": value("feeds_polled_total", status="error"),
        "timeout": value("fetch_errors_total", kind="timeout"),
        "parse": value("fetch_errors_total", kind="parse"),
        "stored": value("articles_stored_total"),
        "polls": value("poll_duration_seconds_count"),
        "llm": value("summaries_total", method="llm"),
        "sent": value("deliveries_total", platform="telegram", outcome="sent"),
        "dropped": value("deliveries_total", platform="telegram", outcome="dropped"),
        "latency": value("delivery_latency_seconds_count", platform="telegram"),
        "stale": value("outbox_dropped_stale_total"),
    }
    metrics.record_poll(PollOutcome(1, "a", "http://a", "ok", 200, 4, 0.3))
    metrics.record_poll(PollOutcome(2, "b", "http://b", "error", None, 0, 2.0, "timeout: x"))
    metrics.record_poll(PollOutcome(3, "c", "http://c", "error", None, 0, 0.1, "parse: bad"))
    metrics.record_summary("llm", 2)
    metrics.record_delivery("telegram", "sent", 12.5)
    metrics.record_dropped("telegram", 3)
    metrics.record_dropped_stale(5)

    assert value("feeds_polled_total", status="ok") == before["ok"] + 1
    assert value("feeds_polled_total", status="error") == before["error"] + 2
    assert value("fetch_errors_total", kind="timeout") == before["timeout"] + 1
    assert value("fetch_errors_total", kind="parse") == before["parse"] + 1
    assert value("articles_stored_total") == before["stored"] + 4
    assert value("poll_duration_seconds_count") == before["polls"] + 3
    assert value("summaries_total", method="llm") == before["llm"] + 2
    assert value("deliveries_total", platform="telegram", outcome="sent") == before["sent"] + 1
    dropped = value("deliveries_total", platform="telegram", outcome="dropped")
    assert dropped == before["dropped"] + 3
    latency = value("delivery_latency_seconds_count", platform="telegram")
    assert latency == before["latency"] + 1
    assert value("outbox_dropped_stale_total") == before["stale"] + 5
    last = metrics.last_successful_poll()
    assert last is not None and abs((datetime.now(UTC) - last).total_seconds()) < 60
    assert value("last_successful_poll_timestamp") == pytest.approx(last.timestamp())


# -- logs ----------------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line_with_context(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging("INFO", json_logs=True, stream=stream)
    log = logging.getLogger("newsdigest.test")
    log.info("polled %d feeds: %s", 3, "أخبار", extra={"feed_id": 7, "destination": "news"})
    log.debug("not shown")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("job failed", extra={"chat": "-1001"})

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO"
    assert first["logger"] == "newsdigest.test"
    assert first["message"] == "polled 3 feeds: أخبار"
    assert first["feed_id"] == 7 and first["destination"] == "news"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert "exception" not in first
    assert second["level"] == "ERROR" and second["chat"] == "-1001"
    assert "RuntimeError: boom" in second["exception"]


def test_text_logs_stay_the_default_format(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging("INFO", stream=stream)
    logging.getLogger("newsdigest.test").warning("feed failed", extra={"feed_id": 7})
    line = stream.getvalue().rstrip("\n")
    assert line.endswith("WARNING newsdigest.test: feed failed [feed_id=7]")


def log_secrets_everywhere(log: logging.Logger) -> None:
    log.info("token is %s", TELEGRAM_TOKEN)  # in the arguments
    log.warning(f"POST https://api.telegram.org/bot{TELEGRAM_TOKEN}/getUpdates")  # in the message
    log.info("slack %s and %r", SLACK_BOT_TOKEN, {"app": SLACK_APP_TOKEN})
    log.info("encoded: bot%s", TELEGRAM_TOKEN.replace(":", "%3A"))
    log.info("context", extra={"feed_url": f"https://example.com/?key={LLM_KEY}"})
    try:
        raise ValueError(f"auth failed with {SLACK_BOT_TOKEN} / {LLM_KEY}")
    except ValueError:
        log.exception("call failed for %s", SLACK_APP_TOKEN)  # in the exception
    log.info("stack", stack_info=True, extra={"chat": TELEGRAM_TOKEN})


@pytest.mark.parametrize("json_logs", [False, True], ids=["text", "json"])
def test_configured_secrets_never_reach_the_log_output(
    restore_logging: None, capsys: pytest.CaptureFixture[str], json_logs: bool
) -> None:
    setup_logging("INFO", json_logs=json_logs, secrets=SECRETS)  # on stderr, as in production
    log_secrets_everywhere(logging.getLogger("newsdigest.test"))
    logging.getLogger("httpx").warning("HTTP Request: %s", f"/bot{TELEGRAM_TOKEN}/send")
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert output.count(REDACTED) >= 10
    for secret in SECRETS:
        assert secret not in output
        assert secret.split(":")[-1] not in output  # not even the secret part of a token
    assert "ValueError: auth failed with [redacted] / [redacted]" in output
    assert "call failed for [redacted]" in output
    if json_logs:
        assert all(json.loads(line) for line in captured.err.splitlines())


def test_secret_values_lists_every_set_secret_and_a_database_password(
    restore_logging: None,
) -> None:
    secrets = Secrets(
        database_url=SecretStr("postgresql+asyncpg://news:S3cr%40tPw9x@db.internal/news"),
        telegram_bot_token=SecretStr(TELEGRAM_TOKEN),
        slack_bot_token=SecretStr(SLACK_BOT_TOKEN),
    )
    values = secret_values(secrets)
    assert set(values) == {
        "postgresql+asyncpg://news:S3cr%40tPw9x@db.internal/news",
        "S3cr%40tPw9x",
        "S3cr@tPw9x",
        TELEGRAM_TOKEN,
        SLACK_BOT_TOKEN,
    }
    stream = io.StringIO()
    setup_logging("INFO", secrets=secret_values(secrets), stream=stream)
    logging.getLogger("asyncpg").error("password %s refused", "S3cr@tPw9x")
    assert "S3cr@tPw9x" not in stream.getvalue()
    assert f"password {REDACTED} refused" in stream.getvalue()


def test_check_config_never_shows_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", SLACK_APP_TOKEN)
    monkeypatch.setenv("NEWSDIGEST_LLM_API_KEY", LLM_KEY)
    config = tmp_path / "newsdigest.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        '[summary.llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "test"\n\n'
        '[[destinations]]\nname = "tg"\nplatform = "telegram"\nchat = "-1001234567890"\n\n'
        '[[destinations]]\nname = "sl"\nplatform = "slack"\nchat = "C0123456789"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "check-config"]) == 0
    captured = capsys.readouterr()
    assert "set (redacted)" in captured.out
    for secret in SECRETS:
        assert secret not in captured.out
        assert secret not in captured.err
