"""shape=wide on /v1/observations: the long table pivoted to one row per period (in period order) and one column
per region, when one indicator is asked, or per indicator, when one region is asked; null where a series has no
value for a period. Anything wider than that is a 400: a wide table has one value per cell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from service.errors import bad_parameter
from service.model.catalog import as_dict
from service.model.units import describe
from service.query import transforms
from service.query.series import ObservationsQuery, export
from service.store.snapshot import Snapshot

NARROW = (
    "shape=wide puts one indicator's regions, or one region's indicators, side by side: "
    "ask for one indicator or one region (or use shape=long)"
)


def across(q: ObservationsQuery) -> str:
    """What the columns are: the regions of the one indicator asked, or the indicators of the one region asked."""
    if len(q.indicators) == 1:
        return "region"
    if len(q.regions) == 1:
        return "indicator"
    raise bad_parameter("shape", NARROW)


def wide(snap: Snapshot, q: ObservationsQuery) -> tuple[dict[str, Any], pa.Table]:
    """The wide table of a selection and its document: what the columns are, with their names (and units)."""
    by = across(q)
    if q.vintage.all:
        raise bad_parameter("shape", "shape=wide holds one value per period: drop vintages=all (or realtime_start/end)")
    rows = export(snap, q).read_all()
    listed = q.regions if by == "region" else q.indicators
    codes = listed or sorted(pc.unique(rows.column(by)).to_pylist())
    table = pivot(rows, by, codes)
    return document(snap, q, by, codes, table.num_rows), table


def pivot(rows: pa.Table, by: str, codes: list[str]) -> pa.Table:
    """``period`` and one float column per code, periods ordered by their end then label (as the long table)."""
    periods = (
        rows.group_by("period")
        .aggregate([("period_end", "max")])
        .sort_by([("period_end_max", "ascending"), ("period", "ascending")])
        .column("period")
        .combine_chunks()
    )
    n = len(periods)
    row = np.asarray(pc.index_in(rows.column("period"), periods).fill_null(-1))
    column = np.asarray(pc.index_in(rows.column(by), pa.array(codes, pa.string())).fill_null(-1))
    keep = (row >= 0) & (column >= 0)
    take = np.full(len(codes) * n, -1, np.int64)
    take[column[keep] * n + row[keep]] = np.arange(rows.num_rows)[keep]
    values = rows.column("value").take(pa.array(take, mask=take < 0)).cast(pa.float64())
    return pa.table([periods, *(values.slice(j * n, n) for j in range(len(codes)))], names=["period", *codes])


def document(snap: Snapshot, q: ObservationsQuery, by: str, codes: list[str], count: int) -> dict[str, Any]:
    """The JSON document around the rows: the fixed indicator or region, each column's code and names, the units."""
    doc: dict[str, Any] = {"snapshot": snap.id, "shape": "wide", "columns_are": by}
    if by == "region":
        indicator = snap.indicators[q.indicators[0]]
        doc["indicator"] = as_dict(indicator)
        doc["unit"] = describe(transforms.lookup(q.units, indicator).unit or indicator.unit)
        doc["columns"] = [_names(snap.regions.get(code), code) for code in codes]
    else:
        doc["region"] = as_dict(snap.regions[q.regions[0]])
        doc["columns"] = [_indicator(snap, code, q.units) for code in codes]
    doc["count"] = count
    return doc


def _names(entry: Any, code: str) -> dict[str, Any]:
    return {"code": code, "name": getattr(entry, "name", None), "name_en": getattr(entry, "name_en", None)}


def _indicator(snap: Snapshot, code: str, units: str) -> dict[str, Any]:
    indicator = snap.indicators[code]
    return {**_names(indicator, code), "unit": describe(transforms.lookup(units, indicator).unit or indicator.unit)}
