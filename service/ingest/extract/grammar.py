"""Sentence patterns of statistical bulletins, read number by number.

Every number with a unit (or in a ratio A:B:C, or a glued list of shares) is a figure. Its context is read from
the text before it: the clause (its indicator and verb: 增长, 下降, 拉动, 占…比重, 贡献率, 高于全省), the sentence
(its subject region and period, last one written wins), the document (default region and period). Numbers written
as a list (A、B和C, 分别…) share the last one's unit; a list of regions before 分别 is distributed over them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from service.ingest.extract.numbers import STOCK_UNITS, Num, is_negative_word, numbers, unit_at
from service.ingest.extract.periods import CURRENT, PERIOD, PREVIOUS, SINCE, STOCK_NAME, When, is_compared, read
from service.ingest.extract.qualifiers import approx_note, not_a_figure
from service.ingest.extract.regions import Mention, RegionIndex

SENTENCE_END = re.compile(r"[。;\uff1b!?！？\n【】]")
CLAUSE_END = re.compile(r"[,\uff0c;\uff1b。!?！？\n\uff1a【】]|:(?!\d)")
_INDEX_BEFORE = re.compile(r"指数(?:为|是|达到|达|:|：)?\s*$")
_LIST_GAPS = {"", "、", "和", "及", "与", "、和"}
_RATIO_GAPS = {":", "："}
_FLOW = re.compile(r"新增|新登记|净增|当年|增加|减少|新设|引进|签约")
_CHANGE_BEFORE = re.compile(r"(?:增加|减少|净增额?|净减)(?:了|达到?|为)?$")
_GROWTH = re.compile(r"增长|下降|增速|增幅|回落|下滑|减少|降低|同比|比上年|提高|上升|上涨|下跌")
_SHARE = re.compile(r"比重|占比|占[^,\uff0c。]{0,12}$|结构")
NAME_TRIM = re.compile(
    r"^(?:其中|全年|初步核算|根据[^,\uff0c]*|按[^,\uff0c]*计算|此外|同时|另外|实现|完成)+|"
    r"(?:实现|完成|达到|达|为|是|总量|累计|同比|比上年|的|以|则|分别|增长|下降|增速|均|共)+$"
)


@dataclass
class Item:
    """A figure before its context is read: the number, its unit, the list it is in."""

    num: Num
    unit: str | None
    end: int  # end of the unit as written (or of the number)
    group: int
    index: int
    size: int = 1
    ratio: bool = False


@dataclass
class Draft:
    """A proposal in normalised coordinates."""

    start: int
    end: int
    value: float
    unit: str
    measure: str
    region: str
    when: When
    name: str
    status: str = "A"
    note: str | None = None
    confidence: float = 0.9
    written: str = ""
    at: int = 0


@dataclass
class Context:
    text: str
    index: RegionIndex
    home: str
    default: When
    mentions: list[Mention] = field(default_factory=list)
    now: int = 0  # the year of writing, for 去年 and 今年
    structure: dict[int, Draft] = field(default_factory=dict)
    skip: set[int] = field(default_factory=set)
    aside: list[tuple[int, int, str]] = field(default_factory=list)


def _gap(text: str, a: Item, b: Num) -> str:
    return text[a.end : b.start].strip()


def items(text: str, skip: set[int]) -> list[Item]:
    """Numbers with units, grouped into written lists (the unit of a list's last number is the list's)."""
    out: list[Item] = []
    group = -1
    for num in numbers(text):
        if num.start in skip:
            continue
        u = unit_at(text, num.end)
        if u is None and _INDEX_BEFORE.search(text, max(0, num.start - 8), num.start):
            u = ("", "index", num.end)  # 居民消费价格指数为100.9: an index (the base period = 100), no unit
        item = Item(num, u[1] if u else None, u[2] if u else num.end, 0, 0)
        prev = out[-1] if out else None
        gap = _gap(text, prev, num) if prev else None
        joined = prev is not None and (gap in _LIST_GAPS or gap in _RATIO_GAPS or prev.num.run == num.run)
        if prev is not None and joined:
            item.group, item.index = prev.group, prev.index + 1
            item.ratio = gap in _RATIO_GAPS or prev.ratio
            prev.ratio = item.ratio
        else:
            group += 1
            item.group = group
        out.append(item)
    _share_units(out)
    return out


def _share_units(out: list[Item]) -> None:
    groups: dict[int, list[Item]] = {}
    for it in out:
        groups.setdefault(it.group, []).append(it)
    for members in groups.values():
        last = members[-1].unit
        for it in members:
            it.size = len(members)
            if last and (it.unit is None or (it.unit == "count" and last == "pp")):
                it.unit = last


def clause_start(text: str, pos: int) -> int:
    starts = [m.end() for m in CLAUSE_END.finditer(text, 0, pos)]
    return starts[-1] if starts else 0


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    starts = [m.end() for m in SENTENCE_END.finditer(text, 0, pos)]
    start = starts[-1] if starts else 0
    m = SENTENCE_END.search(text, pos)
    return start, m.start() if m else len(text)


def subject_group(ctx: Context, sent: int, pos: int) -> list[Mention]:
    """The last subject before ``pos`` in its sentence, with the regions listed with it (A、B和C)."""
    subjects = [m for m in ctx.mentions if sent <= m.start < pos and m.subject]
    if not subjects:
        return []
    group = [subjects[-1]]
    for m in reversed(subjects[:-1]):
        if ctx.text[m.end : group[0].start] in ("、", "和", "及", "与"):
            group.insert(0, m)
        else:
            break
    return group


_LABEL_GAP = re.compile(r"\s*[(（:：]\s*")


def region_of(ctx: Context, sent: int, item_start: int, index: int, size: int) -> str:
    """The subject region: the last subject mention before the number in its sentence; a list of regions is
    distributed over a list of numbers of the same length."""
    labelled = next((m for m in ctx.mentions if _LABEL_GAP.fullmatch(ctx.text, m.end, item_start)), None)
    if labelled is not None and size == 1:
        return labelled.code  # 株洲(6.1%)、湘潭(5.9%); 长沙:3500.1亿元
    group = subject_group(ctx, sent, item_start)
    if not group:
        return paragraph_subject(ctx, sent) or ctx.home
    if size > 1 and len(group) == size:
        return group[index].code
    return group[-1].code


def paragraph_subject(ctx: Context, sent: int) -> str | None:
    """A named region opening a paragraph is the subject of its later sentences that name none."""
    para = ctx.text.rfind("\n", 0, sent) + 1
    if para == sent:
        return None
    head = len(ctx.text[para:sent]) - len(ctx.text[para:sent].lstrip())
    first = next((m for m in ctx.mentions if para <= m.start < sent), None)
    named = first is not None and first.start == para + head and first.subject
    return (
        first.code if named and first is not None and ctx.text[first.start : first.start + 1] not in "全我本" else None
    )


def _previous(m: re.Match[str], default: When, now: int) -> When:
    """去年 (said from the time of writing): the year before it; 上年 (the year before the one spoken of): the year
    before the document's; 去年同期: the document's period a year before (同月: its last month)."""
    if m.group().startswith("上年"):
        now = default.year
    if m.group("same") == "同月":
        return When(now - 1, default.last, default.last)
    if m.group("same"):
        return replace(default, year=now - 1)
    return When(now - 1, 1, 12)


_TARGET_AFTER = re.compile(r"\s*(?:目标|计划|任务)")


def _marks(ctx: Context, sent: int, pos: int) -> list[tuple[int, str, re.Match[str]]]:
    """The periods, 去年 and 今年 written in [sent, pos), in order; 由上年的A:B:C调整为… keeps 上年 to its list."""
    marks: list[tuple[int, str, re.Match[str]]] = []
    for pattern, kind in ((PERIOD, "p"), (PREVIOUS, "prev"), (CURRENT, "cur")):
        marks += [(m.start(), kind, m) for m in pattern.finditer(ctx.text, sent, pos)]
    keep = [x for x in marks if not (x[1] == "prev" and re.search(r"\d", ctx.text[x[2].end() : pos]))]
    return sorted(keep, key=lambda x: x[0])


def period_of(ctx: Context, sent: int, pos: int) -> When:
    """The period written last before ``pos`` in the sentence (not after 比/较/同, not a target's 全年目标), else the
    document's. 去年/今年 give the year to the periods after them in their clause (去年一季度)."""
    when = base = ctx.default
    now = ctx.now or ctx.default.year
    scope = pos
    for start, kind, m in _marks(ctx, sent, pos):
        if start >= scope:
            base = ctx.default
        if kind == "prev":
            when = base = _previous(m, ctx.default, now)
        elif kind == "cur":
            since = SINCE.match(ctx.text, m.end()) or PERIOD.match(ctx.text, m.end())
            when = base = ctx.default if since else When(now, 1, 12)
        elif not is_compared(ctx.text, start) and not _TARGET_AFTER.match(ctx.text, m.end()):
            when = read(m, base) or when
        if kind != "p":
            end = CLAUSE_END.search(ctx.text, m.end(), pos)
            scope = end.start() if end else pos
    return when


def measure_of(lead: str, it: Item) -> str:
    if it.ratio or (it.num.glued and it.unit is None):
        return "share"
    if it.unit == "pp":
        return "contribution" if "拉动" in lead else "change"
    if it.unit == "percent":
        return _percent_measure(lead)
    if _CHANGE_BEFORE.search(lead):
        return "change"
    return "level"


_GROWTH_AFTER = re.compile(r"\s*的(?:增速|增幅|增长|速度)")
_GROWTH_BEFORE = re.compile(r"(?:增速|增幅|增长速度)[^\d,，]{0,6}[,，]$")


def _growth_around(text: str, sent: int, cs: int, end: int) -> bool:
    """以8.2%的增速; 增速最低,仅为2.1%: a rate named right after it or in the clause just before."""
    return bool(_GROWTH_AFTER.match(text, end) or (cs > sent and _GROWTH_BEFORE.search(text, max(sent, cs - 12), cs)))


def _percent_measure(lead: str) -> str:
    if "贡献率" in lead:
        return "contribution"
    if _SHARE.search(lead) and not re.search(r"增长|下降|增速", lead[-6:]):
        return "share"
    return "growth" if _GROWTH.search(lead) else "percent"


_GROUP_WORDS = re.compile(r"^[、和及与]*(?:(?:[两二三四五六七八九十]|\d{1,2})(?:地|市|县|区|者)的?)?")


def name_of(lead: str, ctx: Context) -> str:
    name = re.sub(r"[(（][^()（）]*\d[^()（）]*[)）]|[(（:：]+\s*$", "", PERIOD.sub("", lead))
    for m in reversed(ctx.index.mentions(name)):
        name = name[: m.start] + name[m.end :]
    name = _GROUP_WORDS.sub("", NAME_TRIM.sub("", name.strip()))
    return NAME_TRIM.sub("", name).strip(" 、,:")


def signed(value: float, lead: str, measure: str) -> float:
    if value > 0 and measure in ("growth", "change", "percent") and is_negative_word(lead):
        return -value
    return value


def unit_code(it: Item) -> str:
    if it.ratio or it.unit is None:
        return "percent"
    return it.unit


def stock_period(when: When, it: Item, lead: str, ctx: Context) -> When:
    """A count of registered units (户) is a stock at the end of the period unless the clause says it is a flow;
    so is a population (常住人口, 城镇人口) and the urbanisation rate."""
    word = ctx.text[it.num.end : it.end]
    stock = it.unit in STOCK_UNITS and word.endswith("户") and not _FLOW.search(lead)
    if (stock or STOCK_NAME.search(name_of(lead, ctx))) and not when.point:
        return When(when.year, when.last, when.last, point=True)
    return when


def _rejected(text: str, it: Item, lead: str, measure: str) -> bool:
    """Numbers that are no figure: 1家企业+1名领导 (a method's name), a share or ratio without its words, a ratio
    cut off by the end of the text, thresholds and counts of regions (qualifiers.not_a_figure)."""
    if text[it.num.start - 1 : it.num.start] in ("+", "“") or text[it.end : it.end + 1] == "+":
        return True
    if measure == "share" and it.unit is None and not re.search(r"比重|占比|结构|比例", lead):
        return True
    if it.ratio and it.size < 3 and not re.search(r"结构|比例|之比", lead):
        return True
    if it.ratio and it.index == it.size - 1 and not text[it.end :].strip():
        return True  # 由13.2:2 (the excerpt ends inside the ratio): the last number is cut off
    return not_a_figure(text, lead, it.unit, it.end)


def draft(ctx: Context, it: Item, sent: int, group_start: int) -> Draft | None:
    """One stated figure from an item with its context."""
    if it.unit is None and not it.ratio and not it.num.glued:
        return None
    cs = clause_start(ctx.text, group_start)
    lead = ctx.text[cs:group_start]
    measure = measure_of(lead, it)
    if measure == "percent" and _growth_around(ctx.text, sent, cs, it.end):
        measure = "growth"
    if _rejected(ctx.text, it, lead, measure):
        return None
    value = signed(it.num.value, lead, measure)
    when = stock_period(period_of(ctx, sent, group_start), it, lead, ctx)
    region = region_of(ctx, sent, group_start, it.index, it.size)
    note = approx_note(ctx.text, lead, it.num.end, it.end)
    status = "E" if "预计" in ctx.text[sent : it.num.start] else "A"
    start = cs + len(lead) - len(lead.lstrip())
    return Draft(
        start,
        it.end,
        value,
        unit_code(it),
        measure,
        region,
        when,
        name_of(lead, ctx),
        status,
        note,
        0.9 if it.unit else 0.7,
        it.num.written,
        it.num.start,
    )


def with_group_start(its: list[Item]) -> list[tuple[Item, int]]:
    starts: dict[int, int] = {}
    for it in its:
        starts.setdefault(it.group, it.num.start)
    return [(it, starts[it.group]) for it in its]


def replace_name(d: Draft, name: str) -> Draft:
    return replace(d, name=name)
