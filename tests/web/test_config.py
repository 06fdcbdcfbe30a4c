"""The ``[web]`` section and a destination's ``public`` key, validated when the file loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from digests.errors import ConfigError

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"


def load(tmp_path: Path, web: str, destination: str = "") -> Settings:
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n[web]\n{web}\n\n'
        f'[[destinations]]\nname = "channel"\n{destination}\n',
        encoding="utf-8",
    )
    return load_settings(path, environ={}, dotenv=None)


def test_the_web_archive_is_off_by_default_and_destinations_are_private(tmp_path: Path) -> None:
    settings = load(tmp_path, "")
    assert not settings.web.enabled and settings.web.base_url is None
    assert settings.web.listen == "127.0.0.1"
    assert not settings.destinations[0].public


def test_a_public_destination_and_the_web_settings(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        'enabled = true\nport = 8090\nbase_url = "https://news.example/akhbar/"\n'
        'language = "en"\ntimezone = "Africa/Cairo"',
        "public = true",
    )
    web = settings.web
    assert (web.enabled, web.port, web.language, web.timezone) == (True, 8090, "en", "Africa/Cairo")
    assert web.base_url == "https://news.example/akhbar"  # links are made under it
    assert settings.destinations[0].public


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('base_url = "ftp://news.example"', "web.base_url"),
        ('base_url = "https://news.example/?x=1"', "web.base_url"),
        ('base_url = "news.example"', "web.base_url"),
        ("port = 0", "web.port"),
        ('language = "fr"', "web.language"),
        ('timezone = "Mars/Olympus"', "web.timezone"),
        ("public = true", "web.public: unknown key"),
    ],
)
def test_bad_web_settings_are_refused_with_the_key_named(
    tmp_path: Path, line: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem.replace("?", r"\?")):
        load(tmp_path, line)
