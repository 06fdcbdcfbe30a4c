"""The layer rules of ARCHITECTURE.md and docs/architecture.md, checked on the source tree
(ast, no imports executed).

    digests/ (the core)        never imports bot/, a chat SDK or APScheduler; never reads the
                               environment
      text, compose, render    pure: never import store, ingest or deliver, nor I/O libraries
      store                    the core types and the pure layers only
    bot/ (the application)     only config.py and the CLI read the environment
      telegram_bot, slack_bot  the two adapters never import each other

Every module states its contract in a docstring, and none is over ``MAX_LINES`` lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN_IN_DIGESTS = ("bot", "telegram", "slack_bolt", "slack_sdk", "apscheduler")
PURE_STAGES = ("text", "compose", "render")
IO_LIBRARIES = ("httpx", "sqlalchemy", "aiohttp", "asyncpg", "aiosqlite", "alembic", "socket")
CORE = ("digests.models", "digests.errors", "digests.clock")
ADAPTERS = ("bot.telegram_bot", "bot.slack_bot")
MAX_LINES = 500


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def name_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def stage(path: Path) -> str:
    """The stage package a module of digests/ belongs to ("" for the top-level core)."""
    parts = path.relative_to(ROOT / "digests").parts
    return parts[0] if len(parts) > 1 else ""


def ids(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", modules("digests"), ids=ids)
def test_digests_never_imports_the_app_or_chat_sdks(path: Path) -> None:
    bad = {n for n in imported(path) if n.split(".")[0] in FORBIDDEN_IN_DIGESTS}
    assert not bad, f"{ids(path)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("digests"), ids=ids)
def test_digests_never_reads_the_environment(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "os.environ" not in source and "getenv" not in source, ids(path)


@pytest.mark.parametrize(
    "path", [p for p in modules("digests") if stage(p) in PURE_STAGES], ids=ids
)
def test_pure_stages_never_do_io(path: Path) -> None:
    """text, compose and render take data and return data: no store, no network."""
    bad = {
        n
        for n in imported(path)
        if n.split(".")[0] in IO_LIBRARIES
        or (n.startswith("digests.") and n.split(".")[1] in ("store", "ingest", "deliver"))
    }
    assert not bad, f"{ids(path)} (pure) imports {sorted(bad)}"


@pytest.mark.parametrize("path", [p for p in modules("digests") if stage(p) == "store"], ids=ids)
def test_the_store_depends_only_on_core_types_and_pure_layers(path: Path) -> None:
    """The repositories map core types to tables; they call no fetcher and no sender. (The
    configured feeds they sync are ``ingest.settings.FeedSettings``, plain data.)"""
    allowed = (*CORE, "digests.store", "digests.ingest.settings")
    bad = {
        n
        for n in imported(path)
        if n.startswith("digests.")
        and not n.startswith(allowed)
        and n.split(".")[1] not in PURE_STAGES
    }
    assert not bad, f"{ids(path)} imports {sorted(bad)}"


def test_digests_top_level_holds_only_the_core_types() -> None:
    """Every step lives in the room of its stage; the top level is the shared vocabulary."""
    loose = {p.name for p in (ROOT / "digests").glob("*.py")}
    assert loose <= {"__init__.py", "models.py", "errors.py", "clock.py", "metrics.py"}, loose


def test_adapters_never_import_each_other() -> None:
    for adapter in ADAPTERS:
        path = ROOT / (adapter.replace(".", "/") + ".py")
        others = set(ADAPTERS) - {adapter}
        assert not imported(path) & others, f"{adapter} imports another adapter"


def test_only_the_config_module_reads_the_environment() -> None:
    readers = {ids(p) for p in modules("bot") if "os.environ" in p.read_text(encoding="utf-8")}
    # The CLI reads only NEWSDIGEST_CONFIG (which file to load), before any settings exist.
    assert readers <= {"bot/config.py", "bot/cli/__init__.py"}


def test_adapter_modules_are_not_named_like_the_sdks_they_wrap() -> None:
    names = {p.stem for p in modules("bot")}
    assert not names & {"telegram", "slack", "slack_bolt", "apscheduler"}


@pytest.mark.parametrize("path", modules("digests") + modules("bot"), ids=ids)
def test_every_module_states_its_contract_and_stays_small(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    if path.name != "__init__.py" or source.strip():
        assert ast.get_docstring(ast.parse(source)), f"{ids(path)} has no module docstring"
    lines = source.count("\n")
    assert lines <= MAX_LINES, f"{ids(path)} has {lines} lines (split it by job)"
