"""Names to codes, as a table writes them: regions (衡阳市, 衡阳, 衡阳县, 全省, 全市, 全国) through the extractor's
region index, indicators (规上工业增加值增速（%）) through the catalog's names and the synonyms of search; and, for a
name that is none of these, the closest one ("did you mean 430400 衡阳市?").

Region names repeat across China (朝阳区), so they are read in the province the file is about: the region given
with the file (region=), else the region under which most of its names fall (全市 is then that prefecture).
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from service.config import REPO_DATA
from service.ingest.extract.regions import RegionIndex, RegionRow
from service.model.romanize import specific, syllables

_NATION = re.compile(r"全国|我国|中国")
_UNIT = re.compile(r"[(（\[【][^()（）\[\]【】]*[)）\]】]$")
SYNONYMS = REPO_DATA / "synonyms.csv"


def key(text: str) -> str:
    """A name as compared: NFKC (full-width to ASCII), without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def closest(word: str, pool: list[str], cutoff: float) -> str | None:
    """The name of ``pool`` nearest to ``word``: by characters, and among the nearest by sound (a name typed through
    pinyin goes wrong by a homophone: 衡男县 is 衡南县, not 衡阳县)."""
    near = difflib.get_close_matches(word, pool, n=8, cutoff=cutoff)
    if not near:
        return None
    sound = " ".join(syllables(word))

    def score(name: str) -> float:
        chars = difflib.SequenceMatcher(None, word, name).ratio()
        return chars + difflib.SequenceMatcher(None, sound, " ".join(syllables(name))).ratio() / 2

    return max(near, key=score)


class Names:
    """The catalog's regions and indicators by name (built when first asked)."""

    def __init__(self, regions: pa.Table, indicators: pa.Table, synonyms: Path = SYNONYMS) -> None:
        self._regions = regions
        self._indicators = indicators
        self._synonyms = synonyms
        self._indexes: dict[str | None, RegionIndex] = {}

    @functools.cached_property
    def regions(self) -> dict[str, RegionRow]:
        t = self._regions
        cols = [t.column(c).to_pylist() for c in ("code", "name", "parent", "level")]
        return {code: (name, parent, level) for code, name, parent, level in zip(*cols, strict=True)}

    @functools.cached_property
    def by_name(self) -> dict[str, list[str]]:
        """Every full and short name (衡阳市, 衡阳) to the codes it may mean, across the whole catalog."""
        out: dict[str, list[str]] = {}
        for code, (name, _parent, _level) in self.regions.items():
            for form in dict.fromkeys((key(name), specific(key(name)))):
                if len(form) >= 2:
                    out.setdefault(form, []).append(code)
        return out

    def chain(self, code: str) -> list[str]:
        """The region and its ancestors, nearest first."""
        out: list[str] = []
        while code in self.regions and code not in out and len(out) < 10:
            out.append(code)
            code = self.regions[code][1] or ""
        return out

    def home(self, names: Iterable[str]) -> str | None:
        """The deepest region under which at least half of the names fall (by any region they may name)."""
        counts: Counter[str] = Counter()
        named = 0
        for name in names:
            codes = self.by_name.get(key(name), [])
            if codes:
                named += 1
                counts.update({a for c in codes for a in self.chain(c)})
        best = [c for c, n in counts.items() if n >= math.ceil(named / 2)]
        return max(best, key=lambda c: (len(self.chain(c)), counts[c]), default=None)

    def index(self, home: str | None) -> RegionIndex:
        """The extractor's index of the names in ``home``'s province (and of the provinces)."""
        if home not in self._indexes:
            self._indexes[home] = RegionIndex(self.regions, home)
        return self._indexes[home]

    def region(self, text: str, home: str | None) -> str | None:
        """The code a region cell names, or None."""
        if text in self.regions:
            return text
        word = key(text)
        if _NATION.fullmatch(word):
            return next((c for c, r in self.regions.items() if r[2] == "nation"), None)
        found = self.index(home).lookup(word)
        if found:
            return found
        codes = self.by_name.get(word, [])
        return codes[0] if len(codes) == 1 else None

    def region_hint(self, text: str, home: str | None) -> str:
        """Words to add to "unknown region": the regions it may mean, or the closest name."""
        word = key(text)
        if not any(ord(ch) > 0x2E7F for ch in word):  # a code or a word in Latin letters: no name to be near
            return ""
        codes = self.by_name.get(word, [])
        if len(codes) > 1:
            listed = ", ".join(f"{c} {self.regions[c][0]} in {self._parent_name(c)}" for c in codes[:5])
            return f": {text} names several regions ({listed}): write the code, or give region= the province"
        index = self.index(home)
        for pool, cutoff in ((index.names, 0.5), (self.by_name, 0.6)):
            near = closest(word, list(pool), cutoff)
            if near:
                code = index.names[near] if pool is index.names else self.by_name[near][0]
                return f" (did you mean {code} {self.regions[code][0]}?)"
        return ""

    def _parent_name(self, code: str) -> str:
        parent = self.regions[code][1]
        return self.regions[parent][0] if parent in self.regions else "-"

    @functools.cached_property
    def synonyms(self) -> tuple[tuple[str, str], ...]:
        from service.query.search import synonyms

        return synonyms(self._synonyms)

    @functools.cached_property
    def indicators(self) -> dict[str, str]:
        """Normalised code, name and English name of every indicator → its code."""
        from service.query.search import normal

        t = self._indicators
        out: dict[str, str] = {}
        for code, name, name_en in zip(*(t.column(c).to_pylist() for c in ("code", "name", "name_en")), strict=True):
            for form in (name_en, code, name):
                if form:
                    out[normal(form)] = code
        return out

    def indicator(self, text: str) -> str | None:
        """The code an indicator cell or header names (its unit in brackets, 规上 for 规模以上...), or None."""
        from service.query.search import alternatives, normal

        word = normal(_UNIT.sub("", key(text)))
        return next((self.indicators[a] for a in alternatives(word, self.synonyms) if a in self.indicators), None)

    def indicator_hint(self, text: str) -> str:
        from service.query.search import normal

        word = normal(_UNIT.sub("", key(text)))
        near = closest(word, list(self.indicators), 0.5)
        if near is None:
            return ""
        code = self.indicators[near]
        return f" (did you mean {code} {self.indicator_names[code]}?)"

    @functools.cached_property
    def indicator_names(self) -> dict[str, str]:
        t = self._indicators
        return dict(zip(t.column("code").to_pylist(), t.column("name").to_pylist(), strict=True))

    def in_text(self, text: str, what: str) -> str | None:
        """The region or indicator a title names (the longest name found in it), or None."""
        from service.query.search import alternatives, normal

        if what == "region":
            word = key(text)
            found = [n for n in self.by_name if len(self.by_name[n]) == 1 and n in word and n != specific(n)]
            return self.by_name[max(found, key=len)][0] if found else None
        forms = alternatives(normal(_UNIT.sub("", key(text))), self.synonyms)
        found = [n for n in self.indicators if len(n) >= 4 and any(n in f for f in forms)]
        return self.indicators[max(found, key=len)] if found else None
