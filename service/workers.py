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
