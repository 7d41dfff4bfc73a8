"""Excel workbooks (.xlsx, .xlsm, .xls) read with calamine into a grid of text cells, as CSV arrives: every cell
becomes the text it shows (8.4, 430400, 2022-10-31), so that a sheet goes down the same path as a CSV file.

One sheet is read: the first visible worksheet, or the one named (or numbered from 1) by ``sheet``. Merged cells
are kept as ranges: the sheet's layout (sheets.py) decides where a merged value counts for every cell it covers.
Refusals say what is wrong with the file in words about the file (not calamine's), and a workbook that
decompresses far beyond its size is refused before it is parsed.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import orjson
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from service.errors import InvalidData, Problem

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE compound file)
SUFFIXES = (".xlsx", ".xlsm", ".xls")
NOT_WORKBOOKS = (".csv", ".txt", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
MAX_EXPANSION = 100  # uncompressed bytes per file byte beyond which a workbook is treated as a bomb
MIN_ALLOWED = 256 << 20  # ...unless it expands to less than this
MAX_CELLS = 20_000_000
PARSE_SECONDS = 120  # a workbook is parsed in a child process, stopped after this long...
PARSE_MEMORY = 4 << 30  # ...or when it asks for more address space than this
Merge = tuple[tuple[int, int], tuple[int, int]]  # (first row, first column), (last row, last column); 0-based


@dataclass(frozen=True)
class Grid:
    """One sheet: its name, the text of its cells (None where empty), row 0 being the spreadsheet's row 1, and its
    merged ranges."""

    sheet: str
    cells: list[list[str | None]]
    merged: list[Merge]


def is_workbook(name: str, head: bytes) -> bool:
    """Whether a file is read as a workbook: by its extension, else (an upload without a known type) by its first
    bytes. A file named .csv is always read as text (and refused there, saying it is a workbook)."""
    lower = name.lower()
    if lower.endswith(SUFFIXES):
        return True
    if lower.endswith(NOT_WORKBOOKS):
        return False
    return head.startswith((ZIP_MAGIC, OLE_MAGIC))


def read(name: str, data: bytes, sheet: str | None) -> Grid:
    """The grid of the chosen sheet of a workbook's bytes, parsed in a child process: a damaged file can make the
    parser abort or ask for more memory than there is, and that must end the child, never the server."""
    _check_expansion(name, data)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    command = [sys.executable, "-m", "service.ingest.workbook", name, sheet or ""]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PARSE_SECONDS, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        detail = f"the workbook took longer than {PARSE_SECONDS} s to read: send the sheet as CSV"
        raise InvalidData(f"{name} cannot be read in time", [Problem(detail, file=name)]) from exc
    if done.returncode != 0 or not done.stdout:
        raise _damaged(name, data)
    answer = orjson.loads(done.stdout)
    if "refused" in answer:
        refused = answer["refused"]
        raise InvalidData(refused["detail"], [Problem(**p) for p in refused["problems"]])
    return Grid(answer["sheet"], answer["cells"], [((a, b), (c, d)) for (a, b), (c, d) in answer["merged"]])


def _damaged(name: str, data: bytes) -> InvalidData:
    kind = ".xls" if data.startswith(OLE_MAGIC) else ".xlsx"
    detail = f"the file cannot be read as an Excel {kind} workbook: it is damaged or of another kind"
    return InvalidData(f"{name} is not a readable Excel workbook", [Problem(detail, file=name)])


def parse(name: str, data: bytes, sheet: str | None) -> dict[str, object]:
    """In the child: the chosen sheet as text cells and merged ranges (a refusal as InvalidData)."""
    try:
        book = CalamineWorkbook.from_object(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise _damaged(name, data) from exc
    chosen = _choose(name, book, sheet)
    try:
        found = book.get_sheet_by_name(chosen)
        rows = found.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise InvalidData(
            f"{name}: sheet {chosen!r} cannot be read",
            [Problem("the sheet is damaged: open the workbook and save it again", file=name, sheet=chosen)],
        ) from exc
    if sum(len(r) for r in rows) > MAX_CELLS:
        raise InvalidData(
            f"{name}: sheet {chosen!r} is too large",
            [Problem(f"more than {MAX_CELLS:,} cells: send it as CSV or Parquet", file=name, sheet=chosen)],
        )
    cells = [[text(v) for v in row] for row in rows]
    return {"sheet": chosen, "cells": cells, "merged": list(getattr(found, "merged_cell_ranges", None) or [])}


def main() -> None:
    """The child: the workbook's bytes on standard input, its name and the sheet as arguments; the grid (or the
    refusal) as JSON on standard output. Its memory is capped, so that a file that asks for more ends it."""
    resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY, PARSE_MEMORY))
    name, sheet = sys.argv[1], sys.argv[2] or None
    try:
        answer = parse(name, sys.stdin.buffer.read(), sheet)
    except InvalidData as exc:
        answer = {"refused": {"detail": exc.detail, "problems": [p.as_dict() for p in exc.problems]}}
    except Exception:  # the file is damaged (a panic of the parser, or an abort, ends the child all the same)
        sys.exit(3)
    sys.stdout.buffer.write(orjson.dumps(answer))


def _check_expansion(name: str, data: bytes) -> None:
    if not data.startswith(ZIP_MAGIC):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            size = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise InvalidData(
            f"{name} is not a readable Excel workbook",
            [Problem("the file starts like an .xlsx workbook (a ZIP archive) but is cut short or damaged", file=name)],
        ) from exc
    if size > max(MIN_ALLOWED, len(data) * MAX_EXPANSION):
        raise InvalidData(
            f"{name} expands to {size} bytes from {len(data)}",
            [Problem("the workbook decompresses beyond the allowed ratio", file=name)],
        )


def _choose(name: str, book: CalamineWorkbook, sheet: str | None) -> str:
    """The sheet named ``sheet`` (or numbered, from 1), else the first visible worksheet."""
    names = list(book.sheet_names)
    if sheet is None:
        visible = [
            m.name
            for m in book.sheets_metadata
            if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
        ]
        if visible or names:
            return (visible or names)[0]
    elif sheet in names:
        return sheet
    elif sheet.strip().isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    detail = f"no sheet named {sheet!r}: the workbook has {', '.join(names)}" if names else "the workbook has no sheet"
    raise InvalidData(f"{name}: {detail}", [Problem(detail, file=name, parameter="sheet", allowed=names or None)])


def text(value: object) -> str | None:
    """A cell as the text it shows: whole numbers without ``.0``, other numbers to 15 significant digits (what Excel
    shows), dates as ``YYYY-MM-DD``; None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


if __name__ == "__main__":
    main()
