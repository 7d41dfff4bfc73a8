"""Tables written as grids: one row a line, its cells between ``|`` (``排名 | 地区 | GDP(亿元) |``).

Lines are split first, then cells on ``|``, so a row never runs into the next. A separator row (``---|---``) is
skipped; the header is the last row before the first row of numbers. Every row is read against the header by the
column of its region (a row without the rank cell others have, ``全省 | 24501.7 |``, is aligned on its region).
A column header carries its unit (``(亿元)``, ``(亿)``, ``(万)``), its own period (``2015年GDP``) or none (the
document's), ``排名`` marks a rank. Population is a stock, taken at the end of its period; per-capita GDP is a
yearly figure. A rank column ranks the column whose order it follows (of those, one it names, else the one of the
longest period); the rank takes that column's period.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from service.ingest.extract.grammar import Draft
from service.ingest.extract.numbers import UNITS, bare_unit
from service.ingest.extract.periods import PERIOD, STOCK_NAME, When, is_date, read
from service.ingest.extract.regions import RegionIndex
from service.ingest.extract.tables import Cell

_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*[%％]?")
_SEPARATOR = re.compile(r"[\s:：\-—–=]+")
_RANK_HEAD = re.compile(r"排名|位次|名次|排序|排位")
_UNIT_IN = re.compile(r"[(（](?P<u>[^()（）]{1,6})[)）]")
_UNIT_NOTE = re.compile(r"单位[:：]\s*(?P<u>[^\s|,，;；]{1,6})")
_LABEL_HEAD = re.compile(r"^(?:地区|地级市|城市|市州|市县|县市区|区县|区域|名称|地市|市别|地 区)$")
_YEARLY_NAME = re.compile(r"人均(?:GDP|地区生产总值|生产总值)")
_UNIT_CODES = dict(UNITS)


@dataclass(frozen=True)
class Row:
    start: int
    end: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    name: str
    unit: str | None
    measure: str
    when: When
    rank: bool = False


def _row(text: str, start: int, end: int) -> Row | None:
    """A line of two or more cells between ``|`` (empty cells kept in their place, not the line's ends); a
    separator row has no cells."""
    line = text[start:end]
    if "|" not in line:
        return None
    cells: list[Cell] = []
    for m in re.finditer(r"[^|]*", line):
        if (m.start() == 0 and not m.group().strip()) or (m.start() > 0 and line[m.start() - 1] != "|"):
            continue  # before the first |, or the empty match after a cell
        raw, at = m.group(), start + m.start()
        lead = len(raw) - len(raw.lstrip())
        cells.append(Cell(at + lead, at + lead + len(raw.strip()), raw.strip()))
    while cells and not cells[-1].text:
        cells.pop()
    filled = [c for c in cells if c.text]
    if all(_SEPARATOR.fullmatch(c.text) for c in filled) and filled:
        return Row(start, end, ())
    if len(filled) < 2:
        return None
    return Row(filled[0].start, filled[-1].end, tuple(cells))


def blocks(text: str) -> list[list[Row]]:
    """Runs of consecutive grid lines."""
    out: list[list[Row]] = []
    current: list[Row] = []
    for m in re.finditer(r"[^\n]*\n?", text):
        row = _row(text, m.start(), m.start() + len(m.group().rstrip("\n")))
        if row is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append(row)
    if current:
        out.append(current)
    return out


def _value(cell: Cell) -> float:
    """35,420.5 → 35420.5; 4.1% → 4.1."""
    return float(re.sub(r"[,\s%％]", "", cell.text))


def _numeric(cell: Cell) -> bool:
    return _NUMBER.fullmatch(cell.text) is not None


def _unit(header: str, name: str, note: str | None) -> str | None:
    """The header's own unit (亿元), else a rate's percent (增速), else the table's 单位: note."""
    rate = re.search(r"增长|增速|增幅|%|％", header)
    words = [m.group("u").strip() for m in _UNIT_IN.finditer(header)] or ([] if rate or not note else [note])
    for word in words:
        if word in _UNIT_CODES:
            return _UNIT_CODES[word]
        if code := bare_unit(word, name):
            return code
    return "percent" if rate else None


def column(header: str, base: When, note: str | None) -> Column:
    """What a header says of its column: name, unit, measure and period."""
    header = re.sub(r"\s+", "", header)
    name = _UNIT_IN.sub("", header)
    m = next((p for p in PERIOD.finditer(name) if not is_date(p)), None)
    when = (read(m, base) if m else None) or base
    if m is not None:
        name = (name[: m.start()] + name[m.end() :]).strip()
    elif _YEARLY_NAME.search(name):
        when = When(base.year, 1, 12)
    elif re.search(r"同月|当月", name):  # 比上年同月: the month alone (比上年同期: the period to date)
        when = When(base.year, base.last, base.last)
    if STOCK_NAME.search(name):
        when = When(when.year, when.last, when.last, point=True)
    if _RANK_HEAD.search(name):
        return Column(name, "rank", "rank", when, rank=True)
    unit = _unit(header, name, note)
    return Column(name, unit, _measure(name, unit), when)


def _measure(name: str, unit: str | None) -> str:
    if unit == "percent":
        return "growth" if re.search(r"增长|增速|增幅|同比|比上年", name) else "percent"
    return "change" if re.search(r"增量|增加额|增减|净增", name) else "level"


def _header(rows: list[Row]) -> list[str]:
    """The column headers: the last row before the numbers, under the row above it when there is one (地区生产总值
    over 总量(亿元) and 增速(%): a merged cell carried right over the empty ones)."""
    last = [c.text for c in rows[-1].cells]
    if len(rows) < 2:
        return last
    upper, carried = [c.text for c in rows[-2].cells], ""
    for k, h in enumerate(upper):
        carried = h or carried
        if k < len(last) and last[k] and carried != last[k]:
            last[k] = carried + last[k]
        elif k < len(last) and not last[k]:
            last[k] = carried
    return last


def _label_column(header: list[str], found: list[tuple[Row, int, str]]) -> int:
    for k, h in enumerate(header):
        if _LABEL_HEAD.match(re.sub(r"\s+", "", h)):
            return k
    full = [li for row, li, _ in found if len(row.cells) == len(header)]
    return Counter(full or [li for _, li, _ in found]).most_common(1)[0][0]


def _labelled(rows: list[Row], index: RegionIndex) -> list[tuple[Row, int, str]]:
    out: list[tuple[Row, int, str]] = []
    for row in rows:
        for k, c in enumerate(row.cells):
            if c.text and not _numeric(c) and len(c.text) <= 12 and (code := index.lookup(c.text)):
                out.append((row, k, code))
                break
    return out


def read_block(text: str, rows: list[Row], index: RegionIndex, base: When, home: str) -> list[Draft]:
    """Figures of one grid: rows of regions, else rows of indicators about the document's region."""
    rows = [r for r in rows if r.cells]
    first = next((k for k, r in enumerate(rows) if any(_numeric(c) for c in r.cells)), None)
    if not first:
        return []
    header = _header(rows[:first])
    note = _UNIT_NOTE.search(text, max(0, rows[0].start - 80), rows[0].start)
    columns = [column(h, base, note.group("u") if note else None) for h in header]
    found = _labelled(rows[first:], index)
    if len(found) < 2:
        return _indicator_rows(rows[first:], columns, home)
    cells = _aligned(found, _label_column(header, found), columns)
    columns = _ranked(columns, cells)
    return [_draft(row, code, columns[col], c) for row, code, col, c in cells]


def _aligned(found: list[tuple[Row, int, str]], hl: int, columns: list[Column]) -> list[tuple[Row, str, int, Cell]]:
    """Each number of each row in its column, the row aligned on its region (label) cell."""
    cells: list[tuple[Row, str, int, Cell]] = []
    for row, li, code in found:
        for j, c in enumerate(row.cells):
            col = j + hl - li
            if col != hl and 0 <= col < len(columns) and _numeric(c) and columns[col].unit:
                cells.append((row, code, col, c))
    return cells


def _indicator_rows(rows: list[Row], columns: list[Column], home: str) -> list[Draft]:
    """指标 | 绝对额(万元) | 增长(%): each row an indicator of the document's region, its unit from the column's
    header or from the row's label (地区生产总值(亿元) | 420.77 | 5.2)."""
    out: list[Draft] = []
    for row in rows:
        label = row.cells[0]
        if not label.text or _numeric(label) or len(row.cells) > len(columns) or len(label.text) > 24:
            continue
        name = _UNIT_IN.sub("", re.sub(r"\s+", "", label.text))
        own = _unit(label.text, name, None)
        for spec, c in zip(columns[1:], row.cells[1:], strict=False):
            if _numeric(c) and (cell := _row_column(spec, name, own)):
                out.append(_draft(row, home, cell, c))
    return out


def _row_column(spec: Column, name: str, own: str | None) -> Column | None:
    """A column read for one indicator row: a rate keeps the column's unit; a level takes the row's own unit."""
    rate = spec.unit == "percent" or spec.rank
    unit = spec.unit if rate else (own if own and own != "percent" else spec.unit)
    if not unit:
        return None
    when = spec.when
    if STOCK_NAME.search(name) and not when.point:
        when = When(when.year, when.last, when.last, point=True)
    return Column(name, unit, spec.measure if rate else "level", when)


def _draft(row: Row, code: str, spec: Column, c: Cell) -> Draft:
    return Draft(
        row.start,
        row.end,
        _value(c),
        spec.unit or "",
        spec.measure,
        code,
        spec.when,
        spec.name,
        written=c.text,
        at=c.start,
        confidence=0.8,
    )


def _follows(ranks: dict[str, float], values: dict[str, float]) -> bool:
    """Whether the ranks order the values from the highest (ties allowed), over three or more rows."""
    common = [k for k in ranks if k in values]
    if len(common) < 3:
        return False
    return all(
        (ranks[a] - ranks[b]) * (values[a] - values[b]) <= 0 for i, a in enumerate(common) for b in common[i + 1 :]
    )


def _ranked(columns: list[Column], cells: list[tuple[Row, str, int, Cell]]) -> list[Column]:
    """Each rank column takes the name and period of the column it ranks."""
    by_col: dict[int, dict[str, float]] = {}
    for _, code, col, c in cells:
        by_col.setdefault(col, {})[code] = _value(c)
    out = list(columns)
    for k, spec in enumerate(columns):
        best = _ranks_which(k, columns, by_col) if spec.rank and k in by_col else None
        if best is not None:
            out[k] = Column(columns[best].name + "排名", "rank", "rank", columns[best].when, rank=True)
    return out


def _ranks_which(k: int, columns: list[Column], by_col: dict[int, dict[str, float]]) -> int | None:
    """The column a rank column ranks: of those whose order it follows, one it names, else the longest period's."""
    prefix = _RANK_HEAD.split(columns[k].name)[0]
    others = [j for j in by_col if not columns[j].rank]
    named = [j for j in others if prefix and columns[j].name.startswith(prefix)]
    follows = [j for j in others if _follows(by_col[k], by_col[j])]
    pick = [j for j in follows if j in named] or follows or named
    return max(pick, key=lambda j: (_months(columns[j].when), -j)) if pick else None


def _months(when: When) -> int:
    return 0 if when.point else when.last - when.first + 1


def read_grids(
    text: str, index: RegionIndex, base: When, home: str
) -> tuple[list[Draft], set[int], list[tuple[int, int]]]:
    """Figures of every grid of ``text``, the positions of the numbers read, and the grids' spans."""
    drafts: list[Draft] = []
    spans: list[tuple[int, int]] = []
    for rows in blocks(text):
        found = read_block(text, rows, index, base, home)
        if found:
            drafts += found
            spans.append((rows[0].start, rows[-1].end))
    return drafts, {i for a, b in spans for i in range(a, b)}, spans
