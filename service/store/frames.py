"""In-memory frames of a snapshot: one indicator's observations as an Arrow table with an offset per region.

The lake keeps one file per indicator, sorted by (region, period_end, published), so a region's rows (every
vintage) are one contiguous slice. A frame is loaded on first use and lives as long as its snapshot, so a series
request is a dictionary lookup and a zero-copy slice instead of a query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from service.model.schema import OBSERVATIONS

SERIES_COLUMNS = [f.name for f in OBSERVATIONS if f.name not in ("indicator", "region")]  # one series' rows


@dataclass(frozen=True)
class Frame:
    """One indicator: its rows, and region → (first row, row count)."""

    table: pa.Table
    offsets: dict[str, tuple[int, int]]

    def rows(self, region: str) -> pa.Table:
        start, count = self.offsets.get(region, (0, 0))
        return self.table.slice(start, count)

    @property
    def nbytes(self) -> int:
        return int(self.table.nbytes)


EMPTY = Frame(OBSERVATIONS.empty_table().select(SERIES_COLUMNS), {})


def load(path: str) -> Frame:
    """Read one indicator file into a frame (the file is sorted by region, so runs are contiguous)."""
    table = pq.read_table(path, schema=OBSERVATIONS).combine_chunks()
    regions = table.column("region").chunk(0) if table.num_rows else pa.array([], pa.string())
    encoded = pc.dictionary_encode(regions)
    idx = np.asarray(encoded.indices)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]]) if len(idx) else np.array([], np.int64)
    ends = np.r_[starts[1:], len(idx)] if len(idx) else starts
    names = encoded.dictionary.to_pylist()
    offsets = {names[idx[s]]: (int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)}
    return Frame(table.select(SERIES_COLUMNS), offsets)


def pick_vintage(rows: pa.Table, as_of: object, initial: bool, every: bool) -> pa.Table:
    """Keep one release per period (the latest, or the first), or every release; optionally as known on a date.

    ``rows`` is one series in (period_end, published) order."""
    if as_of is not None:
        rows = rows.filter(pc.less_equal(rows.column("published"), pa.scalar(as_of, pa.date32())))
    if every or rows.num_rows < 2:
        return rows
    ends = rows.column("period_end").to_numpy()
    same_as_next = ends[1:] == ends[:-1]
    if not same_as_next.any():
        return rows  # one release per period: nothing to choose
    keep = np.r_[True, ~same_as_next] if initial else np.r_[~same_as_next, True]
    return rows.filter(pa.array(keep))
