"""JSON-stat 2.0: a payload's rows as one dataset cube of indicator x region x period (roles metric, geo, time),
values in row-major order, per-cell status, units on the indicator categories, and the snapshot and sources in
``extension``. A row without its own indicator, region or period column takes it from the document (a series
names its indicator and region once)."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from service.errors import bad_parameter
from service.formats.payload import Payload
from service.model.units import unit

DIMENSIONS = ("indicator", "region", "period")
MAX_CELLS = 2_000_000  # a sparse selection (many regions, few values each) is better asked for as CSV or Parquet


def encode(payload: Payload) -> bytes:
    table, doc = payload.table, payload.document
    if "value" not in table.column_names or (table.num_rows and "status" not in table.column_names):
        raise bad_parameter("format", "format=jsonstat answers series, observations, compare and rankings")
    coords = {d: _column(table, doc, d) for d in DIMENSIONS}
    ids = {d: list(dict.fromkeys(_order(table, d, coords[d]))) for d in DIMENSIONS}
    size = [len(ids[d]) for d in DIMENSIONS]
    values, status = _cells(table, coords, ids, size)
    labels = payload.labels()
    body: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": payload.name,
        "source": "; ".join(sorted({s for s in _optional(table, "source") if s})) or "Yardstick",
        "id": list(DIMENSIONS),
        "size": size,
        "role": {"time": ["period"], "geo": ["region"], "metric": ["indicator"]},
        "dimension": {
            "indicator": _dimension("Indicator", ids["indicator"], labels.get("indicator", {}), units=True),
            "region": _dimension("Region", ids["region"], labels.get("region", {})),
            "period": _dimension("Period", ids["period"], {}),
        },
        "value": values,
        "extension": {"snapshot": doc.get("snapshot"), **({"next": doc["next"]} if doc.get("next") else {})},
    }
    body["extension"].update(_ranks(table, coords["region"]))
    if status:
        body["status"] = status
    return orjson.dumps(body)


def _ranks(table: pa.Table, regions: list[str]) -> dict[str, dict[str, Any]]:
    """Rankings: each region's computed and reported rank beside its value."""
    out = {}
    for name in ("rank", "reported_rank"):
        if name in table.column_names:
            ranks = zip(regions, table.column(name).to_pylist(), strict=True)
            out[name] = {r: n for r, n in ranks if n is not None}
    return out


def _cells(
    table: pa.Table, coords: dict[str, list[str]], ids: dict[str, list[str]], size: list[int]
) -> tuple[list[float | None], dict[str, str]]:
    """Values in row-major order (indicator, region, period) and the status of each cell that has one."""
    cells = size[0] * size[1] * size[2]
    if cells > MAX_CELLS:
        raise bad_parameter("format", f"{cells:,} cells are too many for one JSON-stat cube: ask for CSV or Parquet")
    position = {d: {c: k for k, c in enumerate(ids[d])} for d in DIMENSIONS}
    values: list[float | None] = [None] * cells
    status: dict[str, str] = {}
    for k, (v, s) in enumerate(zip(table.column("value").to_pylist(), _optional(table, "status"), strict=True)):
        i, r, p = (position[d][coords[d][k]] for d in DIMENSIONS)
        cell = (i * size[1] + r) * size[2] + p
        if values[cell] is not None or str(cell) in status:
            raise bad_parameter("format", "JSON-stat holds one value per cell: drop vintages=all (or ask for CSV)")
        values[cell] = v
        if s:
            status[str(cell)] = s
    return values, status


def _column(table: pa.Table, doc: dict[str, Any], name: str) -> list[str]:
    if name in table.column_names:
        return [str(v) for v in table.column(name).to_pylist()]
    given = doc.get(name)
    code = given.get("code") if isinstance(given, dict) else given
    if code is None:
        raise bad_parameter("format", f"format=jsonstat needs a {name} for every row")
    return [str(code)] * table.num_rows


def _order(table: pa.Table, name: str, coords: list[str]) -> list[str]:
    """Categories in a stable order: periods by their end date, the others as they first appear."""
    if name == "period" and "period_end" in table.column_names:
        ends = table.column("period_end").to_pylist()
        return [p for _, p in sorted(zip(ends, coords, strict=True), key=lambda t: (t[0] is None, t[0], t[1]))]
    return coords


def _optional(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def _dimension(label: str, ids: list[str], known: dict[str, dict[str, Any]], units: bool = False) -> dict[str, Any]:
    category: dict[str, Any] = {
        "index": ids,
        "label": {c: (known.get(c) or {}).get("name") or c for c in ids},
    }
    if units:
        category["unit"] = {}
        for c in ids:
            u = unit((known.get(c) or {}).get("unit") or "")
            category["unit"][c] = {
                "label": u.label,
                "symbol": u.symbol,
                "decimals": u.decimals,
                "multiplier": u.multiplier,
            }
    english = {c: (known.get(c) or {}).get("name_en") for c in ids}
    extension = {"label_en": {c: e for c, e in english.items() if e}}
    return {"label": label, "category": category, "extension": extension}
