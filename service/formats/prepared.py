"""Answers assembled from bytes prepared once per snapshot: each latest row of a frame encoded as JSON and as CSV
when its Arrow copy is written (``fragments``, handed to the store), and an answer put together from a header, one
contiguous run of those bytes and a footer (``json_document``, ``csv_table``).

The fragments are made by the ordinary encoders (json.rows, csv.encode), so the assembled answers are the same
bytes as theirs; tests/formats/test_prepared.py compares the two on random series and windows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from service.formats import csv, json

FORMS = ("json", "csv")


def fragments(table: pa.Table) -> dict[str, pa.Array]:
    """Each row of ``table`` as a JSON object followed by a comma, and as a CSV line (with its newline): built a
    column at a time, each distinct text, date or time encoded once and numbers by one ``orjson.dumps`` of the
    column, so no Python object is made per row (the random tests hold them to ``json.encode`` and ``csv.encode``)."""
    return {"json": _json_rows(table), "csv": _csv_rows(table)}


def _json_rows(table: pa.Table) -> pa.Array:
    pieces: list[pa.Array | pa.Scalar] = []
    for i, column in enumerate(json.rows_columns(table)):
        key = orjson.dumps(table.column_names[i]).decode() + ":"
        pieces += [pa.scalar(("{" if i == 0 else ",") + key), _json_values(column)]
    pieces.append(pa.scalar("},"))
    return _joined(pieces, table.num_rows)


def _json_values(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Each value's JSON text: numbers from one dump of the whole column (cut at its commas: a number or null has
    none), anything else one dump per distinct value."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        text = orjson.dumps(
            column.to_numpy(zero_copy_only=False).tolist() if column.null_count == 0 else column.to_pylist()
        )
        commas = np.flatnonzero(np.frombuffer(text, np.uint8) == ord(","))
        offsets = np.r_[1, commas + 1, len(text)].astype(np.int64)
        lengths = np.diff(offsets) - 1  # each value without its comma (or the closing bracket)
        data = np.frombuffer(text, np.uint8)
        keep = np.ones(len(data), bool)
        keep[commas] = False
        keep[[0, len(data) - 1]] = False
        ends = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=ends[1:])
        return pa.Array.from_buffers(
            pa.large_string(), len(lengths), [None, pa.py_buffer(ends), pa.py_buffer(data[keep].tobytes())]
        )
    distinct = pc.unique(column)
    texts = pa.array([orjson.dumps(v).decode() for v in distinct.to_pylist()], pa.large_string())
    return texts.take(pc.index_in(column, distinct))


def _csv_rows(table: pa.Table) -> pa.Array:
    pieces: list[pa.Array | pa.Scalar] = []
    for i, column in enumerate(table.columns):
        if i:
            pieces.append(pa.scalar(","))
        pieces.append(_csv_values(column.combine_chunks()))
    pieces.append(pa.scalar("\n"))
    return _joined(pieces, table.num_rows)


def _csv_values(column: pa.Array) -> pa.Array:
    """Each value's CSV cell as ``csv.encode`` writes it (quoting_style needed): text always quoted, its quotes
    doubled; anything else Arrow's text of it (a time zone's times: each distinct one once); null empty."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        quoted = pc.replace_substring(column.cast(pa.large_string()), '"', '""')
        quote = pa.scalar('"', pa.large_string())
        text = pc.binary_join_element_wise(quote, quoted, quote, _EMPTY)
    elif pa.types.is_timestamp(column.type):
        distinct = pc.unique(column)
        text = distinct.cast(pa.large_string()).take(pc.index_in(column, distinct))
    else:
        text = column.cast(pa.large_string())
    return pc.fill_null(text, _EMPTY)


def _joined(pieces: list[pa.Array | pa.Scalar], n: int) -> pa.Array:
    if n == 0:
        return pa.array([], pa.large_string())
    typed = [p.cast(pa.large_string()) for p in pieces]
    return pc.binary_join_element_wise(*typed, _EMPTY)


_EMPTY = pa.scalar("", pa.large_string())


def json_member(name: str, value: Any) -> bytes:
    """``"name":value`` as ``json.encode`` writes it inside an object (to join a document from kept pieces)."""
    return orjson.dumps({name: value}, option=orjson.OPT_NON_STR_KEYS)[1:-1]


def json_rows(head: bytes, rows: memoryview) -> bytes:
    """A document whose ``head`` ends with its rows' opening bracket, holding the prepared rows ``rows``."""
    return b"".join((head, rows[:-1] if len(rows) else b"", b"]}"))


def keyed_rows(rows: pa.Array, prefix: str) -> memoryview:
    """The prepared JSON rows ``rows`` (one object a row) with ``prefix``'s members put at the start of each
    object (e.g. its indicator and region), one after the other."""
    if len(rows) == 0:
        return memoryview(b"")
    keyed = pc.binary_replace_slice(rows, 0, 1, "{" + prefix)  # each row's opening brace, then the prefix
    offsets = np.frombuffer(keyed.buffers()[1], np.int64)[keyed.offset : keyed.offset + len(keyed) + 1]
    return memoryview(keyed.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def json_document(document: dict[str, Any], rows_key: str, rows: memoryview) -> bytes:
    """``json.encode`` of ``document`` with ``rows_key`` last, holding the prepared rows ``rows`` (each object
    followed by a comma)."""
    head = orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    return json_rows(head[:-1] + (b"," if document else b"") + orjson.dumps(rows_key) + b":[", rows)


def csv_table(schema: pa.Schema, rows: memoryview) -> bytes:
    """``csv.encode`` of a table of ``schema`` whose rows are the prepared lines ``rows``."""
    header = _HEADERS.get(schema)
    if header is None:
        header = _HEADERS.setdefault(schema, csv.encode(schema.empty_table(), {}))
    return b"".join((header, rows))


_HEADERS: dict[pa.Schema, bytes] = {}  # a CSV header line by schema (a handful of schemas in all)
