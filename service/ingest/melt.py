"""Observation files made ready for validation, once the catalog is known: a wide sheet melted into long rows, the
values given for the whole file (period=, region=, indicator=, published=) filled in, and names resolved to codes.

A wide sheet has row labels down its left (regions, indicators or periods: the column's header says which, 地区,
指标, 时期, or else what its cells resolve to) and one of these across its header (periods when most headers read as
periods, else regions or indicators, as they resolve); what neither gives comes from a parameter or from the title
(2022年1-9月衡阳市…). Each figure becomes one row; an empty cell or a null mark (—, …, -, /) is no figure. Periods
without a year (1-3月份, 3月末) take the year of the title; a date cell in a period's place is its month.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from service.errors import Problem
from service.ingest.extract.periods import PERIOD, When, read
from service.ingest.names import Names, key
from service.ingest.nulls import is_null
from service.ingest.origin import Origin, Place, letter
from service.ingest.readers import RawTable
from service.ingest.sheets import Wide, column_of
from service.model.period import PeriodError, parse_span

DIMENSIONS = ("indicator", "region", "period")
GIVEN = ("indicator", "region", "period", "published")
_YEARLESS = re.compile(
    r"(?:\d{1,2}(?:[-—–~至到]\d{1,2})?月(?:份|末|底)?|第?[一二三四1-4]季度|前[一二三]季度|上半年|全年)"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PUBLISHED = re.compile(
    r"(?:发布|公布)(?:日期|时间)?\s*[:：]?\s*((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})"
)


def prepare(raw: RawTable, names: Names | None) -> RawTable:
    """An observation file ready for validation: melted if wide, given values filled, names resolved."""
    if raw.kind != "observations" or names is None:
        return raw
    raw = _melt(raw, names) if raw.wide is not None else _give(raw)
    if raw.origin is not None and "period" in raw.table.column_names and "period" not in raw.given:
        raw = _map(raw, "period", lambda v: period_label(v, None))
    return _resolve(raw, names)


def period_label(text: str, year: int | None) -> str:
    """A period cell as the period grammar reads it: a date is its month, a label without a year takes ``year``."""
    word = key(text)
    if m := re.fullmatch(r"(\d{4}-\d{2})-\d{2}(?: 00:00:00)?", word):
        return m.group(1)
    if year and _YEARLESS.fullmatch(word):
        return f"{year}年{word}"
    return word


def is_period(text: str, year: int | None) -> bool:
    try:
        parse_span(period_label(text, year))
    except PeriodError:
        return False
    return True


def _give(raw: RawTable) -> RawTable:
    """The values given for the whole file as columns; a column the file has as well is a problem."""
    table, problems = raw.table, list(raw.problems)
    for column, value in raw.given.items():
        if column in table.column_names:
            detail = f"{column}={value!r} is given, and the file has a {column} column: give one or the other"
            problems.append(Problem(detail, file=raw.name, parameter=column))
        else:
            table = table.append_column(column, pa.array([value] * table.num_rows, pa.string()))
    return replace(raw, table=table, problems=tuple(problems))


def _map(raw: RawTable, column: str, how: Callable[[str], str | None]) -> RawTable:
    """``column`` with each distinct value mapped by ``how`` (None: kept as it is)."""
    enc = pc.dictionary_encode(raw.table.column(column).combine_chunks())
    values = [v if v is None else (how(v) or v) for v in enc.dictionary.to_pylist()]
    mapped = pa.array(values, pa.string()).take(enc.indices)
    index = raw.table.column_names.index(column)
    return replace(raw, table=raw.table.set_column(index, column, mapped))


def _resolve(raw: RawTable, names: Names) -> RawTable:
    """Region and indicator names to codes; a name that resolves to none gets its hint (did you mean...)."""
    text = [f.name for f in raw.table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    hints = dict(raw.hints)
    if "region" in text:
        given = raw.given.get("region")
        values = _names(raw, "region", names.regions)
        home = names.region(given, None) if given else names.home(values)
        found = {v: names.region(v, home) for v in values}
        hints.update({("region", v): names.region_hint(v, home) for v, c in found.items() if c is None})
        raw = _map(raw, "region", found.get) if found else raw
    if "indicator" in text:
        found = {v: names.indicator(v) for v in _names(raw, "indicator", names.indicator_names)}
        hints.update({("indicator", v): names.indicator_hint(v) for v, c in found.items() if c is None})
        raw = _map(raw, "indicator", found.get) if found else raw
    return replace(raw, hints=hints)


def _names(raw: RawTable, column: str, codes: Mapping[str, object]) -> list[str]:
    """The distinct values of a column that are not codes (names, or codes unknown)."""
    return [v for v in pc.unique(raw.table.column(column)).to_pylist() if v and v not in codes]


def _melt(raw: RawTable, names: Names) -> RawTable:
    """A wide sheet as long rows, each located at its figure's cell."""
    w: Wide = raw.wide
    year = _year(w, raw.given)
    problems = list(raw.problems)
    roles = {c: _column_role(w, c, names, year) for c in w.label_columns}
    for c, role in roles.items():
        if role is None:
            detail = "cannot tell whether this column holds regions, indicators or periods: head it 地区, 指标 or 时期"
            problems.append(_at(raw, w, w.header, c, detail))
    across = _across_role(w, names, year, set(roles.values()))
    dims = {r for r in roles.values() if r} | {across}
    fixed, places, missing = _fixed(raw, w, names, dims, year)
    problems += missing + _layout_problems(raw, w)
    table, rows, cols = _cells(w, roles, across, fixed, year)
    if not rows and w.value_columns:
        first = letter(w.value_columns[0])
        detail = f"no figures: the cells from column {first} on are empty or null marks (—, …, -, /)"
        problems.append(_at(raw, w, w.header, w.value_columns[0], detail))
    places.update({role: Place("column", c) for c, role in roles.items() if role})
    places.update({across: Place("header"), "value": Place("value")})
    origin = Origin(w.sheet, np.array(rows, np.int64) + 1, np.array(cols, np.int64), w.header + 1, places)
    given = {k: v for k, v in raw.given.items() if k not in dims}  # refused above when the layout has them
    return replace(raw, table=table, origin=origin, wide=None, given=given, problems=tuple(problems))


def _layout_problems(raw: RawTable, w: Wide) -> list[Problem]:
    """A wide sheet needs row labels left of its figures, and figures."""
    if not w.label_columns:
        detail = "no column of row labels (regions, indicators or periods) left of the figures"
        return [_at(raw, w, w.header, 0, detail)]
    if not w.value_columns:
        detail = (
            "no column of figures: every column holds text (8.4% is text: write 8.4, with the unit in the header), "
            "and the header does not name the columns of a long table (指标, 地区, 时期, 数值, 发布日期)"
        )
        return [_at(raw, w, w.header, w.label_columns[-1], detail)]
    return []


def _at(raw: RawTable, w: Wide, row: int, column: int, detail: str) -> Problem:
    return Problem(detail, file=raw.name, sheet=w.sheet, row=row + 1, column=letter(column))


def _year(w: Wide, given: Mapping[str, str]) -> int | None:
    """The year of the sheet: of the period given, else the first one its titles name."""
    for text in [given.get("period", ""), *(t for _, _, t in w.titles)]:
        if m := _YEAR.search(text) or re.match(r"((?:19|20)\d{2})", text):
            return int(m.group(1))
    return None


def _column_role(w: Wide, c: int, names: Names, year: int | None) -> str | None:
    """What a column of row labels holds: as its header says, else what most of its cells resolve to."""
    named = column_of(w.labels[c])
    if named in DIMENSIONS:
        return named
    values = list(dict.fromkeys(v for r in w.rows if (v := w.cells[r][c])))
    return _most(values, names, year, ("period", "region", "indicator"))


def _across_role(w: Wide, names: Names, year: int | None, down: set[str | None]) -> str:
    """What the figures' headers name: periods when most read as periods, else regions or indicators."""
    headers = [h for c in w.value_columns if (h := w.labels[c])]
    found = _most(headers, names, year, ("period", "region", "indicator"))
    if found is not None and found not in down:
        return found
    return "region" if "indicator" in down and "region" not in down else "indicator"


def _most(values: list[str], names: Names, year: int | None, roles: tuple[str, ...]) -> str | None:
    if not values:
        return None
    home = names.home(values)
    tests = {
        "period": lambda v: is_period(v, year),
        "region": lambda v: names.region(v, home) is not None,
        "indicator": lambda v: names.indicator(v) is not None,
    }
    counts = {role: sum(1 for v in values if tests[role](v)) for role in roles}
    if counts["period"] * 2 >= len(values):
        return "period"
    best = max(roles, key=lambda r: counts[r])
    return best if counts[best] else None


def _fixed(
    raw: RawTable, w: Wide, names: Names, dims: set[str], year: int | None
) -> tuple[dict[str, str], dict[str, Place], list[Problem]]:
    """Values the sheet gives once (a parameter, else its title or notes): the dimensions its rows and columns do
    not hold, and the publication date."""
    fixed: dict[str, str] = {}
    places: dict[str, Place] = {}
    problems: list[Problem] = []
    for column in GIVEN:
        if column in dims:
            if column in raw.given:
                detail = f"{column}={raw.given[column]!r} is given, and the sheet's {column}s are in its layout"
                problems.append(Problem(detail, file=raw.name, parameter=column))
            continue
        if column in raw.given:
            fixed[column] = raw.given[column]
            continue
        found = _from_titles(w, column, names, year)
        if found is None:
            problems.append(Problem(_MISSING[column], file=raw.name, sheet=w.sheet, parameter=column))
            continue
        fixed[column], r, c = found
        places[column] = Place("fixed", c, r + 1)
    return fixed, places, problems


_MISSING = {
    "period": "the sheet does not say which period its figures are of: give period= (2022年1-9月, 2022-Q3) "
    "or write it in the title",
    "region": "the sheet does not say which region its figures are of: give region= (a code or a name) "
    "or write it in the title",
    "indicator": "the sheet does not say which indicator its figures are of: give indicator= (a code or a name) "
    "or write it in the title",
    "published": "the sheet does not say when its figures were published: give published=YYYY-MM-DD, "
    "or write 发布日期：YYYY-MM-DD above or below the table",
}


def _from_titles(w: Wide, column: str, names: Names, year: int | None) -> tuple[str, int, int] | None:
    """The value a title (or, for the publication date, a note) gives, and its cell."""
    cells = w.titles + (w.notes if column == "published" else [])
    for r, c, text in cells:
        found = _in_title(text, column, names, year)
        if found is not None:
            return found, r, c
    return None


def _in_title(text: str, column: str, names: Names, year: int | None) -> str | None:
    if column == "published":
        m = _PUBLISHED.search(text)
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None
    if column != "period":
        return names.in_text(text, column)
    for m in PERIOD.finditer(text):
        when = read(m, When(year or 0, 1, 12))
        if when is not None and when.year:
            return _label(when)
    return None


def _label(when: When) -> str:
    y, first, last = when.year, when.first, when.last
    if first == 1 and last == 12:
        return str(y)
    if first == last:
        return f"{y}-{last:02d}"
    return f"{y}年{first}-{last}月"


def _cells(
    w: Wide, roles: dict[int, str | None], across: str, fixed: dict[str, str], year: int | None
) -> tuple[pa.Table, list[int], list[int]]:
    """One row per figure (an empty cell or a null mark is none), with the sheet row and column of each."""
    out: dict[str, list[str | None]] = {k: [] for k in (*DIMENSIONS, "value", *fixed)}
    rows: list[int] = []
    cols: list[int] = []
    for r in w.rows:
        labels: dict[str, str | None] = {}
        for c, role in roles.items():  # of two columns of one role (代码, 名称), the first that is filled
            if role and not labels.get(role):
                labels[role] = w.cells[r][c]
        for c in w.value_columns:
            value = w.cells[r][c]
            if is_null(value):
                continue
            row = {**fixed, **labels, across: w.labels[c], "value": (value or "").replace(",", "")}
            if row.get("period"):
                row["period"] = period_label(str(row["period"]), year)
            for k, v in out.items():
                v.append(row.get(k))
            rows.append(r)
            cols.append(c)
    return pa.table({k: pa.array(v, pa.string()) for k, v in out.items()}), rows, cols
