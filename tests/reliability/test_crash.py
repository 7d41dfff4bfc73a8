"""Crash safety: a real writer process committing 100 revisions is killed with SIGKILL at random moments and
restarted until all 100 are in. Afterwards the lake opens, every snapshot the writer reported is complete, no
visible snapshot is partial, and no temporary file is referenced or served."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.store.integrity import check
from service.store.snapshot import open_snapshot
from service.store.stores import lake_at
from tests.reliability.conftest import SCALE, record

pytestmark = pytest.mark.slow
COMMITS = int(100 * SCALE)

WRITER = r"""
import sys
from datetime import date, timedelta
from pathlib import Path
from service.ingest.load import ingest
from service.store.lake import Lake
lake, target = lake_at(Path(sys.argv[1])), int(sys.argv[2])
print("ready", flush=True)  # imports done and the lake open: the kill clock starts here, whatever the machine's load
while True:
    done = lake.current_id() - 1  # snapshot 1 is the seed; revision k makes snapshot k + 1
    if done >= target:
        break
    k = done + 1
    day = date(2023, 1, 1) + timedelta(days=k)
    rows = "indicator,region,period,value,published\n"
    rows += "".join(f"industry.value_added.growth,{code},2022-Q3,{k + i / 10},{day}\n"
                    for i, code in enumerate(["430400", "430100", "430200"]))
    result = ingest(lake, [(f"rev{k}.csv", rows.encode())], author="crash-test")
    print(f"committed {result.snapshot}", flush=True)
"""


def test_sigkill_during_commits(lake_dir: Path) -> None:
    rng = random.Random(int(os.environ.get("YARDSTICK_SEED", "2022")))
    reported: set[str] = set()
    kills = runs = stalled = 0
    while (before := lake_at(lake_dir).current_id()) - 1 < COMMITS:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(lake_dir), str(COMMITS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        runs += 1
        assert proc.stdout is not None
        first = proc.stdout.readline()  # counted from "ready", not from the start: imports are slow on a busy machine
        time.sleep(rng.uniform(0.2, 1.5) if first.startswith("ready") else 0)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, _ = proc.communicate(timeout=60)
        reported |= {line.split()[1] for line in out.splitlines() if line.startswith("committed ")}
        _assert_consistent(lake_dir)
        stalled = stalled + 1 if lake_at(lake_dir).current_id() == before else 0
        assert stalled < 30, "the writer made no progress in 30 runs"
    lake = lake_at(lake_dir)
    visible = {f"{sid:06d}" for sid in lake.snapshot_ids()}
    assert reported <= visible, "a snapshot reported as committed is missing"
    for sid in lake.snapshot_ids():  # every visible snapshot is whole: its files exist with their digests
        for entry in lake.manifest(sid).files:
            assert lake.path(entry).exists() or sid not in lake.retained(), (sid, entry.path)
    snap = open_snapshot(lake, lake.manifest())
    total = snap.con.execute("select count(*) from observations").fetchone()
    assert total is not None and total[0] == 55 + 3 * COMMITS  # three new vintages per revision, none lost
    assert kills >= 3, "too few kills landed: the test proved little"
    record(
        "crash",
        {
            "commits": COMMITS,
            "writer_runs": runs,
            "sigkills": kills,
            "reported": len(reported),
            "visible_snapshots": len(visible),
            "lost_rows": 0,
        },
    )


def _assert_consistent(lake_dir: Path) -> None:
    lake = lake_at(lake_dir)
    assert check(lake_at(lake_dir)) == []  # CURRENT's manifest: every file present, sizes and sha256 match
    manifest = lake.manifest()
    referenced = {f.path for f in manifest.files}
    assert not any(p.startswith("staging/") for p in referenced)
    snap = open_snapshot(lake, manifest)
    n = snap.con.execute("select count(*) from observations").fetchone()
    assert n is not None and n[0] == manifest.counts["observations"] == 55 + 3 * (manifest.id - 1)
