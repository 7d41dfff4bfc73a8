"""Chinese place names in Hanyu Pinyin, as the national rules for romanising place names write them (GB/T 17693.1,
after GB/T 16159): the specific part of the name, one word, capitalised, with an apostrophe where a syllable
starting with a, o or e would otherwise run into the one before (西安 → Xi'an); the generic part (市, 县, 自治州...)
is left off, since a region's level is its own field (衡阳市 → Hengyang, level prefecture). A one-character
specific part keeps its generic (沙县 → Shaxian), as the rules do.

Used by data/tools/romanize_regions.py (the shipped ``name_en``) and by search (pinyin and initials).
"""

from __future__ import annotations

import functools
import re

from pypinyin import Style, lazy_pinyin

HAN = re.compile(r"[\u3400-\u9fff]")
# Generic parts (zones' too), tried longest first. Ethnic autonomous areas carry their peoples' names before
# 自治: those are dropped with it.
GENERICS = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "矿区",
    "新区",
    "高新区",
    "经开区",
    "开发区",
    "省",
    "市",
    "县",
    "区",
    "旗",
    "盟",
)
PEOPLES = (
    "维吾尔",
    "蒙古",
    "哈萨克",
    "柯尔克孜",
    "塔吉克",
    "达斡尔",
    "鄂温克",
    "鄂伦春",
    "朝鲜",
    "土家",
    "布依",
    "仫佬",
    "仡佬",
    "毛南",
    "傈僳",
    "拉祜",
    "纳西",
    "景颇",
    "哈尼",
    "东乡",
    "保安",
    "撒拉",
    "裕固",
    "锡伯",
    "普米",
    "独龙",
    "各",
    "壮",
    "回",
    "藏",
    "苗",
    "彝",
    "侗",
    "瑶",
    "白",
    "傣",
    "黎",
    "佤",
    "畲",
    "水",
    "土",
    "羌",
    "怒",
    "满",
    "京",
)
AUTONOMOUS = re.compile(r"^(.+?)((?:(?:" + "|".join(PEOPLES) + r")族?)+)自治[区州县旗]$")
# Names whose established English form is not the pinyin of their specific part.
CONVENTIONAL = {
    "中国": "China",
    "陕西省": "Shaanxi",
    "内蒙古自治区": "Inner Mongolia",
    "西藏自治区": "Tibet",
    "香港特别行政区": "Hong Kong",
    "澳门特别行政区": "Macao",
}
VOWELS = ("a", "o", "e")
# Readings place names take where pypinyin's everyday reading differs: characters read one way in every place name,
# then whole phrases (found by comparing the shipped catalog with CC-CEDICT's place names, and checked by hand).
PLACE_CHARACTERS = {"都": "du", "长": "chang", "勒": "le", "什": "shi"}
PLACE_PHRASES = {
    "长子": "zhang zi",
    "朝阳": "chao yang",
    "漯河": "luo he",
    "泊头": "bo tou",
    "繁峙": "fan shi",
    "洪洞": "hong tong",
    "扎鲁特": "za lu te",
    "扎囊": "za nang",
    "珲春": "hun chun",
    "穆棱": "mu ling",
    "闵行": "min hang",
    "蚌山": "beng shan",
    "涡阳": "guo yang",
    "马尾": "ma wei",
    "单县": "shan xian",
    "中牟": "zhong mou",
    "浚县": "xun xian",
    "南乐": "nan le",
    "召陵": "shao ling",
    "曾都": "zeng du",
    "佛冈": "fo gang",
    "佛坪": "fo ping",
    "荥经": "ying jing",
    "浪卡子": "lang ka zi",
    "崆峒": "kong tong",
    "称多": "chen duo",
}


def specific(name: str) -> str:
    """The specific part of a place name: 衡阳市 → 衡阳, 湘西土家族苗族自治州 → 湘西, 沙县 → 沙县."""
    m = AUTONOMOUS.match(name)
    if m:
        return m.group(1)
    for generic in sorted(GENERICS, key=len, reverse=True):
        if name.endswith(generic) and len(name) - len(generic) >= 2:
            return name[: -len(generic)]
    return name


@functools.lru_cache(maxsize=65536)
def syllables(text: str) -> tuple[str, ...]:
    """Pinyin syllables without tones (ü kept), one per Han character, in place names' readings; other text kept
    as it is."""
    out = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors="default")
    if len(out) != len(text):  # not one syllable per character: leave it to pypinyin
        return tuple(out)
    out = [PLACE_CHARACTERS.get(c, s) for c, s in zip(text, out, strict=True)]
    for phrase, reading in PLACE_PHRASES.items():
        at = text.find(phrase)
        while at >= 0:
            out[at : at + len(phrase)] = reading.split()
            at = text.find(phrase, at + 1)
    return tuple(out)


def in_context(part: str, name: str) -> tuple[str, ...]:
    """The syllables of ``part``, a prefix of ``name``, read within the whole name: a character with several readings
    is read as the phrase it is in (朝阳市 → chao yang, where 朝阳 alone could read zhao yang)."""
    whole = syllables(name)
    if len(whole) == len(name) and name.startswith(part):  # one syllable per character: the prefix lines up
        return whole[: len(part)]
    return syllables(part)


def pinyin_word(text: str, name: str | None = None) -> str:
    """Syllables joined as one word with the apostrophes the rules ask for, capitalised: 西安 → Xi'an."""
    parts = in_context(text, name or text)
    out = ""
    for i, s in enumerate(parts):
        out += ("'" if i and s[:1] in VOWELS and out[-1:].isalpha() else "") + s
    return out[:1].upper() + out[1:]


def english(name: str) -> str | None:
    """The romanised name of a Chinese place name (None for a name without Chinese characters)."""
    if not HAN.search(name):
        return None
    return CONVENTIONAL.get(name) or pinyin_word(specific(name), name)


def keys(name: str) -> tuple[str, ...]:
    """What a search in Latin letters may type for a name: full pinyin and initials, of the specific part and of
    the whole name (长沙市: changsha, cs, changshashi, css); lower case, no apostrophes."""
    if not HAN.search(name):
        return ()
    out: list[str] = []
    for part in dict.fromkeys([specific(name), name]):
        s = [x.lower() for x in in_context(part, name)]
        out += ["".join(s).replace("ü", "v"), "".join(x[:1] for x in s)]
    return tuple(dict.fromkeys(out))
