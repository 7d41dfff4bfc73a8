"""Memory of a running server, measured as the issue asks: the sum of PSS (proportional set size: a page shared by
two workers counts half to each) over the server and its workers, after N random series requests.

    python -m bench.memory --lake /tmp/bench-yardstick-lake --workers 2 --requests 10000 [--memory-mb 1024]

Prints one line per measurement: start time; PSS split into its anonymous part (the Python heaps: what the server
really costs) and its file-backed part (mapped frame files in the page cache: shared by the workers, clean, and given
back by the kernel under pressure); RSS; the frames each worker holds (from /metrics); the prepared frame files' size
on disk (all of them, and per million observations); and the requests' p50/p99 (sequential: with a small
--memory-mb most requests map an indicator not in memory).
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import httpx

from service.config import Settings
from service.store.stores import lake_at


class Memory(NamedTuple):
    """Sums over a process and its children (uvicorn's workers), in MiB."""

    pss: float
    rss: float
    pss_anon: float
    pss_file: float


def pss_rss_mb(pid: int) -> Memory:
    """PSS (a page shared by two workers counts half to each), RSS, and PSS's anonymous and file-backed parts."""
    pids = [
        pid,
        *(int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()),
    ]
    fields = ("Pss", "Rss", "Pss_Anon", "Pss_File")
    kib = dict.fromkeys(fields, 0)
    for p in pids:
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        for field in fields:
            found = re.search(rf"^{field}:\s+(\d+)", text, re.M)
            kib[field] += int(found[1]) if found else 0
    return Memory(*(kib[f] / 1024 for f in fields))


def frames_disk_mb(lake: Path) -> float:
    """Bytes of the lake's frame files (Arrow copies with their prepared answers), in MiB."""
    folder = Settings(data_dir=lake).cache_path() / "frames"
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20 if folder.exists() else 0.0


def measure(lake: Path, workers: int, requests: int, memory_mb: float | None) -> dict[str, float]:
    from bench import run

    manifest = lake_at(lake).manifest()
    observations = sum(f.rows for f in manifest.of("observations"))
    indicators = sorted({f.indicator for f in manifest.of("observations") if f.indicator})
    regions = [r["code"] for r in lake_at(lake).read_table(manifest, "regions").to_pylist()]
    env = {**run.OURS_ENV, **({} if memory_mb is None else {"YARDSTICK_MEMORY_MB": str(memory_mb)})}
    probe = f"/v1/series/{indicators[0]}/{regions[-1]}"  # the first answer, not just a live process
    with run.server(run.ours_cmd(lake, workers), run.OURS_PORT, probe, env) as start:
        rng = random.Random(7)
        latencies = []
        with httpx.Client(base_url=f"http://127.0.0.1:{run.OURS_PORT}", timeout=60) as c:
            for _ in range(requests):
                t = time.perf_counter()
                c.get(f"/v1/series/{rng.choice(indicators)}/{rng.choice(regions)}")
                latencies.append((time.perf_counter() - t) * 1000)
            memory = pss_rss_mb(run.LAST_PID)
            held = re.findall(r'yardstick_frames\{[^}]*what="bytes"[^}]*\} (\S+)', c.get("/metrics").text)
    frames_mb = max(map(float, held), default=0.0) / 2**20  # one gauge a worker (pid=...): the larger
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    prepared = frames_disk_mb(lake)
    return {
        "start_s": start,
        "pss_mb": memory.pss,
        "pss_anon_mb": memory.pss_anon,
        "pss_file_mb": memory.pss_file,
        "rss_mb": memory.rss,
        "frames_mb_one_worker": frames_mb,
        "prepared_disk_mb": prepared,
        "prepared_mb_per_million_obs": prepared / max(observations / 1e6, 1e-9),
        "p50_ms": p50,
        "p99_ms": p99,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--memory-mb", type=float, default=None)
    args = parser.parse_args()
    result = measure(args.lake, args.workers, args.requests, args.memory_mb)
    print(" ".join(f"{k}={v:.2f}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
