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
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from service.errors import bad_parameter
from service.ingest.extract import Proposal, Unresolved, extract, rows
from service.ingest.extract.catalog import Catalog
from service.ingest.extract.inputs import Document
from service.ingest.extract.periods import doc_year
from service.ingest.extract.regions import RegionRow
from service.ingest.extract.rows import OBSERVATION_FIELDS, period_label
from service.ingest.extract.text import normalise
from service.model import period as periods
from service.model.catalog import Indicator, Region
from service.model.schema import REGION_CODE_PATTERN, SOURCE_ID_PATTERN

__all__ = ["OBSERVATION_FIELDS", "Catalogs", "Options", "answer", "options", "period_label"]
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
    concepts: Sequence[tuple[str, str]] = ()  # (code, a usual name): data/indicator_names.csv

    @cached_property
    def catalog(self) -> Catalog:
        """Names to codes as the extractor maps them."""
        return Catalog(self.names, self.synonyms, self.concepts, self.units)

    @cached_property
    def units(self) -> dict[str, str]:
        return {c: i.unit for c, i in self.indicators.items()}

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
        return cls(regions, indicators, sources, read_synonyms(synonyms), read_concepts(folder))


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


def read_concepts(folder: Path) -> list[tuple[str, str]]:
    """(code, a usual name) of data/indicator_names.csv in ``folder``; none if there is no file."""
    return [(r["code"], r["name"]) for r in _csv(folder / "indicator_names.csv")]


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
        names=catalogs.concepts,
        units=catalogs.units,
    )
    state = rows.Answer(catalogs, opts, published)
    year_known = opts.months is not None or doc_year(normalise(text).text, published) is not None
    names = catalogs.catalog
    nation = next((c for c, r in catalogs.regions.items() if r.level == "nation"), "CN")
    for p in out.proposals:
        why = _unresolvable(p, text, region, nation, year_known)
        if why:
            state.unresolved.append(_unresolved(Unresolved(p.quote, p.span, why)))
        else:
            rows.add(state, p, names)
    state.unresolved += [_unresolved(u) for u in out.unresolved]
    if published is None:
        state.unresolved.append(
            {"quote": "", "span": [0, 0], "why": "no publication date: the text states none; pass published=YYYY-MM-DD"}
        )
    rows.link_ranks(state)
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
