"""Periods as bulletins write them: 全年, 上半年, 前三季度, 一季度, 1-7月, 1至8月, 8月当月, 年末, 8月末, 去年."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date

from service.ingest.extract.numbers import chinese_int


@dataclass(frozen=True)
class When:
    """A year and the months it covers, first to last (a stock at a month's end has first == last)."""

    year: int
    first: int
    last: int
    point: bool = False  # a stock at the end of the last month (年末, 8月末): start == end

    @property
    def start(self) -> str:
        return self.end if self.point else date(self.year, self.first, 1).isoformat()

    @property
    def end(self) -> str:
        return date(self.year, self.last, calendar.monthrange(self.year, self.last)[1]).isoformat()

    def earlier_year(self) -> When:
        return replace(self, year=self.year - 1)


_Q = "[一二三四1-4]"
PERIOD = re.compile(
    r"(?P<yend>(?:19|20)\d{2})\s*年\s*(?:末|底)(?!\d)|"
    r"(?:(?P<year>(?:19|20)\d{2})\s*年\s*)?"
    r"(?:(?P<whole>全年|年度|当年)|(?P<h1>上半年)|(?P<h2>下半年)|前(?P<qs>[一二三])季度"
    rf"|第?(?P<q>{_Q})季度|(?P<m1>\d{{1,2}})\s*(?:[-—–~至到])\s*(?P<m2>\d{{1,2}})\s*月"
    r"|(?P<ye>年末|年底)|(?P<cur>当月)|(?P<m>\d{1,2})\s*月(?P<mtail>份|末|底|当月)?)"
    r"|(?P<yonly>(?:19|20)\d{2})\s*年(?![末底度初\d])"
)
PREVIOUS = re.compile(r"(?<![比较同与])(?:去年|上年)(?P<same>同期|同月)?(?!比|相比)")
CURRENT = re.compile(r"今年|本年")
# A population is counted at the end of its period (年末常住人口), and so is the urbanisation rate.
STOCK_NAME = re.compile(r"(?<!出生|死亡|迁入|迁出|转移|脱贫|新增|减少|返乡|流入|流出)人口(?:数)?$|城镇化率")
# 今年以来/今年来: January to the period reported; 今年 alone: the year of writing.
SINCE = re.compile(r"\s*(?:以来|来)")
YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# A period after one of these is what a figure is compared with, not the figure's own period.
_COMPARED = ("比", "较", "同", "与", "于")


_FIXED = {"yonly": (1, 12), "whole": (1, 12), "yend": (12, 12), "ye": (12, 12), "h1": (1, 6), "h2": (7, 12)}


def _months(m: re.Match[str], current: When) -> tuple[int, int] | None:
    g = m.groupdict()
    fixed = next((months for key, months in _FIXED.items() if g[key]), None)
    if fixed:
        return fixed
    if g["cur"]:
        return current.last, current.last
    if g["qs"]:
        return 1, 3 * (chinese_int(g["qs"]) or 1)
    if g["q"]:
        q = chinese_int(g["q"]) or 1
        return 3 * q - 2, 3 * q
    if g["m1"]:
        return int(g["m1"]), int(g["m2"])
    month = int(g["m"])
    return (month, month) if 1 <= month <= 12 else None


def read(m: re.Match[str], current: When) -> When | None:
    """The period a match names, its year from the match or from ``current``."""
    year = current.year
    months = _months(m, current)
    if months is None or not (1 <= months[0] <= months[1] <= 12):
        return None
    y = int(m.group("year") or m.group("yonly") or m.group("yend") or year)
    point = bool(m.group("ye") or m.group("yend")) or m.group("mtail") in ("末", "底")
    if point and m.string[max(0, m.start() - 2) : m.start()] in ("截至", "截止"):
        return When(y, 1, months[1])  # 截至9月底: what happened from January to the end of September
    return When(y, *months, point=point)


def is_date(m: re.Match[str]) -> bool:
    """7月8日 is a day, not a month's figure."""
    return bool(m.group("m")) and re.match(r"\s*\d{1,2}\s*日", m.string[m.end() :]) is not None


def is_compared(text: str, start: int) -> bool:
    """A period or region written after 比/较/同/与 is the comparison's, not the figure's."""
    return start > 0 and text[start - 1] in _COMPARED


def parse_label(label: str, year: int | None) -> When | None:
    """A period argument: ``2022``, ``2022-Q3``, ``2022-09``, ``2022年1-4月``, ``2022年前三季度``."""
    label = label.strip()
    if m := re.fullmatch(r"((?:19|20)\d{2})(?:年|-A1)?", label):
        return When(int(m.group(1)), 1, 12)
    if m := re.fullmatch(r"((?:19|20)\d{2})-?Q([1-4])", label):
        return When(int(m.group(1)), 1, 3 * int(m.group(2)))
    if m := re.fullmatch(r"((?:19|20)\d{2})-M?(\d{1,2})", label):
        return When(int(m.group(1)), int(m.group(2)), int(m.group(2)))
    m2 = PERIOD.search(label)
    if m2 is None:
        return None
    y = int(m2.group("year")) if m2.group("year") else year
    return read(m2, When(y, 1, 12)) if y else None


_FULL_DATE = re.compile(r"\s*\d{1,2}\s*月\s*\d{1,2}\s*日")


def doc_year(text: str, published: date | None) -> int | None:
    """The year a document reports: the year of its title (the first line), else the year written most often (not
    in a full date, not after the publication; the latest of equals), else the year it was published."""
    title = text.strip().split("\n", 1)[0]
    if (m := YEAR.search(title)) and not _FULL_DATE.match(title, m.end()):
        return int(m.group(1))
    counts: dict[int, int] = {}
    for m in YEAR.finditer(text):
        year = int(m.group(1))
        if _FULL_DATE.match(text, m.end()) or is_compared(text, m.start()) or (published and year > published.year):
            continue
        counts[year] = counts.get(year, 0) + 1
    if counts:
        return max(counts, key=lambda y: (counts[y], y))
    return published.year if published else None


def writing_year(text: str, year: int, published: date | None) -> int:
    """The year the text is written in, for 去年: the year it reports when it calls that year 今年, else the
    publication's (a report on last year published in January says 去年 of the year it reports)."""
    if CURRENT.search(text) or published is None:
        return year
    return published.year
