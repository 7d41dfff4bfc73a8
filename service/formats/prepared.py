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

from service.formats import csv, json

FORMS = ("json", "csv")
CHUNK = 64 * 1024  # rows encoded at a time while preparing (bounds the Python objects alive at once)


def fragments(table: pa.Table) -> dict[str, pa.Array]:
    """Each row of ``table`` as a JSON object followed by a comma, and as a CSV line (with its newline)."""
    return {"json": _json_rows(table), "csv": _csv_rows(table)}


def _json_rows(table: pa.Table) -> pa.Array:
    parts: list[bytes] = []
    for start in range(0, table.num_rows, CHUNK):
        rows = json.rows(table.slice(start, CHUNK))
        parts.extend(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS) + b"," for row in rows)
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    data = pa.py_buffer(b"".join(parts))
    return pa.Array.from_buffers(pa.large_string(), len(parts), [None, pa.py_buffer(offsets), data])


def _csv_rows(table: pa.Table) -> pa.Array:
    """The CSV body of ``table`` cut into its lines: a line ends at a newline outside quotes (a quoted cell may hold
    newlines; an escaped quote is two quotes, so the count of quotes before a newline is even outside a cell)."""
    header = len(csv.encode(table.slice(0, 0), {}))
    body = csv.encode(table, {})[header:]
    data = np.frombuffer(body, np.uint8)
    quotes = np.cumsum(data == ord('"'))
    newlines = np.flatnonzero(data == ord("\n"))
    ends = newlines[quotes[newlines] % 2 == 0] + 1
    if len(ends) != table.num_rows:
        raise ValueError(f"CSV of {table.num_rows} rows cut into {len(ends)} lines")
    offsets = np.zeros(len(ends) + 1, np.int64)
    offsets[1:] = ends
    return pa.Array.from_buffers(pa.large_string(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(body)])


def json_document(document: dict[str, Any], rows_key: str, rows: memoryview, prefix: bytes = b"") -> bytes:
    """``json.encode`` of ``document`` with ``rows_key`` last, holding the prepared rows ``rows`` (each object
    followed by a comma); ``prefix``: members put at the start of every row object (e.g. its indicator and region)."""
    head = orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    head = head[:-1] + (b"," if document else b"") + orjson.dumps(rows_key) + b":["
    body: bytes | memoryview = rows[:-1] if len(rows) else b""
    if prefix:  # a key: its quotes are never inside a string, where a quote is written \"
        body = bytes(body).replace(b'{"period":', b"{" + prefix + b'"period":')
    return b"".join((head, body, b"]}"))


def csv_table(schema: pa.Schema, rows: memoryview) -> bytes:
    """``csv.encode`` of a table of ``schema`` whose rows are the prepared lines ``rows``."""
    header = _HEADERS.get(schema)
    if header is None:
        header = _HEADERS.setdefault(schema, csv.encode(schema.empty_table(), {}))
    return b"".join((header, rows))


_HEADERS: dict[pa.Schema, bytes] = {}  # a CSV header line by schema (a handful of schemas in all)
