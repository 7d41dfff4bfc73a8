"""Every reader sees the same commit: a writer committing to two tables at once (sources and observations) is killed
with SIGKILL at random moments, at least 40 times, on a SQLite catalog and on a PostgreSQL one. After every kill,
another engine's view (pyiceberg through a catalog of its own: each table's current snapshot) holds exactly the rows
the API serves (the commit log's snapshot), and `yardstick check` finds nothing: a writer that dies half-way leaves
no table ahead of the log."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pyiceberg.catalog.sql import SqlCatalog

from service.config import Settings
from service.store.iceberg import IcebergLake
from service.store.integrity import check
from service.store.stores import open_lake
from tests import services
from tests.live import live_server
from tests.reliability.conftest import SCALE, record

pytestmark = pytest.mark.slow
KILLS = max(40, int(40 * SCALE))

WRITER = r"""
import sys
from datetime import date, timedelta
from pathlib import Path
from service.config import Settings
from service.ingest.load import ingest
from service.store.lake import Lake
lake = open_lake(Settings(data_dir=Path(sys.argv[1])))
print("ready", flush=True)
while True:
    k = lake.current_id() + 1
    source = f"id,title\nkill-{k},Revision {k}\n"
    day = date(2023, 1, 1) + timedelta(days=k)
    rows = "indicator,region,period,value,published,source\n" + "".join(
        f"industry.value_added.growth,{code},2022-Q3,{k + i / 10},{day},kill-{k}\n"
        for i, code in enumerate(["430400", "430100", "430200"])
    )
    result = ingest(lake, [("sources.csv", source.encode()), (f"rev{k}.csv", rows.encode())], author="kill-test")
    print(f"committed {result.snapshot}", flush=True)
"""


@contextmanager
def catalog_env(kind: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    if kind == "sqlite":
        yield {}
        return
    with services.postgres() as pg:
        yield {"YARDSTICK_CATALOG_URI": pg.url, "YARDSTICK_WAREHOUSE": str(tmp_path / "warehouse")}


def other_engine_rows(lake: IcebergLake) -> tuple[set[tuple[object, ...]], set[str]]:
    """What an engine reading the tables' current snapshots sees (a catalog of its own: nothing cached)."""
    other = SqlCatalog("yardstick", uri=lake.catalog_uri, warehouse=lake.warehouse.uri)
    try:
        obs = other.load_table("yardstick.observations").scan().to_arrow().to_pylist()
        sources = other.load_table("yardstick.sources").scan().to_arrow().column("id").to_pylist()
    finally:
        other.engine.dispose()
    return {(o["indicator"], o["region"], o["period"], str(o["published"]), o["value"]) for o in obs}, set(sources)


def served_rows(base: str, snapshot: int) -> tuple[set[tuple[object, ...]], set[str]]:
    """What the API serves once it has the log's newest snapshot."""
    deadline = time.monotonic() + 30
    while True:
        r = httpx.get(f"{base}/v1/observations", params={"vintages": "all", "limit": "10000"}, timeout=30)
        if r.headers["x-snapshot"] == f"{snapshot:06d}" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert r.status_code == 200 and r.headers["x-snapshot"] == f"{snapshot:06d}"
    rows = {(o["indicator"], o["region"], o["period"], o["published"], o["value"]) for o in r.json()["observations"]}
    sources = {s["id"] for s in httpx.get(f"{base}/v1/sources", timeout=30).json()["sources"]}
    return rows, sources


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_other_engines_never_see_a_commit_the_log_did_not_make(kind: str, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("YARDSTICK_SEED", "2022")))
    with catalog_env(kind, tmp_path) as env:
        data = tmp_path / "lake"
        environ = {**os.environ, **env}
        subprocess.run([sys.executable, "-m", "service", "--data-dir", str(data), "seed"], check=True, env=environ)
        lake = open_lake(
            Settings(
                data_dir=data, catalog_uri=env.get("YARDSTICK_CATALOG_URI"), warehouse=env.get("YARDSTICK_WAREHOUSE")
            )
        )
        assert isinstance(lake, IcebergLake)
        kills = runs = 0
        with live_server(data, **env) as live:
            while kills < KILLS:
                proc = subprocess.Popen(
                    [sys.executable, "-c", WRITER, str(data)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    env=environ,
                )
                runs += 1
                assert proc.stdout is not None
                first = proc.stdout.readline()
                time.sleep(rng.uniform(0.05, 1.5) if first.startswith("ready") else 0)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                proc.communicate(timeout=60)
                current = lake.current_id()
                assert other_engine_rows(lake) == served_rows(live.base, current), f"after kill {kills}"
                assert check(lake) == [], f"after kill {kills}"
                assert runs < KILLS * 3, "the writer keeps dying before it is killed"
        snapshots = lake.current_id()
        lake.engine.dispose()
    assert snapshots > 1, "no commit landed between the kills: the test proved little"
    record(f"commit-kills-{kind}", {"kills": kills, "writer_runs": runs, "snapshots": snapshots})
