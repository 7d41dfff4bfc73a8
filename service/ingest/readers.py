"""Read an input file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; Parquet; JSON Lines) into an Arrow table.

Readers only decode: every column of a CSV arrives as text, Parquet keeps its types, and validation happens in
``validate`` (Parquet types through ``coerce``). ``read`` decodes bytes in memory; ``measure`` tells how large a file
is once decoded (from a Parquet footer, or CSV line breaks) and ``stream`` reads a large one batch by batch. Errors
name the file, the row (the file's record for CSV, its line for JSON Lines, 1-based row for Parquet) and the column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from service.errors import InvalidData, Problem
from service.ingest import csvfile, sheets, workbook
from service.ingest.origin import Origin
from service.model.schema import ANNOTATIONS, INPUT_COLUMNS

PARQUET_MAGIC = b"PAR1"
MAX_PARQUET_EXPANSION = 200  # uncompressed bytes per file byte beyond which a Parquet file is treated as a bomb
MAX_PARQUET_UNCOMPRESSED = 4 << 30


@dataclass(frozen=True)
class RawTable:
    """A decoded input file: its table kind, its columns, and how its rows number (first data row's number); for a
    workbook's sheet, where each row came from (``origin``) and, for a wide sheet, the sheet itself (``wide``, melted
    into long rows once the catalog is known); values given for the whole file (``given``: period=, region=...);
    and problems found while reading that do not stop validation (``problems``: they are reported with its rows')."""

    name: str
    kind: str
    table: pa.Table
    first_row: int
    encoding: str
    origin: Origin | None = None
    wide: Any = None
    given: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    hints: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (column, value) → did you mean...

    def problem(self, detail: str, i: int | None, column: str) -> Problem:
        """A problem at table row ``i`` (None: the header) of ``column``, located as the file numbers it; a column
        given for the whole file (period=...) is named as that parameter."""
        if column in self.given:
            return Problem(detail, file=self.name, parameter=column)
        if self.origin is None:
            return Problem(detail, file=self.name, row=1 if i is None else i + self.first_row, column=column)
        row, where = self.origin.locate(i, column)
        return Problem(detail, file=self.name, sheet=self.origin.sheet, row=row, column=where)


def read(name: str, data: bytes, kind: str | None = None, given: Mapping[str, str] | None = None) -> RawTable:
    """Decode one file's bytes; the table kind is taken from ``kind`` or recognised from the columns. ``given``:
    the sheet to read (``sheet``) and values of the whole file (period, region, indicator, published)."""
    given = {k: v for k, v in (given or {}).items() if v}
    if not data.strip():
        raise InvalidData(f"{name} is empty", [Problem("the file has no header and no rows", file=name)])
    if workbook.is_workbook(name, data):
        found = sheets.decode(name, workbook.read(name, data, given.pop("sheet", None)))
        enc = "xls" if data.startswith(workbook.OLE_MAGIC) else "xlsx"
        raw = RawTable(name, "", found.table, 1, enc, found.origin, found.wide, problems=found.problems)
        return _with_kind(raw, kind, given)
    if data[:4] == PARQUET_MAGIC:
        table, first, enc = _read_parquet(name, data), 1, "parquet"
    elif data.lstrip()[:1] in (b"{", b"["):
        table, first, enc = _read_jsonl(name, data), 1, "jsonl"
    else:
        table, first, enc = _read_csv(name, data)
    if table.num_rows == 0:
        raise InvalidData(f"{name} has a header but no rows", [Problem("no data rows", file=name)])
    given.pop("sheet", None)  # a text or Parquet file has no sheets: the option is for workbooks
    return _with_kind(RawTable(name, "", table, first, enc), kind, given)


def _with_kind(raw: RawTable, kind: str | None, given: dict[str, str]) -> RawTable:
    """The table with its kind; columns its kind does not have are dropped and reported with its rows' problems."""
    if raw.wide is not None:
        kind = kind or "observations"
        if kind != "observations":
            columns = ", ".join(INPUT_COLUMNS[kind])
            detail = f"{kind} are read from a sheet of one row each under their column names ({columns})"
            raise InvalidData(f"{raw.name}: the sheet is not a table of {kind}", [raw.problem(detail, None, "")])
        return replace(raw, kind=kind, given=given)
    columns = raw.table.column_names
    found = detect_kind(raw.name, columns, kind, strict=False)
    unknown = [c for c in columns if c not in INPUT_COLUMNS[found] and c not in ANNOTATIONS.get(found, ())]
    problems = tuple(raw.problem(_unknown_column(c, found), None, c) for c in unknown)
    table = _bare(raw.table.drop_columns(unknown) if unknown else raw.table, found)
    return replace(raw, kind=found, table=table, given=given, problems=raw.problems + problems)


def _unknown_column(column: str, kind: str) -> str:
    near = difflib.get_close_matches(column.lower(), INPUT_COLUMNS[kind], n=1, cutoff=0.6)
    hint = f" (did you mean {near[0]}?)" if near else ""
    return f"unknown column: a column that {kind} do not have ({kind} have {', '.join(INPUT_COLUMNS[kind])}){hint}"


def _bare(table: pa.Table, kind: str) -> pa.Table:
    """The table without the annotations of POST /v1/extract (schema.ANNOTATIONS): read, not stored."""
    extra = [c for c in ANNOTATIONS.get(kind, ()) if c in table.column_names]
    return table.drop_columns(extra) if extra else table


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
    def open_file() -> pa.NativeFile:
        return pa.BufferReader(data)

    found = csvfile.scan(name, open_file)
    _check_header(name, found.columns)
    parts = list(csvfile.tables(name, open_file, found, rows=1 << 62))
    return parts[0][0] if len(parts) == 1 else pa.concat_tables(t for t, _ in parts), 2, found.encoding


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
        check_expansion(name, pf.metadata, len(data), capped=True)
        table = pf.read()
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(name) from exc
    _check_header(name, table.column_names)
    return table


def _damaged(name: str, row: int | None = None) -> InvalidData:
    """A Parquet file Arrow cannot read, said without Arrow's words (they name its internals, not the file)."""
    where = f"its rows from row {row} on" if row and row > 1 else "it"
    detail = f"the file starts like Parquet but {where} cannot be read: it is cut short or damaged (write it again?)"
    return InvalidData(f"{name} is not a readable Parquet file", [Problem(detail, file=name, row=row)])


def uncompressed_size(meta: pq.FileMetaData) -> int:
    """Bytes of the file's columns once decompressed, from its footer."""
    return sum(
        meta.row_group(i).column(j).total_uncompressed_size
        for i in range(meta.num_row_groups)
        for j in range(meta.num_columns)
    )


def check_expansion(name: str, meta: pq.FileMetaData, size: int, capped: bool) -> None:
    """Refuse a Parquet file that decompresses far beyond its size (a bomb); ``capped``: also beyond what is read
    into memory at once."""
    uncompressed = uncompressed_size(meta)
    if uncompressed > max(MAX_PARQUET_UNCOMPRESSED // 64, size * MAX_PARQUET_EXPANSION) or (
        capped and uncompressed > MAX_PARQUET_UNCOMPRESSED
    ):
        raise InvalidData(
            f"{name} expands to {uncompressed} bytes from {size}",
            [Problem("the Parquet file decompresses beyond the allowed ratio", file=name)],
        )


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
            if isinstance(value, dict | list) and key != "span":  # an extract answer's [start, end]: dropped
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


def guess_kind(columns: list[str]) -> str | None:
    """The table kind the columns are of, or None."""
    cols = set(columns)
    if {"indicator", "region", "period"} <= cols:
        return "observations"
    if {"code", "level"} <= cols:
        return "regions"
    if {"code", "kind"} <= cols or {"code", "unit"} <= cols:
        return "indicators"
    if {"id", "title"} <= cols:
        return "sources"
    return None


def detect_kind(name: str, columns: list[str], kind: str | None, strict: bool = True) -> str:
    """The table kind (given, or recognised from the columns); ``strict``: columns the kind does not have are
    refused here (otherwise the caller reports them)."""
    cols = set(columns)
    if kind is None:
        kind = guess_kind(columns)
        if kind is None:
            raise InvalidData(
                f"{name}: cannot tell what the file holds from its columns {sorted(cols)}",
                [Problem("expected observation, region, indicator or source columns (see README)", file=name)],
            )
    if kind not in INPUT_COLUMNS:
        raise InvalidData(f"unknown table kind {kind!r}", [Problem("unknown kind", allowed=list(INPUT_COLUMNS))])
    unknown = [c for c in columns if c not in INPUT_COLUMNS[kind] and c not in ANNOTATIONS.get(kind, ())]
    if unknown and strict:
        raise InvalidData(
            f"{name} has columns that {kind} do not have",
            [Problem("unknown column", file=name, row=1, column=c, allowed=INPUT_COLUMNS[kind]) for c in unknown],
        )
    return kind


@dataclass(frozen=True)
class Size:
    """How large a file is once decoded, known without decoding it."""

    rows: int  # Parquet: from its footer; CSV: its line breaks (a bound on its rows)
    uncompressed: int  # Parquet: its columns decompressed, from its footer; CSV: its size
    kind: str | None  # the table kind its columns suggest


def measure(source: Path | bytes) -> Size | None:
    """The size of a Parquet or CSV file from its metadata or a count of its line breaks, or None for JSON Lines
    and for files that cannot be measured (those are read whole and refused there if need be)."""
    with _open(source) as f:
        head = f.read(64)
        if workbook.is_workbook(source.name if isinstance(source, Path) else "", head):
            return None  # read whole: a sheet is decoded in memory
        if head[:4] == PARQUET_MAGIC:
            try:
                f.seek(0)
                meta = pq.ParquetFile(f).metadata
            except (pa.ArrowException, OSError):
                return None
            return Size(meta.num_rows, uncompressed_size(meta), guess_kind(meta.schema.to_arrow_schema().names))
        if head.lstrip()[:1] in (b"{", b"["):
            return None
        f.seek(0)
        lines = size = 0
        columns: list[str] = []
        while chunk := f.read(csvfile.CHUNK):
            if not size:
                columns = csvfile.guess_columns(chunk)
            lines += max(chunk.count(b"\n"), chunk.count(b"\r"))
            size += len(chunk)
    return Size(lines, size, guess_kind(columns))


def _open(source: Path | bytes) -> pa.NativeFile:
    return pa.BufferReader(source) if isinstance(source, bytes) else pa.OSFile(str(source))


@dataclass(frozen=True)
class Stream:
    """A file read a batch at a time: its kind, its encoding, a bound on its rows, and its tables (RawTable, each
    numbered from the file's own first row)."""

    name: str
    kind: str
    encoding: str
    rows: int
    tables: Iterator[RawTable]


def stream(path: Path, kind: str | None, batch_rows: int) -> Stream:
    """Open a Parquet or CSV file on disk for reading in batches of about ``batch_rows`` rows."""
    name = path.name
    with _open(path) as f:
        magic = f.read(4)
    if magic == PARQUET_MAGIC:
        try:
            pf = pq.ParquetFile(str(path))
            check_expansion(name, pf.metadata, path.stat().st_size, capped=False)
        except (pa.ArrowException, OSError) as exc:
            raise _damaged(name) from exc
        _check_header(name, pf.schema_arrow.names)
        found = detect_kind(name, pf.schema_arrow.names, kind)
        return Stream(name, found, "parquet", pf.metadata.num_rows, _parquet_tables(name, found, pf, batch_rows))

    def open_file() -> pa.NativeFile:
        return pa.OSFile(str(path))

    scanned = csvfile.scan(name, open_file)
    _check_header(name, scanned.columns)
    found = detect_kind(name, scanned.columns, kind)
    return Stream(
        name, found, scanned.encoding, scanned.lines, _csv_tables(name, found, open_file, scanned, batch_rows)
    )


def _parquet_tables(name: str, kind: str, pf: pq.ParquetFile, batch_rows: int) -> Iterator[RawTable]:
    first = 1
    try:
        for batch in pf.iter_batches(batch_size=batch_rows):
            yield RawTable(name, kind, _bare(pa.Table.from_batches([batch]), kind), first, "parquet")
            first += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(name, first) from exc


def _csv_tables(
    name: str, kind: str, open_file: csvfile.Opener, scanned: csvfile.Scan, batch_rows: int
) -> Iterator[RawTable]:
    for table, first in csvfile.tables(name, open_file, scanned, batch_rows):
        yield RawTable(name, kind, _bare(table, kind), first, scanned.encoding)
