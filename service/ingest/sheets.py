"""A sheet's layout: where its header is, which rows hold data, and whether it is long (one row per figure, under
column names) or wide (figures in a grid: regions or indicators down, indicators or periods across).

The header is the first row nearly as wide as the sheet's widest: title rows above it (a merged title, 单位：%) are
kept as the sheet's titles (a period or a region may be read from them); a header of two rows (工业增加值 merged over
绝对额 and 增速) joins its two words. Vertically merged cells count for every row they cover (a region named once
for three indicators). Notes below the data (注：…, 资料来源：…) end it. Column names may be Chinese (指标, 地区, 时期,
数值, 发布日期…). A long sheet becomes a text table like a CSV file's; a wide one is kept as it is, to be melted into
long rows once the catalog is known (melt.py).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from service.errors import InvalidData, Problem
from service.ingest.nulls import is_null
from service.ingest.origin import Origin, Place, letter
from service.ingest.workbook import Grid
from service.model.schema import INPUT_COLUMNS

# Column names as Chinese tables write them: each to the input column it is.
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("指标", "指标代码", "指标名称", "项目"),
    "region": ("地区", "地区代码", "区域", "地区名称", "行政区划", "行政区划代码", "市州", "县市区", "城市", "省份"),
    "period": ("时期", "时间", "期间", "统计时期", "报告期", "年份", "月份"),
    "value": ("数值", "值", "数据", "指标值"),
    "status": ("状态", "数据状态"),
    "published": ("发布日期", "公布日期", "发布时间"),
    "source": ("来源", "数据来源", "来源代码"),
    "quote": ("原文", "引文"),
    "note": ("备注", "说明", "注释"),
    "code": ("代码", "编码"),
    "name": ("名称",),
    "name_en": ("英文名称",),
    "level": ("级别", "层级"),
    "parent": ("上级", "上级代码"),
    "unit": ("单位", "计量单位"),
}
_ALIAS = {alias: column for column, aliases in ALIASES.items() for alias in aliases}
_COLUMNS = {c for columns in INPUT_COLUMNS.values() for c in columns}
IGNORED = ("序号", "编号", "单位", "计量单位", "备注", "说明")  # beside a wide sheet's figures: not figures
_NOTE = re.compile(r"^(?:注|说明|备注|附注|注释|资料来源|数据来源|来源|[*※]|note|source)", re.IGNORECASE)
_UNIT_ROW = re.compile(r"^(?:单位|计量单位|unit)\s*[:：]", re.IGNORECASE)
_UNIT_PART = re.compile(r"[(（][^()（）]*[)）]$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
SCAN = 30  # rows searched for the header


def normal(label: str | None) -> str:
    """A header as compared: NFKC (full-width to ASCII), no spaces, no trailing unit in brackets, lowercase."""
    if not label:
        return ""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", label))
    return _UNIT_PART.sub("", text).lower()


def column_of(label: str | None) -> str | None:
    """The input column a header names (period, 时期 → period), or None."""
    key = normal(label)
    return key if key in _COLUMNS else _ALIAS.get(key)


def is_number(text: str | None) -> bool:
    return text is not None and _NUMBER.match(text.replace(",", "").strip()) is not None


@dataclass(frozen=True)
class Wide:
    """A wide sheet, kept for melting: its cells, header, the columns of row labels and of figures, the data rows
    (0-based), the title rows above the header and the notes below."""

    sheet: str
    cells: list[list[str | None]]
    header: int  # 0-based row of the header
    labels: list[str | None]  # each column's header (two-row headers joined)
    label_columns: list[int]
    value_columns: list[int]
    rows: list[int]
    titles: list[tuple[int, int, str]]  # (row, column, text), 0-based
    notes: list[tuple[int, int, str]]


@dataclass(frozen=True)
class Decoded:
    """A sheet read: a long table with where its rows came from, or a wide sheet (table empty until melted)."""

    table: pa.Table
    origin: Origin
    wide: Wide | None
    problems: tuple[Problem, ...]


def decode(name: str, grid: Grid) -> Decoded:
    """The layout of one sheet."""
    cells = _filled(grid)
    if not any(c for row in cells for c in row):
        raise InvalidData(f"{name}: sheet {grid.sheet!r} is empty", [Problem("the sheet has no cells", file=name)])
    header = _header(cells)
    depth = _depth(cells, header, grid.merged)
    labels = _labels(cells, header, depth, grid.merged)
    rows, notes = _body(cells, header + depth)
    if not rows:
        raise InvalidData(
            f"{name}: sheet {grid.sheet!r} has a header but no rows",
            [Problem("no data rows below the header", file=name, sheet=grid.sheet, row=header + 1)],
        )
    titles = [(r, c, v) for r in range(header) for c, v in enumerate(cells[r]) if v]
    mapped = [column_of(label) for label in labels]
    if _is_long(mapped):
        return _long(name, grid.sheet, cells, header, labels, mapped, rows)
    wide = Wide(grid.sheet, cells, header, labels, *_columns(cells, labels, rows), rows, titles, notes)
    origin = Origin(grid.sheet, np.zeros(0, np.int64), np.zeros(0, np.int64), header + 1)
    return Decoded(pa.table({}), origin, wide, ())


def _filled(grid: Grid) -> list[list[str | None]]:
    """The cells, rows padded to one width, each vertically merged range's value in every cell it covers."""
    width = max((len(r) for r in grid.cells), default=0)
    cells = [list(r) + [None] * (width - len(r)) for r in grid.cells]
    for (r0, c0), (r1, c1) in grid.merged:
        if r1 > r0 and r0 < len(cells) and c0 < width:
            value = cells[r0][c0]
            for r in range(r0, min(r1, len(cells) - 1) + 1):
                for c in range(c0, min(c1, width - 1) + 1):
                    cells[r][c] = value
    return cells


def _width(row: list[str | None]) -> int:
    return sum(1 for v in row if v and not _UNIT_ROW.match(v))


def _header(cells: list[list[str | None]]) -> int:
    """The first row nearly as wide as the widest of the first rows (at least half, and two cells)."""
    widths = [_width(r) for r in cells[:SCAN]]
    need = max(2, math.ceil(max(widths) / 2))
    return next((r for r, w in enumerate(widths) if w >= need), 0)


def _depth(cells: list[list[str | None]], header: int, merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> int:
    """2 when the header continues on the next row (a cell of it merged down, or merged across above words), else 1."""
    if header + 1 >= len(cells):
        return 1
    below = cells[header + 1]
    if any(is_number(v) for v in below) or not any(below):
        return 1
    spans = any(r0 == header and (r1 > r0 or c1 > c0) for (r0, c0), (r1, c1) in merged)
    return 2 if spans else 1


def _labels(
    cells: list[list[str | None]], header: int, depth: int, merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> list[str | None]:
    top = list(cells[header])
    if depth == 1:
        return top
    for (r0, c0), (_, c1) in merged:  # a word merged across the header's first row heads every column it covers
        if r0 == header and c1 > c0:
            for c in range(c0 + 1, min(c1, len(top) - 1) + 1):
                top[c] = top[c0]
    out: list[str | None] = []
    for c, first in enumerate(top):
        second = cells[header + 1][c]
        parts = [p for p in dict.fromkeys((first, second)) if p]
        out.append("".join(parts) or None)
    return out


def _body(cells: list[list[str | None]], start: int) -> tuple[list[int], list[tuple[int, int, str]]]:
    """The data rows (not blank) from ``start`` to the first row of notes, and the notes' cells."""
    rows: list[int] = []
    for r in range(start, len(cells)):
        filled = [v for v in cells[r] if v]
        if not filled:
            continue
        if len(filled) == 1 and (_NOTE.match(filled[0]) or len(filled[0]) > 30) and rows:
            return rows, [(n, c, v) for n in range(r, len(cells)) for c, v in enumerate(cells[n]) if v]
        rows.append(r)
    return rows, []


def _is_long(mapped: list[str | None]) -> bool:
    cols = {c for c in mapped if c}
    return (
        {"indicator", "region", "period"} <= cols
        or {"code", "level"} <= cols
        or {"code", "kind"} <= cols
        or {"code", "frequency"} <= cols
        or {"id", "title"} <= cols
    )


def _long(
    name: str,
    sheet: str,
    cells: list[list[str | None]],
    header: int,
    labels: list[str | None],
    mapped: list[str | None],
    rows: list[int],
) -> Decoded:
    """One row per figure: a text table with the input columns' names, and where each came from."""
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    for c, label in enumerate(labels):
        filled = any(cells[r][c] for r in rows)
        if not label:
            if filled:
                detail = f"column {letter(c)} has values but no name in the header (row {header + 1})"
                problems.append(Problem(detail, file=name, sheet=sheet, row=header + 1, column=letter(c)))
            continue
        column = mapped[c] or label
        if column in columns:
            detail = f"columns {letter(columns[column])} and {letter(c)} are both {column!r}: keep one"
            problems.append(Problem(detail, file=name, sheet=sheet, row=header + 1, column=letter(c)))
            continue
        columns[column] = c
    table = pa.table({k: pa.array([cells[r][c] for r in rows], pa.string()) for k, c in columns.items()})
    places = {k: Place("column", c) for k, c in columns.items()}
    origin = Origin(sheet, np.array(rows, np.int64) + 1, np.zeros(len(rows), np.int64), header + 1, places)
    return Decoded(table, origin, None, tuple(problems))


def _columns(cells: list[list[str | None]], labels: list[str | None], rows: list[int]) -> tuple[list[int], list[int]]:
    """A wide sheet's columns of row labels (text, left of the figures) and of figures (the rest, named)."""
    label_columns: list[int] = []
    value_columns: list[int] = []
    for c, label in enumerate(labels):
        values = [cells[r][c] for r in rows]
        if normal(label) in IGNORED or (not any(values) and not label):
            continue
        numeric = sum(1 for v in values if is_number(v) or (v and is_null(v)))
        text = sum(1 for v in values if v) - numeric
        if not value_columns and text > numeric:
            label_columns.append(c)
        else:
            value_columns.append(c)
    return label_columns, value_columns
