"""Two revisions of the service on the same machine, in one run (the before/after a refactoring must hold):

    python -m bench.before_after d36cf68 HEAD          # --rounds 2 --duration 10s

For each revision (a detached worktree, run with this interpreter): ingest of 1M observations from CSV (100
indicators x 100 counties x 100 months, in-process, one commit, after the seed), cold start of that lake with 2
workers (process start to the first series answer), and wrk at 32 connections on series URLs rotating over all
10,000 synthetic series. Rounds alternate the revisions so that the machine's drift falls on both; the best round of
each is printed (a slow round is the machine, not the code). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.generate import write_inputs

ROOT = Path(__file__).resolve().parents[1]
PORT = 8151
INGEST = r"""
import sys, time
from pathlib import Path
from service.config import REPO_DATA
from service.ingest.load import ingest_paths
from service.ingest.seed import seed_paths
try:
    from service.store.stores import lake_at
except ImportError:  # before the store interface
    from service.store.lake import Lake
    lake_at = Lake.open
lake = lake_at(Path(sys.argv[1]))
ingest_paths(lake, seed_paths(REPO_DATA))
started = time.perf_counter()
result = ingest_paths(lake, [Path(p) for p in sys.argv[2:]])
print(result.added, time.perf_counter() - started)
"""


def worktree(rev: str, into: Path) -> Path:
    path = into / re.sub(r"\W", "_", rev)
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(path), rev], check=True, capture_output=True
    )
    return path


def ingest(tree: Path, lake: Path, files: list[Path]) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", INGEST, str(lake), *map(str, files)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    added, seconds = out.stdout.split()[-2:]
    assert int(added) == 1_000_000, out.stdout
    return float(seconds)


def serve_and_load(tree: Path, lake: Path, urls: Path, duration: str) -> tuple[float, float, str]:
    """Cold start (s), req/s at c=32 and wrk's latency line."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "YARDSTICK_RATE_LIMIT_PER_MINUTE": "0",
        "YARDSTICK_LOAD_SEED": "false",
    }
    cmd = [sys.executable, "-m", "service", "--data-dir", str(lake), "serve", "--port", str(PORT), "--workers", "2"]
    probe = f"http://127.0.0.1:{PORT}/v1/series/synthetic.i000/{urls.read_text().split()[0].rsplit('/', 1)[1]}"
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = started + 120
        while True:
            try:
                if httpx.get(probe, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not answer within 120 s")
            time.sleep(0.02)
        cold = time.perf_counter() - started
        script = Path(__file__).with_name("rotate_urls.lua")
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{duration}", "--latency", "-s", str(script), f"http://127.0.0.1:{PORT}"],
            env={**os.environ, "URLS": str(urls)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        assert "Non-2xx" not in out, out
        latency = " / ".join(re.search(rf"\s{q}%\s+(\S+)", out).group(1) for q in ("50", "99"))  # type: ignore[union-attr]
        return cold, rps, latency
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default="HEAD")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", default="10s")
    args = parser.parse_args()
    assert shutil.which("wrk"), "wrk is needed (apt-get install wrk)"
    tmp = Path(tempfile.mkdtemp(prefix="yardstick-before-after-"))
    trees = {rev: worktree(rev, tmp) for rev in (args.before, args.after)}
    try:
        files = write_inputs(tmp / "in", 100, 100, 100, "csv")
        regions = subprocess.run(
            [
                sys.executable,
                "-c",
                'import duckdb,sys; print(*[r[0] for r in duckdb.sql("select distinct region '
                f"from '{files[1]}'\").fetchall()])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        urls = tmp / "urls.txt"
        urls.write_text("".join(f"/v1/series/synthetic.i{i:03d}/{r}\n" for i in range(100) for r in regions))
        best: dict[str, dict[str, float | str]] = {rev: {} for rev in trees}
        for round_ in range(args.rounds):
            for rev, tree in trees.items():
                lake = tmp / f"lake-{round_}-{tree.name}"
                seconds = ingest(tree, lake, files)
                cold, rps, latency = serve_and_load(tree, lake, urls, args.duration)
                print(
                    f"round {round_ + 1} {rev}: ingest {seconds:.2f} s, cold start {cold:.2f} s, "
                    f"{rps:,.0f} req/s (p50 / p99 {latency})",
                    flush=True,
                )
                b = best[rev]
                b["ingest"] = min(float(b.get("ingest", 1e9)), seconds)
                b["cold"] = min(float(b.get("cold", 1e9)), cold)
                if rps > float(b.get("rps", 0)):
                    b["rps"], b["latency"] = rps, latency
                shutil.rmtree(lake, ignore_errors=True)
        print(f"\n| best of {args.rounds} rounds | {args.before} | {args.after} |\n| --- | --- | --- |")
        print(
            f"| ingest 1M CSV (one commit) | {best[args.before]['ingest']:.2f} s | {best[args.after]['ingest']:.2f} s |"
        )
        print(
            "| cold start, 1M + shipped, 2 workers | "
            f"{best[args.before]['cold']:.2f} s | {best[args.after]['cold']:.2f} s |"
        )
        print(f"| single series c=32, req/s | {best[args.before]['rps']:,.0f} | {best[args.after]['rps']:,.0f} |")
        print(f"| p50 / p99 | {best[args.before]['latency']} | {best[args.after]['latency']} |")
    finally:
        for tree in trees.values():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
