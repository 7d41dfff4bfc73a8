"""Ranks as bulletins write them: 居全省第二, 排A类市州第3, 位列第一名, 在全省处在倒数第二.

A rank belongs to the figure written just before it in the sentence (its region, period and indicator). 倒数第N
(N-th from the last) is derived: the peers ranked (the regions of the ranked one's level in the scope named, 全省 →
the province) less N, plus one. 全省第二个…的城市 is the order of passing a mark, not a rank.
"""

from __future__ import annotations

import re

from service.ingest.extract.grammar import Context, Draft, clause_start, name_of, period_of, region_of
from service.ingest.extract.numbers import chinese_int
from service.ingest.extract.regions import Mention

_GROWTH_WORDS = re.compile(r"增速|增幅|增长")
_LEVEL_WORDS = re.compile(r"总量|总额|规模|体量")
RANK = re.compile(
    r"(?:(?:居|排|位列|位居|排名|列|排在|处在|处于)[^,\uff0c。;\uff1b第]{0,12}?|(?:全省|全国|全市|市州|A类市州|省内))"
    r"(?P<back>倒数)?第(?P<n>[0-9]{1,2}|[一二三四五六七八九十]{1,3})(?![0-9]|产业|季度|次|批|届|章|条|个)(?:位|名)?"
)


def _from_last(ctx: Context, m: re.Match[str], n: int, region: str) -> tuple[float, str] | None:
    """倒数第N among the peers of ``region`` in the scope the phrase names: (rank from the top, note)."""
    scope = next((x.code for x in ctx.mentions if m.start() <= x.start < m.end()), None)
    peers = ctx.index.peers(region, scope)
    if peers < n:
        return None
    return float(peers - n + 1), f"derived: {peers} − {n} + 1 ({m.group()}, of {peers})"


def _base(clause: str, prior: list[Draft]) -> Draft | None:
    """The figure ranked: the last before the rank, a growth when the clause says 增速, a level when 总量."""
    if _GROWTH_WORDS.search(clause):
        prior = [d for d in prior if d.measure == "growth"] or prior
    elif _LEVEL_WORDS.search(clause):
        prior = [d for d in prior if d.measure == "level"] or prior
    return prior[-1] if prior else None


def _cleft(ctx: Context, end: int) -> Mention | None:
    """排名第二的是岳阳: the region named after the rank is the one ranked."""
    gap = re.match(r"\s*(?:的|者)?\s*(?:是|为)\s*", ctx.text[end : end + 6])
    if gap is None:
        return None
    return next((x for x in ctx.mentions if x.start == end + gap.end()), None)


def rank_drafts(ctx: Context, sent: int, end: int, before: list[Draft]) -> list[Draft]:
    """居全省第N, 排A类市州第3: a rank, of the figure written just before it in the sentence."""
    out: list[Draft] = []
    for m in RANK.finditer(ctx.text, sent, end):
        n = chinese_int(m.group("n"))
        draft = _rank(ctx, m, n, sent, before) if n is not None else None
        if draft is not None and m.group("back"):
            derived = _from_last(ctx, m, int(draft.value), draft.region)
            if derived is None:
                continue
            draft.value, draft.note, draft.status, draft.confidence = derived[0], derived[1], "D", 0.6
        if draft is not None:
            out.append(draft)
    return out


def _rank(ctx: Context, m: re.Match[str], n: int, sent: int, before: list[Draft]) -> Draft:
    """The rank of the figure before it (its region, period, name), or of the region named after it (的是岳阳)."""
    prior = [d for d in before if d.at < m.start() and d.status != "D" and d.unit not in ("times", "pp")]
    cs = clause_start(ctx.text, m.start())
    cleft = _cleft(ctx, m.end())
    base = None if cleft else _base(ctx.text[cs : m.start()], prior)
    of_growth = _GROWTH_WORDS.search(ctx.text, cs, m.start()) is not None
    region = cleft.code if cleft else base.region if base else region_of(ctx, sent, m.start(), 0, 1)
    when = base.when if base else period_of(ctx, sent, m.start())
    name = base.name if base else name_of(ctx.text[cs : m.start()], ctx)
    if base is not None and of_growth and base.measure != "growth":
        name += "增速"  # GDP达到2300亿元,增速排全省第三: the rank of the growth
    stop = cleft.end if cleft else m.end()
    return Draft(cs, stop, float(n), "rank", "rank", region, when, name + " rank", written=m.group("n"), at=m.start())
