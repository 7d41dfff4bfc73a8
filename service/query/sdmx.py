"""SDMX 2.1 views of a snapshot: the codelists of its regions and indicators, and data queries by SDMX key. The data
structure itself (identifiers, dimensions, concepts, status mapping) is model: service/model/sdmx.py. Encoding is in
service/formats/sdmx/; docs/interop.md has the mapping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc

from service.errors import YardstickError
from service.model.catalog import Indicator
from service.model.period import PeriodError, bounds
from service.model.sdmx import (
    ACCUMULATION,
    AGENCY,
    DIMENSIONS,
    FLOW,
    FREQUENCIES,
    MULTIPLIERS,
    VERSION,
    Code,
    sdmx_id,
    unit_of,
)
from service.store import vintage
from service.store.snapshot import Memo, Snapshot


class SdmxNoResults(YardstickError):
    status = 404
    type = "/problems/not-found"
    title = "No results"


class SdmxSyntax(YardstickError):
    status = 400
    type = "/problems/bad-parameter"
    title = "Syntax error"


class SdmxTooLarge(YardstickError):
    status = 413
    type = "/problems/too-large"
    title = "Response too large"


# ---- structure ---------------------------------------------------------------------------------------------------


CODELIST_MEMO: Memo[dict[str, tuple[str, list[Code]]]] = Memo("sdmx codelists")


def codelists(snap: Snapshot) -> dict[str, tuple[str, list[Code]]]:
    """Every codelist of the data structure: id -> (English name, codes); built once per snapshot."""
    return snap.memo(CODELIST_MEMO, lambda: _codelists(snap))


def _codelists(snap: Snapshot) -> dict[str, tuple[str, list[Code]]]:
    regions = [
        Code(r.code, {"zh": r.name} | ({"en": r.name_en} if r.name_en else {}), r.parent) for r in snap.regions.values()
    ]
    indicators = [
        Code(
            sdmx_id(i.code),
            {"zh": i.name} | ({"en": i.name_en} if i.name_en else {}),
            description={"en": i.description} if i.description else {},
        )
        for i in snap.indicators.values()
    ]
    units = {unit_of(i)[0]: unit_of(i)[2] for i in snap.indicators.values()}
    return {
        "CL_FREQ": ("Frequency", [Code(k, {"en": en, "zh": zh}) for k, (en, zh) in FREQUENCIES.items()]),
        "CL_REGION": ("Regions", regions),
        "CL_INDICATOR": ("Indicators", indicators),
        "CL_OBS_STATUS": (
            "Observation status",
            [
                Code("A", {"en": "Normal value"}),
                Code("P", {"en": "Provisional value"}),
                Code("E", {"en": "Estimated value"}),
                Code("I", {"en": "Imputed value: derived by Yardstick from published figures"}),
            ],
        ),
        "CL_UNIT": ("Unit of measure", [Code(k, {"en": v}) for k, v in sorted(units.items())]),
        "CL_UNIT_MULT": ("Unit multiplier", [Code(str(k), {"en": v}) for k, v in MULTIPLIERS.items()]),
        "CL_ACCUMULATION": (
            "Accumulation",
            [Code(c, {"en": en, "zh": zh}) for c, en, zh in ACCUMULATION.values()],
        ),
    }


# concept id -> (English name, codelist or None for text, attached to: "series", "observation" or a dimension)
# ---- data --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataQuery:
    key: str = "all"
    start: str | None = None
    end: str | None = None
    updated_after: datetime | None = None
    first_n: int | None = None
    last_n: int | None = None
    history: bool = False


@dataclass(frozen=True)
class Series:
    """One series' rows: period, value, status, published, source, quote, note (as Arrow)."""

    indicator: Indicator
    region: str
    rows: pa.Table

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indicator.frequency, self.region, sdmx_id(self.indicator.code))


def check_flow(flow: str, provider: str) -> None:
    """The flowRef (YARDSTICK, or agency,id[,version]) and providerRef of a data query name this service's: 404 if
    not."""
    parts = flow.split(",")
    if parts[0] not in ("all", AGENCY, FLOW) or (len(parts) > 1 and parts[1] != FLOW) or len(parts) > 3:
        raise SdmxNoResults(f"no dataflow {flow!r}: this service has {AGENCY},{FLOW},{VERSION}")
    if len(parts) == 3 and parts[2] not in ("latest", VERSION):
        raise SdmxNoResults(f"no version {parts[2]!r} of dataflow {FLOW}: it has {VERSION}")
    if provider not in ("all", AGENCY, f"{AGENCY},{AGENCY}"):
        raise SdmxNoResults(f"no data provider {provider!r}: this service's is {AGENCY}")


def names(snap: Snapshot, series: list[Series]) -> dict[str, dict[str, str]]:
    """The names of the codes the series' keys hold: dimension -> id -> name (SDMX-JSON shows them)."""
    return {
        "FREQ": {k: en for k, (en, _) in FREQUENCIES.items()},
        "REGION": {s.region: snap.regions[s.region].name for s in series},
        "INDICATOR": {sdmx_id(s.indicator.code): s.indicator.name for s in series},
    }


def parse_key(key: str) -> list[set[str] | None]:
    """An SDMX key: one part per dimension, each empty (all) or values joined by '+'; 'all' is every series."""
    if key in ("all", ""):
        return [None] * len(DIMENSIONS)
    parts = key.split(".")
    if len(parts) != len(DIMENSIONS):
        raise SdmxSyntax(
            f"the key {key!r} has {len(parts)} part(s); this dataflow's key has {len(DIMENSIONS)}: "
            f"{'.'.join(DIMENSIONS)} (e.g. Q.430400.industry-value_added-growth, or .430400+430000. for all "
            "indicators of two regions)"
        )
    return [set(p.split("+")) if p else None for p in parts]


def period_bounds(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """startPeriod/endPeriod (2022, 2022-Q3, 2022-09, 2022-09-30, ...): keep periods ending within them."""

    def one(text: str | None, which: int, name: str) -> date | None:
        if text is None:
            return None
        try:
            return date.fromisoformat(text) if len(text) == 10 else bounds(text)[which]
        except (PeriodError, ValueError) as exc:
            raise SdmxSyntax(f"{name}={text!r} is not a period: use e.g. 2022, 2022-Q3, 2022-09") from exc

    return one(start, 0, "startPeriod"), one(end, 1, "endPeriod")


def select(snap: Snapshot, q: DataQuery, limit: int) -> list[Series]:
    """The series the key matches, each cut to the query; 404 when nothing matches, 413 past ``limit``
    observations."""
    freqs, regions, wanted = parse_key(q.key)
    start, end = period_bounds(q.start, q.end)
    indicators = [
        i
        for i in snap.indicators.values()
        if (wanted is None or sdmx_id(i.code) in wanted) and (freqs is None or i.frequency in freqs)
    ]
    out, total = [], 0
    for series in _matching(snap, indicators, regions):
        rows = _cut(series.rows, q, start, end)
        if rows.num_rows:
            total += rows.num_rows
            if total > limit:
                raise SdmxTooLarge(
                    f"more than {limit:,} observations match: narrow the key, the periods "
                    "(startPeriod/endPeriod) or take lastNObservations, or download /v1/bulk"
                )
            out.append(Series(series.indicator, series.region, rows))
    if not out:
        raise SdmxNoResults(f"no observations match the key {q.key!r} and the periods asked for")
    return out


def _matching(snap: Snapshot, indicators: list[Indicator], regions: set[str] | None) -> Iterator[Series]:
    for indicator in sorted(indicators, key=lambda i: i.code):
        frame = snap.frame(indicator.code)
        codes = sorted(frame.index) if regions is None else sorted(r for r in regions if r in frame.index)
        for region in codes:
            yield Series(indicator, region, frame.rows(region))


def _cut(rows: pa.Table, q: DataQuery, start: date | None, end: date | None) -> pa.Table:
    rows = vintage.pick(rows, None, every=q.history)
    if start is not None:
        rows = rows.filter(pc.greater_equal(rows.column("period_end"), pa.scalar(start, pa.date32())))
    if end is not None:
        rows = rows.filter(pc.less_equal(rows.column("period_end"), pa.scalar(end, pa.date32())))
    if q.updated_after is not None:
        after = pa.scalar(q.updated_after, pa.timestamp("us", "UTC"))
        rows = rows.filter(pc.greater(rows.column("recorded_at"), after))
    if q.first_n is not None or q.last_n is not None:  # counted in periods (with history, all of a period's releases)
        ends = pc.unique(rows.column("period_end")).to_pylist()
        keep = set(ends[: q.first_n] if q.first_n is not None else []) | set(
            ends[-q.last_n :] if q.last_n is not None else []
        )
        rows = rows.filter(pc.is_in(rows.column("period_end"), pa.array(sorted(keep), pa.date32())))
    return rows
