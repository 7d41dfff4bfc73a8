"""Validate decoded tables against the lake's schema and catalogs; return typed tables or every problem found.

Work is vectorised with pyarrow compute; Python only touches distinct values (period labels, dates), so a
million-row file validates in about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from service.errors import Problem
from service.ingest import labels
from service.ingest.coerce import coerce
from service.ingest.labels import IndicatorInfo
from service.ingest.names import Names
from service.ingest.nulls import NULLS
from service.ingest.readers import RawTable
from service.model.schema import (
    ACCUMULATIONS,
    BASES,
    CODE_PATTERN,
    DEFAULT_MAX_LENGTH,
    FREQUENCIES,
    INDICATORS,
    KINDS,
    LEVELS,
    MAX_LENGTH,
    REGION_CODE_PATTERN,
    REGIONS,
    REQUIRED_COLUMNS,
    SOURCE_ID_PATTERN,
    SOURCES,
    STATUSES,
)

MAX_PROBLEMS = 1000
CATALOGS = ("regions", "indicators", "sources")
NULLABLE_REQUIRED = {"value"}  # the column must be there; an empty cell needs an explicit status
_NUMBER = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_FORMULA = r"^[=+\-@]"


def _nothing_refused() -> dict[str, set[str]]:
    return {kind: set() for kind in CATALOGS}


@dataclass
class Catalog:
    """The codes known to the lake, plus those arriving in the same ingest."""

    regions: dict[str, str | None] = field(default_factory=dict)  # code -> parent
    indicators: dict[str, IndicatorInfo] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    # codes defined by rows refused in this ingest: their dependants are not reported again as "unknown"
    refused: dict[str, set[str]] = field(default_factory=_nothing_refused)
    names: Names | None = None  # regions and indicators by name (files that name them: sheets)

    def known(self, kind: str) -> list[str]:
        """Codes of a catalog that references may name (stored, arriving, or refused above)."""
        stored: set[str] = set(
            self.regions if kind == "regions" else self.indicators if kind == "indicators" else self.sources
        )
        return sorted(stored | self.refused[kind])


class Checker:
    """Collects problems for one file; rows are reported in the file's own numbering."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)
        self.total = len(self.problems)  # all problems found; the first MAX_PROBLEMS are kept
        self.missing: set[str] = set()  # required columns the file lacks: their cells are not checked
        self.seen: set[tuple[object, ...]] = set()  # a sheet's cells melted into many rows are reported once

    def add(self, mask: pa.Array | np.ndarray, column: str, reason: str | Callable[[int], str]) -> None:
        """Report every row where ``mask`` is true."""
        if column in self.missing:
            return
        rows = np.flatnonzero(np.asarray(pc.fill_null(mask, False) if isinstance(mask, pa.Array) else mask))
        if self.raw.origin is None and column not in self.raw.given:  # a CSV's rows: each problem is its own
            for i in rows[: max(0, MAX_PROBLEMS - len(self.problems))]:
                detail = reason(int(i)) if callable(reason) else reason
                self.problems.append(self.raw.problem(detail, int(i), column))
            self.total += len(rows)
            return
        for i in rows:
            self.put(self.raw.problem(reason(int(i)) if callable(reason) else reason, int(i), column))

    def where(self, i: int) -> str:
        """A row's period cell as the file numbers it: "row 7" (a sheet's: "row 7, column D")."""
        p = self.raw.problem("", i, "period")
        return (
            f"parameter {p.parameter}" if p.parameter else f"row {p.row}" + (f", column {p.column}" if p.sheet else "")
        )

    def put(self, problem: Problem) -> None:
        """Keep one problem (once), counting it."""
        seen = (problem.detail, problem.sheet, problem.row, problem.column, problem.parameter)
        if seen not in self.seen:
            self.seen.add(seen)
            self.total += 1
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(problem)

    def text(self, column: str) -> pa.Array:
        """The column as text (null where absent)."""
        t = self.raw.table
        if column not in t.column_names:
            return pa.nulls(t.num_rows, pa.string())
        col = t.column(column).combine_chunks()
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            raw = col.cast(pa.string())
            text = pc.utf8_trim_whitespace(raw)
            # trimming must never turn text into a spreadsheet formula ("\t=1+1" stays as it came)
            text = pc.if_else(pc.fill_null(pc.match_substring_regex(text, _FORMULA), False), raw, text)
            return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)  # empty = absent, as in CSV
        return col.cast(pa.string())

    def lengths(self, table: pa.Table) -> None:
        """Every text cell within its column's maximum length."""
        for name in table.column_names:
            column = table.column(name)
            if pa.types.is_string(column.type):
                most = MAX_LENGTH.get(name, DEFAULT_MAX_LENGTH)
                size = pc.utf8_length(column)
                self.add(pc.greater(size, most), name, _too_long(size, most))

    def grammar(self, values: pa.Array, column: str, pattern: str, what: str) -> None:
        self.add(
            pc.invert(pc.match_substring_regex(values, pattern)),
            column,
            lambda i: f"{values[i].as_py()!r} is not {what}",
        )

    def required(self, columns: Iterable[str]) -> None:
        """Every required column there (one problem per missing column; its cells are then not checked) and
        filled."""
        names = self.raw.table.column_names
        for column in columns:
            if column not in names:
                has = f"the header has {', '.join(names)}" if names else "the file has no other column"
                self.put(self.raw.problem(f"required column {column!r} is missing ({has})", None, column))
                self.missing.add(column)
            elif column not in NULLABLE_REQUIRED:
                self.add(pc.is_null(self.text(column)), column, "empty value in a required column")

    def unknown(self, values: pa.Array, column: str, codes: list[str]) -> None:
        """Report every code that is not one of ``codes``, with the file's hint for it (did you mean...)."""
        hints = self.raw.hints
        self.add(
            pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, pa.array(codes, pa.string())))),
            column,
            lambda i: f"unknown {column} {values[i].as_py()!r}" + hints.get((column, values[i].as_py()), ""),
        )

    def one_of(self, values: pa.Array, column: str, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, pa.array(allowed))))
        self.add(bad, column, lambda i: f"{values[i].as_py()!r} is not one of {', '.join(allowed)}")

    def unique(self, key: pa.Array, column: str) -> None:
        enc = (
            pc.dictionary_encode(key).combine_chunks()
            if isinstance(key, pa.ChunkedArray)
            else pc.dictionary_encode(key)
        )
        idx = np.asarray(enc.indices.fill_null(-1))
        if len(enc.dictionary) == 0:  # every key is null: those rows are reported for their null parts already
            return
        counts = np.bincount(idx[idx >= 0], minlength=len(enc.dictionary))
        dup = (idx >= 0) & (counts[np.maximum(idx, 0)] > 1)
        self.add(dup, column, "duplicate key within the file")

    def floats(self, column: str) -> pa.Array:
        col = self.raw.table.column(column).combine_chunks() if column in self.raw.table.column_names else None
        if col is not None and (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            values = col.cast(pa.float64())
        else:  # a null mark (—, …, -, /) is an empty cell
            text = pc.if_else(
                pc.is_in(self.text(column), pa.array(NULLS)), pa.scalar(None, pa.string()), self.text(column)
            )
            ok = pc.match_substring_regex(text, _NUMBER)
            self.add(pc.invert(ok), column, lambda i: f"{text[i].as_py()!r} is not a number")
            values = pc.if_else(ok, text, pa.scalar(None, pa.string())).cast(pa.float64())
        finite = pc.is_finite(values)
        self.add(pc.invert(finite), column, "NaN and infinity are not values: leave the cell empty")
        return values

    def dates(self, column: str, not_after: date | None = None) -> pa.Array:
        col = self.raw.table.column(column).combine_chunks() if column in self.raw.table.column_names else None
        if col is not None and (pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)):
            values = col.cast(pa.date32())
        else:
            text = self.text(column)
            ok = pc.match_substring_regex(text, _DATE)
            uniq = pc.unique(pc.if_else(ok, text, pa.scalar(None, pa.string())))
            parsed: dict[str, date | None] = {}
            for s in uniq.to_pylist():
                if s is not None:
                    try:
                        parsed[s] = date.fromisoformat(s)
                    except ValueError:
                        parsed[s] = None
            good = [parsed.get(s) if s is not None else None for s in uniq.to_pylist()]
            idx = pc.index_in(text, uniq)
            values = pa.array(good, pa.date32()).take(idx)
            self.add(
                pc.and_(pc.is_valid(text), pc.is_null(values)),
                column,
                lambda i: f"{text[i].as_py()!r} is not a date (YYYY-MM-DD)",
            )
        if not_after is not None:
            self.add(
                pc.greater(values, pa.scalar(not_after, pa.date32())),
                column,
                f"date is in the future (after {not_after.isoformat()})",
            )
        return values


def _too_long(size: pa.ChunkedArray, most: int) -> Callable[[int], str]:
    return lambda i: f"{size[i].as_py()} characters; at most {most} are accepted"


class Checked(NamedTuple):
    table: pa.Table | None
    problems: list[Problem]  # the first MAX_PROBLEMS
    total: int  # how many there are


def validate(raw: RawTable, catalog: Catalog, today: date) -> Checked:
    """Check one decoded file; return the typed table (or None) and every problem found (the first MAX_PROBLEMS,
    and their number), those of the file's header and of all its rows at once."""
    raw, problems = coerce(raw)
    if problems:
        return Checked(None, list(raw.problems) + problems, len(raw.problems) + len(problems))
    check = Checker(raw)
    check.required(REQUIRED_COLUMNS[raw.kind])
    build = {
        "regions": _regions,
        "indicators": _indicators,
        "sources": _sources,
        "observations": _observations,
    }
    table = build[raw.kind](check, catalog, today)
    check.lengths(table)
    if not check.total:
        return Checked(table, [], 0)
    return Checked(None, sorted(check.problems, key=lambda p: p.row or 0), check.total)  # in the file's order


def _known_and_new(catalog: Catalog, kind: str, code: pa.Array) -> pa.Array:
    """The codes a reference may name: the lake's and this file's (a row without a code defines none)."""
    new = pc.drop_null(code).to_pylist()
    return pa.array(sorted(set(catalog.known(kind)) | set(new)), pa.string())


def _regions(check: Checker, catalog: Catalog, today: date) -> pa.Table:
    code, parent, level = check.text("code"), check.text("parent"), check.text("level")
    check.one_of(level, "level", LEVELS)
    check.grammar(code, "code", REGION_CODE_PATTERN, "a region code: letters, digits, '_' and '-'")
    check.unique(code, "code")
    check.add(
        pc.and_(pc.is_valid(parent), pc.invert(pc.is_in(parent, _known_and_new(catalog, "regions", code)))),
        "parent",
        lambda i: f"unknown parent region {parent[i].as_py()!r}",
    )
    check.add(pc.equal(code, parent), "parent", "a region cannot be its own parent")
    cycles = _cycles(catalog.regions, code.to_pylist(), parent.to_pylist())
    check.add(
        np.array([c is not None for c in cycles], dtype=bool),
        "parent",
        lambda i: f"the parents of {code[i].as_py()!r} lead back to it: {cycles[i]}",
    )
    return pa.table(
        {
            "code": code,
            "name": check.text("name"),
            "name_en": check.text("name_en"),
            "level": level,
            "parent": parent,
        },
        schema=REGIONS,
    )


def _indicators(check: Checker, catalog: Catalog, today: date) -> pa.Table:
    code, kind = check.text("code"), check.text("kind")
    frequency = check.text("frequency")
    accumulation = pc.fill_null(check.text("accumulation"), "period")
    basis, rank_of = check.text("basis"), check.text("rank_of")
    check.grammar(code, "code", CODE_PATTERN, "an indicator code: lowercase letters, digits, '_' and '.'")
    check.unique(code, "code")
    check.one_of(kind, "kind", KINDS)
    check.one_of(frequency, "frequency", FREQUENCIES)
    check.one_of(accumulation, "accumulation", ACCUMULATIONS)
    check.one_of(basis, "basis", BASES)
    check.add(
        pc.and_(pc.is_valid(rank_of), pc.invert(pc.is_in(rank_of, _known_and_new(catalog, "indicators", code)))),
        "rank_of",
        lambda i: f"unknown indicator {rank_of[i].as_py()!r}",
    )
    check.add(
        pc.and_(pc.equal(kind, "rank"), pc.is_null(rank_of)),
        "rank_of",
        "a rank indicator names the indicator it ranks",
    )
    cols = {f.name: check.text(f.name) for f in INDICATORS}
    cols.update(accumulation=accumulation)
    return pa.table(cols, schema=INDICATORS)


def _sources(check: Checker, catalog: Catalog, today: date) -> pa.Table:
    ident = check.text("id")
    check.grammar(ident, "id", SOURCE_ID_PATTERN, "a source id: letters, digits, '_', '.' and '-'")
    check.unique(ident, "id")
    cols: dict[str, pa.Array] = {f.name: check.text(f.name) for f in SOURCES if f.name != "published"}
    cols["published"] = (
        check.dates("published") if "published" in check.raw.table.column_names else pa.nulls(len(ident), pa.date32())
    )
    return pa.table({f.name: cols[f.name] for f in SOURCES}, schema=SOURCES)


def _observations(check: Checker, catalog: Catalog, today: date) -> pa.Table:
    indicator, region, label = check.text("indicator"), check.text("region"), check.text("period")
    check.unknown(indicator, "indicator", catalog.known("indicators"))
    check.unknown(region, "region", catalog.known("regions"))
    source = check.text("source")
    check.unknown(source, "source", catalog.known("sources"))
    status = pc.fill_null(check.text("status"), "A")
    check.one_of(status, "status", STATUSES)
    value = check.floats("value")
    written = check.text("value")  # empty, or a null mark: not a value that failed to read as a number
    blank = pc.or_(pc.is_null(written), pc.fill_null(pc.is_in(written, pa.array(NULLS)), False))
    check.add(
        pc.and_(blank, pc.is_null(check.text("status"))),
        "value",
        "an empty value needs an explicit status",
    )
    published = check.dates("published", not_after=today)
    canon, start, end, bad, why = labels.parse(indicator, label, catalog.indicators)
    check.add(bad, "period", why)
    keys = pa.table([indicator, region, canon, published, label], names=["i", "r", "p", "d", "l"])
    twice = labels.repeated(keys, catalog.indicators, check.where)
    check.add(np.isin(np.arange(len(label)), list(twice)), "period", lambda i: twice[i])
    return pa.table(
        {
            "indicator": indicator,
            "region": region,
            "period": canon,
            "period_start": start,
            "period_end": end,
            "value": value,
            "status": status,
            "published": published,
            "source": source,
            "quote": check.text("quote"),
            "note": check.text("note"),
        }
    )  # recorded_at is stamped by the commit


def _cycles(stored: dict[str, str | None], codes: list[str | None], parents: list[str | None]) -> list[str | None]:
    """For each incoming region, the loop its parents make (``A → B → A``), or None; over the stored regions and
    this file together, as they would be after the ingest."""
    tree = {**stored, **{c: p for c, p in zip(codes, parents, strict=True) if c is not None}}
    safe: set[str] = set()  # known to reach a root
    out: list[str | None] = []
    for start in codes:
        path: list[str] = []
        node = start
        while node is not None and node not in safe and node not in path and node in tree:
            path.append(node)
            node = tree[node]
        if node is not None and node in path:
            loop = [*path[path.index(node) :], node]
            out.append(" → ".join(loop) if start in loop and len(loop) > 2 else None)  # A → A: said already
        else:
            safe.update(path)
            out.append(None)
    return out
