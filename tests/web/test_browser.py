"""The web archive in a real browser: Debian's Chromium, headless, at a phone's width, driven
through the DevTools protocol (tests/support/chromium.py). The archive, a digest, a story, a
topic's chart and a search are laid out right to left, raise no console error or
Content-Security-Policy violation, do not shift once drawn and fit the screen's width; a
screenshot of each is saved under ``artifacts/screenshots/`` (``.ci/run`` keeps it).

Without a ``chromium`` executable the test is skipped, except when
``NEWSDIGEST_BROWSER_TEST=required`` (``.ci/run`` sets it and installs Chromium), where that
is a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from digests.ingest.settings import PollSettings
from digests.store import Store
from digests.store.database import sqlite_url
from tests.support.chromium import Chromium, chromium_path
from tests.support.feedserver import FeedServer
from tests.web.conftest import seed, start_web

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
SCREENSHOTS = Path(os.environ.get("NEWSDIGEST_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
PHONE = {"width": 412, "height": 900, "deviceScaleFactor": 1, "mobile": True}
# The sum of the page's layout shifts (Cumulative Layout Shift), read by a PerformanceObserver.
LAYOUT_SHIFT = """new Promise(done => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => done(total), 200);
})"""


@pytest.fixture
def chromium() -> str:
    found = chromium_path()
    if found is None:
        if os.environ.get("NEWSDIGEST_BROWSER_TEST") == "required":
            pytest.fail("NEWSDIGEST_BROWSER_TEST=required but no chromium executable was found")
        pytest.skip("no chromium executable (apt-get install chromium); the browser test is off")
    return found


@pytest.fixture
async def archive(
    tmp_path: Path, feed_server: FeedServer, poll_settings: PollSettings
) -> AsyncIterator[str]:
    """The seeded web archive on SQLite; yields its URL."""
    store = await Store.open(sqlite_url(tmp_path / "browser.sqlite3"))
    try:
        await seed(store, feed_server, poll_settings)
        web = await start_web(store)
        assert web.url is not None
        yield web.url
        await web.stop()
    finally:
        await store.close()


async def test_the_archive_in_chromium_is_right_to_left_and_clean(
    chromium: str, archive: str
) -> None:
    async with (
        Chromium.start(chromium) as browser,
        aiohttp.ClientSession() as session,
        browser.open_page(session) as page,
    ):
        await page.call("Emulation.setDeviceMetricsOverride", **PHONE)
        # The problem detector hears console errors (checked once, then forgotten).
        await page.evaluate('console.error("probe")')
        assert page.problems == ["console: probe"]
        page.problems.clear()

        await page.load(f"{archive}/d/channel/")
        digest = await page.evaluate("document.querySelector('a.heading').href")
        await page.load(digest)
        story = await page.evaluate("document.querySelector('a.story').href")
        pages = {
            "archive": f"{archive}/d/channel/",
            "digest": digest,
            "story": story,
            "topic": f"{archive}/t/football",
            "search": f"{archive}/search?q=المغرب",
            "home": f"{archive}/",
        }
        for name, url in pages.items():
            await page.load(url)
            direction = await page.evaluate("getComputedStyle(document.body).direction")
            assert direction == "rtl", name
            assert await page.evaluate("document.documentElement.lang") == "ar"
            # Readable on a phone: nothing wider than the screen, nothing moves.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (name, width)
            assert await page.evaluate(LAYOUT_SHIFT) == 0, name
            await page.screenshot(SCREENSHOTS / f"{name}.png")
        await page.load(pages["topic"])
        box = await page.evaluate(
            "(() => { const b = document.querySelector('svg.chart').getBoundingClientRect();"
            " return [b.width, b.height]; })()"
        )
        assert box[0] > 300 and box[1] > 60  # drawn at the screen's width, 600:160
        bars = await page.evaluate("document.querySelectorAll('svg.chart rect').length")
        assert bars == 30
        await page.load(f"{archive}/d/english/")  # an English destination: left to right
        assert await page.evaluate("getComputedStyle(document.body).direction") == "ltr"
        assert page.problems == []  # no console error, exception or CSP violation
    assert {p.name for p in SCREENSHOTS.glob("*.png")} >= {f"{n}.png" for n in pages}
