"""The review page end to end in a real headless Chromium against a live server: paste a bulletin, see its figures
highlighted and listed, reject one, edit one, commit; the API then serves exactly the accepted rows with their
quotes and the document as their source."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.store.stores import lake_at
from tests.browser.test_explorer import ARGS, CHROMIUM
from tests.helpers import seeded_copy
from tests.live import live_server
from tests.reliability.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it when run as root)"),
]
BULLETIN = (
    "衡阳县2022年国民经济和社会发展统计公报\n"
    "全年实现地区生产总值420.77亿元,同比增长5.2%。其中,第一产业增加值95.62亿元,增长3.9%;"
    "第二产业增加值121.35亿元,增长6.8%;第三产业增加值203.80亿元,增长4.9%。\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    lake = seeded_copy(tmp_path_factory.mktemp("load") / "lake")
    _, secret = lake_at(lake).keys.create("bureau", "write")
    with live_server(lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        yield live.base, secret


def test_a_pasted_bulletin_is_reviewed_and_committed(server: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    base, secret = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        page.goto(base + "/load")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("#text", BULLETIN)
        page.fill("#region", "430421")
        page.fill("#published", "2023-04-10")
        page.fill("#title", "衡阳县2022年国民经济和社会发展统计公报")
        page.fill("#key", secret)
        page.click("#extract")
        page.wait_for_selector("#rows tbody tr:nth-child(8)")
        marks = page.locator("#document mark").all_inner_texts()
        assert any("420.77" in m for m in marks) and any("203.80" in m for m in marks)
        rows = page.locator("#rows tbody tr")
        values = [rows.nth(i).locator("input[data-field=value]").input_value() for i in range(rows.count())]
        assert "420.77" in values and "5.2" in values
        reject = values.index("95.62")
        rows.nth(reject).locator("input[aria-label=accept]").uncheck()
        edit = values.index("203.8") if "203.8" in values else values.index("203.80")
        rows.nth(edit).locator("input[data-field=value]").fill("203.81")
        rows.nth(edit).locator("input[data-field=value]").dispatch_event("change")
        page.click("#commit")
        page.wait_for_selector("body[data-committed]")
        assert "Committed" in page.inner_text("#result")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "load-page.png"), full_page=True)
        committed = page.get_attribute("body", "data-committed")
        browser.close()
    assert committed is not None and committed.isdigit()
    fresh = {"x-min-snapshot": committed}  # read our own write on whichever worker answers
    gdp = httpx.get(f"{base}/v1/series/economy.gdp/430421", headers=fresh).json()["observations"]
    assert [(o["period"], o["value"]) for o in gdp] == [("2022-Q4", 420.77)]
    assert "420.77" in gdp[0]["quote"] and gdp[0]["source"].startswith("doc-")
    tertiary = httpx.get(f"{base}/v1/series/economy.tertiary.value_added/430421", headers=fresh).json()["observations"]
    assert [o["value"] for o in tertiary] == [203.81]  # as edited
    primary = httpx.get(f"{base}/v1/series/economy.primary.value_added/430421", headers=fresh)
    assert primary.status_code == 404 or not primary.json()["observations"]  # rejected: not stored
    source = httpx.get(f"{base}/v1/sources/{gdp[0]['source']}").json()
    assert source["title"] == "衡阳县2022年国民经济和社会发展统计公报" and "sha256:" in source["note"]
