"""Read an input file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; Parquet; JSON Lines) into an Arrow table.

Readers only decode: every column of a CSV arrives as text, Parquet keeps its types, and validation happens in
``validate``. Errors name the file, the row (the file's line for CSV and JSON Lines, 1-based row for Parquet) and
the column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from service.errors import InvalidData, Problem
from service.model.schema import INPUT_COLUMNS

PARQUET_MAGIC = b"PAR1"
MAX_PARQUET_EXPANSION = 200  # uncompressed bytes per file byte beyond which a Parquet file is treated as a bomb
MAX_PARQUET_UNCOMPRESSED = 4 << 30


@dataclass(frozen=True)
class RawTable:
    """A decoded input file: its table kind, its columns, and how its rows number (first data row's number)."""

    name: str
    kind: str
    table: pa.Table
    first_row: int
    encoding: str


def read(name: str, data: bytes, kind: str | None = None) -> RawTable:
    """Decode one file's bytes; the table kind is taken from ``kind`` or recognised from the columns."""
    if not data.strip():
        raise InvalidData(f"{name} is empty", [Problem("the file has no header and no rows", file=name)])
    if data[:4] == PARQUET_MAGIC:
        table, first, enc = _read_parquet(name, data), 1, "parquet"
    elif data.lstrip()[:1] in (b"{", b"["):
        table, first, enc = _read_jsonl(name, data), 1, "jsonl"
    else:
        table, first, enc = _read_csv(name, data)
    if table.num_rows == 0:
        raise InvalidData(f"{name} has a header but no rows", [Problem("no data rows", file=name)])
    return RawTable(name, detect_kind(name, table.column_names, kind), table, first, enc)


def _decode(name: str, data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidData(
        f"{name} is neither UTF-8 nor GBK/GB18030 text",
        [Problem("could not decode the file: save it as UTF-8", file=name)],
    )


def _read_csv(name: str, data: bytes) -> tuple[pa.Table, int, str]:
    text, encoding = _decode(name, data)
    bom_line = next((i for i, line in enumerate(text.splitlines(), 1) if "\ufeff" in line), None)
    if bom_line is not None:
        raise InvalidData(
            f"{name} has a byte-order mark inside the text",
            [Problem("stray byte-order mark (U+FEFF): files were concatenated?", file=name, row=bom_line)],
        )
    try:
        header = next(csv.reader(io.StringIO(text.splitlines()[0] if text else "")), [])
    except csv.Error as exc:
        raise InvalidData(f"{name} has an unreadable header", [Problem(str(exc), file=name, row=1)]) from exc
    columns = [c.strip() for c in header]
    _check_header(name, columns)
    table, bad = _parse_csv(name, text, columns, threads=True)
    if bad:  # parse again on one thread, which knows the line numbers of bad rows
        _, bad = _parse_csv(name, text, columns, threads=False)
        raise InvalidData(f"{name} has rows with the wrong number of fields", bad)
    return table, 2, encoding


def _parse_csv(name: str, text: str, columns: list[str], threads: bool) -> tuple[pa.Table, list[Problem]]:
    bad: list[Problem] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        detail = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        bad.append(Problem(detail, file=name, row=row.number))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, use_threads=threads),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=True, null_values=[""]
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InvalidData(f"{name} is not valid CSV", [Problem(str(exc).splitlines()[0], file=name)]) from exc
    return table, bad


def _check_header(name: str, columns: list[str]) -> None:
    seen: set[str] = set()
    for col in columns:
        if not col:
            raise InvalidData(f"{name} has an empty column name", [Problem("empty column name", file=name, row=1)])
        if col in seen:
            raise InvalidData(f"{name} repeats a column", [Problem("duplicate column", file=name, row=1, column=col)])
        seen.add(col)


def _read_parquet(name: str, data: bytes) -> pa.Table:
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.metadata
        uncompressed = sum(
            meta.row_group(i).column(j).total_uncompressed_size
            for i in range(meta.num_row_groups)
            for j in range(meta.num_columns)
        )
        if uncompressed > max(MAX_PARQUET_UNCOMPRESSED // 64, len(data) * MAX_PARQUET_EXPANSION) or (
            uncompressed > MAX_PARQUET_UNCOMPRESSED
        ):
            raise InvalidData(
                f"{name} expands to {uncompressed} bytes from {len(data)}",
                [Problem("the Parquet file decompresses beyond the allowed ratio", file=name)],
            )
        table = pf.read()
    except (pa.ArrowException, OSError) as exc:
        raise InvalidData(f"{name} is not a readable Parquet file", [Problem(str(exc), file=name)]) from exc
    _check_header(name, table.column_names)
    return table


def _read_jsonl(name: str, data: bytes) -> pa.Table:
    text, _ = _decode(name, data)
    rows: list[dict[str, object]] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            problems.append(Problem(f"not JSON: {exc}", file=name, row=lineno))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem("each line must be one JSON object", file=name, row=lineno))
            continue
        for key, value in obj.items():
            if isinstance(value, dict | list):
                problems.append(Problem("nested values are not allowed", file=name, row=lineno, column=key))
        rows.append(obj)
        if len(problems) > 1000:
            break
    if problems:
        raise InvalidData(f"{name} is not valid JSON Lines", problems)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    _check_header(name, columns)
    # Keep every value as text so that validation treats JSON Lines exactly like CSV.
    return pa.table({c: pa.array([_text(row.get(c)) for row in rows], pa.string()) for c in columns})


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


def detect_kind(name: str, columns: list[str], kind: str | None) -> str:
    cols = set(columns)
    if kind is None:
        if {"indicator", "region", "period"} <= cols:
            kind = "observations"
        elif {"code", "level"} <= cols:
            kind = "regions"
        elif {"code", "kind"} <= cols or {"code", "unit"} <= cols:
            kind = "indicators"
        elif {"id", "title"} <= cols:
            kind = "sources"
        else:
            raise InvalidData(
                f"{name}: cannot tell what the file holds from its columns {sorted(cols)}",
                [Problem("expected observation, region, indicator or source columns (see README)", file=name)],
            )
    if kind not in INPUT_COLUMNS:
        raise InvalidData(f"unknown table kind {kind!r}", [Problem("unknown kind", allowed=list(INPUT_COLUMNS))])
    unknown = [c for c in columns if c not in INPUT_COLUMNS[kind]]
    if unknown:
        raise InvalidData(
            f"{name} has columns that {kind} do not have",
            [Problem("unknown column", file=name, row=1, column=c, allowed=INPUT_COLUMNS[kind]) for c in unknown],
        )
    return kind
