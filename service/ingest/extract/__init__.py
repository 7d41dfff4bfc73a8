"""From a document's text to proposed observations, each with its verbatim quote and span (issue #24).

``extract(text, region=…, published=…, period=…, regions=…, indicators=…)`` reads prose sentence by sentence
(grammar.py), derives what the sentences imply (relations.py), reads tables written as text (tables.py), and
answers proposals a person reviews. Spans are code points of the text as sent: ``text[start:end] == quote``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from service.ingest.extract import grammar, ranks, relations, subjects, tables
from service.ingest.extract.catalog import Catalog
from service.ingest.extract.grammar import Context, Draft
from service.ingest.extract.periods import (
    PERIOD,
    When,
    doc_year,
    is_compared,
    is_date,
    parse_label,
    read,
    writing_year,
)
from service.ingest.extract.regions import RegionIndex, RegionRow
from service.ingest.extract.text import Converter, Normal, normalise, opencc_t2s

__all__ = ["Extraction", "Proposal", "Unresolved", "extract"]


@dataclass(frozen=True)
class Proposal:
    indicator_name: str
    indicator: str
    region: str
    period_start: str
    period_end: str
    value: float
    unit: str
    status: str
    quote: str
    span: tuple[int, int]
    note: str | None
    confidence: float
    measure: str
    new_indicator: bool


@dataclass(frozen=True)
class Unresolved:
    quote: str
    span: tuple[int, int]
    why: str


@dataclass
class Extraction:
    proposals: list[Proposal] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


def _default_period(text: str, first: int, period: str | None, year: int) -> When:
    """The period the document reports: the argument, else the first period of the document's year named before
    the first figure (a period of another year is its sentence's only)."""
    if period and (given := parse_label(period, year)):
        return given
    whole = When(year, 1, 12)
    for m in PERIOD.finditer(text, 0, first):
        if not is_compared(text, m.start()) and not is_date(m) and (when := read(m, whole)) and when.year == year:
            return when
    return whole


def _year(text: str, published: date | None, period: str | None) -> int:
    """The year reported: the period argument's, else the text's lead, else the publication's (else this year)."""
    given = parse_label(period, None) if period else None
    if given is not None:
        return given.year
    return doc_year(text, published) or date.today().year


def _sentences(ctx: Context, its: list[grammar.Item]) -> list[Draft]:
    """Stated and derived figures, sentence by sentence, ranks after the figure they rank."""
    out: list[Draft] = []
    by_sentence: dict[tuple[int, int], list[tuple[grammar.Item, int]]] = {}
    for it, gs in grammar.with_group_start(its):
        by_sentence.setdefault(grammar.sentence_bounds(ctx.text, it.num.start), []).append((it, gs))
    for m in ranks.RANK.finditer(ctx.text):
        by_sentence.setdefault(grammar.sentence_bounds(ctx.text, m.start()), [])
    for (sent, end), members in sorted(by_sentence.items()):
        out += _sentence(ctx, sent, end, members)
    return out


def _sentence(ctx: Context, sent: int, end: int, members: list[tuple[grammar.Item, int]]) -> list[Draft]:
    before: list[Draft] = []
    derived: list[Draft] = []
    groups: dict[int, list[Draft]] = {}
    for it, gs in members:
        d = grammar.draft(ctx, it, sent, gs)
        if d is None:
            continue
        if subjects.together(ctx, it, sent, gs):
            ctx.aside.append((d.start, d.end, "said of several regions together, no single region's"))
            continue
        if not d.name and before and (d.unit in ("percent", "pp", "times") or d.unit == before[-1].unit):
            d.name = before[-1].name.removesuffix("增长") + ("增长" if d.measure == "growth" else "")
        if not d.name and d.unit == "count" and grammar.CLAUSE_END.match(ctx.text, it.end):
            continue  # 达到6个。: a count of nothing named
        derived += relations.derive(ctx, d, it, sent, gs, before)
        before.append(d)
        derived += subjects.shared(ctx, d, it, sent, gs)
        groups.setdefault(it.group, []).append(d)
        if it.index == it.size - 1:
            relations.structure(ctx, groups[it.group], ctx.text[grammar.clause_start(ctx.text, gs) : gs])
    ranked = ranks.rank_drafts(ctx, sent, end, before)
    return _aside(ctx, sent, before + derived + ranked + relations.fractions(ctx, sent, end, before))


def _aside(ctx: Context, sent: int, drafts: list[Draft]) -> list[Draft]:
    """Figures of a clause about a firm, a park or 市本级 (and of the clauses after it that name no region) go to
    ``unresolved``."""
    end = max((d.at for d in drafts), default=sent) + 1
    foreign = subjects.foreign_clauses(ctx, sent, end)
    if not foreign or (foreign[0][0] == sent and grammar.paragraph_subject(ctx, sent)):
        return drafts
    kept: list[Draft] = []
    for d in drafts:
        opened = [(c, name) for c, name in foreign if c <= d.at]
        named = opened and any(m.subject and opened[-1][0] <= m.start < d.at for m in ctx.mentions)
        if opened and not named and d.region in (ctx.home, grammar.paragraph_subject(ctx, sent)):
            ctx.aside.append((d.start, d.end, f"about {opened[-1][1]}, which is not a region of the catalog"))
        else:
            kept.append(d)
    return kept


_UNRESOLVED_NUMBER = re.compile(r"(?<![0-9.年月日:-])\d{3,}(?![0-9.年月日号时:-])")


def _unresolved(norm: Normal, text: str, used: list[tuple[int, int]]) -> list[Unresolved]:
    """Numbers of three or more digits that no proposal quotes: left for a person."""
    out: list[Unresolved] = []
    for m in _UNRESOLVED_NUMBER.finditer(norm.text):
        s, e = norm.span(m.start(), m.end())
        if any(a <= s and e <= b for a, b in used) or re.match(r"(19|20)\d\d$", m.group()):
            continue
        cs = grammar.clause_start(norm.text, m.start())
        qs, qe = norm.span(cs, m.end())
        out.append(Unresolved(text[qs:qe], (qs, qe), "a number without a unit or pattern this reader knows"))
    return out


def _proposal(d: Draft, norm: Normal, text: str, catalog: Catalog) -> Proposal:
    s, e = norm.span(d.start, d.end)
    while s < e and text[s].isspace():
        s += 1
    code, new = catalog.code(d.name, d.measure, d.unit)
    return Proposal(
        d.name,
        code,
        d.region,
        d.when.start,
        d.when.end,
        d.value,
        d.unit,
        d.status,
        text[s:e],
        (s, e),
        d.note,
        d.confidence,
        d.measure,
        new,
    )


def extract(
    text: str,
    *,
    region: str | None,
    published: date | None,
    period: str | None,
    regions: Mapping[str, RegionRow],
    indicators: Mapping[str, str] | None = None,
    synonyms: Sequence[tuple[str, str]] = (),
    names: Sequence[tuple[str, str]] = (),
    units: Mapping[str, str] | None = None,
    convert: Converter | None = opencc_t2s,
) -> Extraction:
    """Proposed observations of ``text`` about ``region`` (code), published on ``published``, reporting ``period``
    when the text does not say; ``regions`` maps code → (name, parent, level), ``indicators`` code → name, ``names``
    (code, a usual name) of concepts, ``units`` code → unit (see ``extract.catalog``)."""
    norm = normalise(text, convert)
    index = RegionIndex(dict(regions), region)
    home = region or index.province or index.nation()
    year = _year(norm.text, published, period)
    first = next((it.num.start for it in grammar.items(norm.text, set()) if it.unit), len(norm.text))
    default = _default_period(norm.text, first, period, year)
    table_drafts, skip = tables.read_tables(norm.text, index, home, default)
    its = grammar.items(norm.text, skip)
    ctx = Context(norm.text, index, home, default, index.mentions(norm.text))
    ctx.now = writing_year(norm.text, year, published)
    drafts = table_drafts + _sentences(ctx, its)
    catalog = Catalog(indicators or {}, synonyms, names, units)
    proposals = _distinct([_proposal(d, norm, text, catalog) for d in drafts])
    aside = [_aside_entry(norm, text, a, b, why) for a, b, why in ctx.aside]
    used = [p.span for p in proposals] + [u.span for u in aside]
    return Extraction(proposals, aside + _unresolved(norm, text, used))


def _distinct(proposals: list[Proposal]) -> list[Proposal]:
    """A passage repeated word for word (a headline printed again) is proposed once."""
    seen: set[tuple[object, ...]] = set()
    out: list[Proposal] = []
    for p in proposals:
        key = (p.quote, p.indicator_name, p.region, p.period_start, p.period_end, p.value, p.unit, p.status)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _aside_entry(norm: Normal, text: str, start: int, end: int, why: str) -> Unresolved:
    s, e = norm.span(start, end)
    return Unresolved(text[s:e], (s, e), why)
