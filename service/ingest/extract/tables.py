"""Tables written as text: cells split by ``|`` or by lines, a header row, then rows of a label and numbers.

Two kinds: rows of regions (全省, 长沙市…) under column headers (the unit from 单位:% or (%); 比上年同月 is the
month, 比上年同期 the period to date; a footnote ``X为1-3月数据`` moves column X), and rows of indicators under
headers that carry units (绝对额(万元), 同比增长(%)) about the document's region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.ingest.extract.grammar import Draft
from service.ingest.extract.numbers import UNITS
from service.ingest.extract.periods import PERIOD, When, read
from service.ingest.extract.regions import RegionIndex

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_HEADER_UNIT = re.compile(r"[(\uff08](?P<u>[^()\uff08\uff09]{1,6})[)\uff09]|单位[:：]\s*(?P<v>\S{1,6})")
_FOOTNOTE = re.compile(
    r"(?P<subj>[\u4e00-\u9fff]{2,8}?)(?:增长速度|增速)?为(?P<m1>\d{1,2})\s*[-—至]\s*(?P<m2>\d{1,2})\s*月"
)
_UNIT_CODES = dict(UNITS)


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    text: str

    @property
    def number(self) -> re.Match[str] | None:
        return _NUMBER.fullmatch(self.text)


def cells(text: str) -> list[Cell]:
    sep = r"[^|]+" if text.count("|") >= 6 else r"[^\n]+"
    out: list[Cell] = []
    for m in re.finditer(sep, text):
        raw = m.group()
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(Cell(m.start() + lead, m.start() + lead + len(stripped), stripped))
    return out


def rows(cs: list[Cell]) -> list[tuple[int, list[Cell]]]:
    """(index of the label cell, its numbers) for every label followed by numbers."""
    out: list[tuple[int, list[Cell]]] = []
    i = 0
    while i < len(cs):
        j = i + 1
        while j < len(cs) and cs[j].number:
            j += 1
        if j > i + 1 and not cs[i].number:
            out.append((i, cs[i + 1 : j]))
        i = j if j > i + 1 else i + 1
    return out


def _unit(headers: list[str]) -> str:
    for h in headers:
        for m in _HEADER_UNIT.finditer(h):
            word = (m.group("u") or m.group("v") or "").strip()
            if word in _UNIT_CODES:
                return _UNIT_CODES[word]
    return "percent"


def _measure(header: str, unit: str) -> str:
    if unit == "percent" and re.search(r"增长|增速|同比|比上年", header):
        return "growth"
    return "level" if unit != "percent" else "percent"


def _column_periods(text: str, headers: list[str], base: When, after: int) -> list[When]:
    out: list[When] = []
    for h in headers:
        out.append(When(base.year, base.last, base.last) if re.search(r"同月|当月", h) else base)
    for m in _FOOTNOTE.finditer(text, after):
        for k, h in enumerate(headers):
            if m.group("subj") in h:
                out[k] = When(base.year, int(m.group("m1")), int(m.group("m2")))
    return out


def _headers(cs: list[Cell], first_row: int, k: int) -> list[str]:
    pool = [c.text for c in cs[max(0, first_row - 12) : first_row] if not c.number]
    pool = [re.sub(r"\s+", "", h) for h in pool if not re.match(r"单位|市州$|地区$|指标$|项目$", h)]
    return pool[-k:] if len(pool) >= k else [""] * k


def region_table(text: str, index: RegionIndex, base: When) -> tuple[list[Draft], set[int]]:
    cs = cells(text)
    found = [(i, nums, index.lookup(cs[i].text)) for i, nums in rows(cs) if len(cs[i].text) <= 12]
    found = [(i, nums, code) for i, nums, code in found if code]
    widths = [len(nums) for _, nums, _ in found]
    if len(found) < 3:
        return [], set()
    k = max(set(widths), key=widths.count)
    found = [f for f in found if len(f[1]) == k]
    headers = _headers(cs, found[0][0], k)
    unit_headers = headers + [c.text for c in cs[max(0, found[0][0] - 12) : found[0][0]]]
    unit = _unit(unit_headers)
    periods = _column_periods(text, headers, base, found[-1][1][-1].end)
    drafts: list[Draft] = []
    for i, nums, code in found:
        for col, c in enumerate(nums):
            drafts.append(
                Draft(
                    cs[i].start,  # the quote runs from the row's label to the number
                    c.end,
                    float(c.text),
                    unit,
                    _measure(headers[col], unit),
                    code or "",
                    periods[col],
                    headers[col],
                    written=c.text,
                    at=c.start,
                    confidence=0.8,
                )
            )
    return drafts, {d.at for d in drafts}


def _unit_headers(cs: list[Cell]) -> tuple[int, list[Cell]] | None:
    """The first run of two or more header cells that carry a unit: (index of the first, the cells)."""
    i = 0
    while i < len(cs):
        j = i
        while j < len(cs) and _HEADER_UNIT.search(cs[j].text) and not cs[j].number and len(cs[j].text) <= 16:
            j += 1
        if j - i >= 2:
            return i, cs[i:j]
        i = j + 1
    return None


def indicator_table(text: str, home: str, base: When) -> tuple[list[Draft], set[int]]:
    cs = cells(text)
    head = _unit_headers(cs)
    if head is None:
        return [], set()
    at, headers = head
    when = base
    for c in cs[max(0, at - 3) : at]:
        m = PERIOD.search(c.text) or re.search(r"(?:19|20)\d{2}年", c.text)
        if m:
            year = int(re.search(r"(?:19|20)\d{2}", m.group()).group()) if re.search(r"\d{4}", m.group()) else base.year  # type: ignore[union-attr]
            when = (read(m, When(year, 1, 12)) if m.re is PERIOD else None) or When(year, 1, 12)
    units = [_unit([h.text]) for h in headers]
    drafts: list[Draft] = []
    for i, nums in rows(cs[at + len(headers) :]):
        label = cs[at + len(headers) + i]
        if len(nums) != len(headers) or len(label.text) > 20:
            continue
        for col, c in enumerate(nums):
            drafts.append(
                Draft(
                    label.start,
                    c.end,
                    float(c.text),
                    units[col],
                    _measure(headers[col].text, units[col]),
                    home,
                    when,
                    label.text,
                    written=c.text,
                    at=c.start,
                    confidence=0.8,
                )
            )
    return drafts, {d.at for d in drafts}


def read_tables(text: str, index: RegionIndex, home: str, base: When) -> tuple[list[Draft], set[int]]:
    """Figures of the tables of ``text`` and the positions of the numbers they used: grids (a row a line) first,
    then tables of a cell a line in what the grids leave."""
    from service.ingest.extract.grid import read_grids

    grids, skip, spans = read_grids(text, index, base, home)
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    drafts, used = region_table(text, index, base)
    if not drafts:
        drafts, used = indicator_table(text, home, base)
    return grids + drafts, used | skip
