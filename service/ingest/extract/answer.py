"""``POST /v1/extract`` and ``yardstick extract``: a document's proposed observations as ingest rows (issue #24).

``options()`` checks the parameters as ingest checks them (a 400 naming the parameter); ``answer()`` reads the
document (inputs.py), runs the extractor, and writes each proposal as an observation row that ``/v1/observations``
accepts as it is, with the catalog rows proposed for new concepts and what could not be resolved. What the text
states wins over a parameter; what neither states is reported in ``unresolved``, never guessed:
- no ``region`` and no region named in the title or lead: the figures the extractor would give the nation by
  default are unresolved;
- no year in the lead, no ``published`` and no ``period``: the figures whose quote names no year are unresolved;
- no ``published`` and no publication date on the page (发布时间: 2023-04-20): the rows' ``published`` is null, and
  ``unresolved`` says so.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from service.errors import bad_parameter
from service.ingest.extract import Catalog, Proposal, Unresolved, extract
from service.ingest.extract.inputs import Document
from service.ingest.extract.numbers import STOCK_UNITS
from service.ingest.extract.periods import doc_year
from service.ingest.extract.regions import RegionRow
from service.ingest.extract.text import normalise
from service.model import period as periods
from service.model.catalog import Indicator, Region
from service.model.schema import INDICATORS, INPUT_COLUMNS, REGION_CODE_PATTERN, SOURCE_ID_PATTERN

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
_NATION_WORDS = re.compile(r"全国|我国|中国|国内|全球")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_PUBLISHED = (
    re.compile(
        r"(?:发布|编稿|更新|发稿|公布|发表|录入)?(?:时间|日期)\s*[:：]?\s*"
        r"(?P<y>(?:19|20)\d{2})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})"
    ),
    re.compile(r"(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\s+\d{1,2}:\d{2}"),
)


@dataclass(frozen=True)
class Catalogs:
    """What the extractor matches against: the lake's regions, indicators and sources, and the synonyms."""

    regions: Mapping[str, Region]
    indicators: Mapping[str, Indicator]
    sources: Collection[str]
    synonyms: Sequence[tuple[str, str]] = ()

    @cached_property
    def region_rows(self) -> dict[str, RegionRow]:
        return {c: (r.name, r.parent, r.level) for c, r in self.regions.items()}

    @cached_property
    def names(self) -> dict[str, str]:
        return {c: i.name for c, i in self.indicators.items()}

    @cached_property
    def ranks(self) -> dict[str, str]:
        """The rank indicator of each ranked indicator."""
        return {i.rank_of: c for c, i in self.indicators.items() if i.kind == "rank" and i.rank_of}

    @cached_property
    def full_names(self) -> tuple[re.Pattern[str] | None, dict[str, list[str]]]:
        """Full names of the regions below the nation (湖南省, 衡阳市, 衡阳县) and the codes each names."""
        by_name: dict[str, list[str]] = {}
        for code, r in self.regions.items():
            if r.level in ("province", "prefecture", "county") and len(r.name) >= 3:
                by_name.setdefault(r.name, []).append(code)
        alternation = "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
        return (re.compile(alternation) if alternation else None), by_name

    @classmethod
    def from_files(cls, folder: Path, synonyms: Path | None = None) -> Catalogs:
        """The shipped catalogs (data/regions.csv, indicators.csv, sources.csv), for ``yardstick extract`` without
        a lake."""
        regions = {r["code"]: Region(**_fields(Region, r)) for r in _csv(folder / "regions.csv")}
        indicators = {r["code"]: Indicator(**_fields(Indicator, r)) for r in _csv(folder / "indicators.csv")}
        sources = {r["id"] for r in _csv(folder / "sources.csv")}
        return cls(regions, indicators, sources, read_synonyms(synonyms))


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _fields(kind: type, row: dict[str, str]) -> dict[str, Any]:
    names = kind.__dataclass_fields__  # type: ignore[attr-defined]
    out: dict[str, Any] = {n: (row.get(n) or None) for n in names}
    if "accumulation" in out:
        out["accumulation"] = out["accumulation"] or "period"
    return out


def read_synonyms(path: Path | None) -> list[tuple[str, str]]:
    """(short, full) pairs of data/synonyms.csv; none if there is no file."""
    return [(r["short"], r["full"]) for r in _csv(path)] if path else []


@dataclass(frozen=True)
class Options:
    """The request's parameters, checked."""

    region: str | None = None
    published: date | None = None
    period: str | None = None  # as given
    months: tuple[int, int, int] | None = None  # (year, first month, last month) the period covers
    source: str | None = None

    @property
    def period_argument(self) -> str | None:
        """The period in the extractor's words (2022年1-9月)."""
        if self.months is None:
            return None
        year, first, last = self.months
        return f"{year}年{first}-{last}月"


def options(
    catalogs: Catalogs,
    *,
    region: str | None = None,
    published: str | None = None,
    period: str | None = None,
    source: str | None = None,
    today: date | None = None,
) -> Options:
    """The parameters checked as ingest checks them: a 400 naming the parameter, in words (an empty one too)."""
    if region is not None and (not re.fullmatch(REGION_CODE_PATTERN, region) or region not in catalogs.regions):
        raise bad_parameter("region", f"unknown region {region!r}: the code of a region of /v1/regions (430400)")
    when = _published(published, today or date.today())
    months = None
    if period is not None:
        try:
            span = periods.parse_span(period)
        except periods.PeriodError as exc:
            raise bad_parameter("period", str(exc)) from None
        first = span.start_month or (1 if span.freq in ("A", "Q") else span.end_month)
        months = (span.year, first, span.end_month)
    if source is not None and (not re.fullmatch(SOURCE_ID_PATTERN, source) or source not in catalogs.sources):
        raise bad_parameter("source", f"unknown source {source!r}: the id of a source of /v1/sources")
    return Options(region, when, period, months, source)


def _published(value: str | None, today: date) -> date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        when = date.fromisoformat(value)
    except ValueError:
        raise bad_parameter("published", f"{value!r} is not a date: write YYYY-MM-DD (2023-04-20)") from None
    if when > today:
        raise bad_parameter("published", f"{value} is after today: a document cannot be published in the future")
    return when


def stated_published(text: str, today: date) -> date | None:
    """The publication date a page states near its head (发布时间: 2023-04-20, 2014-07-18 21:22:58), if any."""
    head = text[:2000]
    for pattern in _PUBLISHED:
        for m in pattern.finditer(head):
            try:
                when = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            except ValueError:
                continue
            if when <= today:
                return when
    return None


def stated_region(text: str, catalogs: Catalogs) -> str | None:
    """The region a document's title or lead names in full (衡阳市2022年…公报): the most specific one named, when
    its name is one region's alone."""
    pattern, by_name = catalogs.full_names
    if pattern is None:
        return None
    depth = {"province": 1, "prefecture": 2, "county": 3}
    found: dict[str, int] = {}
    for m in pattern.finditer(text[:200]):
        codes = by_name[m.group()]
        if len(codes) == 1:
            found[codes[0]] = depth[catalogs.regions[codes[0]].level]
    if not found:
        return None
    deepest = max(found.values())
    best = [c for c, d in found.items() if d == deepest]
    return best[0] if len(best) == 1 else None


@dataclass
class _Answer:
    """The rows being written, and the catalog rows they need."""

    catalogs: Catalogs
    options: Options
    published: date | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    seen: set[tuple[Any, ...]] = field(default_factory=set)


def answer(doc: Document, opts: Options, catalogs: Catalogs, today: date | None = None) -> dict[str, Any]:
    """The answer of POST /v1/extract for a document read by inputs.read_document."""
    text = doc.text
    published = opts.published or stated_published(text, today or date.today())
    region = opts.region or stated_region(normalise(text).text, catalogs)
    out = extract(
        text,
        region=region,
        published=published,
        period=opts.period_argument,
        regions=catalogs.region_rows,
        indicators=catalogs.names,
        synonyms=catalogs.synonyms,
    )
    state = _Answer(catalogs, opts, published)
    year_known = opts.months is not None or doc_year(normalise(text).text, published) is not None
    names = Catalog(catalogs.names, catalogs.synonyms)
    nation = next((c for c, r in catalogs.regions.items() if r.level == "nation"), "CN")
    for p in out.proposals:
        why = _unresolvable(p, text, region, nation, year_known)
        if why:
            state.unresolved.append(_unresolved(Unresolved(p.quote, p.span, why)))
        else:
            _add(state, p, names)
    state.unresolved += [_unresolved(u) for u in out.unresolved]
    if published is None:
        state.unresolved.append(
            {"quote": "", "span": [0, 0], "why": "no publication date: the text states none; pass published=YYYY-MM-DD"}
        )
    _link_ranks(state)
    return {
        "document": doc.describe(),
        "region": region,
        "published": published.isoformat() if published else None,
        "observations": state.rows,
        "indicators": list(state.indicators.values()),
        "unresolved": state.unresolved,
    }


def _unresolvable(p: Proposal, text: str, region: str | None, nation: str, year_known: bool) -> str | None:
    if region is None and p.region == nation and not _NATION_WORDS.search(text[max(0, p.span[0] - 80) : p.span[1]]):
        return "no region: the text names none before this figure and no region= was given"
    if not year_known and not _YEAR.search(p.quote):
        return "no year: the text states none before this figure; pass published= or period="
    return None


def _unresolved(u: Unresolved) -> dict[str, Any]:
    return {"quote": u.quote, "span": list(u.span), "why": u.why}


def _add(state: _Answer, p: Proposal, names: Catalog) -> None:
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
    kind or unit does not fit the figure (a level matched to a growth rate by its name, 3.13万家 to a count in
    units) is not used: a new concept is proposed instead."""
    if p.measure == "rank":
        base = p.indicator_name.removesuffix(" rank").strip()
        base_code, base_new = names.code(base, "growth") if base else ("", True)
        known = catalogs.ranks.get(base_code) if not base_new else None
        name = f"{base}排名" if base else "排名"
        return (
            (known, name, False)
            if known
            else (Catalog.new_code(names.canonical(base, names.synonyms), "rank"), name, True)
        )
    info = catalogs.indicators.get(p.indicator)
    if info is not None and _fits(info, p):
        return p.indicator, p.indicator_name, False
    if info is None:
        return p.indicator, p.indicator_name, True
    return Catalog.new_code(names.canonical(p.indicator_name, names.synonyms), p.measure), p.indicator_name, True


def _fits(info: Indicator, p: Proposal) -> bool:
    if info.kind == "rank":
        return False
    if info.kind == "growth":
        return p.measure == "growth"
    if info.kind == "share":
        return p.unit == "percent" and p.measure != "growth"
    return p.measure not in ("growth", "share") and p.unit == info.unit


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


def _link_ranks(state: _Answer) -> None:
    """A proposed rank indicator ranks the indicator of the same name in the answer (or the catalog's)."""
    names = Catalog(state.catalogs.names, state.catalogs.synonyms)
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


def ingest_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the ingest columns only (for a CSV a spreadsheet user edits)."""
    return [{c: r.get(c) for c in INPUT_COLUMNS["observations"]} for r in rows]
