"""Series reads: one series with vintages, windows and transforms; many series as one long table; the catalog."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from service.errors import bad_parameter
from service.model.catalog import Indicator
from service.model.period import Period, parse_canonical
from service.model.schema import OBSERVATIONS
from service.query import transforms
from service.store import frames, vintage
from service.store.snapshot import Memo, Snapshot
from service.store.statements import run, statement


@dataclass(frozen=True)
class Vintage:
    """Which release of each period: latest (default), as known on ``as_of``, the first, or all of them."""

    as_of: date | None = None
    initial: bool = False
    all: bool = False
    updated_after: datetime | None = None
    realtime_start: date | None = None  # with all: only releases that were the latest at some time in this range
    realtime_end: date | None = None


def with_realtime(rows: pa.Table, v: Vintage) -> pa.Table:
    """With every release: each row's realtime_start and realtime_end (ALFRED), selected by the vintage's range."""
    return vintage.realtime(rows, v.realtime_start, v.realtime_end) if v.all else rows


@dataclass(frozen=True)
class Window:
    start: date | None = None  # keep periods ending on or after
    end: date | None = None  # keep periods ending on or before
    last_n: int | None = None
    mrnev: int | None = None
    sort: str = "asc"
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class SeriesQuery:
    vintage: Vintage = field(default_factory=Vintage)
    window: Window = field(default_factory=Window)
    units: transforms.Transform = transforms.TRANSFORMS["lin"]
    base: Period | None = None


def series(snap: Snapshot, indicator: Indicator, region: str, q: SeriesQuery) -> pa.Table:
    """The observations of one series: vintage → transform on the full series → window → order and page."""
    v = q.vintage
    if v.all and q.units.code != "lin":
        raise bad_parameter("units", "transforms need one value per period: drop vintages=all or use units=lin")
    table = vintage.pick(snap.frame(indicator.code).rows(region), v.as_of, v.initial, v.all)
    table = with_realtime(table, v)
    if q.units.code != "lin" and table.num_rows:
        periods = [parse_canonical(p) for p in table.column("period").to_pylist()]
        values, starts = transforms.apply(
            q.units, periods, table.column("value").to_pylist(), table.column("period_start").to_pylist(), q.base
        )
        table = table.set_column(table.schema.get_field_index("value"), "value", pa.array(values, pa.float64()))
        table = table.set_column(
            table.schema.get_field_index("period_start"), "period_start", pa.array(starts, pa.date32())
        )
    if v.updated_after is not None:
        table = table.filter(
            pc.greater(table.column("recorded_at"), pa.scalar(v.updated_after, pa.timestamp("us", "UTC")))
        )
    return cut(table, q.window)


def cut(table: pa.Table, w: Window) -> pa.Table:
    """Apply the window to a series already in period order."""
    if w.start is not None:
        table = table.filter(pc.greater_equal(table.column("period_end"), pa.scalar(w.start, pa.date32())))
    if w.end is not None:
        table = table.filter(pc.less_equal(table.column("period_end"), pa.scalar(w.end, pa.date32())))
    if w.mrnev is not None:
        table = table.filter(pc.is_valid(table.column("value")))
        table = table.slice(max(0, table.num_rows - w.mrnev))
    if w.last_n is not None:
        table = table.slice(max(0, table.num_rows - w.last_n))
    if w.sort == "desc":
        table = table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))
    return table.slice(w.offset, w.limit)


@dataclass(frozen=True)
class Run:
    """A series' latest rows in a window, as rows first..stop of its frame (older releases in between count for
    nothing): ``count`` of them, their prepared bytes ``frame.span(form, first, stop)``."""

    frame: frames.Frame
    first: int
    stop: int
    count: int

    def span(self, form: str) -> memoryview:
        return self.frame.span(form, self.first, self.stop)

    def strings(self, form: str) -> pa.Array:
        """The run's prepared bytes of ``form`` as one string per latest row (older releases left out)."""
        rows = self.frame.strings(form, self.first, self.stop)
        return rows if self.count == len(rows) else rows.filter(pc.greater(pc.binary_length(rows), 0))


def latest_run(snap: Snapshot, indicator: str, region: str, q: SeriesQuery) -> Run | None:
    """The rows of ``series`` as a run of prepared bytes, for the latest vintage in a start/end/last_n window (the
    default answer), or None: other parameters, or a frame without prepared bytes, take ``series``."""
    return frame_run(snap.frame(indicator), region, q.window) if _default(q) else None


def frame_run(frame: frames.Frame, region: str, w: Window) -> Run | None:
    """A region's latest rows of a frame in the window's start/end/last_n (the rest of the window ignored), or None
    when the frame has no prepared bytes or no such region."""
    i = frame.index.get(region)
    if frame.latest is None or frame.ends is None or i is None:
        return None
    first, stop = int(frame.starts[i]), int(frame.starts[i] + frame.counts[i])
    ends = frame.ends[first:stop]
    if w.start is not None:
        first += int(np.searchsorted(ends, _days(w.start), "left"))
    if w.end is not None:
        stop = int(frame.starts[i]) + int(np.searchsorted(ends, _days(w.end), "right"))
    stop = max(first, stop)
    count = _latest_before(frame.latest, stop) - _latest_before(frame.latest, first)
    if w.last_n is not None and w.last_n < count:  # from the n-th latest row from the end
        first = int(np.searchsorted(frame.latest, _latest_before(frame.latest, stop) - w.last_n + 1, "left"))
        count = w.last_n
    return Run(frame, first, stop, count)


def _default(q: SeriesQuery) -> bool:
    """The latest vintage, as stored, in period order, whole (a start/end/last_n window aside)."""
    w = q.window
    plain = w.mrnev is None and w.sort == "asc" and w.limit is None and w.offset == 0
    return plain and q.vintage == Vintage() and q.units.code == "lin" and q.base is None


def _days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _latest_before(latest: np.ndarray, row: int) -> int:
    """How many latest rows come before ``row`` (``latest`` counts them up to and including each row)."""
    return int(latest[row - 1]) if row > 0 else 0


SERIES_CATALOG: Memo[pa.Table] = Memo("series catalog")


def catalog(snap: Snapshot) -> pa.Table:
    """Every series of the snapshot (cached on the snapshot: computed once per snapshot and process)."""
    return snap.memo(SERIES_CATALOG, lambda: run(snap.cursor(), "series_catalog"))


@dataclass(frozen=True)
class ObservationsQuery:
    indicators: list[str]
    regions: list[str]
    vintage: Vintage = field(default_factory=Vintage)
    start: date | None = None
    end: date | None = None
    units: str = "lin"
    align_periods: bool = False
    limit: int | None = 1000
    cursor: str | None = None
    matches_nothing: bool = False  # a parent with no region below it (of the level asked): no rows, not every region


def encode_cursor(snapshot: str, offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([snapshot, offset])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        snapshot, offset = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(snapshot, str) or not isinstance(offset, int) or offset < 0:
            raise ValueError
        return snapshot, offset
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise bad_parameter(
            "cursor", "not a cursor this API issued: use the 'next' link of the previous page"
        ) from None


MAX_TRANSFORMED_SERIES = 500
EXPORT_BATCH = 128 * 1024


def export(snap: Snapshot, q: ObservationsQuery) -> pa.RecordBatchReader:
    """Every row of the filter as a stream of record batches (transformed or aligned ones are bounded)."""
    if q.matches_nothing:
        return pa.RecordBatchReader.from_batches(long_schema(q.vintage), [])
    if q.units == "lin" and not q.align_periods:
        params = {**_filter(q), "start": q.start, "end": q.end}
        return snap.cursor().execute(statement("observations_export"), params).to_arrow_reader(EXPORT_BATCH)
    table, _ = observations(snap, replace(q, limit=None), 0)
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(EXPORT_BATCH))


def _filter(q: ObservationsQuery) -> dict[str, Any]:
    """The bound parameters of the selected_observations macro (without the window)."""
    v = q.vintage
    return {
        "indicators": q.indicators,
        "regions": q.regions,
        "as_of": v.as_of,
        "initial": v.initial,
        "all_vintages": v.all,
        "updated_after": v.updated_after,
    }


MAX_FRAME_INDICATORS = 50


def from_frames(q: ObservationsQuery) -> bool:
    """Whether the selection is answered from the in-memory frames (a few named series) rather than by DuckDB (large
    scans: every indicator, every region, or many of them)."""
    return (
        0 < len(q.indicators) <= MAX_FRAME_INDICATORS
        and 0 < len(q.indicators) * len(q.regions) <= MAX_TRANSFORMED_SERIES
    )


def gather(snap: Snapshot, q: ObservationsQuery, start: date | None, end: date | None) -> pa.Table:
    """The rows of a few named series from the frames, in the order and with the vintage rule of the SQL
    statement ``observations`` (indicator, region, period_end, published; window before the vintage choice, which
    is per period, so the same; updated_after after it)."""
    v = q.vintage
    parts = []
    for code in sorted(q.indicators):
        frame = snap.frame(code)
        for region in sorted(q.regions):
            rows = with_realtime(vintage.pick(frame.rows(region), v.as_of, v.initial, v.all), v)
            if v.updated_after is not None:
                rows = rows.filter(
                    pc.greater(rows.column("recorded_at"), pa.scalar(v.updated_after, pa.timestamp("us", "UTC")))
                )
            rows = cut(rows, Window(start=start, end=end))
            if rows.num_rows:
                n = rows.num_rows
                rows = rows.add_column(0, "region", pa.array([region] * n, pa.string()))
                parts.append(rows.add_column(0, "indicator", pa.array([code] * n, pa.string())))
    schema = long_schema(v)
    return pa.concat_tables(parts).cast(schema) if parts else schema.empty_table()


LONG = pa.schema([pa.field(f.name, f.type) for f in OBSERVATIONS])  # a long table's columns, no descriptions
REALTIME = [pa.field("realtime_start", pa.date32()), pa.field("realtime_end", pa.date32())]


def long_schema(v: Vintage) -> pa.Schema:
    return pa.schema([*LONG, *REALTIME]) if v.all else LONG


def observations(snap: Snapshot, q: ObservationsQuery, offset: int) -> tuple[pa.Table, int]:
    """One page of many series as a long table, and the total row count."""
    if q.matches_nothing:
        return long_schema(q.vintage).empty_table(), 0
    if q.units == "lin" and not q.align_periods:
        if from_frames(q):
            full = gather(snap, q, q.start, q.end)
            return full.slice(offset, q.limit), full.num_rows
        return _sql_page(snap, q, offset)
    full = _transformed(snap, q)
    return full.slice(offset, q.limit), full.num_rows


def whole(snap: Snapshot, q: ObservationsQuery, most: int, what: str) -> tuple[pa.Table, int]:
    """Every row of the selection in one table (a workbook's answer), or a 400 beyond ``most`` rows (counted
    first, so a refused selection is never read whole)."""
    _, total = observations(snap, replace(q, limit=1), 0)
    if total > most:
        raise bad_parameter(
            "format",
            f"{total:,} rows are more than one {what} answer holds ({most:,}): ask for format=csv or format=parquet "
            "(they stream every row), or narrow the query",
        )
    return observations(snap, replace(q, limit=max(total, 1)), 0)


def _sql_page(snap: Snapshot, q: ObservationsQuery, offset: int) -> tuple[pa.Table, int]:
    """A page of every matching row, cut in DuckDB (no transforms: many series, any number of rows)."""
    v, params = q.vintage, _filter(q)
    if v.realtime_start or v.realtime_end:
        raise bad_parameter(
            "realtime_start",
            f"realtime_start/realtime_end select among the releases of up to {MAX_TRANSFORMED_SERIES} named "
            "series: narrow indicator and region",
        )
    name = "observations_realtime" if v.all else "observations"  # every release: with its interval
    page = run(snap.cursor(), name, start=q.start, end=q.end, limit=q.limit, offset=offset, **params)
    total = page.column("total")[0].as_py() if page.num_rows else _total(snap, params, q)
    return page.drop_columns(["total"]), total


def _transformed(snap: Snapshot, q: ObservationsQuery) -> pa.Table:
    """Every row of a few named series, transformed (``units``) and/or aligned on common periods, then cut."""
    if not q.indicators or not q.regions or len(q.indicators) * len(q.regions) > MAX_TRANSFORMED_SERIES:
        raise bad_parameter(
            "units",
            f"transforms and align_periods take at most {MAX_TRANSFORMED_SERIES} series at "
            "once: narrow indicator or region",
        )
    if q.vintage.all:
        raise bad_parameter("vintages", "vintages=all cannot be combined with units or align_periods")
    if from_frames(q):
        full = gather(snap, q, None, None)
    else:
        full = run(snap.cursor(), "observations", start=None, end=None, limit=None, offset=0, **_filter(q))
        full = full.drop_columns(["total"])
    if q.units != "lin":
        full = _transform_each(snap, full, q.units)
    full = cut(full, Window(start=q.start, end=q.end))
    return align(full) if q.align_periods else full


def align(rows: pa.Table) -> pa.Table:
    """Line several series up on the union of their periods: one row per (series, period label) in (indicator,
    region, period_end, period) order, nulls where a series lacks the period. A missing cell's period_start is the
    earliest any series has for that label (a year-to-date and a single-quarter series both have 2022-Q3, starting
    1 January and 1 July). ``rows`` has one row per (series, period), sorted by series."""
    if rows.num_rows == 0:
        return rows
    periods = (
        rows.group_by(["period", "period_end"])
        .aggregate([("period_start", "min")])
        .rename_columns(["period", "period_end", "period_start"])
        .sort_by([("period_end", "ascending"), ("period", "ascending")])
    )
    n_periods = periods.num_rows
    _, starts, counts = _series_runs(rows)
    position = np.asarray(pc.index_in(rows.column("period"), periods.column("period")))
    which = np.repeat(np.arange(len(starts)), counts)
    take = np.full(len(starts) * n_periods, -1, np.int64)
    take[which * n_periods + position] = np.arange(rows.num_rows)
    out = rows.take(pa.array(take, mask=take < 0))
    firsts = rows.take(pa.array(np.repeat(starts, n_periods)))
    tiled = periods.take(pa.array(np.tile(np.arange(n_periods), len(starts))))
    columns = {
        "indicator": firsts.column("indicator"),
        "region": firsts.column("region"),
        "period": tiled.column("period"),
        "period_end": tiled.column("period_end"),
        "period_start": pc.coalesce(out.column("period_start"), tiled.column("period_start")),
    }
    for name, column in columns.items():
        out = out.set_column(out.schema.get_field_index(name), name, column)
    return out


def _total(snap: Snapshot, params: dict[str, Any], q: ObservationsQuery) -> int:
    t = run(snap.cursor(), "observations", start=q.start, end=q.end, limit=1, offset=0, **params)
    return int(t.column("total")[0].as_py()) if t.num_rows else 0


def _series_runs(table: pa.Table) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Each (indicator, region) series' first row and row count in a long table sorted by series."""
    return frames.runs(pc.binary_join_element_wise(table.column("indicator"), table.column("region"), "\x00"))


def _transform_each(snap: Snapshot, table: pa.Table, units: str) -> pa.Table:
    parts = []
    for _, start, count in zip(*_series_runs(table), strict=True):
        part = table.slice(start, count)
        indicator = snap.indicators[part.column("indicator")[0].as_py()]
        t = transforms.lookup(units, indicator)
        periods = [parse_canonical(p) for p in part.column("period").to_pylist()]
        values, starts = transforms.apply(
            t, periods, part.column("value").to_pylist(), part.column("period_start").to_pylist()
        )
        part = part.set_column(part.schema.get_field_index("value"), "value", pa.array(values, pa.float64()))
        part = part.set_column(
            part.schema.get_field_index("period_start"), "period_start", pa.array(starts, pa.date32())
        )
        parts.append(part)
    return pa.concat_tables(parts) if parts else table
