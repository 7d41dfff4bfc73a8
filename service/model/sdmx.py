"""SDMX 2.1's view of Yardstick's model: the one dataflow's identifiers, its data structure (dimensions, attributes,
concepts, the codelists it names), the status mapping, and how codes become SDMX IDs. What goes into a message is
chosen in service/query/sdmx.py; encoding is in service/formats/sdmx/; docs/interop.md has the mapping.

Identifiers: SDMX IDs cannot contain dots, and the key syntax uses them as separators, so an indicator code's dots
become hyphens (``industry.value_added.growth`` <-> ``industry-value_added-growth``). Indicator codes never contain
hyphens, so the mapping is reversible; region codes are SDMX IDs as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.model.catalog import Indicator
from service.model.units import unit

AGENCY = "YARDSTICK"
FLOW = "YARDSTICK"
DSD = "DSD_YARDSTICK"
CONCEPTS = "CS_YARDSTICK"
VERSION = "1.0"
DIMENSIONS = ("FREQ", "REGION", "INDICATOR")  # the series key, in key order; then TIME_PERIOD

STATUS = {"A": "A", "P": "P", "E": "E", "D": "I"}  # ours -> CL_OBS_STATUS (D, derived by us: I, imputed by the
# receiving agency; SDMX's own D means "definition differs")
FREQUENCIES = {"A": ("Annual", "年度"), "Q": ("Quarterly", "季度"), "M": ("Monthly", "月度")}
ACCUMULATION = {
    "ytd": ("YTD", "Year to date: cumulative from January", "年初至今累计"),
    "period": ("PER", "Period", "当期"),
}
MULTIPLIERS = {0: "Units", 4: "Ten thousands (万)", 8: "Hundred millions (亿)"}


def sdmx_id(code: str) -> str:
    return code.replace(".", "-")


def our_code(sdmx: str) -> str:
    return sdmx.replace("-", ".")


def unit_of(indicator: Indicator) -> tuple[str, int, str]:
    """(UNIT_MEASURE code, UNIT_MULT, English name) of an indicator's unit."""
    u = unit(indicator.unit)
    return u.sdmx, u.multiplier, "Chinese yuan" if u.sdmx == "CNY" else u.label_en


@dataclass(frozen=True)
class Code:
    id: str
    names: dict[str, str]  # language -> name
    parent: str | None = None
    description: dict[str, str] = field(default_factory=dict)


CODELISTS = ("CL_FREQ", "CL_REGION", "CL_INDICATOR", "CL_OBS_STATUS", "CL_UNIT", "CL_UNIT_MULT", "CL_ACCUMULATION")


COMPONENTS: dict[str, tuple[str, str | None, str]] = {
    "FREQ": ("Frequency", "CL_FREQ", "dimension"),
    "REGION": ("Region", "CL_REGION", "dimension"),
    "INDICATOR": ("Indicator", "CL_INDICATOR", "dimension"),
    "TIME_PERIOD": ("Time period", None, "time"),
    "OBS_VALUE": ("Observation value", None, "measure"),
    "UNIT_MEASURE": ("Unit of measure", "CL_UNIT", "series"),
    "UNIT_MULT": ("Unit multiplier (power of 10)", "CL_UNIT_MULT", "series"),
    "ACCUMULATION": ("Accumulation: YTD for year-to-date figures", "CL_ACCUMULATION", "series"),
    "OBS_STATUS": ("Observation status", "CL_OBS_STATUS", "observation"),
    "PUBLISHED": ("Release date of the figure (its vintage)", None, "observation"),
    "COMMENT_OBS": ("Comment: source, quoted sentence and note", None, "observation"),
}
