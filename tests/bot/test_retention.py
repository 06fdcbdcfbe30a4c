"""``[storage]`` retention settings as the service hands them to the housekeeping job."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.service import retention
from digests.errors import ConfigError

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"


def settings_with(tmp_path: Path, storage: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f"[storage]\n{storage}\n[topics]\ntaxonomy_file = '{TAXONOMY}'\nstory_window_hours = 24\n",
        encoding="utf-8",
    )
    return load_settings(path, environ={}, dotenv=None)


def test_defaults_keep_texts_90_days_articles_two_years_and_deliveries_30_days(
    tmp_path: Path,
) -> None:
    kept = retention(settings_with(tmp_path, ""))
    assert (kept.keep_text, kept.keep_articles, kept.keep_delivery) == (
        timedelta(days=90),
        timedelta(days=730),
        timedelta(days=30),
    )
    # The longest a digest looks back (720 hours) plus the story window.
    assert kept.protect == timedelta(hours=720 + 24)


def test_zero_keeps_articles_forever_and_a_zero_delivery_span_is_refused(tmp_path: Path) -> None:
    kept = retention(settings_with(tmp_path, "keep_articles_days = 0\nkeep_text_days = 7"))
    assert kept.keep_articles is None and kept.keep_text == timedelta(days=7)
    with pytest.raises(ConfigError) as error:
        settings_with(tmp_path, "keep_delivery_days = 0")
    assert "storage.keep_delivery_days = 0: Input should be greater than or equal to 1" in str(
        error.value
    )
