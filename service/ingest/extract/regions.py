"""Regions named in a text: full and short names of the catalog, relative references (全市, 我县, 本区), 全省, 全国."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from service.ingest.extract.periods import PERIOD
from service.model.romanize import specific

RegionRow = tuple[str, str | None, str]  # name, parent code, level
_LEVEL_RANK = {"nation": 0, "province": 1, "prefecture": 2, "county": 3, "zone": 4}
_RELATIVE = re.compile(r"(?:全|我|本)(?:市|县|区|州)")
_PROVINCE = re.compile(r"(?:全|我|本)省")
_NATION = re.compile(r"全国|我国")
# Before one of these a region is compared with or ranked in, not the figure's subject.
_NOT_SUBJECT_BEFORE = "于比较居排列在占为对向超与"
_CLAUSE_MARK = re.compile(r"[,\uff0c;\uff1b。!?！？\n\uff1a:【】]")
# What may stand before a clause's subject: periods and linking words (其中, 则是…), nothing else.
_HEAD_FILLER = re.compile(
    r"其中|而且|而|则是|则|是|另外|此外|同时|据悉|初步核算|经|倘若仅看|今年|去年|上年|在[^,，]{0,8}方面|[\s\d年月日号]"
)
# Short names of other provinces' cities that are also everyday words, street names or firms' names: not read.
_COMMON_WORDS = frozenset(
    re.findall(
        r"\S+",
        "大同 长治 朝阳 中山 安康 来宾 白银 日照 三明 宁德 阿里 海东 海北 海西 海南"
        " 黄南 山南 红河 文山 大理 普洱 兴安 黄山 吉安 玉树 定西 中卫 白山 通化 吉林"
        " 南平 金华 东营 延安 江门 平凉 德阳 广安 宜春 安阳 南阳 新余 锦州 丽水 临夏"
        " 甘南 怒江 迪庆 德宏 阿坝 甘孜 凉山 伊犁 昌吉 塔城 黔南 楚雄 百色 北海 三沙"
        " 遵义",
    )
)
_PARK_AFTER = re.compile(
    r"(?:国家级|省级)?(?:经开区|高新区|开发区|经济技术开发区|高新技术产业开发区|工业园|产业园|园区|工业集中区|"
    r"产业开发区|综合保税区|保税区|新区)"
)
# A noun phrase's modifier ending in 的 (落后于长沙的青岛): the region after it heads the clause.
_MODIFIER = re.compile(r"^[^,，。;；]{1,20}的$")


def at_head(text: str, start: int) -> bool:
    """Whether a mention opens its clause (after a period or linking word): the figure's subject, not an object
    (辅导南岳电控…) or a company name."""
    marks = [m.end() for m in _CLAUSE_MARK.finditer(text, max(0, start - 40), start)]
    prefix = text[marks[-1] if marks else max(0, start - 40) : start]
    if not marks and start > 40:
        return False
    rest = _HEAD_FILLER.sub("", PERIOD.sub("", prefix))
    return not rest or (_MODIFIER.match(rest) is not None and not re.search(r"[占比较为]", rest[-3:]))


def aliases(name: str) -> list[str]:
    """Other ways a region is written: the specific name (衡阳市 → 衡阳) and, for a long generic, the specific name
    with the generic's last word (湘西土家族苗族自治州 → 湘西州, 湘西自治州; 通道侗族自治县 → 通道县)."""
    short = specific(name)
    if short == name or len(short) < 2:
        return []
    out = [short]
    generic = name[len(short) :] if name.startswith(short) else ""
    if "自治" in generic:
        out += [short + generic[-1], short + "自治" + generic[-1]]
    return out


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    code: str
    subject: bool


def load_regions(path: Path) -> dict[str, RegionRow]:
    """data/regions.csv as the ``regions`` argument of extract()."""
    with path.open(encoding="utf-8") as f:
        return {r["code"]: (r["name"], r["parent"] or None, r["level"]) for r in csv.DictReader(f)}


class RegionIndex:
    """Names of the regions in the document's province (full and short), the provinces, and 中国."""

    def __init__(self, regions: dict[str, RegionRow], home: str | None) -> None:
        self.regions = regions
        self.home = home
        self.province = self._province_of(home)
        names: dict[str, str] = {}
        for code, (name, _parent, level) in regions.items():
            if level == "province" or self._in_province(code):
                self._add(names, name, code)
                for alias in aliases(name):
                    self._add(names, alias, code)
        for code, (name, _parent, level) in regions.items():
            if level == "prefecture" and not self._in_province(code):
                for alias in [name, *aliases(name)]:
                    if alias not in names and alias not in _COMMON_WORDS:
                        names[alias] = code  # another province's city (青岛): the figure is its, not ours
        self.names = names
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self.pattern = re.compile(alternation) if alternation else None

    def _add(self, names: dict[str, str], name: str, code: str) -> None:
        old = names.get(name)
        if old is None or _LEVEL_RANK.get(self.regions[code][2], 9) < _LEVEL_RANK.get(self.regions[old][2], 9):
            names[name] = code

    def _province_of(self, code: str | None) -> str | None:
        seen = 0
        while code and code in self.regions and seen < 10:
            if self.regions[code][2] == "province":
                return code
            code = self.regions[code][1]
            seen += 1
        return None

    def _in_province(self, code: str) -> bool:
        return self.province is not None and self._province_of(code) == self.province

    def relative(self, word: str) -> str | None:
        """全市/我县/本区: the document's region, or its nearest ancestor, whose name ends so (a county's 全市 is its
        prefecture); the document's region when none does."""
        code, seen = self.home, 0
        while code and code in self.regions and seen < 10:
            if self.regions[code][0].endswith(word[-1]):
                return code
            code = self.regions[code][1]
            seen += 1
        return self.home

    def ancestors(self, code: str) -> list[str]:
        out: list[str] = []
        parent = self.regions[code][1] if code in self.regions else None
        while parent and parent in self.regions and len(out) < 10:
            out.append(parent)
            parent = self.regions[parent][1]
        return out

    def peers(self, code: str, scope: str | None) -> int:
        """How many regions of ``code``'s level lie in ``scope`` (its parent when none): what a rank is out of."""
        if code not in self.regions:
            return 0
        ancestors = self.ancestors(code)
        scope = scope if scope in ancestors else (ancestors[0] if ancestors else None)
        level = self.regions[code][2]
        return sum(1 for c, r in self.regions.items() if r[2] == level and scope in self.ancestors(c))

    def nation(self) -> str:
        return next((c for c, r in self.regions.items() if r[2] == "nation"), "CN")

    def mentions(self, text: str) -> list[Mention]:
        """Every region reference, in order of position."""
        found: list[Mention] = []
        if self.pattern is not None:
            found += [Mention(m.start(), m.end(), self.names[m.group()], True) for m in self.pattern.finditer(text)]
        found += [
            Mention(m.start(), m.end(), c, True) for m in _RELATIVE.finditer(text) if (c := self.relative(m.group()))
        ]
        for pattern, code in ((_PROVINCE, self.province), (_NATION, self.nation())):
            if code:
                found += [Mention(m.start(), m.end(), code, True) for m in pattern.finditer(text)]
        found.sort(key=lambda m: (m.start, -m.end))
        return _roles(text, found)

    def lookup(self, cell: str) -> str | None:
        """A table row label as a region: 长沙市, 全 省, 湘西自治州."""
        cell = re.sub(r"\s+", "", cell)
        if cell in self.names:
            return self.names[cell]
        if _PROVINCE.fullmatch(cell):
            return self.province
        if _RELATIVE.fullmatch(cell):
            return self.relative(cell)
        short = specific(cell)
        return self.names.get(short)


def _roles(text: str, found: list[Mention]) -> list[Mention]:
    """The mentions that do not overlap, each marked subject or not (compared with, ranked in, a park's name)."""
    out: list[Mention] = []
    for m in found:
        if (out and m.start < out[-1].end) or _PARK_AFTER.match(text, m.end):
            continue  # 宁乡经开区: a park named after the place, not the place
        before = text[m.start - 1] if m.start else ""
        subject = (before not in _NOT_SUBJECT_BEFORE or before == "") and at_head(text, m.start)
        if before in "、和及" and out and out[-1].end == m.start - 1:
            subject = out[-1].subject  # a list of regions shares its first one's role
        out.append(Mention(m.start, m.end, m.code, subject))
    return out
