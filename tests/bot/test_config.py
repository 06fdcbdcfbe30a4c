"""Configuration: the example file is valid, bad values are refused clearly, secrets stay secret."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import (
    ENV_SECRETS,
    check_chat,
    load_settings,
    redacted,
    reference_markdown,
    setting_fields,
)
from bot.sections import LogSettings, StorageSettings
from bot.service import run_service
from digests.compose.destination import Destination
from digests.errors import ConfigError
from digests.ingest.settings import FeedSettings, PollSettings

EXAMPLE = Path(__file__).parents[2] / "config" / "newsdigest.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsdigest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_configuration_is_valid_and_has_real_arabic_feeds() -> None:
    settings = load_settings(EXAMPLE, environ={}, dotenv=None)
    assert len(settings.feeds) >= 5
    assert any("bbc" in f.url for f in settings.feeds)
    assert settings.destinations[0].platform == "console"
    assert settings.database_url.endswith("data/newsdigest.sqlite3")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[poll]\ninterval_minutes = 0\n",
            "poll.interval_minutes = 0: Input should be greater than or equal to 1",
        ),
        ("[poll]\nintervall = 5\n", "poll.intervall: unknown key; allowed here: concurrency,"),
        (
            "[[feeds]]\nurl = 'ftp://x/feed'\nname = 'س'\n",
            'feeds[0].url = "ftp://x/feed": must be an absolute http',
        ),
        ("[[feeds]]\nurl = 'https://a/feed'\n", "feeds[0].name: required key is missing"),
        (
            "[[destinations]]\nname = 'c'\nschedule = '0 25 * * *'\n",
            'destinations[0].schedule = "0 25 * * *": not a valid 5-field cron expression',
        ),
        (
            "[[destinations]]\nname = 'c'\ntimezone = 'الرياض'\n",
            'destinations[0].timezone = "الرياض": not an IANA time zone name',
        ),
        (
            "[[destinations]]\nname = 'c'\nkeywords = ['إيران', '-كرة']\n",
            'destinations[0].keywords = ["إيران", "-كرة"]: entry 2 (\'-كرة\'): a rule needs a'
            " word to look for",
        ),
        (
            "[[destinations]]\nname = 'c'\nexclude_keywords = ['في من']\n",
            "entry 1 ('في من'): the rule has no words to look for",
        ),
        (
            "[[destinations]]\nname = 'c'\nplatform = 'fax'\n",
            "destinations[0].platform = \"fax\": Input should be 'console'",
        ),
        (
            "[[feeds]]\nurl = 'https://a/f'\nname = 'أ'\n"
            "[[feeds]]\nurl = 'https://a/f'\nname = 'ب'\n",
            "feeds[1].url 'https://a/f' appears twice",
        ),
        ("[poll\n", "not valid TOML"),
        ("[secrets]\ntelegram_bot_token = 'x'\n", "secrets are read from the environment only"),
        ("[log]\nlevel = 'LOUD'\n", 'log.level = "LOUD": Input should be'),
        (
            "[[feeds]]\nurl = 'http://news.intranet/rss'\nname = 'أ'\nallow_private = 'نعم'\n",
            'feeds[0].allow_private = "نعم": Input should be a valid boolean',
        ),
        (
            "[poll]\nmax_page_fetches_per_feed = -1\n",
            "poll.max_page_fetches_per_feed = -1: Input should be greater than or equal to 0",
        ),
    ],
)
def test_bad_values_are_refused_naming_file_key_value_and_rule(
    tmp_path: Path, toml: str, expected: str
) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={}, dotenv=None)
    assert str(error.value).startswith(str(path))
    assert expected in str(error.value)


def test_a_feed_may_opt_in_to_private_addresses(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[poll]\nmax_page_fetches_per_feed = 5\n\n"
        "[[feeds]]\nurl = 'http://news.intranet/rss'\nname = 'داخلي'\nallow_private = true\n\n"
        "[[feeds]]\nurl = 'https://example.com/rss'\nname = 'عام'\n",
    )
    settings = load_settings(path, environ={}, dotenv=None)
    assert [(f.name, f.allow_private) for f in settings.feeds] == [("داخلي", True), ("عام", False)]
    assert settings.admin.allow_private_feed_urls is False
    assert settings.poll.max_page_fetches_per_feed == 5


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.toml", environ={}, dotenv=None)


def test_chat_secrets_are_required_only_where_a_platform_is_used(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[telegram]\nmode = "webhook"\n\n[slack]\nmode = "http"\n\n'
        '[[destinations]]\nname = "news"\nplatform = "telegram"\nchat = "@akhbar_channel"\n',
    )
    settings = load_settings(path, environ={}, dotenv=None)  # a read-only command's load
    assert settings.destinations[0].platform == "telegram"
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={}, dotenv=None, chat=True)
    assert str(error.value).split("\n") == [
        f"{path}: telegram.mode = webhook needs telegram.webhook_url and TELEGRAM_WEBHOOK_SECRET",
        f"{path}: destinations[0] posts to Telegram but TELEGRAM_BOT_TOKEN is not set",
    ]
    with pytest.raises(ConfigError) as error:
        check_chat(load_settings(path, environ={"SLACK_BOT_TOKEN": "xoxb-1"}, dotenv=None))
    assert str(error.value).split("\n")[-1] == "slack.mode = http needs SLACK_SIGNING_SECRET"
    # The service itself refuses before it opens anything.
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        asyncio.run(run_service(settings))
    assert not (tmp_path / "data").exists()


def test_cli_refuses_bad_config_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[poll]\ntimeout_seconds = -1\n")
    assert main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    assert "poll.timeout_seconds = -1" in err and "Traceback" not in err


def test_secrets_come_from_environment_and_dotenv_and_are_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "123456:AAHsecret-telegram-token"
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_APP_TOKEN=xapp-1-dotenv\n"
        "TELEGRAM_BOT_TOKEN=overridden\n"
    )
    path = write(tmp_path, "")
    settings = load_settings(path, environ={"TELEGRAM_BOT_TOKEN": token}, dotenv=dotenv)

    assert settings.secrets.telegram_bot_token is not None
    assert settings.secrets.telegram_bot_token.get_secret_value() == token  # real env wins
    assert settings.secrets.slack_bot_token is not None
    assert settings.secrets.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert token not in repr(settings) and "xoxb-from-dotenv" not in repr(settings)
    shown = redacted(settings)
    assert shown["secrets"]["TELEGRAM_BOT_TOKEN"] == "set (redacted)"
    assert shown["secrets"]["SLACK_SIGNING_SECRET"] == "not set"

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql+asyncpg://u:pw-secret@db/news")
    assert main(["--config", str(path), "check-config"]) == 0
    out = capsys.readouterr().out
    assert token not in out and "pw-secret" not in out
    assert "TELEGRAM_BOT_TOKEN" in out


def test_every_setting_is_documented() -> None:
    """docs/configuration.md carries the generated reference, so no key goes undocumented."""
    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    reference = reference_markdown()
    assert reference in doc, "regenerate with: .venv/bin/python -m bot.config"
    for section in (StorageSettings, PollSettings, LogSettings, FeedSettings, Destination):
        for name, field, _ in setting_fields(section):
            assert field.description, f"{section.__name__}.{name} has no help text"
    for variable in ENV_SECRETS:
        assert f"`{variable}`" in reference
