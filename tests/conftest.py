"""Fixtures: settings on tmp_path → a lake built from the seed data through the real ingest → create_app →
httpx.AsyncClient over ASGITransport inside LifespanManager (ASGITransport does not run the lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import REPO_DATA, Settings
from service.ingest.seed import ensure_seed
from service.store.lake import Lake
from service.store.stores import lake_at
from tests.helpers import seeded_copy

SEED = REPO_DATA


@pytest.fixture(scope="session")
def seeded_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lake with the shipped catalog and the seed article's figures, built once; tests that write copy it first.
    The reviewed documents (data/reviewed) are left out: tests assert on the article's figures; the reviewed ones
    are tested in tests/ingest/test_reviewed.py."""
    root = tmp_path_factory.mktemp("seeded") / "lake"
    ensure_seed(lake_at(root), SEED, reviewed=False)
    return root


@pytest.fixture
def lake_dir(seeded_lake: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded lake, for tests that commit."""
    target = tmp_path / "lake"
    return seeded_copy(target)


@pytest.fixture
def settings(seeded_lake: Path) -> Settings:
    return Settings(data_dir=seeded_lake, load_seed=False, refresh_seconds=0)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://yardstick.test") as c:
            yield c


@pytest.fixture
async def writable_client(lake_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=lake_dir, load_seed=False, refresh_seconds=0))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://yardstick.test") as c:
            yield c


@pytest.fixture
def empty_lake(tmp_path: Path) -> Iterator[Lake]:
    yield lake_at(tmp_path / "empty")
