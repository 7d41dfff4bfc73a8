"""Who a figure is of, beyond the subject at its clause's head (grammar.region_of).

- one figure after a list of regions: each one's when said so (均, 都, 两地的增速), none's when taken together (共,
  合计, 占) or not said — left for a person;
- a clause opening with a firm, a park (…有限公司, …园区) or a government's own budget (市本级): its figures, and
  those of the clauses after it that name no region, are left for a person; 标准园区3个 is a count said of the region.
"""

from __future__ import annotations

import re
from dataclasses import replace

from service.ingest.extract.grammar import CLAUSE_END, Context, Draft, Item, subject_group
from service.ingest.extract.periods import PERIOD

_EACH = re.compile(r"均|都|皆|各|同为|分别")
_GROUP_COUNT = re.compile(r"(?:[两二三四五六七八九十]|\d{1,2})(?:地|市|县|区|者)")
_TOGETHER = re.compile(r"共|合计|总计|合共|总和|之和|加起来|累计|占")


def _group_role(lead: str) -> str | None:
    """How one figure after a list of regions is said: of each (均, 都, 两地的增速), of them together (共, 合计,
    占), or not said (None)."""
    if _EACH.search(lead):
        return "each"
    if _TOGETHER.search(lead):
        return "together"
    return "each" if _GROUP_COUNT.search(lead) else None


def shared(ctx: Context, d: Draft, it: Item, sent: int, group_start: int) -> list[Draft]:
    """两地的增速都超过6.0%: one figure said of every region of the list before it (a copy for each other one)."""
    group = subject_group(ctx, sent, group_start)
    if it.size > 1 or len(group) < 2:
        return []
    lead = ctx.text[group[-1].end : group_start]
    if _group_role(lead) != "each" or "分别" in lead:
        return []
    return [replace(d, region=m.code) for m in group if m.code != d.region]


def together(ctx: Context, it: Item, sent: int, group_start: int) -> bool:
    """长沙、株洲两市共完成投资500亿元, 三市GDP占全省40%: one figure of a list of regions taken together (or not
    said to be each one's), which is no single region's."""
    group = subject_group(ctx, sent, group_start)
    if len(group) < 2 or it.size == len(group):
        return False
    return _group_role(ctx.text[group[-1].end : group_start]) != "each"


_FOREIGN = re.compile(
    r"[^,\uff0c。;\uff1b、:\uff1a\s]{2,24}?(?:产业园|工业园|园区|开发区|高新区|经开区|集中区|集团|有限公司|公司|厂(?![房区]))"
    r"|(?:省|市|州|县|区)本级"
)
_HEAD_WORDS = re.compile(r"^(?:据悉|其中|此外|同时|另外|目前|\s)+")


def _foreign_head(ctx: Context, start: int) -> str | None:
    head = ctx.text[start : start + 60]
    head = _HEAD_WORDS.sub("", PERIOD.sub("", head[: len(head) - len(head.lstrip())] + head.lstrip(), count=1))
    m = _FOREIGN.match(head)
    if m is None or re.search(r"(?<!本)级|以上|全|各|所有|重点|规模", m.group()):
        return None
    if re.match(r"\s*(?:有|共|达)?\s*\d", head[m.end() :]):
        return None  # 标准园区3个: a count of parks, said of the region
    return None if ctx.index.mentions(m.group()) else m.group()


def foreign_clauses(ctx: Context, sent: int, end: int) -> list[tuple[int, str]]:
    """The clauses of a sentence that open with a firm, a park or 市本级: (clause start, its name)."""
    starts = [sent] + [m.end() for m in CLAUSE_END.finditer(ctx.text, sent, end)]
    return [(c, name) for c in starts if (name := _foreign_head(ctx, c))]
