"""The same figures at 1M, 10M and 100M observations in one table (issue 12, target 5), so the cost's growth with
the data shows: ingest and append (time, peak RSS), start, memory after 10,000 random series, single-series
latency and throughput.

    python -m bench.scale                    # 1M, 10M, 100M: about 10 minutes on 2 cores
    python -m bench.scale --scales 1,10      # millions of observations, comma-separated

Each scale is issue 12's generator with all 3,218 regions of the shipped catalog and 104 months; only the number
of indicators grows (3, 30, 300), so a series is the same size at every scale. Ingest runs streamed in its own
process (peak RSS from getrusage); the server runs with 2 workers and the default memory budget.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import run
from bench.generate import county_codes, write_inputs
from bench.ingest_memory import CHILD
from bench.memory import frames_disk_mb, pss_rss_mb

REGIONS, MONTHS = 3218, 104
HEAD = [
    "| observations | ingest s | ingest peak RSS MB | append 1 month s | append peak MB | first start s | next start s "
    "| PSS MB after 10,000 series (anon + file) | prepared MB per 1M obs "
    "| sequential p50 / p99 ms | c=1 p50 ms | c=32 req/s | c=32 p99 ms |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]


def ingest(tmp: Path, indicators: int) -> tuple[Path, list[str]]:
    files = write_inputs(tmp / "in", indicators, REGIONS, MONTHS, "parquet", True)
    append = write_inputs(tmp / "append", indicators, REGIONS, 1, "parquet", True, MONTHS)[1:]
    lake = tmp / "lake"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(lake), "0", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "APPEND": " ".join(map(str, append))},
    ).stdout.splitlines()
    load, more = [line.split() for line in out if len(line.split()) == 3 and line.split()[0].isdigit()]
    return lake, [f"{int(load[0]):,}", load[1], f"{int(load[2]):,}", more[1], f"{int(more[2]):,}"]


def serve(lake: Path, indicators: int, tmp: Path, duration: str) -> list[str]:
    rng = random.Random(7)
    regions = county_codes(REGIONS, True)
    urls = [f"/v1/series/synthetic.i{rng.randrange(indicators):03d}/{rng.choice(regions)}" for _ in range(50_000)]
    cmd, port = run.ours_cmd(lake, 2), run.OURS_PORT
    with run.server(cmd, port, urls[0], run.OURS_ENV) as first:
        pass
    time.sleep(1)
    cells = [f"{first:.1f}"]
    with run.server(cmd, port, urls[0], run.OURS_ENV) as start:
        latencies = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            for url in urls[:10_000]:
                t = time.perf_counter()
                c.get(url)
                latencies.append((time.perf_counter() - t) * 1000)
        memory = pss_rss_mb(run.LAST_PID)
        prepared = frames_disk_mb(lake) / (indicators * REGIONS * MONTHS / 1e6)
        latencies.sort()
        cells += [
            f"{start:.1f}",
            f"{memory.pss:,.0f} ({memory.pss_anon:,.0f} + {memory.pss_file:,.0f})",
            f"{prepared:,.0f}",
            f"{latencies[5000]:.2f} / {latencies[9900]:.2f}",
        ]
        one = run.wrk(f"http://127.0.0.1:{port}", urls, 1, duration, tmp)
        many = run.wrk(f"http://127.0.0.1:{port}", urls, 32, duration, tmp)
        cells += [one["p50"], f"{float(many['rps']):,.0f}", many["p99"]]
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100", help="millions of observations: 1, 10, 100")
    parser.add_argument("--duration", default="10s", help="wrk's duration per measurement")
    args = parser.parse_args()
    lines = list(HEAD)
    for scale in (int(s) for s in args.scales.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix=f"yardstick-scale-{scale}m-"))
        try:
            lake, cells = ingest(tmp, 3 * scale)
            cells += serve(lake, 3 * scale, tmp, args.duration)
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(tmp.parent / f"{tmp.name}-cache", ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
