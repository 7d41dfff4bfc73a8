"""The explorer and an iframe widget in a real headless Chromium (Debian's package, driven by Playwright), against
the real server on 127.0.0.1. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import http.server
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.helpers import PARTIAL, csv_bytes, obs, partly_ranked, seeded_copy
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
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped data and one revision: Hengyang's taxes paid, 44.5 亿元, revised to 44.6 on 2023-01-15."""
    lake = seeded_copy(tmp_path_factory.mktemp("explorer") / "lake")
    row = obs("industry.taxes_paid", "430400", "2022-Q3", 44.6, "2023-01-15")
    ingest(lake_at(lake), [("revision.csv", csv_bytes([row]))])
    with live_server(lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
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
    assert "region=430400" in page.url and "indicator=industry.value_added.growth" in page.url
    _wait_for_image(page, "#compare-chart")
    assert "衡阳日报" in page.inner_text("#quotes") or "8.4%" in page.inner_text("#quotes")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
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


def _open(browser: object, url: str, width: int = 1200, height: int = 1400) -> object:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page


def _scroll_width(page: object) -> int:
    return int(page.eval_on_selector("html", "e => e.scrollWidth"))  # type: ignore[attr-defined]


def test_the_view_lives_in_the_url_and_back_and_forward_work(server: str, browser: object) -> None:
    page = _open(browser, server + "/?region=430400&indicator=industry.value_added.growth")
    page.wait_for_selector("#compare tbody tr:nth-child(3)")  # type: ignore[attr-defined]
    assert "规模以上工业增加值增速" in page.inner_text("#heading")  # type: ignore[attr-defined]
    page.select_option("#indicator", "industry.taxes_paid.growth")  # type: ignore[attr-defined]
    _wait_for_text(page, "#heading", "工业企业实缴税金增速")
    assert "indicator=industry.taxes_paid.growth" in page.url  # type: ignore[attr-defined]
    page.click("#tabs button[data-tab=league]")  # type: ignore[attr-defined]
    assert "tab=league" in page.url  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    _wait_for_text(page, "#heading", "规模以上工业增加值增速")
    assert page.eval_on_selector("#indicator", "s => s.value") == "industry.value_added.growth"  # type: ignore[attr-defined]
    page.go_forward()  # type: ignore[attr-defined]
    _wait_for_text(page, "#heading", "工业企业实缴税金增速")
    page.close()  # type: ignore[attr-defined]


def test_a_pair_without_data_says_so_and_offers_what_the_region_has(server: str, browser: object) -> None:
    page = _open(browser, server + "/?region=430000&indicator=investment.industry.growth")
    page.wait_for_selector("#empty:not([hidden])")  # type: ignore[attr-defined]
    assert "没有" in page.inner_text("#empty-text") and page.is_hidden("#result")  # type: ignore[attr-defined]
    offered = page.inner_text("#empty-choices")  # type: ignore[attr-defined]
    assert "规模以上工业增加值增速" in offered  # Hunan's derived growth figure
    page.click("#empty-choices button >> text=规模以上工业增加值增速")  # type: ignore[attr-defined]
    _wait_for_text(page, "#heading", "湖南省")
    assert page.is_hidden("#empty") and "推算 derived" in page.inner_text("#compare")  # type: ignore[attr-defined]
    page.check("#with-data")  # type: ignore[attr-defined]
    for _ in range(50):
        codes = page.eval_on_selector_all("#indicator option", "os => os.map(o => o.value)")  # type: ignore[attr-defined]
        if len(codes) < 10:
            break
        time.sleep(0.1)
    hunan = page.request.get(server + "/v1/series?region=430000").json()["series"]  # type: ignore[attr-defined]
    assert set(codes) == {x["indicator"] for x in hunan} and len(codes) == 4, codes
    unknown = _open(browser, server + "/?region=nowhere&indicator=industry.value_added.growth")
    unknown.wait_for_selector("#error:not([hidden])")  # type: ignore[attr-defined]
    assert unknown.inner_text("#error").startswith("没有找到 Not found")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
    unknown.close()  # type: ignore[attr-defined]


def test_league_tables_revisions_downloads_and_favicon(server: str, browser: object) -> None:
    page = _open(browser, server + "/?region=430400&indicator=industry.taxes_paid.growth&tab=league")
    page.wait_for_selector("#league-nation tbody tr.me")  # type: ignore[attr-defined]
    assert "衡阳市" in page.inner_text("#league-nation tr.me")  # type: ignore[attr-defined]
    siblings = page.inner_text("#league-siblings tr.me")  # type: ignore[attr-defined]
    assert "衡阳市" in siblings and "1" in siblings.split()  # the reported rank, 居全省第一
    _wait_for_image(page, "#rankings-chart")
    page.screenshot(path=str(ARTIFACTS / "explorer-league.png"), full_page=True)  # type: ignore[attr-defined]
    links = page.eval_on_selector_all("#league-downloads a", "as => as.map(a => a.href)")  # type: ignore[attr-defined]
    assert [h.split("format=")[1].split("&")[0] for h in links] == ["csv", "parquet"]
    parquet = page.request.get(links[1])  # type: ignore[attr-defined]
    assert parquet.status == 200 and parquet.body()[:4] == b"PAR1"
    page.goto(server + "/?region=430400&indicator=industry.taxes_paid&tab=revisions")  # type: ignore[attr-defined]
    page.wait_for_selector("#revisions tbody tr:nth-child(2)")  # type: ignore[attr-defined]
    history = page.inner_text("#revisions")  # type: ignore[attr-defined]
    assert "44.5" in history and "2022-10-31 – 2023-01-14" in history and "44.6" in history
    icon = page.request.get(server + "/favicon.ico")  # type: ignore[attr-defined]
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert page.eval_on_selector("link[rel=icon]", "l => l.href").endswith("/static/favicon.svg")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_every_csv_download_opens_in_excel_with_its_chinese_text(server: str, browser: object) -> None:
    """Excel (Chinese Windows) reads a CSV without a BOM in the ANSI code page: every CSV button asks for bom=true."""
    page = _open(browser, server + "/?region=430400&indicator=industry.value_added.growth")
    page.wait_for_selector("#league-downloads a", state="attached")  # type: ignore[attr-defined]
    hrefs = page.eval_on_selector_all("a.button", "as => as.map(a => a.href)")  # type: ignore[attr-defined]
    csv = [h for h in hrefs if "format=csv" in h]
    assert len(csv) == 5, hrefs  # series, comparison, siblings, nationwide, every release
    for href in csv:
        r = page.request.get(href)  # type: ignore[attr-defined]
        assert r.status == 200 and r.body().startswith("\ufeff".encode()), (href, r.body()[:20])
        assert re.search("[\u4e00-\u9fff]", r.body().decode("utf-8-sig")), href  # Chinese text, as UTF-8
    page.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def partial_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(partly_ranked(tmp_path_factory.mktemp("partial") / "lake")) as live:
        yield live.base


def test_a_missing_ancestor_is_listed_and_a_rank_says_how_many_have_data(partial_server: str, browser: object) -> None:
    page = _open(browser, f"{partial_server}/?region=430400&indicator={PARTIAL}")
    page.wait_for_selector("#compare tbody tr:nth-child(3)")  # type: ignore[attr-defined]
    hunan = page.inner_text("#compare tbody tr:nth-child(2)")  # type: ignore[attr-defined]
    assert "湖南省" in hunan and "无数据" in hunan, hunan
    peers = page.request.get(f"{partial_server}/v1/regions?level=prefecture&limit=1000").json()["total"]  # type: ignore[attr-defined]
    rank = page.inner_text("#rank")  # type: ignore[attr-defined]
    assert "2 / 4" in rank and "14个中4个有数据" in rank and "4 of 14 have data" in rank, rank
    assert "3 / 6" in rank and f"{peers}个中6个有数据" in rank and f"6 of {peers} have data" in rank, rank
    page.close()  # type: ignore[attr-defined]


def test_on_a_phone_no_view_scrolls_sideways(server: str, browser: object) -> None:
    page = _open(browser, server + "/?region=430400&indicator=industry.value_added.growth", 390, 844)
    page.wait_for_selector("#compare tbody tr:nth-child(3)")  # type: ignore[attr-defined]
    for tab in ("compare", "league", "revisions", "use"):
        page.click(f"#tabs button[data-tab={tab}]")  # type: ignore[attr-defined]
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
        assert _scroll_width(page) <= 390, (tab, _scroll_width(page))
    page.click("#tabs button[data-tab=compare]")  # type: ignore[attr-defined]
    _wait_for_image(page, "#compare-chart")
    page.screenshot(path=str(ARTIFACTS / "explorer-phone.png"), full_page=True)  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def _wait_for_text(page: object, selector: str, text: str) -> None:
    for _ in range(100):
        if text in page.inner_text(selector):  # type: ignore[attr-defined]
            return
        time.sleep(0.1)
    raise AssertionError(f"{selector} never showed {text!r}: {page.inner_text(selector)!r}")  # type: ignore[attr-defined]
