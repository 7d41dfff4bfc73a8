"""A real `yardstick serve` on 127.0.0.1 for tests: started in its own process group, stopped by it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    base: str
    pid: int

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, in MiB."""
        out = subprocess.run(
            ["ps", "-o", "rss=", "--ppid", str(self.pid), "-p", str(self.pid)], capture_output=True, text=True
        ).stdout
        return sum(int(x) for x in out.split()) / 1024


@contextmanager
def live_server(
    lake: Path, workers: int = 1, ready: str = "/healthz", stderr: Path | None = None, **env: str
) -> Iterator[Live]:
    """The server is taken as started when ``ready`` answers 200; ``stderr`` keeps what it logs (default: dropped)."""
    port = free_port()
    err = open(stderr, "wb") if stderr is not None else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    settings = {"YARDSTICK_LOAD_SEED": "false", "YARDSTICK_REFRESH_SECONDS": "0.2", **env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service",
            "--data-dir",
            str(lake),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **settings},
        stdout=subprocess.DEVNULL,
        stderr=err,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a bound for a busy machine, not a speed requirement
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}{ready}", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield Live(base, proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except ProcessLookupError:  # a test killed it already
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if stderr is not None:
            err.close()  # type: ignore[union-attr]
