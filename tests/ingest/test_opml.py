"""OPML export and import: the pure reader/writer, the CLI against a real SQLite file, and the
admins' chat commands (served by the fixture HTTP server on 127.0.0.1)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.commands import Caller, Commands
from bot.config import Settings
from digests.errors import ParseError
from digests.ingest.fetch import Fetcher
from digests.ingest.opml import LISTED_TWICE, NOT_HTTP, OpmlFeed, export_opml, parse_opml
from digests.ingest.settings import PollSettings
from digests.models import Feed
from digests.store import Store
from digests.text.topic_lookup import TopicLookup
from tests.bot.test_cli import config_for
from tests.support.feedserver import FeedServer

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ADMIN = Caller("telegram", "1", "1", is_admin=True, language="ar")
ADMIN_EN = Caller("slack", "UADMIN", "DADMIN", is_admin=True, language="en")
USER = Caller("telegram", "1001", "1001", is_admin=False, language="ar")
POLL = PollSettings(timeout_seconds=1.0, max_response_kb=256)

FEEDS = [
    Feed(id=1, url="https://aljazeera.example/rss?a=1&b=2", name="الجزيرة & <نت>"),
    Feed(id=2, url="https://alarabiya.example/feed", name='العربية "عاجل"'),
    Feed(id=3, url="https://bbc.example/arabic/rss.xml", name="بي بي سي عربي\nسطر"),
]

NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>قائمتي</title></head>
  <body>
    <outline text="أخبار">
      <outline text="الخليج">
        <outline type="rss" text="الرياض" xmlUrl="https://riyadh.example/rss"/>
        <outline type="rss" title="البيان" xmlurl="https://bayan.example/rss"/>
      </outline>
      <outline type="rss" text="" xmlUrl="https://noname.example/feed"/>
    </outline>
    <outline type="rss" text="ملف محلي" xmlUrl="file:///etc/passwd"/>
    <outline type="rss" text="مكرر" xmlUrl="https://riyadh.example/rss"/>
    <outline type="link" text="رابط" url="https://page.example/"/>
  </body>
</opml>
"""


# --------------------------------------------------------------------------- pure


def test_round_trip_keeps_arabic_names_and_escapes_them() -> None:
    document = export_opml(FEEDS, "مصادر newsdigest", created=NOW)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "الجزيرة &amp; &lt;نت&gt;" in document  # Arabic as text, specials escaped
    assert "&amp;b=2" in document
    root = ET.fromstring(document.encode("utf-8"))
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "مصادر newsdigest"
    assert root.findtext("head/dateCreated") == "Sun, 29 Nov 2026 09:00:00 +0000"
    outline = root.find("body/outline")
    assert outline is not None and outline.get("type") == "rss"
    assert outline.get("title") == outline.get("text") == "الجزيرة & <نت>"

    parsed = parse_opml(document.encode("utf-8"))
    assert parsed == [OpmlFeed(f.url, f.name) for f in FEEDS]
    assert parsed.skipped == []


def test_nested_outlines_are_flattened_and_bad_urls_reported() -> None:
    parsed = parse_opml(NESTED.encode("utf-8"))
    assert parsed == [
        OpmlFeed("https://riyadh.example/rss", "الرياض"),
        OpmlFeed("https://bayan.example/rss", "البيان"),  # title, lower-case xmlurl
        OpmlFeed("https://noname.example/feed", "noname.example"),  # no name: the host
    ]
    assert [(s.url, s.reason) for s in parsed.skipped] == [
        ("file:///etc/passwd", NOT_HTTP),
        ("https://riyadh.example/rss", LISTED_TWICE),
    ]


def test_utf16_documents_are_read() -> None:
    document = export_opml(FEEDS[:1], "t").replace("UTF-8", "UTF-16")
    assert parse_opml(document.encode("utf-16")) == [OpmlFeed(FEEDS[0].url, FEEDS[0].name)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "not valid XML"),
        (b"", "not valid XML"),
        (b'<rss version="2.0"><channel/></rss>', "root element is <rss>"),
    ],
)
def test_invalid_documents_raise_a_clear_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_opml(data, "feeds.opml")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/rss"/></body></opml>
"""
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b']>\n<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://a.example/"/>'
    b"</body></opml>"
)


@pytest.mark.parametrize("data", [XXE, LAUGHS, XXE.replace(b"DOCTYPE", b"doctype")])
def test_dtds_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError, match="declares a DTD or entities"):
        parse_opml(data)


def test_dtd_in_utf16_is_refused_too() -> None:
    with pytest.raises(ParseError, match="declares a DTD"):
        parse_opml(
            XXE.decode()
            .replace('version="1.0"?', 'version="1.0" encoding="UTF-16"?')
            .encode("utf-16")
        )


# --------------------------------------------------------------------------- CLI


def test_cli_import_export_and_list(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = config_for(tmp_path, feed_server, "/rss")
    configured = feed_server.url("/rss")
    opml = tmp_path / "in.opml"
    opml.write_text(NESTED.replace("https://bayan.example/rss", configured), encoding="utf-8")

    assert main(["--config", str(config), "feeds", "import", str(opml)]) == 0
    out = capsys.readouterr().out
    assert "added         #2 الرياض <https://riyadh.example/rss>" in out
    assert f"already there البيان <{configured}> as #1 مصدر rss" in out
    assert "refused       <file:///etc/passwd>: not an http(s) URL" in out
    assert out.rstrip().endswith("2 added, 1 already present, 2 refused")

    # A second import adds nothing; standard input works.
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(opml.read_bytes())))
    assert main(["--config", str(config), "feeds", "import", "-"]) == 0
    assert "0 added, 3 already present, 2 refused" in capsys.readouterr().out

    assert main(["--config", str(config), "feeds", "export"]) == 0
    exported = parse_opml(capsys.readouterr().out.encode("utf-8"))
    assert [f.name for f in exported] == ["مصدر rss", "الرياض", "noname.example"]

    target = tmp_path / "out.opml"
    assert main(["--config", str(config), "feeds", "export", str(target)]) == 0
    assert "wrote 3 feeds" in capsys.readouterr().err
    assert parse_opml(target.read_bytes()) == exported

    assert main(["--config", str(config), "feeds", "list"]) == 0
    table = capsys.readouterr().out
    assert "الرياض" in table and "new" in table and "3 feeds, 0 failing, 0 paused" in table


def test_cli_import_of_a_bad_file_is_one_clear_error(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, feed_server, "/rss")
    bad = tmp_path / "bad.opml"
    bad.write_bytes(XXE)
    assert main(["--config", str(config), "feeds", "import", str(bad)]) == 2
    assert "declares a DTD or entities" in capsys.readouterr().err
    assert main(["--config", str(config), "feeds", "import", str(tmp_path / "nope")]) == 2
    assert "cannot read" in capsys.readouterr().err


# --------------------------------------------------------------------------- chat


@pytest.fixture
async def commands(store: Store) -> AsyncIterator[Commands]:
    async with Fetcher(POLL, allow_private=True) as fetcher:
        yield Commands(store, Settings(), fetcher, TopicLookup(), lambda: NOW, allow_private=True)


async def test_importopml_and_exportopml_for_admins(
    commands: Commands, store: Store, feed_server: FeedServer
) -> None:
    feed_server.add("/feeds.opml", NESTED, headers={"Content-Type": "text/x-opml"})
    reply = await commands.run(ADMIN, "importopml", feed_server.url("/feeds.opml"))
    assert reply.ephemeral
    assert "استيراد OPML: أضفت 3، وكانت 0 موجودة من قبل، ورفضت 2." in reply.text
    assert "#1 الرياض" in reply.text and "ليس رابط http(s)" in reply.text
    assert [f.name for f in await store.feeds.all()] == ["الرياض", "البيان", "noname.example"]

    again = await commands.run(ADMIN_EN, "importopml", feed_server.url("/feeds.opml"))
    assert "added 0, 3 already present, 2 refused" in again.text

    exported = await commands.run(ADMIN, "exportopml")
    assert "المصادر بصيغة OPML (3)" in exported.text
    assert all(span.url is None for p in exported.paragraphs for span in p)  # no link spans
    document = "".join(span.text for span in exported.paragraphs[1])
    assert len(parse_opml(document.encode("utf-8"))) == 3

    feed_server.add("/page", "<html><body>no</body></html>")
    bad = await commands.run(ADMIN_EN, "importopml", feed_server.url("/page"))
    assert "could not read that file as OPML" in bad.text
    assert (
        "Write the OPML file's full URL" in (await commands.run(ADMIN_EN, "importopml", "x")).text
    )


async def test_exportopml_too_long_points_to_the_cli(commands: Commands, store: Store) -> None:
    for n in range(60):
        await store.feeds.add(f"https://feeds{n}.example/rss", f"مصدر رقم {n}", NOW)
    reply = await commands.run(ADMIN_EN, "exportopml")
    assert "too many feeds (60)" in reply.text and "newsdigest feeds export" in reply.text


async def test_opml_commands_refuse_non_admins_and_change_nothing(
    store: Store, feed_server: FeedServer
) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=NESTED.encode())

    async with Fetcher(POLL, transport=httpx.MockTransport(record)) as fetcher:
        commands = Commands(store, Settings(), fetcher, TopicLookup(), lambda: NOW)
        for reply in (
            await commands.run(USER, "importopml", "https://a.example/feeds.opml"),
            await commands.run(USER, "exportopml"),
        ):
            assert reply.text == "عذراً، هذا الأمر للمشرفين فقط." and reply.ephemeral
        assert requests == [] and await store.feeds.all() == []

        # Without allow_private, an OPML file on a loopback address is refused unread.
        private = await commands.run(ADMIN, "importopml", "http://127.0.0.1:9/feeds.opml")
        assert "عناوين داخلية أو خاصة" in private.text and requests == []
