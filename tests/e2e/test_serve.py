"""`yardstick serve` for real: uvicorn with two workers on 127.0.0.1 seeds an empty lake, answers, and picks up
a new snapshot committed by another process without a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_workers_follows_new_snapshots(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    env = {**os.environ, "YARDSTICK_REFRESH_SECONDS": "0.2"}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "--data-dir", str(lake), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 120  # a bound for a busy machine, not a speed requirement
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        pytest.fail("the server did not start")
                    time.sleep(0.1)
            cold_start = time.monotonic() - started
            assert client.get("/healthz").json()["snapshot"] == "000001"  # seeded on first start
            url = "/v1/series/industry.value_added.growth/430400"
            assert client.get(url).json()["observations"][0]["value"] == 8.4
            rev = tmp_path / "rev.csv"
            rev.write_text(
                "indicator,region,period,value,published\nindustry.value_added.growth,430400,2022-Q3,8.6,2023-01-20\n",
                encoding="utf-8",
            )
            done = subprocess.run(
                [sys.executable, "-m", "service", "--data-dir", str(lake), "ingest", str(rev)],
                capture_output=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            time.sleep(1.0)
            # Every worker (connections land on either) now serves the new snapshot.
            for _ in range(10):
                with httpx.Client(base_url=base, timeout=60) as fresh:
                    r = fresh.get(url)
                    assert r.headers["x-snapshot"] == "000002"
                    assert r.json()["observations"][0]["value"] == 8.6
        print(f"cold start to first answer: {cold_start:.2f} s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
