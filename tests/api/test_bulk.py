"""Bulk files through the app: retention (410 after it), a download spanning a commit finishes on its bytes."""

from __future__ import annotations

from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.ingest.load import ingest
from service.store.stores import lake_at, open_lake
from tests.helpers import csv_bytes, obs


def revise(lake_dir: Path, value: float, day: str, settings: Settings | None = None) -> None:
    lake = open_lake(settings) if settings else lake_at(lake_dir)
    ingest(lake, [("r.csv", csv_bytes([obs("industry.value_added.growth", "430400", "2022-Q3", value, day)]))])


async def test_snapshots_past_retention_are_gone(lake_dir: Path) -> None:
    settings = Settings(data_dir=lake_dir, load_seed=False, refresh_seconds=0, retain_snapshots=1, retain_hours=0)
    app = create_app(settings)
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        first = (await c.get("/v1/bulk")).json()
        revise(lake_dir, 8.5, "2023-02-01", settings)
        old = await c.get("/v1/bulk/000001/observations.parquet")
        assert old.status_code == 410 and old.headers["content-type"] == "application/problem+json"
        new = (await c.get("/v1/bulk")).json()
        assert new["snapshot"] == "000002" and first["snapshot"] == "000001"
        assert (await c.get("/v1/bulk/000002/regions.parquet")).status_code == 200
    assert not (lake_dir / "bulk" / "000001").exists()
