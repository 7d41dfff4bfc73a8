"""Read your own write: right after a 201, every worker of the server that answered serves the new snapshot (a
commit is announced to this machine's processes before the 201 leaves), and any replica serves it to a client that
names it (X-Min-Snapshot). The periodic check is set to 30 s here, so only the announcement can explain a fresh read."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.store.stores import lake_at
from tests.helpers import seeded_copy
from tests.live import live_server

SERIES = "/v1/series/industry.taxes_paid/430400"


def upload(base: str, key: str, value: float, day: str) -> httpx.Response:
    rows = f"indicator,region,period,value,published\nindustry.taxes_paid,430400,2022-Q3,{value},{day}\n"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    return httpx.post(f"{base}/v1/observations", content=rows, headers=headers, timeout=60)


def latest(base: str, **headers: str) -> tuple[int, float | None, str]:
    r = httpx.get(f"{base}{SERIES}", params={"start": "2022-Q3", "end": "2022-Q3"}, headers=headers, timeout=30)
    observations = r.json().get("observations") if r.status_code == 200 else None
    return r.status_code, observations[-1]["value"] if observations else None, r.headers.get("x-snapshot", "")


def test_every_worker_serves_the_write_as_soon_as_the_201_leaves(lake_dir: Path) -> None:
    _, key = lake_at(lake_dir).keys.create("bureau", "write")
    with live_server(lake_dir, workers=2, YARDSTICK_REFRESH_SECONDS="30") as live:
        for attempt in range(10):
            before = [latest(live.base) for _ in range(6)]  # warm both workers on the current snapshot
            value = 50.0 + attempt
            written = upload(live.base, key, value, f"2023-02-{attempt + 1:02d}")
            assert written.status_code == 201, written.text
            snapshot = written.json()["snapshot"]
            assert written.headers["x-snapshot"] == snapshot
            # new connections each time: the kernel spreads them over both workers
            seen = [latest(live.base) for _ in range(12)]
            assert all(s == (200, value, snapshot) for s in seen), (before, seen)


def test_a_replica_serves_a_named_snapshot_at_once(tmp_path: Path, seeded_lake: Path) -> None:
    """Two replicas with data folders of their own over one catalog and one warehouse (as on two machines)."""
    shared = seeded_copy(tmp_path / "shared")
    env = {
        "YARDSTICK_CATALOG_URI": f"sqlite:///{shared / 'catalog.db'}",
        "YARDSTICK_WAREHOUSE": str(shared / "warehouse"),
        "YARDSTICK_REFRESH_SECONDS": "30",
    }
    _, key = lake_at(shared).keys.create("bureau", "write")
    with live_server(tmp_path / "a", **env) as a, live_server(tmp_path / "b", **env) as b:
        assert latest(b.base)[1] == 44.5  # the seed's figure, opened at start
        written = upload(a.base, key, 61.0, "2023-03-01")
        assert written.status_code == 201, written.text
        snapshot = written.headers["x-snapshot"]
        assert latest(b.base, **{"X-Min-Snapshot": snapshot}) == (200, 61.0, snapshot)
        assert latest(b.base)[1] == 61.0  # and from then on without the header
        status, _, _ = latest(b.base, **{"X-Min-Snapshot": "999999"})
        assert status == 404
        r = httpx.get(f"{b.base}{SERIES}", headers={"X-Min-Snapshot": "latest"}, timeout=30)
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["header"] == "X-Min-Snapshot"


@pytest.mark.parametrize("value", ["", "12a", "1" * 12])
def test_a_bad_min_snapshot_is_a_problem_document(lake_dir: Path, value: str) -> None:
    with live_server(lake_dir) as live:
        r = httpx.get(f"{live.base}{SERIES}", headers={"X-Min-Snapshot": value}, timeout=30)
        assert r.status_code == 400 and "X-Min-Snapshot" in r.json()["detail"]
