"""The explorer and an iframe widget in a real headless Chromium (Debian's package, driven by Playwright), against
the real server on 127.0.0.1. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import free_port, live_server
from tests.reliability.conftest import ARTIFACTS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it when run as root)"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(seeded_lake: Path) -> Iterator[str]:
    with live_server(seeded_lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        yield live.base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_explorer_shows_the_seed_comparison(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 1400})  # type: ignore[attr-defined]
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#region-q", "衡阳")
    page.wait_for_selector("#region option[value='430400']")
    page.select_option("#region", "430400")
    page.select_option("#indicator", "industry.value_added.growth")
    page.wait_for_selector("#compare tbody tr:nth-child(3)")
    table = page.inner_text("#compare")
    for figure in ("8.4", "7.4", "3.9", "+1.0 pp", "+4.5 pp"):
        assert figure in table, table
    assert "2 / 14" in page.inner_text("#rank")
    _wait_for_image(page, "#compare-chart")
    assert "衡阳日报" in page.inner_text("#quotes") or "8.4%" in page.inner_text("#quotes")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(ARTIFACTS / "explorer-phone.png"), full_page=True)
    page.close()


def test_widget_in_an_iframe_of_another_origin(server: str, browser: object, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>News page</title><h1>某报 · 工业经济</h1>'
        f'<iframe id="w" src="{server}/embed/compare/industry.value_added.growth/430400?period=2022-Q3" '
        'width="560" height="420" style="border:0"></iframe>',
        encoding="utf-8",
    )
    port = free_port()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    other = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        page = browser.new_page(viewport={"width": 700, "height": 560})  # type: ignore[attr-defined]
        page.goto(f"http://localhost:{port}/index.html")  # another origin than 127.0.0.1:<server>
        frame = page.frame_locator("#w")
        frame.locator("img").wait_for()
        page.wait_for_timeout(500)
        assert "衡阳日报" in frame.locator("figcaption").inner_text()
        page.screenshot(path=str(ARTIFACTS / "embedded-widget.png"))
        page.close()
    finally:
        other.shutdown()
        other.server_close()


def _wait_for_image(page: object, selector: str) -> None:
    """Poll from the test side: the page's CSP forbids the eval that wait_for_function needs (as it should)."""
    for _ in range(100):
        if page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"):  # type: ignore[attr-defined]
            return
        time.sleep(0.1)
    raise AssertionError(f"{selector} never loaded")
