"""The layer rules of ARCHITECTURE.md, checked on the source tree (ast, no imports executed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN_IN_DIGESTS = ("bot", "telegram", "slack_bolt", "slack_sdk", "apscheduler")


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules("digests"), ids=lambda p: p.name)
def test_digests_never_imports_the_app_or_chat_sdks(path: Path) -> None:
    bad = {n for n in imported(path) if n.split(".")[0] in FORBIDDEN_IN_DIGESTS}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("digests"), ids=lambda p: p.name)
def test_digests_never_reads_the_environment(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "os.environ" not in source and "getenv" not in source, path.name


def test_only_the_config_module_reads_the_environment() -> None:
    readers = {
        p.relative_to(ROOT).as_posix()
        for p in modules("bot")
        if "os.environ" in p.read_text(encoding="utf-8")
    }
    # The CLI reads only NEWSDIGEST_CONFIG (which file to load), before any settings exist.
    assert readers <= {"bot/config.py", "bot/cli.py"}


def test_adapter_modules_are_not_named_like_the_sdks_they_wrap() -> None:
    names = {p.stem for p in modules("bot")}
    assert not names & {"telegram", "slack", "slack_bolt", "apscheduler"}


@pytest.mark.parametrize("path", modules("digests") + modules("bot"), ids=lambda p: p.name)
def test_every_module_states_its_contract(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if path.name != "__init__.py":
        assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"
