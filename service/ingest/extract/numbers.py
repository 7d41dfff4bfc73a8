"""Numbers as bulletins write them: values, glued lists, units, signs from wording, Chinese numerals."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Units, longest first; the code is the catalog's unit code.
UNITS: tuple[tuple[str, str], ...] = (
    ("个百分点", "pp"),
    ("百分点", "pp"),
    ("亿吨公里", "100m_t_km"),
    ("亿千瓦时", "100m_kwh"),
    ("万千瓦时", "10k_kwh"),
    ("万平方米", "10k_m2"),
    ("平方米", "m2"),
    ("亿美元", "100m_usd"),
    ("万美元", "10k_usd"),
    ("美元", "usd"),
    ("万亿元", "trn_cny"),
    ("亿立方米", "100m_m3"),
    ("万立方米", "10k_m3"),
    ("万千瓦", "10k_kw"),
    ("亿元", "100m_cny"),
    ("万元", "10k_cny"),
    ("元", "cny"),
    ("万吨", "10k_t"),
    ("吨", "t"),
    ("千克", "kg"),
    ("公里", "km"),
    ("万辆", "10k_count"),
    ("千公顷", "k_ha"),
    ("公顷", "ha"),
    ("万亩", "10k_mu"),
    ("亩", "mu"),
    ("万头", "10k_head"),
    ("万只", "10k_head"),
    ("万羽", "10k_head"),
    ("头", "head"),
    ("只", "head"),
    ("羽", "head"),
    ("万人次", "10k_person_times"),
    ("人次", "person_times"),
    ("万人", "10k_persons"),
    ("人", "persons"),
    ("万户", "10k_count"),
    ("万家", "10k_count"),
    ("名", "persons"),
    ("户", "count"),
    ("家", "count"),
    ("项", "count"),
    ("件", "count"),
    ("辆", "count"),
    ("座", "count"),
    ("所", "count"),
    ("个", "count"),
    ("%", "percent"),
    ("％", "percent"),
    ("‰", "permille"),
    ("倍", "times"),
)
STOCK_UNITS = {"count", "10k_count", "persons", "10k_persons"}
NEGATIVE_WORDS = ("下降", "减少", "回落", "下滑", "降低", "收窄", "下跌", "减")
_CN = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_BARE_YI = re.compile(r"亿(?=$|[\s的,，。;；、)）左以多余大]|元)")
_RUN = re.compile(
    r"(?<![0-9.,])-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9,])"  # 35,420.5: thousands separated
    r"|(?<![0-9.])-?[0-9][0-9.]*(?:-[0-9][0-9.]*)*"
)


@dataclass(frozen=True)
class Num:
    """One number in the normalised text: [start, end), the value and the text as written."""

    start: int
    end: int
    value: float
    written: str
    run: int = 0
    glued: bool = False

    @property
    def decimals(self) -> int:
        return len(self.written.split(".")[1]) if "." in self.written else 0


def _split_glued(part: str) -> list[str] | None:
    """``15.628.655.8`` (separators lost) -> ``15.6``, ``28.6``, ``55.8``: the decimals that split it all evenly."""
    for d in (1, 2, 3):
        chunk = rf"-?\d{{1,5}}\.\d{{{d}}}"
        if re.fullmatch(rf"(?:{chunk})+", part):
            return re.findall(chunk, part)
    return None


def _pieces(run: str) -> list[str]:
    parts = re.findall(r"-?[0-9][0-9.]*", run.rstrip("."))
    out: list[str] = []
    for part in parts:
        part = part.rstrip(".")
        if part.count(".") > 1:
            out.extend(_split_glued(part) or [])
        elif part:
            out.append(part)
    return out


def numbers(text: str) -> list[Num]:
    """Every number of the text; month ranges such as 1-11 are left to the period reader."""
    found: list[Num] = []
    for k, m in enumerate(_RUN.finditer(text)):
        run = m.group()
        if re.fullmatch(r"\d{1,2}-\d{1,2}", run):
            continue
        if "," in run:
            found.append(Num(m.start(), m.end(), float(run.replace(",", "")), run, k))
            continue
        pos = m.start()
        pieces = _pieces(run)
        for piece in pieces:
            at = text.index(piece, pos)
            found.append(Num(at, at + len(piece), float(piece), piece, k, len(pieces) > 1))
            pos = at + len(piece)
    return found


def unit_at(text: str, pos: int) -> tuple[str, str, int] | None:
    """The unit written at ``pos`` (spaces skipped): (as written, code, end)."""
    while pos < len(text) and text[pos] in " 多余":
        pos += 1
    for word, code in UNITS:
        if text.startswith(word, pos):
            return word, code, pos + len(word)
    if _BARE_YI.match(text, pos):
        return "亿", "100m_cny", pos + 1  # 3293.39亿, 800亿大关: 亿 alone is an amount of yuan
    return None


_MONEY_NAME = re.compile(r"GDP|生产总值|产值|增加值|收入|支出|总额|投资|利润|利税|税|额|值")
_PEOPLE_NAME = re.compile(r"人口|人数|人员|就业")


def bare_unit(word: str, name: str) -> str | None:
    """亿 or 万 written without what they count (3293.39亿, 常住人口(万)): the indicator's name says which."""
    if word == "亿" and not _PEOPLE_NAME.search(name):
        return "100m_cny"
    if word == "万" and _PEOPLE_NAME.search(name):
        return "10k_persons"
    if word == "万" and _MONEY_NAME.search(name):
        return "10k_cny"
    return None


def chinese_int(word: str) -> int | None:
    """``3``, ``三``, ``十二``, ``二十`` -> int."""
    if word.isdigit():
        return int(word)
    if not word or any(c not in _CN and c != "十" for c in word):
        return None
    if "十" not in word:
        return int("".join(str(_CN[c]) for c in word))
    tens, _, ones = word.partition("十")
    return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)


def is_negative_word(lead: str) -> bool:
    """Whether the verb just before a number says it falls (下降, 减少, 回落…)."""
    tail = lead[-6:]
    best = -1
    neg = False
    for word in (*NEGATIVE_WORDS, "增长", "增加", "提高", "上升", "上涨", "加快", "增", "提升", "扩大"):
        i = tail.rfind(word)
        if i > best or (i == best and i >= 0 and len(word) > 1):
            best, neg = i, word in NEGATIVE_WORDS
    return neg
