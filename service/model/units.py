"""Units of measure: one table for every format that names a unit (JSON-stat, SDMX, charts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    code: str  # as stored in indicators.unit
    label: str  # in the dataset's language (Chinese for the shipped data)
    label_en: str
    symbol: str  # what a chart axis shows
    multiplier: int  # power of ten: 亿元 = 10^8 yuan
    sdmx: str  # SDMX UNIT_MEASURE code (with UNIT_MULT = multiplier)
    decimals: int = 1


UNITS = {
    u.code: u
    for u in (
        Unit("percent", "百分比", "percent", "%", 0, "PC"),
        Unit("percentage_points", "百分点", "percentage points", "pp", 0, "PP"),
        Unit("100m_cny", "亿元", "100 million yuan", "亿元", 8, "CNY", 2),
        Unit("10k_cny", "万元", "10 thousand yuan", "万元", 4, "CNY", 2),
        Unit("cny", "元", "yuan", "元", 0, "CNY", 2),
        Unit("count", "个", "count", "个", 0, "NUMBER", 0),
        Unit("rank", "名", "rank", "名", 0, "RANK", 0),
        Unit("10k_persons", "万人", "10 thousand persons", "万人", 4, "PERSONS", 2),
        Unit("10k_t", "万吨", "10 thousand tonnes", "万吨", 4, "T", 2),
        Unit("k_ha", "千公顷", "thousand hectares", "千公顷", 3, "HA", 2),
        Unit("100m_kwh", "亿千瓦时", "100 million kWh", "亿千瓦时", 8, "KWH", 2),
        Unit("index", "指数", "index", "", 0, "IX"),
    )
}


def unit(code: str) -> Unit:
    """The unit of a code; an unknown code is its own label and symbol (a dataset may bring units of its own)."""
    found = UNITS.get(code)
    if found is not None:
        return found
    return Unit(code, code, code, code, 0, code.upper().replace(".", "_").replace(" ", "_"))


def describe(code: str) -> dict[str, str | int]:
    """A unit as JSON documents carry it beside the values they hold."""
    u = unit(code)
    return {"code": u.code, "name": u.label, "name_en": u.label_en, "symbol": u.symbol, "multiplier": u.multiplier}
