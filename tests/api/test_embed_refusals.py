"""The access gate's refusals on a widget: a 401 (reads need a key) and a 429 (rate limit) are the widget's readable
error page inside an iframe, status and headers kept; under /v1/ they stay problem documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from tests.helpers import quarters_lake

VA = "industry.value_added.growth"
WIDGET = f"/embed/compare/{VA}/430400?last_n=4&theme=dark&lang=en"
API = f"/v1/compare/{VA}/430400/chart.svg?last_n=4"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return quarters_lake(tmp_path_factory.mktemp("refusals") / "lake")


async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as c,
    ):
        yield c


def is_page(r: httpx.Response, status: int, says: str) -> None:
    assert r.status_code == status and r.headers["content-type"].startswith("text/html"), r.text
    assert 'role="alert"' in r.text and says in r.text and '"status"' not in r.text
    assert "This chart cannot be shown" in r.text and "#0d1117" in r.text  # the widget's lang and theme
    assert "frame-ancestors" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"  # a refusal is never stored for the next reader


async def test_a_read_without_a_key_is_a_page_on_a_widget(lake: Path) -> None:
    async for c in client(Settings(data_dir=lake, load_seed=False, refresh_seconds=0, read_requires_key=True)):
        r = await c.get(WIDGET)
        is_page(r, 401, "API key")
        assert r.headers["www-authenticate"].startswith("Bearer")
        unknown = await c.get(WIDGET, headers={"Authorization": "Bearer nope"})
        is_page(unknown, 401, "unknown or revoked")
        api = await c.get(API)
        assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"


async def test_a_rate_limited_widget_is_a_page_with_retry_after(lake: Path) -> None:
    settings = Settings(data_dir=lake, load_seed=False, refresh_seconds=0, rate_limit_per_minute=2)
    async for c in client(settings):
        assert (await c.get(WIDGET)).status_code == 200
        assert (await c.get(WIDGET)).status_code == 200
        r = await c.get(WIDGET)
        is_page(r, 429, "requests a minute")
        assert int(r.headers["retry-after"]) >= 1 and r.headers["ratelimit-remaining"] == "0"
        api = await c.get(API)
        assert api.status_code == 429 and api.headers["content-type"] == "application/problem+json"
        assert api.headers["retry-after"]
