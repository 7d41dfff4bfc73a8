"""Soak: a bounded mixed read/write load on 127.0.0.1 (CI: 60 s at 32 connections; longer with
YARDSTICK_RELIABILITY_SCALE) with zero errors and resident memory flat within a stated bound.

Correctness, not speed: on a busy machine fewer requests are made, but none may fail, and memory must be flat once
the service has settled. Settling (caches filling, allocator arenas of the thread pool, frames of new snapshots) is
the warm-up plus the first half of the run; a leak shows in the second half, which is what the bound is about."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import httpx
import pytest

from tests.live import Live, live_server
from tests.reliability.conftest import SCALE, record

pytestmark = pytest.mark.slow
SECONDS = 60 * SCALE
CONNECTIONS = 32
WARMUP = 10.0
MEMORY_BOUND_MB = 64  # growth allowed over the second half of the run, once the service has settled

READS = [
    "/v1/series/industry.value_added.growth/430400",
    "/v1/series/industry.taxes_paid/430400?format=csv",
    "/v1/compare/industry.value_added.growth/430400?period=2022-Q3",
    "/v1/rankings/industry.value_added.growth?parent=430000",
    "/v1/observations?indicator=industry.value_added.growth&region=430400,430000,CN&align_periods=true",
    "/v1/regions?parent=430400",
    "/v1/search?q=衡阳",
    "/v1/indicators/industry.taxes_paid",
    "/v1/bulk",
    "/healthz",
]


def test_soak(lake_dir: Path, write_key: str) -> None:
    with live_server(lake_dir, workers=2, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        figures = asyncio.run(_load(live, write_key))
    record("soak", figures)
    assert figures["errors"] == 0, figures
    assert figures["writes"] >= 3 and figures["reads"] >= 100, figures  # the load did run (however slowly)
    assert figures["rss_second_half_growth_mb"] < MEMORY_BOUND_MB, figures


class Tally:
    """Counts errors and keeps the first few, so a failure says what went wrong."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts, self.samples = counts, list[str]()

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.counts["errors"] += 1
            if len(self.samples) < 20:
                self.samples.append(what)


async def _load(live: Live, key: str) -> dict[str, object]:
    stop = time.monotonic() + SECONDS
    counts = {"reads": 0, "writes": 0, "errors": 0}
    tally = Tally(counts)
    rss: dict[str, float] = {}
    rng = random.Random(7)

    async def reader(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            url = rng.choice(READS)
            try:
                r = await client.get(url)
                counts["reads"] += 1
                tally.check(r.status_code < 400, f"{r.status_code} {url} {r.text[:200]}")
            except httpx.HTTPError as exc:
                tally.check(False, f"{type(exc).__name__} {url} {exc}")

    async def writer(client: httpx.AsyncClient) -> None:
        k = 0
        while time.monotonic() < stop:
            k += 1
            body = (
                f"indicator,region,period,value,published\nindustry.value_added.growth,430100,2022-Q3,"
                f"{k / 10},2023-{1 + k // 28 % 12:02d}-{1 + k % 28:02d}\n"
            )
            r = await client.post(
                "/v1/observations", content=body, headers={"authorization": f"Bearer {key}", "content-type": "text/csv"}
            )
            counts["writes"] += 1
            tally.check(r.status_code in (200, 201), f"{r.status_code} POST {r.text[:200]}")
            await asyncio.sleep(1)

    async def sampler() -> None:
        await asyncio.sleep(min(WARMUP, SECONDS / 4))
        rss["after_warmup"] = live.rss_mb()
        half = stop - (stop - time.monotonic()) / 2
        while time.monotonic() < stop:
            rss["peak"] = max(rss.get("peak", 0), live.rss_mb())
            if "half" not in rss and time.monotonic() >= half:
                rss["half"] = live.rss_mb()
            await asyncio.sleep(1)
        rss["end"] = live.rss_mb()
        rss.setdefault("half", rss["end"])

    limits = httpx.Limits(max_connections=CONNECTIONS + 1)
    # a generous timeout: on a machine busy with other work an answer may take long; it must not fail
    async with httpx.AsyncClient(base_url=live.base, limits=limits, timeout=120) as client:
        await asyncio.gather(*(reader(client) for _ in range(CONNECTIONS)), writer(client), sampler())
    return {
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        **counts,
        "error_samples": tally.samples,
        "rss_after_warmup_mb": round(rss["after_warmup"], 1),
        "rss_peak_mb": round(rss["peak"], 1),
        "rss_end_mb": round(rss["end"], 1),
        "rss_half_mb": round(rss["half"], 1),
        "rss_growth_mb": round(rss["end"] - rss["after_warmup"], 1),
        "rss_second_half_growth_mb": round(rss["end"] - rss["half"], 1),
    }
