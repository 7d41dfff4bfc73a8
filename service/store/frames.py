"""In-memory frames: one indicator's observations as an Arrow table with an offset per region.

Each file of the lake holds one indicator, sorted by (region, period_end, published); an indicator appended to has
several (its partition). A frame holds all of them in that order, so a region's rows (every vintage) are one
contiguous slice. A frame is loaded on first use, so a series request is a dictionary lookup and a
zero-copy slice instead of a query.

Frames are kept in a ``FrameCache`` bounded in bytes (``YARDSTICK_MEMORY_MB``): the least recently used indicator
goes first. With a cache folder, each frame is an uncompressed Arrow IPC file there, memory-mapped: the workers of
a server (and a frame evicted and loaded again) share one copy in the page cache instead of one each.

Prepared answers: given a ``prepare`` function (the formats layer's, handed down by the app), the Arrow copy also
holds, for each row that is its period's latest release, that row's encoded bytes in each prepared form (a string
column per form; other rows hold the empty string), and the running count of latest rows. A region's latest rows
in any period window are then one contiguous run of bytes of the mapped file (``Frame.span``): an answer is a header,
that run and a footer, with no Python object per row.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from service.model.schema import OBSERVATIONS
from service.store import vintage

SERIES_COLUMNS = [f.name for f in OBSERVATIONS if f.name not in ("indicator", "region")]  # one series' rows
Prepare = Callable[[pa.Table], dict[str, pa.Array]]  # latest rows -> form name -> one string per row
LATEST = "_latest"  # the prepared columns: "_latest" (running count of latest rows), "_<form>" (their bytes)


@dataclass(frozen=True)
class Frame:
    """One indicator: its rows, and each region's run of rows (first row, row count).

    The runs are numpy arrays and a region → run number dictionary of strings and ints: no object in it is tracked by
    Python's cycle collector, so hundreds of frames add nothing to a collection's pause."""

    table: pa.Table
    index: dict[str, int]
    starts: np.ndarray
    counts: np.ndarray
    latest: np.ndarray | None = None  # latest rows up to and including each row (None: nothing prepared)
    ends: np.ndarray | None = None  # period_end as days (int32), a view of the mapped column
    published: np.ndarray | None = None  # published as days (int32), the same
    prepared: dict[str, tuple[np.ndarray, pa.Buffer | None]] = field(default_factory=dict)  # offsets, data

    def span(self, form: str, first: int, stop: int) -> memoryview:
        """The prepared bytes of ``form`` for rows first..stop (those of latest rows, one after the other)."""
        offsets, data = self.prepared[form]
        if data is None:
            return memoryview(b"")
        return memoryview(data)[int(offsets[first]) : int(offsets[stop])]

    def strings(self, form: str, first: int, stop: int) -> pa.Array:
        """The prepared bytes of ``form`` for rows first..stop as a string array (one string a row; empty for
        older releases), over the mapped file's buffers (no copy)."""
        offsets, data = self.prepared[form]
        if data is None:
            return pa.array([""] * (stop - first), pa.large_string())
        return pa.Array.from_buffers(
            pa.large_string(), stop - first, [None, pa.py_buffer(offsets[first : stop + 1]), data]
        )

    def current(self, region: str, ends: np.ndarray, as_of: date | None) -> np.ndarray:
        """The vintage rule (``vintage.current``) on a region's rows: for each period end in ``ends``, the frame's
        row number of the release current on ``as_of``, or -1. On the mapped day columns where there are some."""
        i = self.index.get(region)
        if i is None:
            return np.full(len(ends), -1, np.int64)
        first, stop = int(self.starts[i]), int(self.starts[i] + self.counts[i])
        if self.ends is not None and self.published is not None:
            at = vintage.current(self.ends[first:stop], self.published[first:stop], ends, as_of)
        else:
            at = vintage.find(self.table.slice(first, stop - first), ends, as_of)
        return np.where(at >= 0, at + first, -1)

    def rows(self, region: str) -> pa.Table:
        i = self.index.get(region)
        return self.table.slice(0, 0) if i is None else self.table.slice(int(self.starts[i]), int(self.counts[i]))

    @property
    def offsets(self) -> dict[str, tuple[int, int]]:
        """Region → (first row, row count)."""
        return {r: (int(self.starts[i]), int(self.counts[i])) for r, i in self.index.items()}

    @property
    def nbytes(self) -> int:
        """The table's bytes, the prepared columns' and the runs' (about 100 bytes a region)."""
        extra = sum(o.nbytes + (0 if d is None else d.size) for o, d in self.prepared.values())
        extra += 0 if self.latest is None else self.latest.nbytes
        return int(self.table.nbytes) + extra + 100 * len(self.index)


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


class Busy(Exception):
    """Another process is writing this frame's Arrow copy (``load`` with ``wait=False``)."""


def load(key: str, folder: Path | None = None, prepare: Prepare | None = None, wait: bool = True) -> Frame:
    """The frame of one indicator's files (``key``): read from Parquet, or memory-mapped from its Arrow copy in
    ``folder`` (written on first use, with the prepared answers if ``prepare`` is given). One process writes a copy
    while the others wait for it (or with ``wait=False`` raise ``Busy`` and do something else meanwhile)."""
    if folder is None:
        return _read(key)
    arrow = folder / _arrow_name(key)
    if not arrow.exists():
        lock = folder / f".{arrow.name}.lock"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:  # a read-only cache disk: serve from memory rather than fail
            return _read(key)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise Busy(key) from None
            if not arrow.exists():  # not written meanwhile by the process that held the lock
                unwritten = _write(key, arrow, prepare)
                if unwritten is not None:
                    return unwritten
            lock.unlink(missing_ok=True)  # a waiter finds the copy; a newcomer sees it before locking
        finally:
            os.close(fd)
    with pa.memory_map(str(arrow)) as source:
        table = pa.ipc.open_file(source).read_all()  # zero-copy: the buffers point into the mapping
    meta = table.schema.metadata or {}
    if _RUNS not in meta or (prepare is not None and LATEST not in table.column_names):  # an earlier version's copy
        arrow.unlink(missing_ok=True)
        return load(key, folder, prepare)
    runs = orjson.loads(meta[_RUNS])
    plain = table.select(SERIES_COLUMNS).replace_schema_metadata(None)
    frame = _frame(plain, runs["regions"], runs["starts"], runs["counts"])
    return _mapped(frame, table) if LATEST in table.column_names else frame


def _write(key: str, arrow: Path, prepare: Prepare | None) -> Frame | None:
    """Write a frame's Arrow copy; the frame itself if the disk refuses it (full: serve from memory)."""
    frame = _read(key)
    tmp = arrow.with_name(f".{arrow.name}.{uuid.uuid4().hex[:8]}")
    runs = {"regions": list(frame.index), "starts": frame.starts.tolist(), "counts": frame.counts.tolist()}
    table = frame.table if prepare is None else with_prepared(frame, prepare)
    table = table.replace_schema_metadata({**(frame.table.schema.metadata or {}), _RUNS: orjson.dumps(runs)})
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, arrow)  # atomic: a reader sees no copy or a whole one
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return frame
    return None


def with_prepared(frame: Frame, prepare: Prepare) -> pa.Table:
    """The frame's table with its prepared columns: the running count of latest rows, and for each form of
    ``prepare`` each latest row's bytes (other rows: the empty string)."""
    table = frame.table.combine_chunks()
    ends = np.asarray(table.column("period_end").to_numpy(zero_copy_only=False), "datetime64[D]").view(np.int64)
    mask = vintage.latest(ends, frame.starts)
    columns = prepare(table.filter(pa.array(mask)))
    table = table.append_column(LATEST, pa.array(np.cumsum(mask, dtype=np.int64), pa.int64()))
    for form, column in columns.items():
        table = table.append_column(f"_{form}", _spread(column, mask))
    return table


def _spread(column: pa.Array, mask: np.ndarray) -> pa.Array:
    """A large-string column of one value per true entry of ``mask`` as one of ``len(mask)`` values, the empty
    string where the mask is false: the same data buffer, offsets that stand still over the empty rows."""
    column = column.cast(pa.large_string())
    offsets = np.frombuffer(column.buffers()[1], np.int64)[column.offset : column.offset + len(column) + 1]
    lengths = np.zeros(len(mask), np.int64)
    lengths[mask] = np.diff(offsets)
    spread = np.zeros(len(mask) + 1, np.int64)
    np.cumsum(lengths, out=spread[1:])
    spread += offsets[0]
    return pa.Array.from_buffers(pa.large_string(), len(mask), [None, pa.py_buffer(spread), column.buffers()[2]])


def _mapped(frame: Frame, table: pa.Table) -> Frame:
    """The frame with the prepared columns of its mapped Arrow copy (numpy views of them, no copies)."""
    if table.num_rows == 0 or any(c.num_chunks != 1 for c in table.columns):
        return frame  # nothing to prepare (or an unexpected layout): answered the ordinary way
    prepared = {name[1:]: _buffers(table, name, len(table) + 1) for name in table.column_names if name[:1] == "_"}
    latest, _ = prepared.pop(LATEST[1:])
    ends, _ = _buffers(table, "period_end", len(table), np.int32)
    published, _ = _buffers(table, "published", len(table), np.int32)
    return Frame(frame.table, frame.index, frame.starts, frame.counts, latest[: len(table)], ends, published, prepared)


def _buffers(table: pa.Table, name: str, n: int, dtype: type = np.int64) -> tuple[np.ndarray, pa.Buffer | None]:
    """A column's values (or offsets) as a numpy view of the mapping, and its data buffer."""
    array = table.column(name).chunk(0)
    buffers = array.buffers()
    values: np.ndarray = np.frombuffer(buffers[1], dtype)[array.offset : array.offset + n]
    return values, buffers[2] if len(buffers) > 2 else None


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

    def __init__(self, budget: int = 0, folder: Path | None = None, prepare: Prepare | None = None) -> None:
        self.budget, self.folder, self.prepare = budget, folder, prepare
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

    def get(self, key: str, wait: bool = True) -> Frame:
        """The frame, loaded if need be (``wait=False``: ``Busy`` while another process writes its copy)."""
        with self._lock:
            found = self._frames.get(key)
            if found is not None:
                self._frames.move_to_end(key)
                return found
        frame = load(key, self.folder, self.prepare, wait)  # outside the lock: two threads may both load
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
