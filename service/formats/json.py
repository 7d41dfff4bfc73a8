"""JSON: the payload's document with its rows as objects (dates ISO 8601, NaN as null, key order stable).

Dates and timestamps are turned into text by Arrow before rows become Python objects (creating datetime objects
row by row is most of the cost of a naive encoder); timestamps repeat (one per commit), so each distinct value is
formatted once.
"""

from __future__ import annotations

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from service.formats.payload import Payload


def _iso(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    distinct = pc.unique(column)
    text = pa.array([None if v is None else v.isoformat() for v in distinct.to_pylist()], pa.string())
    return text.take(pc.index_in(column, distinct))


def rows_columns(table: pa.Table) -> list[pa.ChunkedArray | pa.Array]:
    """The table's columns with dates and times as ISO 8601 text (what the rows hold)."""
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_timestamp(field.type):
            column = _iso(column)
        elif pa.types.is_date(field.type):
            column = column.cast(pa.string())
        columns.append(column)
    return columns


def rows(table: pa.Table) -> list[dict[str, object]]:
    return pa.table(rows_columns(table), names=table.column_names).to_pylist()  # type: ignore[no-any-return]


def encode(payload: Payload) -> bytes:
    document = dict(payload.document)
    if payload.rows_key is not None:
        made = payload.records  # rows made in Python: as they are (orjson writes dates as ISO 8601, NaN as null)
        document[payload.rows_key] = made if made is not None else rows(payload.table)
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
