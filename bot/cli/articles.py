"""``newsdigest extract``, ``summarise``, ``search`` and ``reindex``: one article's text and
summary, search over the stored ones, and rebuilding the search index."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
from rich.console import Console
from rich.text import Text

from bot.cli.common import settings_of
from bot.service import open_app
from digests.clock import utcnow
from digests.errors import ExtractError, FetchError, NewsdigestError
from digests.ingest.extract import extract_article, extract_text_lines
from digests.ingest.fetch import Fetcher
from digests.ingest.llm import LLMSettings, summarise_with_llm
from digests.ingest.settings import PollSettings
from digests.models import ExtractedArticle
from digests.text.query import SearchFilters, SearchPage
from digests.text.summarise import Summary, summarise

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the parser."""
    extract = commands.add_parser("extract", help="print the clean text of one article page")
    extract.add_argument("source", help="an HTML file, an http(s) URL, or - for standard input")
    extract.set_defaults(handler=_extract)

    summary = commands.add_parser(
        "summarise", help="print the summary of one article, or of every line of a JSONL file"
    )
    summary.add_argument(
        "source",
        nargs="?",
        help="an HTML page, a text file (first line = title), a URL, or -",
    )
    summary.add_argument(
        "--jsonl",
        metavar="PATH",
        help="summarise every JSON line of PATH (or - for standard input) with 'title' and "
        "'text'; write one JSON line each with 'summary'",
    )
    summary.add_argument("--sentences", type=int, default=3, help="most sentences (default 3)")
    summary.add_argument("--chars", type=int, default=None, help="most characters")
    summary.add_argument(
        "--llm", action="store_true", help="ask the [summary.llm] model of the configuration"
    )
    summary.set_defaults(handler=_summarise)

    search = commands.add_parser("search", help="search stored articles (Arabic-aware)")
    search.add_argument("query", nargs="+", help='words; quote a phrase as «…» or "…"')
    search.add_argument("--topic", help="only articles with this topic slug")
    search.add_argument("--source", help="only articles from this source name")
    search.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD (UTC)")
    search.add_argument("--until", type=_date, help="published before YYYY-MM-DD (UTC)")
    search.add_argument("--page", type=int, default=1)
    search.add_argument("--per-page", type=int, default=10)
    search.set_defaults(handler=_search)

    reindex = commands.add_parser(
        "reindex",
        help="make the search index and keyphrase topics agree with the matching rules now "
        "(the service also does it in the background after an upgrade)",
    )
    reindex.set_defaults(handler=_reindex)


def _reindex(args: argparse.Namespace) -> int:
    async def run() -> tuple[int, bool]:
        async with open_app(settings_of(args), polling=False) as app:
            total, started = 0, False
            while (step := await app.store.reindex_step(batch=2000)) is not None:
                started = True
                total += step.articles
                print(f"re-indexed {total} articles", file=sys.stderr)
                if step.done:
                    break
            return total, started

    total, started = asyncio.run(run())
    if started:
        print(f"the search index is up to date ({total} articles re-indexed)")
    else:
        print("the search index was already up to date")
    return 0


def _extract(args: argparse.Namespace) -> int:
    data, url = _read_source(args.source)
    sys.stdout.write(_article_text(extract_article(data, url)))
    return 0


def _article_text(article: ExtractedArticle) -> str:
    blocks = ([article.title] if article.title else []) + list(article.paragraphs)
    return "\n\n".join(blocks) + "\n"


def _read_source(source: str) -> tuple[bytes, str | None]:
    """The bytes of a file, standard input or URL, and the URL when it was one."""
    if source.startswith(("http://", "https://")):
        return asyncio.run(_fetch_page(source)), source
    try:
        return (sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()), None
    except OSError as exc:
        raise NewsdigestError(f"cannot read {source}: {exc.strerror or exc}") from None


async def _fetch_page(url: str) -> bytes:
    # The operator names this URL on their own machine: no address is refused.
    async with Fetcher(PollSettings(), allow_private=True) as fetcher:
        try:
            return (await fetcher.fetch(url)).body
        except FetchError as exc:
            raise ExtractError(url, f"cannot fetch {url}: {exc}") from None


def _article_from(data: bytes, url: str | None) -> ExtractedArticle:
    """An HTML page is extracted; anything else is plain text whose first line is the title."""
    head = data[:2048].lstrip().lower()
    if (
        url
        or head.startswith((b"<!doctype", b"<html", b"<?xml"))
        or b"<p" in head
        or b"<body" in head
    ):
        return extract_article(data, url)
    return extract_text_lines(data.decode("utf-8", errors="replace"), url)


def _summarise(args: argparse.Namespace) -> int:
    if args.sentences < 1 or (args.chars is not None and args.chars < 20):
        raise NewsdigestError("--sentences must be at least 1 and --chars at least 20")
    if (args.source is None) == (args.jsonl is None):
        raise NewsdigestError("summarise takes one article (SOURCE) or --jsonl PATH, not both")
    if args.jsonl is not None:
        if args.llm:
            raise NewsdigestError("--llm summarises one article at a time; not with --jsonl")
        return _summarise_lines(args.jsonl, args.sentences, args.chars)
    data, url = _read_source(args.source)
    article = _article_from(data, url)
    result = summarise(
        article.title, article.text, max_sentences=args.sentences, max_chars=args.chars
    )
    if args.llm:
        llm = settings_of(args).summary.llm
        if llm is None:
            raise NewsdigestError(f"{args.config}: no [summary.llm] table: the model is not set")
        result = asyncio.run(_llm_summary(llm, article, result))
    lines = ([article.title, ""] if article.title else []) + [result.text or "(no text)"]
    sys.stdout.write("\n".join(lines) + "\n")
    note = f" ({result.fallback_reason})" if result.fallback_reason else ""
    count = len(result.sentences)
    print(f"# {result.method}: {count} sentence{'' if count == 1 else 's'}{note}", file=sys.stderr)
    return 0


def _summarise_lines(path: str, sentences: int, chars: int | None) -> int:
    """Batch mode: one output line per input line, in order. An input line that is not a
    JSON object with a string ``text`` gets an output line with ``error`` (and the input's
    ``id`` if it has one); the status is then 1, after every line was done."""
    if path == "-":
        return _summarise_stream(sys.stdin, "standard input", sentences, chars)
    try:
        source = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed just below
    except OSError as exc:
        raise NewsdigestError(f"cannot read {path}: {exc.strerror or exc}") from None
    with source:
        return _summarise_stream(source, path, sentences, chars)


def _summarise_stream(source: TextIO, name: str, sentences: int, chars: int | None) -> int:
    failed = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        out = _summary_line(line, number, sentences, chars)
        failed += "error" in out
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    if failed:
        print(f"newsdigest: {failed} line(s) of {name} could not be summarised", file=sys.stderr)
    return 1 if failed else 0


def _summary_line(line: str, number: int, sentences: int, chars: int | None) -> dict[str, Any]:
    """The output object for one input line (see ``_summarise_lines``)."""
    try:
        item = json.loads(line)
    except ValueError as exc:
        return {"line": number, "error": f"not JSON: {exc}"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        known = {"id": item["id"]} if isinstance(item, dict) and "id" in item else {}
        return known | {"line": number, "error": "expected a JSON object with a string 'text'"}
    title = item.get("title") if isinstance(item.get("title"), str) else None
    result = summarise(title, item["text"], max_sentences=sentences, max_chars=chars)
    kept = {key: value for key, value in item.items() if key not in ("text", "title")}
    return kept | {
        "summary": result.text,
        "sentences": len(result.sentences),
        "method": result.method,
    }


async def _llm_summary(llm: LLMSettings, article: ExtractedArticle, fallback: Summary) -> Summary:
    async with httpx.AsyncClient() as client:
        return await summarise_with_llm(client, llm, article.title, article.text, fallback)


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-29") from None


def _search(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    filters = SearchFilters(
        topic=args.topic, source=args.source, since=args.since, until=args.until
    )

    async def run() -> SearchPage:
        async with open_app(settings, polling=False) as app:
            return await app.store.search.find(
                " ".join(args.query),
                now=utcnow(),
                filters=filters,
                page=args.page,
                per_page=max(1, min(args.per_page, 50)),
            )

    result = asyncio.run(run())
    console = Console(highlight=False)
    if not result.hits:
        console.print(f"no results for «{result.query}»")
        return 0
    note = (
        " (no article has every word; showing articles with any of them)"
        if result.broadened
        else ""
    )
    count = f"more than {result.total} results" if result.more else f"{result.total} results"
    console.print(f"{count}, page {result.page} of {result.pages}{note}\n")
    for hit in result.hits:
        console.print(_marked(hit.title, hit.title_marks, "bold"))
        console.print(f"   {hit.source} · {hit.published_at:%Y-%m-%d %H:%M} UTC · {hit.url}")
        console.print(Text("   ") + _marked(hit.snippet.text, hit.snippet.marks, "bold yellow"))
        console.print()
    return 0


def _marked(text: str, marks: Sequence[tuple[int, int]], style: str) -> Text:
    rich_text = Text(text)
    for start, end in marks:
        rich_text.stylize(style, start, end)
    return rich_text
