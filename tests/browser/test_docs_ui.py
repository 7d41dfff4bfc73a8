"""/docs (Swagger UI) and /redoc (ReDoc) in headless Chromium with every other origin blocked: the pages render the
API from the assets we serve, under their CSP, with no request leaving the server's origin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_explorer import ARGS, CHROMIUM
from tests.live import live_server
from tests.reliability.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it when run as root)"),
]


@pytest.fixture(scope="module")
def server(seeded_lake: Path) -> Iterator[str]:
    with live_server(seeded_lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        yield live.base


@pytest.mark.parametrize(
    ("path", "ready", "text"), [("/docs", ".opblock", "series-get"), ("/redoc", "h1", "Yardstick")]
)
def test_api_docs_render_offline_under_their_csp(server: str, path: str, ready: str, text: str) -> None:
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []
    problems: list[str] = []

    def only_ours(route: Route) -> None:
        if route.request.url.startswith(server) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.route("**/*", only_ours)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(server + path)
        page.wait_for_selector(ready, timeout=30_000)
        page.wait_for_timeout(500)
        body = page.content()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"docs{path.replace('/', '-')}.png"))
        browser.close()
    assert text in body
    assert blocked == [], blocked  # nothing was asked of another origin (no CDN)
    # ReDoc's bundle hard-codes its vendor logo from a CDN: the CSP refuses it (no request leaves), which is the point
    refused = [m for m in problems if ("Content Security Policy" in m or "Refused" in m) and "cdn.redoc.ly" not in m]
    assert refused == [], problems
