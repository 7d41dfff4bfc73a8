"""The words a chart or widget shows, in Chinese (the default) or English (lang=en): names from the catalog's
name_en, unit words, captions and "no data"."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from service.model import units

Lang = Literal["zh", "en"]

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "no_data": "无数据",
        "source": "来源：",
        "unnamed": "未注明",
        "more": "等{n}个来源",
        "sep": "；",
        "list": "，",
        "ytd": "（累计）",
        "ytd_axis": "期（年初至该期末累计）",
        "status": "状态 status",
        "above": "比{name}高{gap:.1f}个百分点",
        "below": "比{name}低{gap:.1f}个百分点",
        "share": "占{name}{share:.1f}%",
        "has_data": "{ranked}/{of} 有数据",
        "latest": "{period}：",
        "missing": "{name}: 无数据",
        "data": "数据",
        "error": "无法显示此图",
    },
    "en": {
        "no_data": "no data",
        "source": "Source: ",
        "unnamed": "not stated",
        "more": " and {n} sources in all",
        "sep": "; ",
        "list": ", ",
        "ytd": " (year to date)",
        "ytd_axis": "period (cumulative from January)",
        "status": "status",
        "above": "{gap:.1f} pp above {name}",
        "below": "{gap:.1f} pp below {name}",
        "share": "{share:.1f}% of {name}",
        "has_data": "{ranked} of {of} have data",
        "latest": "{period}: ",
        "missing": "{name}: no data",
        "data": "Data",
        "error": "This chart cannot be shown",
    },
}
STATUS_WORDS = {
    "zh": {"A": "公布 reported", "P": "初步 provisional", "E": "估计 estimated", "D": "推算 derived"},
    "en": {"A": "reported", "P": "provisional", "E": "estimated", "D": "derived"},
}


class Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str | None: ...


def word(lang: str, key: str, **values: Any) -> str:
    return WORDS.get(lang, WORDS["zh"])[key].format(**values)


def name(entry: Named, lang: str) -> str:
    """A region's or indicator's name: its English name under lang=en (its Chinese one when it has none)."""
    return (entry.name_en or entry.name) if lang == "en" else entry.name


def figure_name(figure: dict[str, Any], lang: str) -> str:
    """The name of a figure of a comparison (a dict with name and name_en)."""
    return str((figure.get("name_en") or figure["name"]) if lang == "en" else figure["name"])


def unit_label(unit: str, lang: str = "zh") -> str:
    """What a value axis shows: the unit's symbol (%, 亿元); under lang=en, its English word where the symbol is
    Chinese."""
    u = units.unit(unit)
    if lang == "en" and any("\u4e00" <= ch <= "\u9fff" for ch in u.symbol):
        return u.label_en
    return u.symbol
