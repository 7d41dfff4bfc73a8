"""Indicator names as bulletins write them → catalog codes.

A figure's name ("地区生产总值(GDP)增长", "第一产业占地区生产总值比重", "规模工业增加值增速排名") is read as a concept
(its usual names: ``data/indicator_names.csv``, through the synonyms) and a measure; the code is the concept's code
with the measure's suffix: ``.growth``, ``.share`` (of GDP), ``.pull`` (拉动…增长 X 个百分点), ``.contribution``
(贡献率), ``.rank`` / ``.growth.rank``, ``.change``. A code the catalog does not hold is proposed as a new indicator;
a name no concept matches becomes ``new.<pinyin>.<measure>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

_QUALIFIER = re.compile(r"[（(][^）)]*[）)]")
# What a name carries besides its concept, outermost first: the measure's words and the whole it is a part of.
_AROUND = (
    re.compile(r"(?:全省|全市|全国)?(?:排名|位次|排位)$"),
    re.compile(r"对(?:全市|全省|全县)?(?:经济|GDP|地区生产总值|生产总值)?增长的?贡献率$"),
    re.compile(r"贡献率$"),
    re.compile(r"拉动(?:经济|GDP|地区生产总值|生产总值)?增长$"),
    re.compile(r"占(?:全市|全省|全县)?(?:地区生产总值|GDP|生产总值|经济总量)的?(?:比重|比例)$"),
    re.compile(r"(?:比重|占比|结构)$"),
    re.compile(r"(?:增长速度|增速|增长|增幅|同比增长|下降|回落)$"),
    re.compile(r"(?:总量|规模|总额|实现|完成)$"),
)
_GROWTH_WORDS = re.compile(r"增速|增长|增幅")


class Catalog:
    """Indicator names to codes: the catalog's own names first, then the concepts' usual names."""

    def __init__(
        self,
        indicators: Mapping[str, str],
        synonyms: Sequence[tuple[str, str]] = (),
        names: Iterable[tuple[str, str]] = (),
        units: Mapping[str, str] | None = None,
    ) -> None:
        self.synonyms = synonyms
        self.codes = set(indicators)
        self.by_name = {self.canonical(n): c for c, n in indicators.items()}
        self.concepts = {self.canonical(n): c for c, n in names}
        self.units = dict(units or {})  # code → unit (a percent concept's level is itself a rate)

    def canonical(self, name: str) -> str:
        for short, full in self.synonyms:
            if short in name and full not in name:
                name = name.replace(short, full)
        return name.replace(" ", "")

    def code(self, name: str, measure: str, unit: str | None = None) -> tuple[str, bool]:
        """(code, whether it is new to the catalog) of a figure named ``name`` measuring ``measure``."""
        key = self.canonical(name)
        for candidate in (key, key + "增速", key.removesuffix("增长") + "增速"):
            if candidate in self.by_name:
                return self.by_name[candidate], False
        base = self.concept(key)
        if base is None:
            return new_code(key, measure), True
        code = base + self.suffix(base, key, measure, unit)
        return code, code not in self.codes

    def concept(self, key: str) -> str | None:
        """The concept a name is about, peeling qualifiers and measure words off its end."""
        core = _QUALIFIER.sub("", key)
        for _ in range(4):
            if core in self.concepts:
                return self.concepts[core]
            peeled = core
            for pattern in _AROUND:
                peeled = pattern.sub("", peeled)
                if peeled != core:
                    break
            if peeled == core or not peeled:
                return None
            core = peeled
        return self.concepts.get(core)

    def suffix(self, base: str, key: str, measure: str, unit: str | None) -> str:
        if measure == "rank":
            return ".growth.rank" if _GROWTH_WORDS.search(key) else ".rank"
        if measure == "contribution":
            return ".pull" if unit == "pp" else ".contribution"
        if measure in ("share", "percent") and self.units.get(base) == "percent":
            return ""  # a rate (城镇化率): its level is a percent
        return {"level": "", "growth": ".growth", "share": ".share", "change": ".change"}.get(measure, f".{measure}")


def new_code(key: str, measure: str) -> str:
    """The code proposed for a concept the catalog lacks, ``new.<pinyin>.<measure>``: lowercase ASCII (ü as v),
    within the 64 characters of an indicator code."""
    from service.model.romanize import syllables

    parts = (re.sub(r"[^a-z0-9]", "", s.lower().replace("ü", "v")) for s in syllables(key))
    word = "_".join(p for p in parts if p)[: 64 - len(f"new..{measure}")].rstrip("_")
    return f"new.{word or 'unnamed'}.{measure}"
