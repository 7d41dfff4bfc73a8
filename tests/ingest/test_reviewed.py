"""The reviewed documents ship with the seed (data/reviewed/): loaded through the batch path, in the seed's one
commit, each figure with its quote and its document as source, so a fresh lake shows series with history."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import REPO_DATA, Settings


async def test_a_fresh_lake_serves_the_reviewed_documents_with_history(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "lake", refresh_seconds=0))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as client,
    ):
        series = (await client.get("/v1/series/economy.gdp/430400")).json()
        periods = [o["period"] for o in series["observations"]]
        assert len(periods) >= 4 and periods == sorted(periods, key=lambda p: (p[:4], p))  # years of Hengyang's GDP
        for o in series["observations"]:
            doc = json.loads((REPO_DATA / "reviewed" / f"{o['source']}.json").read_text(encoding="utf-8"))
            assert o["quote"] in Path(REPO_DATA.parent, "tests", "extract", o["source"], "document.txt").read_text()
            assert doc["sources"][0]["id"] == o["source"]
        assert (await client.get("/v1/series/industry.value_added.growth/430400")).json()["observations"]
        snapshots = (await client.get("/v1/snapshots")).json()["snapshots"]
        assert len(snapshots) == 1  # one commit: catalog, article and reviewed documents together
        sources = {s["id"] for s in (await client.get("/v1/sources")).json()["sources"]}
        assert {p.stem for p in (REPO_DATA / "reviewed").glob("*.json")} <= sources
