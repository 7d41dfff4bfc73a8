"""In-memory frames: one indicator's observations as an Arrow table with an offset per region.

Each file of the lake holds one indicator, sorted by (region, period_end, published); an indicator appended to has
several (its partition). A frame holds all of them in that order, so a region's rows (every vintage) are one
contiguous slice. A frame is loaded on first use, so a series request is a dictionary lookup and a
zero-copy slice instead of a query.

Frames are kept in a ``FrameCache`` bounded in bytes (``YARDSTICK_MEMORY_MB``): the least recently used indicator
goes first. With a cache folder, each frame is an uncompressed Arrow IPC file there, memory-mapped: the workers of
a server (and a frame evicted and loaded again) share one copy in the page cache instead of one each.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from service.model.schema import OBSERVATIONS

SERIES_COLUMNS = [f.name for f in OBSERVATIONS if f.name not in ("indicator", "region")]  # one series' rows


@dataclass(frozen=True)
class Frame:
    """One indicator: its rows, and each region's run of rows (first row, row count).

    The runs are numpy arrays and a region → run number dictionary of strings and ints: no object in it is tracked by
    Python's cycle collector, so hundreds of frames add nothing to a collection's pause."""

    table: pa.Table
    index: dict[str, int]
    starts: np.ndarray
    counts: np.ndarray

    def rows(self, region: str) -> pa.Table:
        i = self.index.get(region)
        return self.table.slice(0, 0) if i is None else self.table.slice(int(self.starts[i]), int(self.counts[i]))

    @property
    def offsets(self) -> dict[str, tuple[int, int]]:
        """Region → (first row, row count)."""
        return {r: (int(self.starts[i]), int(self.counts[i])) for r, i in self.index.items()}

    @property
    def nbytes(self) -> int:
        """The table's bytes and the runs' (about 100 bytes a region)."""
        return int(self.table.nbytes) + 100 * len(self.index)


def _frame(table: pa.Table, regions: list[str], starts: np.ndarray, counts: np.ndarray) -> Frame:
    return Frame(
        table, {r: i for i, r in enumerate(regions)}, np.asarray(starts, np.int64), np.asarray(counts, np.int64)
    )


EMPTY = _frame(OBSERVATIONS.empty_table().select(SERIES_COLUMNS), [], np.array([]), np.array([]))
_RUNS = b"yardstick.runs"


def key(paths: list[str]) -> str:
    """A frame's key: the paths of its indicator's files, oldest first."""
    return "\n".join(paths)


def _arrow_name(key: str) -> str:
    """The name of a frame's Arrow copy: its file's name, or for several files a digest of their paths (lake files
    are immutable and uniquely named, so a copy never goes stale)."""
    paths = key.split("\n")
    if len(paths) == 1:
        return f"{Path(paths[0]).stem}.arrow"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.arrow"


def load(key: str, folder: Path | None = None) -> Frame:
    """The frame of one indicator's files (``key``): read from Parquet, or memory-mapped from its Arrow copy in
    ``folder`` (written on first use)."""
    if folder is None:
        return _read(key)
    arrow = folder / _arrow_name(key)
    if not arrow.exists():
        frame = _read(key)
        tmp = folder / f".{arrow.name}.{uuid.uuid4().hex[:8]}"
        runs = {"regions": list(frame.index), "starts": frame.starts.tolist(), "counts": frame.counts.tolist()}
        table = frame.table.replace_schema_metadata({**(frame.table.schema.metadata or {}), _RUNS: orjson.dumps(runs)})
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            os.replace(tmp, arrow)  # two workers writing at once both end with a whole file
        except OSError:  # a full or read-only cache disk: serve from memory rather than fail
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return frame
    with pa.memory_map(str(arrow)) as source:
        table = pa.ipc.open_file(source).read_all()  # zero-copy: the buffers point into the mapping
    meta = table.schema.metadata or {}
    if _RUNS not in meta:  # a copy written by an earlier version: write it again
        arrow.unlink(missing_ok=True)
        return load(key, folder)
    runs = orjson.loads(meta[_RUNS])
    return _frame(table.replace_schema_metadata(None), runs["regions"], runs["starts"], runs["counts"])


def _read(key: str) -> Frame:
    """Read one indicator's files into a frame (each file is sorted by region; several are sorted again)."""
    parts = [pq.read_table(p, schema=OBSERVATIONS) for p in key.split("\n")]
    table = pa.concat_tables(parts).combine_chunks()
    if len(parts) > 1:
        table = table.sort_by([("region", "ascending"), ("period_end", "ascending"), ("published", "ascending")])
    regions, starts, counts = runs(table.column("region"))
    return _frame(table.select(SERIES_COLUMNS), regions, starts, counts)


def runs(column: pa.Array | pa.ChunkedArray) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """The runs of equal adjacent values of a column without nulls: each run's value, first row and length (a table
    sorted by the column has one run per value)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0:
        return [], np.array([], np.int64), np.array([], np.int64)
    encoded = pc.dictionary_encode(array)
    idx = np.asarray(encoded.indices)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    values = encoded.dictionary.to_pylist()
    return [values[idx[i]] for i in starts], starts, np.diff(np.r_[starts, len(idx)])


class FrameCache:
    """Frames by key (their files), shared by the snapshots of one process (an indicator a commit did not touch keeps
    its frame), the least recently used out first once their bytes pass ``budget`` (0: no bound). The frame just
    asked for always stays, even alone over the budget."""

    def __init__(self, budget: int = 0, folder: Path | None = None) -> None:
        self.budget, self.folder = budget, folder
        self._frames: OrderedDict[str, Frame] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = self.loads = self.evictions = 0

    def __contains__(self, key: str) -> bool:
        return key in self._frames

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def full(self) -> bool:
        return self.budget > 0 and self.bytes >= self.budget

    def get(self, key: str) -> Frame:
        with self._lock:
            found = self._frames.get(key)
            if found is not None:
                self._frames.move_to_end(key)
                return found
        frame = load(key, self.folder)  # outside the lock: file reads; two threads may both load (benign)
        with self._lock:
            if key not in self._frames:
                self._frames[key] = frame
                self.bytes += frame.nbytes
                self.loads += 1
                while self.budget and self.bytes > self.budget and len(self._frames) > 1:  # the new one is last
                    self.bytes -= self._frames.popitem(last=False)[1].nbytes
                    self.evictions += 1
            return self._frames[key]

    def retain(self, keys: set[str]) -> None:
        """Drop the frames not in the current snapshot (``keys``), and their Arrow copies."""
        with self._lock:
            for key in [k for k in self._frames if k not in keys]:
                self.bytes -= self._frames.pop(key).nbytes
        if self.folder is not None and self.folder.exists():
            names = {_arrow_name(k) for k in keys}
            for arrow in self.folder.glob("*.arrow"):
                if arrow.name not in names:
                    arrow.unlink(missing_ok=True)  # a worker that mapped it keeps its mapping
