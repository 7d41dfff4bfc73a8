"""What `yardstick serve` prepares for its uvicorn workers before they start (they read it from the environment)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def metrics_dir(workers: int) -> Path | None:
    """Several workers: a fresh folder where each writes its metrics, so /metrics sums them (prometheus_client's
    multiprocess mode). One named in PROMETHEUS_MULTIPROC_DIR is emptied; else a new one, removed at exit."""
    if workers <= 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return None
    named = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if named:
        folder = Path(named)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.db"):  # values of an earlier start are not this server's
            old.unlink()
        return None
    folder = Path(tempfile.mkdtemp(prefix="yardstick-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def forget_dead(folder: Path) -> list[int]:
    """Drop the live gauges of workers that are gone without saying so (killed with SIGKILL, or by the OOM killer:
    their shutdown, which does it, never ran; uvicorn's supervisor starts another in their place). Called by the
    worker that renders /metrics; counters and histograms stay in the sums. Returns the pids forgotten."""
    from prometheus_client import multiprocess

    pids = {
        int(f.stem.rsplit("_", 1)[1]) for f in folder.glob("gauge_live*_*.db") if f.stem.rsplit("_", 1)[1].isdigit()
    }
    dead = sorted(pid for pid in pids if not _alive(pid))
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process took the number: not ours to judge
        return True
    return True
