"""Yardstick against its peers, in one run, on one store: writes bench/results/<date>.md and prints it.

    python -m bench.run                 # 10M observations (the peers' default), 10 s per measurement
    python -m bench.run --rows 1000000 --duration 5s
    python -m bench.run --smoke         # CI: a tiny store, our server and the plain app, a few seconds, no wrk

The full run uses ../shared/bench-peers (setup.sh installs wrk, nginx, Datasette, ROAPI and builds the store;
run_quick.sh measures the peers and, through OURS_CMD, us). Compare/rankings are measured here against
bench/ref_compare.py (FastAPI + DuckDB, one SQL query per request). Figures are ratios within one run: the machines
are shared and noisy, so absolute numbers only show the scale.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / "shared" / "bench-peers"
VENV = Path(os.environ.get("V", "/tmp/bench-peers-venv"))
DATA = Path(os.environ.get("D", "/tmp/bench-peers-data"))
LAKE = Path("/tmp/bench-yardstick-lake")
PY = sys.executable
OURS_PORT, REF_PORT = 8106, 8108
LAST_PID = 0
OURS_ENV = {"YARDSTICK_LOAD_SEED": "false", "YARDSTICK_RATE_LIMIT_PER_MINUTE": "0"}  # measure the service, not 429s


def sh(cmd: str, timeout: float = 3600, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    return out.stdout + out.stderr


@contextmanager
def server(cmd: list[str], port: int, probe: str, env: dict[str, str] | None = None) -> Iterator[float]:
    """Start a server on 127.0.0.1, wait for ``probe``, yield its start time; stop it by its process group."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = t0 + 900  # a first start at 100M observations writes ~36 GB of frame files
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{cmd} did not start in {deadline - t0:.0f} s")
        global LAST_PID
        LAST_PID = proc.pid
        yield time.perf_counter() - t0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a worker busy writing a frame file past the shutdown's grace
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


def ours_cmd(lake: Path, workers: int) -> list[str]:
    return [PY, "-m", "service", "--data-dir", str(lake), "serve", "--port", str(OURS_PORT), "--workers", str(workers)]


def wrk(url_base: str, urls: list[str], conns: int, duration: str, tmp: Path) -> dict[str, str]:
    """wrk over a rotating list of paths; returns req/s, p50, p99 and errors."""
    listing = tmp / f"urls-{abs(hash(tuple(urls[:3])))}.txt"
    listing.write_text("\n".join(urls) + "\n")
    script = Path(__file__).with_name("rotate_urls.lua")
    out = sh(f"URLS={listing} wrk -t{1 if conns == 1 else 2} -c{conns} -d{duration} --latency -s {script} {url_base}")
    get = lambda pattern: (re.search(pattern, out) or [None, "?"])[1]  # noqa: E731
    errors = " ".join(re.findall(r"(Non-2xx.*|Socket errors.*)", out))
    return {
        "rps": get(r"Requests/sec:\s+([\d.]+)"),
        "p50": get(r"\n\s+50%\s+(\S+)"),
        "p99": get(r"\n\s+99%\s+(\S+)"),
        "errors": errors,
    }


def compare_urls(n: int = 200_000) -> tuple[list[str], list[str], list[str], list[str]]:
    """Rotating compare and rankings URLs for us and for the plain app, over the peers' store."""
    pairs = [line.split() for line in (DATA / "pairs.txt").read_text().splitlines()]
    random.seed(7)
    ours_c, ref_c, ours_r, ref_r = [], [], [], []
    for ind, reg in random.choices(pairs, k=n):  # many distinct URLs: the response cache rarely helps
        if reg.endswith("0000"):
            continue
        period = f"{random.randint(2000, 2025)}-{random.randint(1, 12):02d}"
        ours_c.append(f"/v1/compare/{ind}/{reg}?period={period}")
        ref_c.append(f"/compare/{ind}/{reg}?period={period}")
        parent = reg[:2] + "0000"
        ours_r.append(f"/v1/rankings/{ind}?parent={parent}&period={period}")
        ref_r.append(f"/rankings/{ind}?parent={parent}&period={period}")
    return ours_c, ref_c, ours_r, ref_r


def full(args: argparse.Namespace) -> str:
    tmp = Path("/tmp/bench-yardstick-run")
    tmp.mkdir(exist_ok=True)
    sections = set(args.sections.split(","))
    lines = [
        f"# Benchmark run {datetime.now(UTC).isoformat(timespec='seconds')}",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- store: {args.rows:,} observations (peers' generator), duration {args.duration} per measurement",
        f"- sections: {', '.join(sorted(sections))}",
        "",
    ]
    sh(f"bash {PEERS}/setup.sh {args.rows}", timeout=3600)
    if LAKE.exists() and args.fresh:
        shutil.rmtree(LAKE)
    print(sh(f"{PY} -m bench.peers --data {DATA} --lake {LAKE}"))
    if "peers" in sections:
        lines += peers_section(args)
    if "compare" in sections:
        lines += compare_section(args, tmp)
    if "floor" in sections:
        lines += [
            "## Engine floor (shared/bench-peers/engine_floor.py)",
            "",
            "```",
            sh(f"{VENV}/bin/python {PEERS}/engine_floor.py {DATA}").strip(),
            "```",
            "",
        ]
    if "remote" in sections:
        lines += remote_duckdb()
    if "ingest" in sections:
        lines += ingest_figures(tmp)
    if "observations" in sections:
        lines += observations_section(args, tmp)
    if "memory" in sections:
        lines += memory_section(args)
    if "zipf" in sections:
        lines += zipf_section(args, tmp)
    return "\n".join(lines)


def zipf_urls(s: float = 1.1, n: int = 200_000) -> list[tuple[str, str]]:
    """``n`` (indicator, region) pairs drawn with Zipf weights 1/rank**s over the store's pairs in a fixed random
    order: a few series asked very often, most rarely — what dashboards do."""
    pairs = [tuple(line.split()) for line in (DATA / "pairs.txt").read_text().splitlines()]
    rng = random.Random(13)
    rng.shuffle(pairs)
    weights = [1 / (rank**s) for rank in range(1, len(pairs) + 1)]
    return [(i, r) for i, r in rng.choices(pairs, weights=weights, k=n)]


def zipf_section(args: argparse.Namespace, tmp: Path) -> list[str]:
    """The single-series workload drawn Zipf-distributed instead of uniformly: us (response cache on, as served)
    and the plain in-memory FastAPI + DuckDB app, the same URL sequence, same run."""
    chosen = zipf_urls()
    distinct = len(set(chosen))
    lines = [
        f"## Single series, Zipf-distributed (s=1.1; 200,000 requests over {distinct:,} distinct series)",
        "",
        *WRK_HEAD,
    ]
    with server(ours_cmd(LAKE, args.workers), OURS_PORT, "/healthz", OURS_ENV):
        lines += wrk_rows(OURS_PORT, [("ours zipf", [f"/v1/series/{i}/{r}" for i, r in chosen])], args, tmp)
    refmem = [
        str(VENV / "bin" / "uvicorn"),
        "--app-dir",
        str(PEERS),
        "ref_app:app",
        "--port",
        str(REF_PORT),
        "--log-level",
        "error",
        "--no-access-log",
    ]
    urls = [f"/series/{i}/{r}" for i, r in chosen]
    with server(refmem, REF_PORT, urls[0], {"PEER_PARQUET": str(DATA / "obs.parquet"), "PEER_MEMORY": "1"}):
        lines += wrk_rows(REF_PORT, [("plain in-memory zipf", urls)], args, tmp)
    return [*lines, ""]


def observations_section(args: argparse.Namespace, tmp: Path) -> list[str]:
    """/v1/observations for one series and for 5 indicators x 3 regions aligned, against /v1/series for the same
    series (in-memory frames answer all three), same server, same run."""
    pairs = [line.split() for line in (DATA / "pairs.txt").read_text().splitlines()]
    rng = random.Random(11)
    chosen = rng.choices(pairs, k=20000)
    indicators = sorted({i for i, _ in pairs})
    regions = sorted({r for _, r in pairs})
    series = [f"/v1/series/{i}/{r}" for i, r in chosen]
    one = [f"/v1/observations?indicator={i}&region={r}" for i, r in chosen]
    aligned = [
        f"/v1/observations?indicator={','.join(rng.sample(indicators, 5))}&region={','.join(rng.sample(regions, 3))}"
        "&align_periods=true&limit=10000"
        for _ in range(20000)
    ]
    lines = ["## /v1/observations from memory against /v1/series (wrk, 20,000 rotating URLs)", "", *WRK_HEAD]
    targets = [("series", series), ("observations, one series", one), ("observations 5x3 aligned", aligned)]
    with server(ours_cmd(LAKE, args.workers), OURS_PORT, "/healthz", OURS_ENV):
        lines += wrk_rows(OURS_PORT, targets, args, tmp)
    return [*lines, ""]


def memory_section(args: argparse.Namespace) -> list[str]:
    """Sum of PSS over the server's processes after 10,000 random series requests, unbounded and with budgets."""
    from bench.memory import measure

    lines = [
        f"## Memory ({args.workers} workers, 10,000 random series requests; bench/memory.py)",
        "",
        "| YARDSTICK_MEMORY_MB | first answer (s) | PSS total (MB) | PSS anonymous (MB) | PSS file-backed (MB) "
        "| RSS total (MB) | frames, one worker (MB) | prepared on disk (MB per 1M obs) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for budget in (None, 512.0, 128.0):
        r = measure(LAKE, args.workers, 10000, budget)
        label = "default (4096)" if budget is None else f"{budget:g}"
        keys = ("pss_mb", "pss_anon_mb", "pss_file_mb", "rss_mb", "frames_mb_one_worker", "prepared_mb_per_million_obs")
        cells = [f"{r['start_s']:.2f}", *(f"{r[k]:.0f}" for k in keys)]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return [*lines, ""]


def peers_section(args: argparse.Namespace) -> list[str]:
    """Single series and the ceilings through the shared runner: the peers and us in the same run."""
    env = {
        "DUR": args.duration,
        "TARGETS": args.targets,
        "OURS_CMD": f"cd {ROOT} && YARDSTICK_LOAD_SEED=false YARDSTICK_RATE_LIMIT_PER_MINUTE=0 exec {PY} -m service "
        f"--data-dir {LAKE} serve --port {OURS_PORT} --workers {args.workers}",
        "OURS_URL_TEMPLATE": "/v1/series/{indicator}/{region}",
        "OURS_BULK_PATH": "/v1/bulk/000001/observations.parquet",
    }
    if "ours-bulk" in args.targets:  # build the whole-table file before it is timed
        with server(ours_cmd(LAKE, 1), OURS_PORT, "/healthz", OURS_ENV):
            httpx.get(f"http://127.0.0.1:{OURS_PORT}/v1/bulk", timeout=600)
        time.sleep(2)  # let the port go before run_quick.sh starts us again
    out = sh(f"bash {PEERS}/run_quick.sh", env=env, timeout=3600)
    kept = [
        line for line in out.splitlines() if re.match(r"^(bare|fastapi|ref|refmem|datasette|roapi|ours|nginx)", line)
    ]
    return ["## Peers (shared/bench-peers/run_quick.sh)", "", "```", *kept, "```", ""]


def compare_section(args: argparse.Namespace, tmp: Path) -> list[str]:
    """Compare and rankings against the plain app (one SQL query per request), and one URL repeated."""
    ours_c, ref_c, ours_r, ref_r = compare_urls()
    lines = ["## Compare, rankings, repeated URL (wrk, 200,000 rotating URLs: few repeat)", "", *WRK_HEAD]
    with server(ours_cmd(LAKE, args.workers), OURS_PORT, "/healthz", OURS_ENV):
        targets = [("ours compare", ours_c), ("ours rankings", ours_r)]
        lines += wrk_rows(OURS_PORT, [*targets, ("ours same series URL", ["/v1/series/ind_000/110300"])], args, tmp)
        lines.append(f"| ours resident memory per process (MB) | - | - | - | - | {rss_mb(LAST_PID)} |")
    ref = [
        str(VENV / "bin" / "uvicorn"),
        "--app-dir",
        str(Path(__file__).parent),
        "ref_compare:app",
        "--port",
        str(REF_PORT),
        "--log-level",
        "error",
        "--no-access-log",
    ]
    with server(ref, REF_PORT, ref_c[0], {"PEER_PARQUET": str(DATA / "obs.parquet")}):
        lines += wrk_rows(REF_PORT, [("plain compare", ref_c), ("plain rankings", ref_r)], args, tmp)
    return [*lines, ""]


WRK_HEAD = ["| target | c | req/s | p50 | p99 | errors |", "| --- | --- | --- | --- | --- | --- |"]


def wrk_rows(port: int, targets: list[tuple[str, list[str]]], args: argparse.Namespace, tmp: Path) -> list[str]:
    """One table row per target and concurrency (1 and 32) against the server on ``port``."""
    rows = []
    for name, urls in targets:
        for c in (1, 32):
            r = wrk(f"http://127.0.0.1:{port}", urls, c, args.duration, tmp)
            rows.append(f"| {name} | {c} | {r['rps']} | {r['p50']} | {r['p99']} | {r['errors']} |")
    return rows


def rss_mb(pid: int) -> str:
    """Resident memory of a server and its workers, MB each."""
    out = sh(f"ps -o rss= -p {pid} --ppid {pid}")
    return "+".join(str(int(x) // 1024) for x in out.split())


def remote_duckdb() -> list[str]:
    import duckdb
    import duckdb_extension_httpfs

    ext = next(Path(duckdb_extension_httpfs.__file__).parent.glob("extensions/*/httpfs.duckdb_extension"))
    lines = ["## Remote DuckDB (httpfs) over our bulk file", "", "| query | seconds |", "| --- | --- |"]
    with server(ours_cmd(LAKE, 1), OURS_PORT, "/healthz", OURS_ENV):
        url = f"http://127.0.0.1:{OURS_PORT}/v1/bulk/latest/observations.parquet"
        httpx.get(f"http://127.0.0.1:{OURS_PORT}/v1/bulk", timeout=600)
        con = duckdb.connect()
        con.execute(f"load '{ext}'")
        for label, q in (
            (
                "one series, filtered (row-group pruning)",
                f"select count(*), avg(value) from read_parquet('{url}') "
                "where indicator = 'ind_042' and region = '110300'",
            ),
            ("count(*) (footer only)", f"select count(*) from read_parquet('{url}')"),
        ):
            t = time.perf_counter()
            con.execute(q).fetchall()
            lines.append(f"| {label} | {time.perf_counter() - t:.3f} |")
    return [*lines, ""]


def ingest_figures(tmp: Path) -> list[str]:
    from bench.generate import write_inputs
    from service.config import REPO_DATA
    from service.ingest.load import ingest_paths
    from service.ingest.seed import seed_paths
    from service.store.stores import lake_at

    lines = [
        "## Ingest (one commit each, into a lake holding the shipped data)",
        "",
        "| input | rows | seconds |",
        "| --- | --- | --- |",
    ]
    for fmt, (ind, reg, months) in (("csv", (100, 100, 100)), ("parquet", (100, 320, 312))):
        lake_dir = tmp / f"ingest-{fmt}"
        shutil.rmtree(lake_dir, ignore_errors=True)
        lake = lake_at(lake_dir)
        ingest_paths(lake, seed_paths(REPO_DATA))
        files = write_inputs(tmp / f"in-{fmt}", ind, reg, months, fmt)
        t = time.perf_counter()
        result = ingest_paths(lake, files)
        lines.append(f"| {fmt} | {result.added:,} | {time.perf_counter() - t:.2f} |")
        shutil.rmtree(lake_dir, ignore_errors=True)
    return [*lines, ""]


def smoke() -> str:
    """A few seconds, no extra installs: our server and the plain app on a tiny store, every endpoint answering."""
    from bench.generate import write_inputs
    from service.config import REPO_DATA
    from service.ingest.load import ingest_paths
    from service.ingest.seed import seed_paths
    from service.store.stores import lake_at

    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-smoke-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    lake = lake_at(tmp / "lake")
    ingest_paths(lake, seed_paths(REPO_DATA))
    ingest_paths(lake, write_inputs(tmp / "in", 5, 20, 24))
    lines = ["| endpoint | requests | errors | seconds |", "| --- | --- | --- | --- |"]
    with (
        server(ours_cmd(tmp / "lake", 1), OURS_PORT, "/healthz", OURS_ENV),
        httpx.Client(base_url=f"http://127.0.0.1:{OURS_PORT}") as client,
    ):
        code = next(iter(client.get("/v1/series", params={"indicator": "synthetic.i001"}).json()["series"]))["region"]
        for path in (
            "/v1/series/synthetic.i001/" + code,
            f"/v1/compare/synthetic.i001/{code}",
            "/v1/rankings/industry.value_added.growth?parent=430000",
            f"/v1/observations?indicator=synthetic.i001,synthetic.i002&region={code}&align_periods=true",
            "/v1/bulk",
        ):
            t, errors = time.perf_counter(), 0
            for _ in range(50):
                errors += client.get(path).status_code != 200
            lines.append(f"| {path} | 50 | {errors} | {time.perf_counter() - t:.3f} |")
            if errors:
                raise SystemExit(f"smoke: {path} answered errors")
    shutil.rmtree(tmp, ignore_errors=True)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--targets", default="bare fastapi ref refmem datasette roapi ours nginx-bulk ours-bulk")
    parser.add_argument("--fresh", action="store_true", help="rebuild our lake from the peers' store")
    parser.add_argument("--sections", default="peers,compare,floor,remote,ingest,observations,memory,zipf")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    report = smoke() if args.smoke else full(args)
    print(report)
    if not args.smoke:
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"{datetime.now(UTC):%Y-%m-%dT%H%M}.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
