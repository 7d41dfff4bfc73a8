"""A writer killed with SIGKILL mid-ingest leaves the previous snapshot intact; readers in other processes see
whole snapshots while a writer commits. Real subprocesses, real signals, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import write_inputs
from service.store.integrity import check
from service.store.snapshot import open_snapshot
from service.store.stores import lake_at
from tests.helpers import fingerprint

pytestmark = pytest.mark.slow


def _ingest_cmd(lake: Path, *files: Path) -> list[str]:
    return [sys.executable, "-m", "service", "--data-dir", str(lake), "ingest", *map(str, files)]


def test_kill_9_mid_ingest_leaves_previous_snapshot(lake_dir: Path, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", indicators=30, regions=200, months=120, fmt="csv")  # 720k rows
    before = fingerprint(lake_dir)
    killed_mid_way = 0
    for delay in (0.4, 0.8, 1.2, 1.6):
        proc = subprocess.Popen(_ingest_cmd(lake_dir, *inputs), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_way += 1
        proc.wait(timeout=60)
        lake = lake_at(lake_dir)
        if proc.returncode == -signal.SIGKILL:
            assert lake.current_id() == 1, "a killed writer must not move CURRENT"
            now = fingerprint(lake_dir)
            assert {k: v for k, v in now.items() if k in before} == before  # committed files untouched
            assert set(now) - set(before) <= {k for k in now if k.startswith("tables/")}  # only orphans
        assert check(lake_at(lake_dir)) == []
        snap = open_snapshot(lake, lake.manifest())
        total = snap.con.execute("select count(*) from observations").fetchone()
        assert total is not None and total[0] == lake.manifest().counts["observations"]
        if proc.returncode == 0:
            break
    assert killed_mid_way >= 1, "the ingest finished before any kill: make the input larger"
    # The lock died with the writer: the next writer commits normally.
    done = subprocess.run(_ingest_cmd(lake_dir, *inputs), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert lake_at(lake_dir).manifest().counts["observations"] == 55 + 720_000
    assert check(lake_at(lake_dir)) == []


READER = r"""
import sys, time
from pathlib import Path
from service.store.lake import Lake
from service.store.snapshot import open_snapshot
lake = lake_at(Path(sys.argv[1])); seen = set(); done = Path(sys.argv[2]); ready = Path(sys.argv[3])
deadline = time.time() + 300  # a bound, not a pace: the reader stops when the writer is done
while time.time() < deadline and not (done.exists() and len(seen) >= 2):
    m = lake.manifest()
    snap = open_snapshot(lake, m)
    n, = snap.con.execute("select count(*) from observations").fetchone()
    assert n == m.counts["observations"], (m.id, n, m.counts)
    # every committed revision step adds exactly one vintage: count(published) - 55 == snapshot id - 1
    assert n - 55 == m.id - 1, (m.id, n)
    seen.add(m.id)
    ready.touch()
print(len(seen))
"""


def test_two_readers_see_whole_snapshots_while_one_writes(lake_dir: Path, tmp_path: Path) -> None:
    """Counted, not timed: the writer starts once both readers have read a snapshot, makes a fixed number of
    commits, then says it is done; each reader must have seen whole snapshots only, and more than one."""
    done = tmp_path / "done"
    ready = [tmp_path / f"ready{i}" for i in range(2)]
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(lake_dir), str(done), str(flag)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    try:
        deadline = time.time() + 120
        while not all(flag.exists() for flag in ready) and time.time() < deadline:
            time.sleep(0.05)
        commits = _write_revisions(lake_dir, tmp_path, count=5)
        done.touch()
        for r in readers:
            out, err = r.communicate(timeout=60)
            assert r.returncode == 0, err
            assert int(out) >= 2  # each reader saw several snapshots
    finally:
        for r in readers:
            if r.poll() is None:
                r.kill()
            r.communicate()
    assert lake_at(lake_dir).current_id() == commits + 1


def _write_revisions(lake_dir: Path, tmp_path: Path, count: int) -> int:
    commits = 0
    day = 0
    while commits < count:
        day += 1
        f = tmp_path / f"rev{day}.csv"
        f.write_text(
            "indicator,region,period,value,published\n"
            f"industry.value_added.growth,430400,2022-Q3,{8 + day / 100},{2023 + day // 365}-"
            f"{(day % 365) // 28 + 1:02d}-{(day % 28) + 1:02d}\n",
            encoding="utf-8",
        )
        done = subprocess.run(_ingest_cmd(lake_dir, f), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        commits += 1
    return commits
