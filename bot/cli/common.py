"""What the command-line groups share: the settings of a run, and how times are printed."""

from __future__ import annotations

import argparse
from datetime import datetime

from bot.config import Settings, load_settings
from bot.logs import secret_values, setup_logging

__all__ = ["moment", "settings_of"]


def settings_of(args: argparse.Namespace, *, chat: bool = False) -> Settings:
    """Load the configuration named by ``--config`` and set up logging as it says; with
    ``chat`` (a command that talks to a chat platform) the platforms' secrets must be set."""
    settings = load_settings(args.config, chat=chat)
    setup_logging(
        settings.log.level,
        json_logs=settings.ops.json_logs,
        secrets=secret_values(settings.secrets),
    )
    return settings


def moment(when: datetime | None, *, none: str = "never") -> str:
    """A stored time as the tables show it (UTC, to the minute)."""
    return f"{when:%Y-%m-%d %H:%M} UTC" if when is not None else none
