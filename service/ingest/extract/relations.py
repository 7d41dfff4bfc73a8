"""Figures derived by arithmetic from what a sentence states (status D, the arithmetic in the note).

- 高于/低于全国、全省 X 个百分点 after a growth rate: the compared region's rate, base ∓ X, same period.
- 同比加快/提高/回落 X 个百分点 (or 与上年比…): the same rate a year earlier, base − (±X); for 第N产业 the base is
  the industry's share in the structure (三次产业结构 A:B:C) stated before.
- 增加/减少/净增 X <unit> after a level in the same unit: the level a year earlier, level − (±X).
"""

from __future__ import annotations

import re
from dataclasses import replace

from service.ingest.extract.grammar import Context, Draft, Item, clause_start
from service.ingest.extract.numbers import chinese_int
from service.ingest.extract.periods import PERIOD, When, read
from service.ingest.extract.regions import Mention

RELATIVE = re.compile(r"高于|低于|快于|慢于|高出|低出|超过|超出|比(?=全省|全国|全市|全州|全县|我省)")
_LOWER = ("低于", "慢于", "低出")
_PREVIOUS = re.compile(r"同比|比上年|较上年|与上年|比去年|较去年|上年同期")
_OTHER_COMPARATOR = re.compile(r"比(?!上年|去年|较上年)|较(?!上年|去年)")
_CHANGE_VERB = re.compile(r"加快|提高|上升|提升|回落|下降|放缓|回升|扩大|收窄|降低")
ORDINALS = re.compile(r"(第)?([一二三](?:[、和][一二三])*)(次)?产业")
_THREE_SECTORS = re.compile(r"三次产业|产业结构|三大产业")


def _rounded(value: float, *written: str) -> float:
    decimals = max((len(w.split(".")[1]) if "." in w else 0) for w in written)
    return round(value, decimals)


def _last_rate(before: list[Draft], at: int, region: str | None = None) -> Draft | None:
    for d in reversed(before):
        if d.at < at and d.status == "A" and d.unit == "percent" and (region is None or d.region == region):
            return d
    return None


def _lower(ctx: Context, verb: re.Match[str], target: Mention) -> bool:
    """高于/低于, or 比全省高/低 (the word after the region says which)."""
    if verb.group() != "比":
        return verb.group() in _LOWER
    after = re.sub(r"^(?:平均|水平|增速|增幅)+", "", ctx.text[target.end : target.end + 6])
    return after[:1] in ("低", "慢", "少")


def relative(ctx: Context, d: Draft, it: Item, lead: str, lead_start: int, before: list[Draft]) -> list[Draft]:
    """高于全省 X 个百分点, 比全国高 X 个百分点: the stated gap (signed) and the compared region's figure."""
    verb = RELATIVE.search(lead)
    if verb is None:
        return []
    at = lead_start + verb.start()
    compared = [m for m in ctx.mentions if at <= m.start < d.at and not m.subject]
    if not compared:
        return []
    target = compared[it.index] if len(compared) == it.size else compared[-1]
    lower = _lower(ctx, verb, target)
    if lower and d.value > 0:
        d.value = -d.value
    base = _last_rate(before, d.at)
    if base is None:
        return []
    value = _rounded(base.value - d.value, base.written, d.written)
    op = "+" if lower else "−"
    said = ctx.text[at : d.at] + d.written
    note = f"derived: {base.written} {op} {d.written.lstrip('-')} ({said}个百分点)"
    return [
        replace(
            d,
            value=value,
            region=target.code,
            when=base.when,
            measure=base.measure,
            unit=base.unit,
            status="D",
            note=note,
            confidence=0.7,
            name=base.name,
        )
    ]


def _ordinals(lead: str) -> list[int]:
    m = ORDINALS.search(lead)
    if m is None:
        return []
    if m.group(3) and not m.group(1) and m.group(2) == "三":
        return [1, 2, 3]
    return [chinese_int(c) or 0 for c in re.findall(r"[一二三]", m.group(2))]


def _compared_period(ctx: Context, lead: str, base: When) -> When | None:
    """比一季度加快, 较1-5月提高: the earlier period of the same year the rate is compared with."""
    for m in re.finditer(r"[比较]", lead):
        p = PERIOD.match(lead, m.end())
        if p is not None and not p.group("yonly"):
            return read(p, When(base.year, 1, 12))
    return None


def _comparison(lead: str, sentence: str) -> bool:
    """Whether a change in percentage points is against an earlier period (not 比规模工业增速快…)."""
    other = _OTHER_COMPARATOR.search(re.sub(r"占比|比重|同比|比例", "", lead))
    return not other and bool(_PREVIOUS.search(sentence) or _CHANGE_VERB.search(lead))


def _rate_base(ctx: Context, d: Draft, it: Item, lead: str, before: list[Draft]) -> Draft | None:
    ords = _ordinals(lead)
    if ords:
        return ctx.structure.get(ords[it.index] if len(ords) == it.size else ords[0])
    base = _last_rate(before, d.at, d.region)
    return base if base is not None and base.measure in ("growth", "share", "percent") else None


def earlier(ctx: Context, d: Draft, it: Item, lead: str, sent: int, before: list[Draft]) -> list[Draft]:
    """同比加快 X 个百分点, 第二产业比重下降 X 个百分点, 比一季度加快 X 个百分点: the rate or share then."""
    probe = _last_rate(before, d.at, d.region)
    compared = _compared_period(ctx, lead, probe.when) if probe else None
    if compared is None and not _comparison(lead, ctx.text[sent : d.at]):
        return []
    base = probe if compared is not None else _rate_base(ctx, d, it, lead, before)
    if base is None:
        return []
    change = d.written if d.value >= 0 else "-" + d.written.lstrip("-")
    value = _rounded(base.value - d.value, base.written, d.written)
    note = f"derived: {base.value:g} − ({change}) ({lead[-8:]}{d.written}个百分点)"
    if "降幅" in lead and base.value < 0:  # 降幅收窄 X: the fall was X points deeper then
        value = _rounded(base.value + d.value, base.written, d.written)
        note = f"derived: {base.value:g} + ({change}) ({lead[-8:]}{d.written}个百分点, a fall's size)"
    when = compared or base.when.earlier_year()
    return [
        replace(
            d,
            value=value,
            region=base.region,
            when=when,
            measure=base.measure,
            unit="percent",
            status="D",
            note=note,
            confidence=0.6,
            name=base.name,
        )
    ]


def times(ctx: Context, d: Draft, lead: str, before: list[Draft]) -> list[Draft]:
    """数量是2021年的2.75倍: the earlier figure, base ÷ X."""
    m = re.search(r"是(?P<p>.{0,12})的$", lead)
    base = next((b for b in reversed(before) if b.unit not in ("percent", "pp", "times", "rank")), None)
    if m is None or base is None or d.value == 0:
        return []
    p = PERIOD.search(m.group("p"))
    when = read(p, base.when) if p else None
    if when is None and re.search(r"上年|去年", m.group("p")):
        when = base.when.earlier_year()
    if when is None:
        return []
    value = _rounded(base.value / d.value, base.written)
    note = f"derived: {base.written} ÷ {d.written} ({m.group()}{d.written}倍)"
    return [
        replace(
            d,
            value=value,
            unit=base.unit,
            when=when,
            measure=base.measure,
            status="D",
            note=note,
            confidence=0.6,
            name=base.name,
            region=base.region,
        )
    ]


_FRACTION = re.compile(r"占(?P<r>全省|全国|全市)(?P<n>[二三四五六七八九十]{1,3})分之一")


def fractions(ctx: Context, sent: int, end: int, before: list[Draft]) -> list[Draft]:
    """数量占全省七分之一: the whole's figure, base × 7."""
    out: list[Draft] = []
    for m in _FRACTION.finditer(ctx.text, sent, end):
        base = next((b for b in reversed(before) if b.at < m.start() and b.status == "A"), None)
        n = chinese_int(m.group("n"))
        target = next((x for x in ctx.mentions if x.start == m.start("r")), None)
        if base is None or not n or target is None:
            continue
        note = f"derived: {base.written} × {n} ({m.group()})"
        out.append(
            replace(
                base,
                start=clause_start(ctx.text, base.at),
                end=m.end(),
                value=base.value * n,
                region=target.code,
                status="D",
                note=note,
                confidence=0.5,
                written=m.group("n"),
            )
        )
    return out


_NEW_FLOW = re.compile(r"新入库|新增|新登记|新设|新引进|新建|新开工|新培育|引进|签约|当年")


def _net_of_a_flow(ctx: Context, d: Draft, base: Draft) -> bool:
    """新入库1943家、净增556家: the net change is the stock's (entries less exits), not the change of the entries."""
    lead = ctx.text[clause_start(ctx.text, d.at) : d.at]
    base_lead = ctx.text[clause_start(ctx.text, base.at) : base.at]
    return bool(re.search(r"净增|净减", lead)) and _NEW_FLOW.search(base_lead) is not None


def level_change(ctx: Context, d: Draft, before: list[Draft]) -> list[Draft]:
    """增加 0.09 千公顷 after 85.76 千公顷: last year's level."""
    base = next((b for b in reversed(before) if b.unit == d.unit and b.measure == "level" and b.status == "A"), None)
    if base is None or base.at > d.at or _net_of_a_flow(ctx, d, base):
        return []
    value = _rounded(base.value - d.value, base.written, d.written)
    sign = "−" if d.value >= 0 else "+"
    note = f"derived: {base.written} {sign} {d.written} (change stated: {d.value:g})"
    cs = clause_start(ctx.text, base.at)
    return [
        replace(
            d,
            start=min(cs, base.start),
            value=value,
            when=base.when.earlier_year(),
            measure="level",
            status="D",
            note=note,
            confidence=0.6,
            name=base.name,
            written=base.written,
        )
    ]


def structure(ctx: Context, group: list[Draft], lead: str) -> None:
    """Remember 三次产业结构 A:B:C (this year's) for the 第N产业比重 changes that follow."""
    three = len(group) == 3 and all(d.measure == "share" for d in group) and _THREE_SECTORS.search(lead)
    if three and group[0].when.year == ctx.default.year:
        ctx.structure = {i + 1: d for i, d in enumerate(group)}


def derive(ctx: Context, d: Draft, it: Item, sent: int, group_start: int, before: list[Draft]) -> list[Draft]:
    """Every derived figure a stated one implies."""
    cs = clause_start(ctx.text, group_start)
    lead = ctx.text[cs:group_start]
    if d.unit == "pp" and d.measure == "change":
        found = relative(ctx, d, it, lead, cs, before)
        if found or RELATIVE.search(lead):
            return found
        return earlier(ctx, d, it, lead, sent, before)
    if d.measure == "change" and d.unit != "percent":
        return level_change(ctx, d, before)
    if d.unit == "times":
        return times(ctx, d, lead, before)
    return []
