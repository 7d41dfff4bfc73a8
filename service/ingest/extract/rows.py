"""The rows of an extract answer: each proposal as an observation row ingest reads (its indicator checked against
the catalog's kinds and units, its period written as a label of that indicator), and the catalog rows proposed for
new concepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from service.ingest.extract import Proposal
from service.ingest.extract.catalog import Catalog, new_code
from service.ingest.extract.numbers import STOCK_UNITS
from service.model import period as periods
from service.model.catalog import Indicator
from service.model.schema import INDICATORS

if TYPE_CHECKING:
    from service.ingest.extract.answer import Catalogs, Options

OBSERVATION_FIELDS = (
    "indicator",
    "indicator_name",
    "region",
    "period",
    "period_start",
    "period_end",
    "value",
    "unit",
    "status",
    "published",
    "source",
    "quote",
    "span",
    "note",
    "confidence",
    "new_indicator",
)


@dataclass
class Answer:
    """The rows being written, and the catalog rows they need."""

    catalogs: Catalogs
    options: Options
    published: date | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    seen: set[tuple[Any, ...]] = field(default_factory=set)


def add(state: Answer, p: Proposal, names: Catalog) -> None:
    code, name, new = _indicator(state.catalogs, p, names)
    info = state.catalogs.indicators.get(code)
    if new and code not in state.indicators:
        state.indicators[code] = _proposed(code, name, p)
    rule = (info.frequency, info.accumulation) if info else _rule(state.indicators[code])
    label = period_label(p.period_start, p.period_end, rule)
    key = (code, p.region, label, p.value, p.status)
    if key in state.seen:  # the same figure stated twice (a title and its paragraph)
        return
    state.seen.add(key)
    row = {
        "indicator": code,
        "indicator_name": name,
        "region": p.region,
        "period": label,
        "period_start": p.period_start,
        "period_end": p.period_end,
        "value": p.value,
        "unit": info.unit if info else p.unit,
        "status": p.status,
        "published": state.published.isoformat() if state.published else None,
        "source": state.options.source,
        "quote": p.quote,
        "span": list(p.span),
        "note": p.note,
        "confidence": p.confidence,
        "new_indicator": new,
    }
    state.rows.append(row)


def _indicator(catalogs: Catalogs, p: Proposal, names: Catalog) -> tuple[str, str, bool]:
    """(code, name as the text names it, whether the code is proposed) of a proposal. A code of the catalog whose
    kind or unit does not fit the figure (a growth rate matched by name to the level, 3.13万家 to a count in units)
    is not used: the concept's indicator of that measure is, else a new one is proposed."""
    if p.measure == "rank":
        base = p.indicator_name.removesuffix(" rank").strip()
        name = f"{base}排名" if base else "排名"
        code, new = names.code(name, "rank")
        if new and base:  # the catalog's rank of the indicator ranked (规模工业增加值 → its growth's rank)
            ranked, ranked_new = _resolve(catalogs, names, base, "growth", "percent", names.code(base, "growth")[0])
            known = None if ranked_new else catalogs.ranks.get(ranked)
            if known:
                return known, name, False
        return code, name, new
    code, new = _resolve(catalogs, names, p.indicator_name, p.measure, p.unit, p.indicator)
    return code, p.indicator_name, new


def _resolve(catalogs: Catalogs, names: Catalog, name: str, measure: str, unit: str, hint: str) -> tuple[str, bool]:
    info = catalogs.indicators.get(hint)
    if info is None:
        return hint, True
    if _fits(info, measure, unit):
        return hint, False
    key = names.canonical(name)
    base = hint if info.kind in ("level", "count") else names.concept(key)
    if base is not None:
        code = base + names.suffix(base, key, measure, unit)
        found = catalogs.indicators.get(code)
        if found is None:
            return code, True  # the concept's measure the catalog lacks: proposed under the concept's code
        if _fits(found, measure, unit):
            return code, False
    return new_code(key, measure), True


def _fits(info: Indicator, measure: str, unit: str) -> bool:
    if info.kind == "rank":
        return measure == "rank"
    if info.kind == "growth":
        return measure == "growth"
    if info.kind == "share":
        return unit == "percent" and measure != "growth"
    return measure not in ("growth", "share") and unit == info.unit


def _kind(measure: str, unit: str) -> str:
    if measure in ("rank", "growth", "share"):
        return measure
    if measure == "contribution":
        return "share"
    return "count" if unit in STOCK_UNITS or unit == "count" else "level"


def _rule(row: dict[str, Any]) -> tuple[periods.Frequency, periods.Accumulation]:
    return row["frequency"], row["accumulation"]


def _months(start: str, end: str) -> tuple[int, int, int, bool]:
    s, e = date.fromisoformat(start), date.fromisoformat(end)
    return e.year, s.month, e.month, s == e


def _frequency(start: str, end: str) -> tuple[periods.Frequency, periods.Accumulation]:
    """The frequency and accumulation of a new concept, from its first figure's period."""
    _, first, last, point = _months(start, end)
    if point:
        return ("A" if last == 12 else "Q" if last % 3 == 0 else "M"), "period"
    if (first, last) == (1, 12):
        return "A", "period"
    if first == last:
        return "M", "period"
    if first == 1:
        return ("Q" if last % 3 == 0 else "M"), "ytd"
    return ("Q" if last - first == 2 and last % 3 == 0 else "M"), "period"


def period_label(start: str, end: str, rule: tuple[periods.Frequency, periods.Accumulation]) -> str:
    """The period label ingest reads as [start, end] for an indicator of this frequency and accumulation
    (2022-Q3 for January–September of a cumulative quarterly one); where the period does not fit the indicator,
    the plainest label of the period (2022, 2022-05, 2022-Q3 for July–September, else an SDMX time range such as
    2022-07/P5M), which ingest refuses for that indicator with a reason a reviewer can act on."""
    year, first, last, point = _months(start, end)
    frequency, accumulation = rule
    span = periods.Span(year, last, None if point else first, frequency)
    try:
        return periods.resolve(span, frequency, accumulation).label
    except periods.PeriodError:
        pass
    if (first, last) == (1, 12) or (point and last == 12):
        return str(year)
    if point or first == last:
        return f"{year}-{last:02d}"
    if last - first == 2 and last % 3 == 0:
        return f"{year}-Q{last // 3}"
    return f"{year}-{first:02d}/P{last - first + 1}M"


def _proposed(code: str, name: str, p: Proposal) -> dict[str, Any]:
    frequency, accumulation = _frequency(p.period_start, p.period_end)
    row: dict[str, Any] = dict.fromkeys(f.name for f in INDICATORS)
    row.update(
        code=code,
        name=name or code,
        unit=p.unit,
        kind=_kind(p.measure, p.unit),
        frequency=frequency,
        accumulation=accumulation,
        description=f"proposed by the extractor from: {p.quote[:300]}",
    )
    return row


def link_ranks(state: Answer) -> None:
    """A proposed rank indicator ranks the indicator of the same name in the answer (or the catalog's)."""
    names = state.catalogs.catalog
    by_name = {r["indicator_name"]: r["indicator"] for r in state.rows if not r["indicator"].endswith(".rank")}
    for code, row in state.indicators.items():
        if row["kind"] != "rank":
            continue
        base = row["name"].removesuffix("排名")
        ranked = by_name.get(base)
        if ranked is None and base:
            found, new = names.code(base, "growth")
            ranked = None if new else found
        row["rank_of"] = ranked
        if ranked is None:
            row["description"] = f"{row['description']} (name the indicator it ranks in rank_of)"
        state.indicators[code] = row
