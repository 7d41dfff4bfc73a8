"""Peak memory of one ingest, in memory and streamed (issue 12): each in its own process, so that ru_maxrss is that
ingest's peak. ``python -m bench.ingest_memory --indicators 100 --regions 320 --months 312`` (9,984,000 rows);
issue 12's 100M: ``--indicators 300 --regions 3218 --months 104 --all-levels --only stream``."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import os, sys, time, resource
from pathlib import Path
from service.config import REPO_DATA
from service.ingest.load import ingest_paths
from service.ingest.seed import seed_paths
from service.store.lake import Lake
from service.store.stores import lake_at
lake = lake_at(Path(sys.argv[1]))
ingest_paths(lake, seed_paths(REPO_DATA))
for files in (sys.argv[3:], os.environ.get("APPEND", "").split()):  # the load, then an append (if any)
    if files:
        started = time.perf_counter()
        bound = int(sys.argv[2])  # rows and decoded bytes beyond which a file is streamed
        result = ingest_paths(lake, [Path(p) for p in files], stream_rows=bound, stream_bytes=bound)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(result.added, round(time.perf_counter() - started, 2), peak)
"""


def main() -> None:
    from bench.generate import write_inputs

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--regions", type=int, default=320)
    parser.add_argument("--months", type=int, default=312)
    parser.add_argument("--all-levels", action="store_true")
    parser.add_argument("--only", choices=["memory", "stream"], default=None)
    parser.add_argument("--append-months", type=int, default=0, help="then append this many new months")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yardstick-ingest-memory-"))
    try:
        t = time.perf_counter()
        files = write_inputs(tmp / "in", args.indicators, args.regions, args.months, "parquet", args.all_levels)
        size = files[1].stat().st_size
        print(f"input: {size / 2**20:.0f} MB Parquet, generated in {time.perf_counter() - t:.1f} s", flush=True)
        append: list[Path] = []
        if args.append_months:
            dims = (args.indicators, args.regions, args.append_months, "parquet", args.all_levels, args.months)
            append = write_inputs(tmp / "append", *dims)[1:]
        for name, stream_bytes in (("memory", 1 << 50), ("stream", 0)):
            if args.only and name != args.only:
                continue
            lines = subprocess.run(
                [sys.executable, "-c", CHILD, str(tmp / name), str(stream_bytes), *map(str, files)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "APPEND": " ".join(map(str, append))},
            ).stdout.splitlines()
            results = [t for t in (line.split() for line in lines) if len(t) == 3 and t[0].isdigit()]
            for step, (rows, seconds, peak) in zip(("load", "append"), results, strict=False):
                print(f"{name:7} {step:6} {int(rows):>12,} rows  {float(seconds):8.2f} s  peak RSS {int(peak):,} MB")
            shutil.rmtree(tmp / name, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
