"""Concurrency: reader processes hammer the series and bulk endpoints of a real server (two workers) while a
writer commits revisions over HTTP. Every response must be internally consistent with exactly one snapshot: the
value it shows is the value that snapshot committed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live import live_server
from tests.reliability.conftest import SCALE, record

pytestmark = pytest.mark.slow
VA = "industry.value_added.growth"
READERS = 3
COMMITS = int(20 * SCALE)

# Revision k (snapshot k + 1) sets Hengyang's 2022-Q3 growth to 100 + k; the seed (snapshot 1) has 8.4.
READER = r"""
import io, sys, time, httpx, pyarrow.parquet as pq
from pathlib import Path
base, done = sys.argv[1], Path(sys.argv[2])
expect = lambda snap: 8.4 if snap == 1 else 100.0 + snap - 1
n = errors = 0
seen = set()
deadline = time.time() + 600  # a bound, not a pace: a reader stops once the writer is done and it saw two snapshots
with httpx.Client(base_url=base, timeout=120) as c:
    while time.time() < deadline and not (done.exists() and len(seen) >= 2):
        r = c.get("/v1/series/industry.value_added.growth/430400")
        n += 1
        snap = int(r.headers["x-snapshot"])
        value = r.json()["observations"][-1]["value"]
        if r.status_code != 200 or value != expect(snap):
            errors += 1; print("series", snap, value, file=sys.stderr)
        seen.add(snap)
        if n % 5 == 0:
            m = c.get("/v1/bulk").json()
            f = next(x for x in m["files"] if x["name"] == "observations/industry.value_added.growth")
            t = pq.read_table(io.BytesIO(c.get(f["url"]).content)).to_pylist()
            latest = max((row for row in t if row["region"] == "430400"), key=lambda row: row["published"])
            n += 2
            if latest["value"] != expect(int(m["snapshot"])):
                errors += 1; print("bulk", m["snapshot"], latest["value"], file=sys.stderr)
print(n, errors, len(seen))
"""


def test_readers_see_whole_snapshots_while_a_writer_commits(lake_dir: Path, write_key: str, tmp_path: Path) -> None:
    """Counted, not timed: the writer makes COMMITS commits however long they take, the readers read until it is done
    (and each has seen a change), so a busy machine makes the test slower, never red."""
    done = tmp_path / "done"
    with live_server(lake_dir, workers=2, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        readers = [
            subprocess.Popen(
                [sys.executable, "-c", READER, live.base, str(done)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(READERS)
        ]
        try:
            commits = _commit(live.base, write_key)
            done.touch()
            results = [r.communicate(timeout=660) for r in readers]
        finally:
            for r in readers:
                if r.poll() is None:
                    r.kill()
                    r.communicate()
    requests = errors = 0
    for out, err in results:
        n, e, seen = (int(x) for x in out.split())
        requests, errors = requests + n, errors + e
        assert e == 0, err[-2000:]
        assert seen >= 2, "a reader never saw a new snapshot"
    assert commits == COMMITS
    record(
        "concurrency",
        {"reader_processes": READERS, "requests": requests, "errors": errors, "commits": commits, "server_workers": 2},
    )


def _commit(base: str, key: str) -> int:
    k = 0
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=120) as c:
        while k < COMMITS:
            k += 1
            body = (
                f"indicator,region,period,value,published\n{VA},430400,2022-Q3,{100 + k},"
                f"2023-{1 + k // 28:02d}-{1 + k % 28:02d}\n"
            )
            r = c.post("/v1/observations", content=body, headers={"content-type": "text/csv"})
            assert r.status_code == 201, r.text
            assert r.json()["snapshot"] == f"{k + 1:06d}"
            time.sleep(0.2)
    return k
