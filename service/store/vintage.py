"""The vintage rule, written once: which release of a period was current on a date D ("the latest release as of
D"), and when each release was current (ALFRED's real-time intervals).

A release is known on D when it was published on or before D. The current release of a period on D is the latest
known one; ``initial`` asks for its first release instead (if already known on D). A release is current from its
published date to the day before the next release of its period (9999-12-31 while it is the latest).

The Arrow functions here read one series at a time, or a long table, in (series, period_end, published) order: the
order of the lake's files and of the frames, in which a series' releases of one period are adjacent. Large scans
run the same rule in DuckDB: the macro ``selected_observations`` in sql/macros.sql. tests/store/test_vintage_rule.py
checks on random histories that the two, and every reader built on them, pick the same rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FOREVER = np.datetime64("9999-12-31", "D")  # ALFRED's realtime_end of a figure that is still the latest
_LAST = int(FOREVER.astype(np.int64))
SERIES_KEY = ("indicator", "region", "period")
# (period_end, published) as one sortable number, period_end * _SPAN + published: a span wider than any two days
# (0001-01-01 is day -719162, 9999-12-31 day 2932896) keeps the order of the pairs.
_SPAN = 1 << 23


def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype="datetime64[D]")


def _day(as_of: date | None) -> int:
    return _LAST if as_of is None else int(np.datetime64(as_of, "D").astype(np.int64))


def current(
    period_end: np.ndarray, published: np.ndarray, ends: np.ndarray, as_of: date | None, initial: bool = False
) -> np.ndarray:
    """For each period end in ``ends``, the row number of its release current on ``as_of`` (any date: the latest),
    or with ``initial`` of its first release if known on ``as_of``; -1 where the period had none. ``period_end`` and
    ``published`` (datetime64[D], or integer days) are one series' rows in (period_end, published) order: binary
    searches, no filtering, so finding a few periods of many series costs a few comparisons each."""
    ends = np.asarray(ends, dtype="datetime64[D]").astype(np.int64)
    if len(period_end) == 0:
        return np.full(len(ends), -1, np.int64)
    period_end = _as_days(period_end)
    if as_of is None and not initial:  # the latest release: the last row at or before each period end
        at = np.searchsorted(period_end, ends, side="right") - 1
        at[period_end[at] != ends] = -1  # (at -1, nothing before: the last row is later, so it stays -1)
        return at
    published = _as_days(published)
    day = _day(as_of)
    if initial:  # the period's first release, if published by then
        at = np.searchsorted(period_end, ends, side="left")
        at[at == len(period_end)] = -1
        found = published[at] <= day
    else:  # the last row at or before (period end, as_of): the period's latest release published by then
        keys = period_end * _SPAN + published
        at = np.searchsorted(keys, ends * _SPAN + day, side="right") - 1
        found = at >= 0
    found &= period_end[at] == ends
    at[~found] = -1
    return at


def _as_days(days: np.ndarray) -> np.ndarray:
    """Days since 1970 as int64, from datetime64[D] or from integer days (a frame's mapped date32 columns)."""
    return days.astype(np.int64) if days.dtype.kind in "iu" else days.astype("datetime64[D]").view(np.int64)


def find(rows: pa.Table, ends: np.ndarray, as_of: date | None) -> np.ndarray:
    """``current`` on a table: for each period end in ``ends``, the row of ``rows`` (one series in (period_end,
    published) order) that was its current release on ``as_of``, or -1."""
    return current(_days(rows.column("period_end")), _days(rows.column("published")), ends, as_of)


def known(rows: pa.Table, as_of: date | None) -> pa.Table:
    """The releases known on ``as_of``: published on or before it (any date: all of them)."""
    if as_of is None:
        return rows
    return rows.filter(pc.less_equal(rows.column("published"), pa.scalar(as_of, pa.date32())))


def pick(rows: pa.Table, as_of: date | None, initial: bool = False, every: bool = False) -> pa.Table:
    """One series as known on ``as_of``: the current release of each period (``initial``: its first release), or
    with ``every`` all the releases known then. ``rows`` is one series in (period_end, published) order."""
    if every:
        return known(rows, as_of)
    if rows.num_rows == 0:
        return rows
    period_end = _days(rows.column("period_end"))
    first = np.empty(len(period_end), bool)  # the first row of each period
    first[0] = True
    np.not_equal(period_end[1:], period_end[:-1], out=first[1:])
    if first.all() and as_of is None:
        return rows  # one release per period, every one known: each is current
    at = current(period_end, _days(rows.column("published")), period_end[first], as_of, initial)
    keep = np.zeros(len(period_end), bool)
    keep[at[at >= 0]] = True
    return rows.filter(pa.array(keep))


def latest(period_end: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Which rows of a frame are their period's latest release (what ``pick`` keeps with no date): the last row of
    each run of one period end within a series. ``period_end`` (any integer or datetime unit) is every row of
    several series in (series, period_end, published) order; ``starts`` the first row of each series."""
    n = len(period_end)
    last = np.ones(n, bool)
    if n > 1:
        np.not_equal(period_end[1:], period_end[:-1], out=last[:-1])
    ends = np.asarray(starts, np.int64)[1:] - 1  # the row before each series' first row ends a run
    last[ends[ends >= 0]] = True
    return last


def realtime(rows: pa.Table, start: date | None = None, end: date | None = None) -> pa.Table:
    """Every release with when it was the latest known, as ALFRED gives it: ``realtime_start`` its published date,
    ``realtime_end`` the day before the next release of the same period (9999-12-31 while it is the latest).
    With ``start``/``end`` (dates), only releases that were the latest at some time between them, their interval
    clipped to it. ``rows``: every release of one series or a long table, in (series, period_end, published)
    order."""
    n = rows.num_rows
    published = _days(rows.column("published"))
    same = np.ones(max(n - 1, 0), dtype=bool)
    for name in SERIES_KEY:
        if name in rows.column_names:
            column = rows.column(name).to_numpy(zero_copy_only=False)
            same &= column[1:] == column[:-1]
    until = np.full(n, FOREVER)
    if n > 1:
        until[:-1] = np.where(same, published[1:] - np.timedelta64(1, "D"), FOREVER)
    since = published
    keep = until >= since  # a release replaced on its own day was never the latest
    if start is not None:
        keep &= until >= np.datetime64(start, "D")
        since = np.maximum(since, np.datetime64(start, "D"))
    if end is not None:
        keep &= published <= np.datetime64(end, "D")
        until = np.minimum(until, np.datetime64(end, "D"))
    out = rows.append_column("realtime_start", pa.array(since, pa.date32()))
    out = out.append_column("realtime_end", pa.array(until, pa.date32()))
    return out.filter(pa.array(keep))
