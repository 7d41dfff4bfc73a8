"""Period labels: parse what people and systems write, normalise to one label per frequency, know each span.

Canonical labels are ``2022`` (annual), ``2022-Q3`` (quarter) and ``2022-09`` (month). For a ``ytd`` indicator
the label names the period the cumulation runs *through*: ``2022-Q3`` is January to September.

Accepted input forms (see docs/data-model.md):
``2022``, ``2022-A1``, ``2022A1``, ``2022年``, ``2022-Q3``, ``2022Q3``, ``2022年第三季度``, ``2022-09``,
``2022-M09``, ``2022M9``, ``2022年9月``, SDMX time ranges ``2022-01/P9M``, ``2022-07/P3M``, ``2022-01/P1Y``,
and cumulative spans ``2022年1-9月``, ``2022年1—9月``, ``2022年前三季度``, ``2022年上半年``, ``2022年1-2月``;
also as statistical tables write them: ``2023年1-3月份``, ``2023年3月末`` (a stock at the month's end: that month),
``2023年末``, ``2023.03``, and any of these in full-width digits (``２０２３年３月``) or with spaces.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

Frequency = Literal["A", "Q", "M"]
Accumulation = Literal["period", "ytd"]

MONTHS_PER_STEP: dict[str, int] = {"A": 12, "Q": 3, "M": 1}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


class PeriodError(ValueError):
    """A period label that cannot be read, or that does not fit the indicator's frequency."""


@dataclass(frozen=True, order=True)
class Span:
    """What a label says: a year and the months it covers (start_month is None when the label only names an end)."""

    year: int
    end_month: int
    start_month: int | None
    freq: Frequency


@dataclass(frozen=True, order=True)
class Period:
    """A canonical period of one frequency; ``index`` is the month (M), quarter (Q) or 1 (A)."""

    year: int
    freq: Frequency
    index: int

    @property
    def label(self) -> str:
        if self.freq == "A":
            return f"{self.year}"
        if self.freq == "Q":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"

    @property
    def end_month(self) -> int:
        return self.index * MONTHS_PER_STEP[self.freq]

    def start_date(self, accumulation: Accumulation = "period") -> date:
        if accumulation == "ytd":
            return date(self.year, 1, 1)
        return date(self.year, self.end_month - MONTHS_PER_STEP[self.freq] + 1, 1)

    def end_date(self) -> date:
        return date(self.year, self.end_month, calendar.monthrange(self.year, self.end_month)[1])

    def shift(self, steps: int) -> Period:
        """The period ``steps`` periods later (negative: earlier), same frequency."""
        per_year = 12 // MONTHS_PER_STEP[self.freq]
        total = self.year * per_year + (self.index - 1) + steps
        return Period(total // per_year, self.freq, total % per_year + 1)

    def __str__(self) -> str:
        return self.label


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^([12]\d{3})(?:-?A1?|年(?:度|全年|末|底)?)?$"), "A"),
    (re.compile(r"^([12]\d{3})-?Q([1-4])$"), "Q"),
    (re.compile(r"^([12]\d{3})年第?([一二三四1-4])季度$"), "Q"),
    (re.compile(r"^([12]\d{3})-(0[1-9]|1[0-2])$"), "M"),
    (re.compile(r"^([12]\d{3})-?M(0?[1-9]|1[0-2])$"), "M"),
    (re.compile(r"^([12]\d{3})年(0?[1-9]|1[0-2])月(?:份|末|底)?$"), "M"),
    (re.compile(r"^([12]\d{3})\.(0[1-9]|1[0-2])$"), "M"),
    (re.compile(r"^([12]\d{3})年(0?1)[-—–~至到](0?[1-9]|1[0-2])月(?:份)?$"), "YTD_M"),
    (re.compile(r"^([12]\d{3})年前([一二三四1-4])季度$"), "YTD_Q"),
    (re.compile(r"^([12]\d{3})年(上)半年$"), "H1"),
    (re.compile(r"^([12]\d{3})-(0[1-9]|1[0-2])/P(\d{1,2})([MY])$"), "SDMX"),
]


# Every accepted form as one regular expression (ECMA 262 as well as Python): the OpenAPI pattern of period parameters.
PATTERN = "^(?:" + "|".join(p.pattern[1:-1] for p, _ in _PATTERNS) + ")$"


def _span_from_match(kind: str, groups: tuple[str, ...]) -> Span:
    year = int(groups[0])
    if kind == "A":
        return Span(year, 12, None, "A")
    if kind == "Q":
        return Span(year, _CN_DIGITS[groups[1]] * 3, None, "Q")
    if kind == "M":
        return Span(year, int(groups[1]), None, "M")
    if kind == "YTD_M":
        return Span(year, int(groups[2]), 1, "M")
    if kind == "YTD_Q":
        return Span(year, _CN_DIGITS[groups[1]] * 3, 1, "Q")
    if kind == "H1":
        return Span(year, 6, 1, "Q")
    start, n, unit = int(groups[1]), int(groups[2]), groups[3]
    months = n * 12 if unit == "Y" else n
    end = start + months - 1
    if months < 1 or end > 12:
        raise PeriodError(f"time range {'-'.join(groups[:2])}/P{n}{unit} runs past the end of the year")
    freq: Frequency = "A" if months == 12 else ("Q" if months % 3 == 0 and end % 3 == 0 else "M")
    return Span(year, end, start, freq)


def parse_span(text: str) -> Span:
    """Read any accepted label form into a Span; raise PeriodError naming the label otherwise."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))  # full-width digits and dashes as ASCII
    for pattern, kind in _PATTERNS:
        m = pattern.match(s)
        if m:
            return _span_from_match(kind, m.groups())
    if re.fullmatch(r"[12]\d{3}\.\d", s):
        raise PeriodError(
            f"period label {text!r} is ambiguous: {s[:4]}.{s[5]}0 typed as a number loses its 0 (October), so write "
            f"{s[:4]}-0{s[5]} or {s[:4]}-{s[5]}0"
        )
    raise PeriodError(
        f"unreadable period label {text!r}: expected e.g. 2022, 2022-Q3, 2022-09, 2022M9, 2022-01/P9M, 2022年1-9月"
    )


def resolve(span: Span, frequency: Frequency, accumulation: Accumulation) -> Period:
    """The canonical period of an indicator with this frequency and accumulation that the span denotes."""
    step = MONTHS_PER_STEP[frequency]
    if span.end_month % step:
        raise PeriodError(f"a {_FREQ_NAMES[frequency]} series cannot have a period ending in month {span.end_month}")
    period = Period(span.year, frequency, span.end_month // step)
    if span.start_month is not None:
        expected = 1 if accumulation == "ytd" else span.end_month - step + 1
        if span.start_month != expected:
            what = "cumulative from January" if accumulation == "ytd" else f"one {_FREQ_NAMES[frequency]} period"
            raise PeriodError(
                f"months {span.start_month}-{span.end_month} do not form a period of this indicator ({what})"
            )
    elif span.freq != frequency and accumulation != "ytd":
        raise PeriodError(f"a {_FREQ_NAMES[span.freq]} label does not name a {_FREQ_NAMES[frequency]} period")
    return period


def parse(text: str, frequency: Frequency, accumulation: Accumulation = "period") -> Period:
    """Parse a label for an indicator of the given frequency and accumulation."""
    return resolve(parse_span(text), frequency, accumulation)


def parse_canonical(label: str) -> Period:
    """Parse a stored canonical label (2022, 2022-Q3, 2022-09)."""
    span = parse_span(label)
    return Period(span.year, span.freq, span.end_month // MONTHS_PER_STEP[span.freq])


def bounds(text: str) -> tuple[date, date]:
    """The first and last day a query label covers, whatever the frequency (used for start/end filters)."""
    span = parse_span(text)
    start_month = span.start_month or span.end_month - MONTHS_PER_STEP[span.freq] + 1
    last = calendar.monthrange(span.year, span.end_month)[1]
    return date(span.year, start_month, 1), date(span.year, span.end_month, last)


_FREQ_NAMES = {"A": "annual", "Q": "quarterly", "M": "monthly"}
