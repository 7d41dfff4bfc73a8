"""CSV: UTF-8, RFC 4180 quoting, a header row.

Two forms (docs/api.md):
- plain CSV is exact: every text cell as stored, for programs (pandas, DuckDB, R);
- ``bom=true`` is the Excel-ready form: a BOM so Excel shows Chinese text, and every text cell that a spreadsheet
  would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) prefixed with an
  apostrophe (OWASP's CSV-injection advice). Numbers are number columns and never touched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from service.formats.stream import pump

BOM = "\ufeff".encode()
FORMULA = r"^[=+\-@\t\r]"


def encode(table: pa.Table, metadata: Mapping[str, str], bom: bool = False) -> bytes:
    buf = io.BytesIO()
    if bom:
        buf.write(BOM)
        table = defuse(table)
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return buf.getvalue()


def _writer(sink: Any, schema: pa.Schema) -> pacsv.CSVWriter:
    return pacsv.CSVWriter(sink, schema, write_options=pacsv.WriteOptions(quoting_style="needed"))


def stream(reader: pa.RecordBatchReader, metadata: Mapping[str, str], bom: bool = False) -> Iterator[bytes]:
    """Every row, batch by batch (an export); the Excel-ready form with ``bom``."""
    return pump(reader, metadata, _writer, prefix=BOM if bom else b"", transform=defuse if bom else None)


def defuse(data: pa.Table | pa.RecordBatch) -> pa.Table | pa.RecordBatch:
    """Text cells that a spreadsheet would evaluate, prefixed with an apostrophe; everything else unchanged."""
    columns = []
    for column in data.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.fill_null(pc.match_substring_regex(column, FORMULA), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    kind = pa.Table if isinstance(data, pa.Table) else pa.RecordBatch
    return kind.from_arrays(columns, schema=data.schema)
