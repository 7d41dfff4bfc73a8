"""Ingest into the old lake format and into the Iceberg store in one run (the before/after of issue 11):
``python -m bench.ingest_formats``. Prints one line per input and format."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.generate import write_inputs
from service.config import REPO_DATA
from service.ingest.load import ingest_paths
from service.ingest.seed import seed_paths
from service.store.iceberg import IcebergLake
from service.store.oldformat import OldLake


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yardstick-ingest-"))
    try:
        for fmt, dims in (("csv", (100, 100, 100)), ("parquet", (100, 320, 312))):
            files = write_inputs(tmp / f"in-{fmt}", *dims, fmt)
            for name, kind in (("old format", OldLake), ("iceberg", IcebergLake)):
                lake = kind(tmp / f"{kind.__name__}-{fmt}")
                ingest_paths(lake, seed_paths(REPO_DATA))
                started = time.perf_counter()
                result = ingest_paths(lake, files)
                print(f"{fmt:8} {name:11} {result.added:>10,} rows  {time.perf_counter() - started:6.2f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
