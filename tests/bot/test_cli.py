"""The command line as a user runs it, against the fixture server and a real SQLite file."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ENV_SECRETS
from tests.conftest import DATA
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"


def config_for(
    tmp_path: Path, server: FeedServer, *paths: str, extra: str = "", taxonomy: Path = TAXONOMY
) -> Path:
    feeds = "".join(
        f'[[feeds]]\nname = "مصدر {p.strip("/")}"\nurl = "{server.url(p)}"\n'
        "allow_private = true\n\n"  # the fixture server is on 127.0.0.1
        for p in paths
    )
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[ops]\nport = 0\n\n"
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 150\n\n"
        f'[topics]\ntaxonomy_file = "{taxonomy}"\n\n'
        f"{feeds}"
        '[[destinations]]\nname = "console"\nschedule = "0 8 * * *"\ntimezone = "Asia/Riyadh"\n'
        f"digest_on_start = true\n{extra}",
        encoding="utf-8",
    )
    return path


def test_poll_once_prints_a_table_per_feed(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/rss", rss(feed_server.base))
    feed_server.add("/down", status=500)
    config = config_for(tmp_path, feed_server, "/rss", "/down")

    assert main(["--config", str(config), "poll", "--once"]) == 0
    out = capsys.readouterr().out
    assert "مصدر rss" in out and "مصدر down" in out
    assert "HTTP 500" in out
    assert "2 feeds, 5 new articles, 1 failed" in out

    # The second pass gets nothing new.
    assert main(["--config", str(config), "poll", "--once"]) == 0
    assert "0 new articles" in capsys.readouterr().out


def test_feeds_list_shows_a_feed_with_a_parse_problem_as_a_warning(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per row
    good = rss(feed_server.base).decode()
    feed_server.add("/rss", good)
    laughs = '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    feed_server.add("/laughs", laughs + good.split("?>", 1)[1])
    feed_server.add("/cut", good[: good.index("</channel>")])  # truncated
    feed_server.add("/down", status=500)
    config = config_for(tmp_path, feed_server, "/rss", "/laughs", "/cut", "/down")
    assert main(["--config", str(config), "poll", "--once"]) == 0
    capsys.readouterr()

    assert main(["--config", str(config), "feeds", "list"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("│")[2].strip(): line for line in out.splitlines() if "│ مصدر" in line}
    cells = {name: [c.strip() for c in line.split("│")[1:-1]] for name, line in rows.items()}
    header = ["id", "name", "url", "status", "last success", "errors", "last error", "next"]
    heading = next(line for line in out.splitlines() if "last error" in line)
    assert [c.strip() for c in heading.split("┃")[1:-1]] == header
    assert cells["مصدر rss"][3] == "ok" and cells["مصدر rss"][6] == ""
    assert cells["مصدر laughs"][3] == "warning"
    assert cells["مصدر laughs"][6] == "entity declarations refused"
    assert cells["مصدر cut"][3] == "warning"
    assert "no element found" in cells["مصدر cut"][6]
    assert cells["مصدر cut"][5] == "0"
    assert cells["مصدر down"][3] == "failing" and "HTTP 500" in cells["مصدر down"][6]
    assert "4 feeds, 1 failing, 0 paused" in out


def test_digest_print_shows_the_new_stories_in_arabic(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/rss", rss(feed_server.base))
    config = config_for(tmp_path, feed_server, "/rss")
    assert main(["--config", str(config), "poll", "--once"]) == 0
    capsys.readouterr()

    assert main(["--config", str(config), "digest", "--print"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("موجز الأخبار — ")
    assert "5 أخبار" in out
    for story in STORIES:
        assert story.title in out
    assert feed_server.url("/news/rates") in out
    # Printing is a preview: a second print shows the same stories.
    assert main(["--config", str(config), "digest", "--print"]) == 0
    assert STORIES[0].title in capsys.readouterr().out


def test_digest_print_for_an_unknown_destination_is_a_clear_error(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, feed_server)
    assert main(["--config", str(config), "digest", "--print", "--destination", "nope"]) == 2
    assert "no destination named 'nope' (known: console)" in capsys.readouterr().err


def test_extract_prints_title_then_paragraphs_from_file_stdin_and_url(
    feed_server: FeedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = DATA / "pages" / "seed" / "page.html"
    expected = (DATA / "pages" / "seed" / "expected.txt").read_text(encoding="utf-8").strip()

    assert main(["extract", str(page)]) == 0
    assert capsys.readouterr().out.strip() == expected

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(page.read_bytes())))
    assert main(["extract", "-"]) == 0
    assert capsys.readouterr().out.strip() == expected

    feed_server.add("/article", page.read_bytes(), headers={"Content-Type": "text/html"})
    assert main(["extract", feed_server.url("/article")]) == 0
    assert capsys.readouterr().out.strip() == expected


def test_extract_refuses_unreadable_input_clearly(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(tmp_path / "missing.html")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["extract", feed_server.url("/gone")]) == 2
    assert "HTTP 404" in capsys.readouterr().err


def test_run_polls_prints_a_digest_and_stops_cleanly_on_sigterm(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The service entry point end to end, as `make run` starts it."""
    feed_server.add("/rss", rss(feed_server.base))
    feed_server.add("/broken", status=503)
    config = config_for(tmp_path, feed_server, "/rss", "/broken")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if all(any(story.title in x for x in seen) for story in STORIES):
                break
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    out = "".join(seen)
    assert out.startswith("موجز الأخبار — "), err
    assert all(story.title in out for story in STORIES)
    assert process.returncode == 0, err
    assert "service stopped" in err
    assert "HTTP 503" in err  # the failing feed was logged, and did not stop the rest
    assert (tmp_path / "data" / "newsdigest.sqlite3").exists()


def test_summarise_an_article_page_and_plain_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = DATA / "pages" / "seed" / "page.html"
    article = (DATA / "pages" / "seed" / "expected.txt").read_text(encoding="utf-8")

    assert main(["summarise", str(page), "--sentences", "2"]) == 0
    captured = capsys.readouterr()
    title, blank, summary = captured.out.rstrip("\n").split("\n")
    assert title == article.split("\n")[0] and blank == ""
    assert summary and summary.replace(" ", "") in article.replace("\n", "").replace(" ", "")
    # At most two: the lead says it, so one.
    assert "# extractive: 1 sentence\n" in captured.err

    text = "عنوان تجريبي\nهذه جملة أولى عن الاقتصاد. وهذه جملة ثانية أطول قليلا عن الأسواق.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["summarise", "-", "--chars", "40"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("عنوان تجريبي\n\nهذه جملة أولى عن الاقتصاد.")
    assert "الأسواق" not in out


def test_summarise_a_jsonl_corpus_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Batch mode: one output line per input line, in order; bad lines say why, keep their
    place, and make the status 1 once every line is done."""
    lead = "ارتفعت أسعار النفط اليوم إلى أعلى مستوى منذ عامين مع تراجع المخزونات الأمريكية."
    rows = [
        {
            "id": "a1",
            "title": "النفط يرتفع",
            "text": f"{lead}\nوقال محللون إن الطلب قوي.\n"
            "وتراجع الدولار أمام اليورو بعد بيانات التضخم.\nوأغلقت البورصات الخليجية على ارتفاع.",
        },
        {"id": 2, "text": "أزمة المياه\nلا تصل المياه إلى المدينة القديمة إلا ساعتين في اليوم."},
    ]
    corpus = tmp_path / "corpus.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    corpus.write_text("\n".join([lines[0], "{broken", lines[1], '{"id": "x"}']) + "\n")

    assert main(["summarise", "--jsonl", str(corpus), "--sentences", "2", "--chars", "280"]) == 1
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert out[0] == {"id": "a1", "summary": lead, "sentences": 1, "method": "extractive"}
    assert out[1]["line"] == 2 and out[1]["error"].startswith("not JSON")
    assert out[2]["id"] == 2 and out[2]["method"] == "article"
    assert out[3] == {"id": "x", "line": 4, "error": "expected a JSON object with a string 'text'"}
    assert "2 line(s)" in captured.err

    assert main(["summarise", "--jsonl", str(tmp_path / "missing.jsonl")]) == 2
    assert main(["summarise", str(corpus), "--jsonl", str(corpus)]) == 2


def test_search_and_topics_from_the_command_line(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/rss", rss(feed_server.base))
    config = config_for(tmp_path, feed_server, "/rss")
    assert main(["--config", str(config), "poll", "--once"]) == 0
    capsys.readouterr()

    assert main(["--config", str(config), "search", "الفائدة"]) == 0
    out = capsys.readouterr().out
    assert "1 results, page 1 of 1" in out and STORIES[0].title in out

    assert main(["--config", str(config), "search", "في", "من"]) == 2
    assert "only common words" in capsys.readouterr().err

    assert main(["--config", str(config), "topics", "list"]) == 0
    assert "morocco" in capsys.readouterr().out


def test_reindex_after_an_upgrade(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/rss", rss(feed_server.base))
    config = config_for(tmp_path, feed_server, "/rss")
    assert main(["--config", str(config), "poll", "--once"]) == 0
    capsys.readouterr()
    # The first run records the version the index was built with...
    assert main(["--config", str(config), "reindex"]) == 0
    assert f"up to date ({len(STORIES)} articles re-indexed)" in capsys.readouterr().out
    assert main(["--config", str(config), "reindex"]) == 0
    assert "already up to date" in capsys.readouterr().out
    # ...and an index made by other matching rules (another version) is rebuilt.
    database = sqlite3.connect(tmp_path / "data" / "newsdigest.sqlite3")
    with database:
        database.execute("UPDATE store_meta SET value = 'an older version'")
        database.execute("UPDATE article_search SET title = 'x', body = 'x'")
    database.close()
    assert main(["--config", str(config), "search", "الفائدة"]) == 0
    assert "no results" in capsys.readouterr().out
    assert main(["--config", str(config), "reindex"]) == 0
    captured = capsys.readouterr()
    assert f"the search index is up to date ({len(STORIES)} articles re-indexed)" in captured.out
    assert main(["--config", str(config), "search", "الفائدة"]) == 0
    assert "1 results, page 1 of 1" in capsys.readouterr().out


def test_promote_a_keyphrase_to_a_taxonomy_topic(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    taxonomy = tmp_path / "topics.toml"
    taxonomy.write_text(TAXONOMY.read_text(encoding="utf-8"), encoding="utf-8")
    seed = (DATA / "pages" / "seed" / "page.html").read_bytes()
    feed_server.add("/news/rates", seed, headers={"Content-Type": "text/html; charset=utf-8"})
    feed_server.add("/rss", rss(feed_server.base, STORIES[:1], full_content=False))
    config = config_for(tmp_path, feed_server, "/rss", taxonomy=taxonomy)
    assert main(["--config", str(config), "poll", "--once"]) == 0
    assert main(["--config", str(config), "topics", "list", "--keyphrases"]) == 0
    assert "سيف العدل" in capsys.readouterr().out

    command = ["topics", "promote", "سيف العدل", "--slug", "saif-al-adel", "--en", "Saif al-Adel"]
    assert main(["--config", str(config), *command, "--kind", "person"]) == 0
    assert "1 articles moved" in capsys.readouterr().out
    assert 'slug = "saif-al-adel"' in taxonomy.read_text(encoding="utf-8")
    assert main(["--config", str(config), "topics", "list"]) == 0
    assert "saif-al-adel" in capsys.readouterr().out
    # A taken slug is refused and the file is left alone.
    assert main(["--config", str(config), *command]) == 2
    assert taxonomy.read_text(encoding="utf-8").count('slug = "saif-al-adel"') == 1


def test_only_commands_that_talk_to_a_chat_platform_need_its_tokens(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ENV_SECRETS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file either
    feed_server.add("/rss", rss(feed_server.base))
    chats = (
        '\n[[destinations]]\nname = "channel"\nplatform = "telegram"\nchat = "@akhbar_channel"\n'
        '\n[[destinations]]\nname = "team"\nplatform = "slack"\nchat = "C0123456"\n'
    )
    config = str(config_for(tmp_path, feed_server, "/rss", extra=chats))

    # Commands that only read (or fill) the store run without any token.
    assert main(["--config", config, "feeds", "list"]) == 0
    assert "مصدر rss" in capsys.readouterr().out
    assert main(["--config", config, "search", "الفائدة"]) == 0
    assert "«الفائدة»" in capsys.readouterr().out
    assert main(["--config", config, "topics", "list"]) == 0
    assert "articles" in capsys.readouterr().out
    assert main(["--config", config, "digest", "--print", "--destination", "channel"]) == 0
    assert capsys.readouterr().out.startswith("موجز الأخبار — ")
    assert main(["--config", config, "feeds", "export", "-"]) == 0
    assert "<opml" in capsys.readouterr().out
    assert main(["--config", config, "reindex"]) == 0

    # Posting needs the tokens: `run` refuses at once, naming the file and every missing one;
    # `check-config` checks what `run` needs.
    for command in ("run", "check-config"):
        assert main(["--config", config, command]) == 2
        err = capsys.readouterr().err
        assert f"newsdigest: {config}: destinations[1] posts to Telegram but " in err
        assert "TELEGRAM_BOT_TOKEN is not set" in err
        assert f"{config}: a destination posts to Slack but SLACK_BOT_TOKEN is not set" in err
