"""The over-time comparison widget in a real headless Chromium against the real server: inside an iframe of another
origin, its problem message inside an iframe, and on a 390 px phone (the narrow chart, no label touching another)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.test_explorer import ARGS, CHROMIUM, _wait_for_image
from tests.helpers import VA, quarters_lake
from tests.live import free_port, live_server
from tests.reliability.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it when run as root)"),
]
WIDGET = f"/embed/compare/{VA}/430400"

# Every visible text node of an SVG document with its box; the test looks for two that intersect.
TEXT_BOXES = """() => [...document.querySelectorAll('text')]
  .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0')
  .map(t => { const b = t.getBoundingClientRect();
    return {text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height,
            size: parseFloat(getComputedStyle(t).fontSize)}; })"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(quarters_lake(tmp_path_factory.mktemp("overtime") / "lake")) as live:
        yield live.base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@contextmanager
def news_page(tmp_path: Path, src: str) -> Iterator[str]:
    """A page of another origin (localhost, not 127.0.0.1) with the widget in an iframe."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>News page</title><h1>某报 · 工业经济</h1>'
        f'<iframe id="w" src="{src}" width="560" height="460" style="border:0"></iframe>',
        encoding="utf-8",
    )
    port = free_port()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    other = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{port}/index.html"
    finally:
        other.shutdown()
        other.server_close()


def test_the_over_time_widget_in_an_iframe_of_another_origin(server: str, browser: object, tmp_path: Path) -> None:
    with news_page(tmp_path, f"{server}{WIDGET}?start=2021-Q1") as url:
        page = browser.new_page(viewport={"width": 700, "height": 600})  # type: ignore[attr-defined]
        page.goto(url)
        frame = page.frame(url=lambda u: "/embed/" in u)
        assert frame is not None
        frame.wait_for_selector("img")
        for _ in range(100):
            if frame.eval_on_selector("img", "i => i.complete && i.naturalWidth > 0"):
                break
            page.wait_for_timeout(100)
        assert frame.eval_on_selector("img", "i => i.naturalWidth") > 400
        assert "last_n" not in frame.eval_on_selector("img", "i => i.currentSrc")
        assert "start=2021-Q1" in frame.eval_on_selector("img", "i => i.currentSrc")
        assert "衡阳日报" in frame.inner_text("figcaption")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "embedded-overtime-widget.png"))
        page.close()


def test_a_problem_inside_the_iframe_is_a_message(server: str, browser: object, tmp_path: Path) -> None:
    with news_page(tmp_path, f"{server}{WIDGET.replace('430400', '999999')}?last_n=4&lang=en") as url:
        page = browser.new_page(viewport={"width": 700, "height": 600})  # type: ignore[attr-defined]
        page.goto(url)
        frame = page.frame_locator("#w")
        message = frame.locator("[role=alert]").inner_text()
        assert "This chart cannot be shown" in message and "Not found" in message and "999999" in message
        assert "{" not in message  # not a JSON document
        page.close()


def test_on_a_phone_the_widget_shows_the_narrow_chart_and_no_labels_collide(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 700})  # type: ignore[attr-defined]
    page.goto(f"{server}{WIDGET}?start=2021-Q1")
    _wait_for_image(page, "img")
    src = page.eval_on_selector("img", "i => i.currentSrc")
    assert "width=300" in src, src  # the <picture>'s phone source
    shown, natural = page.eval_on_selector("img", "i => [i.clientWidth, i.naturalWidth]")
    assert page.eval_on_selector("html", "e => e.scrollWidth") <= 390 and shown <= 390
    page.goto(src)
    boxes = page.evaluate(TEXT_BOXES)
    assert len(boxes) > 10 and any("衡阳市" in b["text"] for b in boxes)
    assert min(b["size"] for b in boxes) * shown / natural >= 9, (shown, natural)  # readable once fitted
    ticks = [b for b in boxes if b["text"].startswith("202") and "–" not in b["text"]]
    assert 2 <= len(ticks) <= 5, [b["text"] for b in ticks]  # thinned: at most one period label per ~64 px
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
            apart = apart or a["y"] + a["h"] <= b["y"] + 1 or b["y"] + b["h"] <= a["y"] + 1
            assert apart, (a, b)
    page.close()
