"""A second implementation of the storage interface, in memory (its Parquet files in a temporary folder): the proof
that a backend is one class in ``store/`` and touches nothing above it. The whole service runs over it: seed,
read, an authenticated upload, an idempotent replay, a rollback of a failed commit."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from service.api import create_app
from service.config import REPO_DATA, Settings
from service.store.lake import EMPTY, FileEntry, Lake, Manifest, Writer, flock_writer
from service.store.records import Idempotency, KeyStore, create_all
from tests.helpers import csv_bytes, obs


class MemoryLake(Lake):
    """Manifests in a list, records in an in-memory SQLite database, files in ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.retain_snapshots, self.retain_seconds = 1000, 1e9
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        create_all(engine)
        self.keys, self.idempotency = KeyStore(engine), Idempotency(engine)
        self.log: list[tuple[Manifest, float]] = []

    def current_id(self) -> int:
        return self.log[-1][0].id if self.log else 0

    def manifest(self, snapshot: int | None = None) -> Manifest:
        if not self.log:
            return EMPTY
        return self.log[-1][0] if snapshot is None else self.log[snapshot - 1][0]

    def snapshot_ids(self) -> list[int]:
        return [m.id for m, _ in self.log]

    def path(self, entry: FileEntry) -> Path:
        return self.root / entry.path

    def commit_times(self) -> list[tuple[int, float]]:
        return [(m.id, when) for m, when in self.log]

    def gc(self) -> list[str]:
        return []

    @contextlib.contextmanager
    def writer(self, wait_seconds: float = 30.0) -> Iterator[Writer]:
        with flock_writer(self.root / "LOCK", wait_seconds):
            yield MemoryWriter(self, self.manifest())


class MemoryWriter(Writer):
    lake: MemoryLake

    def _locations(self, table: str, indicator: str | None, name: str) -> tuple[Path, Path, str]:
        return self.lake.root / name, self.lake.root / name, name

    def _publish(self, manifest: Manifest) -> None:
        self.lake.log.append((manifest, time.time()))


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, MemoryLake]]:
    lake = MemoryLake(tmp_path / "files")
    app = create_app(Settings(data_dir=tmp_path / "unused", seed_dir=REPO_DATA, refresh_seconds=0), lake)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as client,
    ):
        yield client, lake


async def test_the_service_runs_over_a_second_store(api: tuple[httpx.AsyncClient, MemoryLake]) -> None:
    client, lake = api
    assert lake.current_id() == 1  # seeded through the interface

    def values() -> dict[str, float]:
        return {o["period"]: o["value"] for o in series["observations"]}

    series = (await client.get("/v1/series/industry.value_added.growth/430400")).json()
    assert values()["2022-Q3"] == 8.4 and "2023-Q3" not in values()
    _, secret = lake.keys.create("bureau", "write")
    body = csv_bytes([obs("industry.value_added.growth", "430400", "2023-Q3", 7.9, "2023-10-20")])
    headers = {"authorization": f"Bearer {secret}", "content-type": "text/csv", "idempotency-key": "k-1"}
    first = await client.post("/v1/observations", content=body, headers=headers)
    assert first.status_code == 201 and lake.current_id() == 2
    again = await client.post("/v1/observations", content=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("idempotency-replayed") == "true" and lake.current_id() == 2
    series = (await client.get("/v1/series/industry.value_added.growth/430400")).json()
    assert values()["2022-Q3"] == 8.4 and values()["2023-Q3"] == 7.9
    bad = csv_bytes([obs("industry.value_added.growth", "999999", "2023-Q3", 1.0)])
    refused = await client.post("/v1/observations", content=bad, headers={**headers, "idempotency-key": "k-2"})
    assert refused.status_code == 422 and lake.current_id() == 2  # nothing committed
    listed = (await client.get("/v1/snapshots")).json()["snapshots"]
    assert [s["snapshot"] for s in listed] == ["000002", "000001"]
