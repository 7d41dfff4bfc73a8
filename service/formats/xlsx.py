"""Excel workbooks (.xlsx, written by xlsxwriter): the rows on a sheet "data" under one header row, and a sheet
"about" with what the JSON document says about them (snapshot, indicator, unit, licence, query, next page).

Cells keep their kind: text stays text (a period label such as 2022 or 2022-03 never becomes a number or a date,
and a text starting with = is never a formula), numbers are numbers, booleans booleans, dates (period_start,
period_end, published) real Excel dates shown as yyyy-mm-dd, timestamps (recorded_at) ISO 8601 text in UTC (Excel
has no time zones), nulls empty cells. Where the document states the unit of the values, the value columns' headers
carry it: "value (亿元)". A sheet holds at most 1,048,575 rows under its header and 16,384 columns: more is a 400
(CSV and Parquet have no such limit).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.format import Format as CellFormat
from xlsxwriter.worksheet import Worksheet

from service.errors import bad_parameter
from service.formats.payload import Payload

MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
MAX_COLUMNS = 16_384
CONSTANT_MEMORY = 10_000  # beyond this many rows, each row goes to a temporary file as written (bounded memory)
TOO_LARGE = (
    "an Excel sheet holds at most {limit:,} {what} and this answer has {n:,}: "
    "ask for format=csv or format=parquet, or narrow the query"
)

Writer = Callable[[Worksheet, int, int, Any], object]


def encode(payload: Payload) -> bytes:
    table = payload.table
    if table.num_rows > MAX_ROWS:
        raise bad_parameter("format", TOO_LARGE.format(limit=MAX_ROWS, what="rows", n=table.num_rows))
    if table.num_columns > MAX_COLUMNS:
        raise bad_parameter("format", TOO_LARGE.format(limit=MAX_COLUMNS, what="columns", n=table.num_columns))
    buf = io.BytesIO()
    big = table.num_rows > CONSTANT_MEMORY
    options = {"constant_memory": big, "in_memory": not big, "strings_to_numbers": False}
    with xlsxwriter.Workbook(buf, {**options, "strings_to_formulas": False, "strings_to_urls": False}) as book:
        book.set_properties({"title": payload.name, "comments": f"snapshot {payload.document.get('snapshot', '')}"})
        _data(book, table, units(payload))
        _about(book.add_worksheet("about"), payload, book.add_format({"bold": True}))
    return buf.getvalue()


def units(payload: Payload) -> dict[str, str]:
    """The unit symbol of each value column the document states one for: the document's ``unit`` is that of the
    ``value`` column, and of each column of a wide table (``columns``) that has no ``unit`` of its own."""
    doc = payload.document
    common = _symbol(doc.get("unit"))
    out = {"value": common} if common else {}
    for column in doc.get("columns") or []:
        symbol = _symbol(column.get("unit")) or common
        if symbol:
            out[str(column["code"])] = symbol
    return out


def _symbol(unit: object) -> str:
    return str(unit.get("symbol") or "") if isinstance(unit, dict) else ""


def _data(book: xlsxwriter.Workbook, table: pa.Table, unit_of: dict[str, str]) -> None:
    sheet = book.add_worksheet("data")
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    header = [f"{name} ({unit_of[name]})" if name in unit_of else name for name in table.column_names]
    sheet.write_row(0, 0, header, bold)
    sheet.freeze_panes(1, 0)
    sheet.ignore_errors({"number_stored_as_text": "A:XFD"})  # period labels are text on purpose
    writers = [_writer(field.type, day) for field in table.schema]
    for c, name in enumerate(header):
        sheet.set_column(c, c, min(max(len(name) + 2, 10), 40))
    for r, row in enumerate(_rows(table), start=1):
        for c, value in enumerate(row):
            if value is not None:
                writers[c](sheet, r, c, value)


def _rows(table: pa.Table) -> Iterator[tuple[Any, ...]]:
    """Row tuples, a batch at a time, timestamps as ISO 8601 text."""
    for batch in table.to_batches(max_chunksize=64 * 1024):
        columns = [_iso(c).to_pylist() if pa.types.is_timestamp(c.type) else c.to_pylist() for c in batch.columns]
        yield from zip(*columns, strict=True)


def _iso(column: pa.Array) -> pa.Array:
    """Timestamps as JSON writes them: 2022-10-31T08:00:00.123456+00:00 (in UTC when they have a zone)."""
    zone = column.type.tz is not None
    if zone:
        column = column.cast(pa.timestamp(column.type.unit, "UTC"))
    text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    return pc.binary_join_element_wise(text, "+00:00", "") if zone else text


def _number(sheet: Worksheet, r: int, c: int, value: Any) -> object:
    return sheet.write_number(r, c, float(value)) if value == value else None  # NaN: an empty cell


def _writer(kind: pa.DataType, day: CellFormat) -> Writer:
    if pa.types.is_boolean(kind):
        return lambda sheet, r, c, v: sheet.write_boolean(r, c, v)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return _number
    if pa.types.is_date(kind):
        return lambda sheet, r, c, v: sheet.write_datetime(r, c, v, day)
    return lambda sheet, r, c, v: sheet.write_string(r, c, str(v))


def _about(sheet: Worksheet, payload: Payload, bold: CellFormat) -> None:
    """The document's facts, one per row: ``key`` (``indicator.name`` for a nested one) and its value as text."""
    sheet.write_row(0, 0, ["key", "value"], bold)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 80)
    for r, (key, value) in enumerate(facts(payload.document, payload.rows_key), start=1):
        sheet.write_string(r, 0, key)
        sheet.write_string(r, 1, value)


def facts(document: dict[str, Any], rows_key: str | None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Scalars and lists of scalars of a document, nested objects flattened one level; lists of objects (the rows,
    a comparison's periods) left out."""
    for key, value in document.items():
        if key == rows_key or value is None:
            continue
        if isinstance(value, dict) and not prefix:
            yield from facts(value, None, f"{key}.")
        elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            yield f"{prefix}{key}", ", ".join(str(v) for v in value)
        elif not isinstance(value, dict | list):
            yield f"{prefix}{key}", str(value).lower() if isinstance(value, bool) else str(value)
