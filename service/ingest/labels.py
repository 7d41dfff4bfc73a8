"""Period labels of an observation file: each read for its indicator (once per distinct indicator and label), and
two rows that give one period of one series explained as such.

A label names a period of an indicator's own frequency, so two different labels may name one period: for a
monthly indicator cumulated from January, ``2023-03`` and ``2023年1-3月`` are both 2023-03 (the month the
cumulation runs through), and ``2023-03`` and ``2023年3月份`` are one month. A file that gives a period of a series
twice (in one vintage) is told which rows, with which labels, and why they are one period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from service.model import period as periods

_FREQUENCY = {"A": "annual", "Q": "quarterly", "M": "monthly"}
_STEP = {"A": "year", "Q": "quarter", "M": "month"}


@dataclass
class IndicatorInfo:
    """What validation needs to know of an indicator."""

    frequency: periods.Frequency
    accumulation: periods.Accumulation


def parse(
    indicator: pa.Array, label: pa.Array, indicators: Mapping[str, IndicatorInfo]
) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray, Callable[[int], str]]:
    """Canonical label, start and end date of every row, the rows whose label does not name a period of their
    indicator, and why (rows of an unknown indicator are not judged here)."""
    key = pc.binary_join_element_wise(pc.fill_null(indicator, ""), pc.fill_null(label, ""), "\x1f")
    enc = pc.dictionary_encode(key)
    canon: list[str | None] = []
    starts: list[date | None] = []
    ends: list[date | None] = []
    errors: dict[int, str] = {}
    for j, k in enumerate(enc.dictionary.to_pylist()):
        ind, text = k.split("\x1f", 1)
        info = indicators.get(ind)
        try:
            if info is None:
                raise periods.PeriodError("")
            p = periods.parse(text, info.frequency, info.accumulation)
            canon.append(p.label)
            starts.append(p.start_date(info.accumulation))
            ends.append(p.end_date())
        except periods.PeriodError as exc:
            canon.append(None)
            starts.append(None)
            ends.append(None)
            if info is not None:
                errors[j] = str(exc)
    idx = enc.indices
    bad = np.isin(np.asarray(idx), np.fromiter(errors, dtype=np.int64, count=len(errors)))
    return (
        pa.array(canon, pa.string()).take(idx),
        pa.array(starts, pa.date32()).take(idx),
        pa.array(ends, pa.date32()).take(idx),
        bad,
        lambda i: errors[int(idx[i].as_py())],
    )


def repeated(table: pa.Table, indicators: Mapping[str, IndicatorInfo], where: Callable[[int], str]) -> dict[int, str]:
    """For each row that repeats an earlier row's series, period and vintage (``table``: indicator, region,
    canonical period, published, the label as written), why; ``where`` names a row as the file numbers it."""
    counts = table.group_by(table.column_names[:4], use_threads=True).aggregate([([], "count_all")])
    if counts.num_rows == table.num_rows:
        return {}  # the common case, answered by one hash aggregation
    parts = [pc.cast(c.combine_chunks(), pa.string()) for c in table.columns[:4]]
    enc = pc.dictionary_encode(pc.binary_join_element_wise(*parts, "\x1f"))
    idx = np.asarray(enc.indices.fill_null(-1))
    groups: dict[int, list[int]] = {}
    for n in np.flatnonzero(idx >= 0).tolist():
        groups.setdefault(int(idx[n]), []).append(n)
    out: dict[int, str] = {}
    ind, reg, canon, _, label = (c.to_pylist() for c in table.columns)
    for rows in (g for g in groups.values() if len(g) > 1):
        for i in rows:  # each row names the first other row of its period
            j = rows[1] if i == rows[0] else rows[0]
            out[i] = _why(ind[i], reg[i], canon[i], label[j], label[i], where(j), indicators.get(ind[i]))
    return out


def _why(indicator: str, region: str, canon: str, other: str, label: str, at: str, info: IndicatorInfo | None) -> str:
    """Why the row labelled ``label`` repeats the period of the row at ``at``, labelled ``other``."""
    said = f"duplicate key: {canon} of {indicator} for {region} is given twice, here and in {at}"
    fix = "keep one row (a later figure for the same period is a revision: give it a later published date)"
    if other == label or info is None:
        return f"{said} ({label!r} both times): {fix}"
    kind = _FREQUENCY[info.frequency]
    if info.accumulation == "ytd":
        step = _STEP[info.frequency]
        why = f"the indicator is {kind} and cumulative from January, so a label names the {step} it runs through"
    else:
        why = f"the indicator is {kind}, and both name that {_STEP[info.frequency]}"
    return f"{said}: {other!r} and {label!r} are two labels for one period ({why}); {fix}"
