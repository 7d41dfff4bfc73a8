"""Frames within a memory budget: the least recently used indicator goes, answers stay exact; frames are
memory-mapped Arrow copies that a second cache (another worker) maps without reading the file into memory."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from asgi_lifespan import LifespanManager

from bench.generate import county_codes, write_inputs
from service.api import create_app
from service.config import Settings
from service.formats import prepared
from service.ingest.load import ingest_paths
from service.store import frames
from service.store.stores import lake_at
from tests.helpers import seeded_copy

INDICATORS, REGIONS, MONTHS = 12, 40, 60


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("frames")
    seeded_copy(root / "lake")
    ingest_paths(lake_at(root / "lake"), write_inputs(root / "in", INDICATORS, REGIONS, MONTHS))
    return root / "lake"


async def answers(settings: Settings, urls: list[str]) -> tuple[list[bytes], frames.FrameCache]:
    app = create_app(settings)
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        out = []
        for url in urls:
            r = await c.get(url)
            assert r.status_code == 200, r.text
            out.append(r.content)
        metrics = (await c.get("/metrics")).text
        assert 'yardstick_frames{what="evictions"}' in metrics
        return out, app.state.store.frames


async def test_a_small_budget_evicts_and_answers_stay_exact(lake: Path, tmp_path: Path) -> None:
    codes = county_codes(REGIONS)
    urls = [
        f"/v1/series/synthetic.i{i:03d}/{codes[(i * 7 + k) % REGIONS]}" for k in range(3) for i in range(INDICATORS)
    ]
    urls += [f"/v1/compare/synthetic.i{i:03d}/{codes[i]}" for i in range(INDICATORS)]
    base = {"data_dir": lake, "load_seed": False, "refresh_seconds": 0, "cache_mb": 0}
    unbounded, big = await answers(Settings(**base, memory_mb=0, cache_dir=tmp_path / "a"), urls)
    one = max(big.get(p).nbytes for p in list(big._frames))
    budget_mb = 3 * one / 1024 / 1024  # room for about three indicators of the twelve
    bounded, small = await answers(Settings(**base, memory_mb=budget_mb, cache_dir=tmp_path / "b"), urls)
    assert bounded == unbounded  # byte for byte
    assert big.evictions == 0 and len(big) >= INDICATORS
    assert small.evictions > 0 and small.bytes <= small.budget and len(small) <= 3
    assert small.loads == len(small) + small.evictions  # every load is either held or was evicted


def test_frames_are_memory_mapped_and_shared(lake: Path, tmp_path: Path) -> None:
    manifest = lake_at(lake).manifest()
    paths = [str(lake_at(lake).path(f)) for f in manifest.of("observations")]
    first = frames.FrameCache(0, tmp_path / "frames")
    loaded = [first.get(p) for p in paths]
    assert len(list((tmp_path / "frames").glob("*.arrow"))) == len(paths)
    second = frames.FrameCache(0, tmp_path / "frames")  # another worker, the same folder
    before = pa.total_allocated_bytes()
    mapped = [second.get(p) for p in paths]
    assert pa.total_allocated_bytes() - before < 64 * 1024  # mapped, not read into the Arrow heap
    for a, b in zip(loaded, mapped, strict=True):
        assert a.table.equals(b.table) and a.offsets == b.offsets
        plain = frames.load(paths[loaded.index(a)])  # straight from Parquet, no cache folder
        assert a.table.equals(plain.table) and a.offsets == plain.offsets
    second.retain(set(paths[:1]))
    assert len(second) == 1 and [f.stem for f in (tmp_path / "frames").glob("*.arrow")] == [Path(paths[0]).stem]


def test_a_cache_folder_that_cannot_be_written_falls_back_to_memory(lake: Path, tmp_path: Path) -> None:
    path = str(lake_at(lake).path(lake_at(lake).manifest().of("observations")[0]))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    frame = frames.FrameCache(0, blocked).get(path)
    assert frame.table.equals(frames.load(path).table) and frame.offsets


def test_a_copy_another_process_is_writing_is_left_for_later_or_waited_for(lake: Path, tmp_path: Path) -> None:
    path = str(lake_at(lake).path(lake_at(lake).manifest().of("observations")[0]))
    folder = tmp_path / "frames"
    folder.mkdir()
    lock = folder / f".{frames._arrow_name(path)}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another worker writing this frame's copy
    with pytest.raises(frames.Busy):
        frames.load(path, folder, prepared.fragments, wait=False)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    frame = frames.load(path, folder, prepared.fragments, wait=False)
    assert frame.latest is not None and "json" in frame.prepared and not lock.exists()
    assert frame.table.equals(frames.load(path).table, check_metadata=True)  # the runs stay out of answers
