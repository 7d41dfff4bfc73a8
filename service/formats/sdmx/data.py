"""SDMX 2.1 data messages: SDMX-ML GenericData and StructureSpecificData, and SDMX-CSV 1.0 (SDMX-JSON 1.0 is in
jsondata.py). What goes in them is chosen in service/query/sdmx.py."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from service.formats.sdmx.ml import el, header, ref, tostring
from service.model.sdmx import AGENCY, DIMENSIONS, DSD, FLOW, STATUS, VERSION, unit_of
from service.query.sdmx import Series

SS_NAMESPACE = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}({VERSION})"
SERIES_ATTRIBUTES = ["UNIT_MEASURE", "UNIT_MULT", "ACCUMULATION"]
OBS_ATTRIBUTES = ["OBS_STATUS", "PUBLISHED", "COMMENT_OBS"]


@dataclass(frozen=True)
class Detail:
    series_attributes: bool = True
    observations: bool = True
    observation_attributes: bool = True

    @classmethod
    def of(cls, detail: str) -> Detail:
        return {
            "full": cls(),
            "dataonly": cls(False, True, False),
            "serieskeysonly": cls(False, False, False),
            "nodata": cls(True, False, False),
        }[detail]


def _no_names() -> dict[str, dict[str, str]]:
    return {}


@dataclass(frozen=True)
class DataMessage:
    """What every data writer renders: the series, what of them to show, and how."""

    series: list[Series]
    detail: Detail = field(default_factory=Detail)
    by_time: bool = True  # dimensionAtObservation=TIME_PERIOD (else AllDimensions)
    history: bool = False  # one data set per release date
    names: Callable[[], dict[str, dict[str, str]]] = _no_names  # dimension -> id -> name, looked up when asked


def series_attributes(s: Series) -> dict[str, str]:
    unit, mult, _ = unit_of(s.indicator)
    return {
        "UNIT_MEASURE": unit,
        "UNIT_MULT": str(mult),
        "ACCUMULATION": "YTD" if s.indicator.accumulation == "ytd" else "PER",
    }


def observations(s: Series) -> Iterable[tuple[str, float | None, dict[str, str]]]:
    cols = {
        c: s.rows.column(c).to_pylist() for c in ("period", "value", "status", "published", "source", "quote", "note")
    }
    for k, period in enumerate(cols["period"]):
        attrs = {"OBS_STATUS": STATUS.get(cols["status"][k], cols["status"][k]), "PUBLISHED": str(cols["published"][k])}
        comment = "; ".join(f"{n}: {cols[n][k]}" for n in ("source", "quote", "note") if cols[n][k])
        if comment:
            attrs["COMMENT_OBS"] = comment
        yield period, cols["value"][k], attrs


def _value(v: float | None) -> str:
    return "NaN" if v is None else repr(float(v))


def _vintages(series: list[Series], history: bool) -> list[tuple[str | None, list[Series]]]:
    """One data set, or with history one per release date (its validFromDate) holding the figures released then."""
    if not history:
        return [(None, series)]
    dates = sorted({d for s in series for d in s.rows.column("published").to_pylist()})
    out = []
    for d in dates:
        at = pa.scalar(d, pa.date32())
        subset = [
            Series(s.indicator, s.region, s.rows.filter(pc.equal(s.rows.column("published"), at))) for s in series
        ]
        out.append((d.isoformat(), [s for s in subset if s.rows.num_rows]))
    return out


def generic_data(m: DataMessage) -> bytes:
    root = el(None, "mes:GenericData")
    head = header(root, datetime.now(UTC))
    at_obs = "TIME_PERIOD" if m.by_time else "AllDimensions"
    structure = el(head, "mes:Structure", structureID=DSD, dimensionAtObservation=at_obs)
    ref(structure, "com:Structure", DSD, "DataStructure", "datastructure")
    for valid_from, members in _vintages(m.series, m.history):
        ds = el(root, "mes:DataSet", structureRef=DSD, validFromDate=valid_from and f"{valid_from}T00:00:00")
        for s in members:
            _generic_series(ds, s, m.detail, m.by_time)
    return tostring(root)


def _generic_series(ds: ET.Element, s: Series, detail: Detail, by_time: bool) -> None:
    key = dict(zip(DIMENSIONS, s.key, strict=True))
    parent = ds
    if by_time:
        parent = el(ds, "gen:Series")
        _key_values(parent, "gen:SeriesKey", key)
        if detail.series_attributes:
            _key_values(parent, "gen:Attributes", series_attributes(s))
    if not detail.observations:
        return
    for period, value, attrs in observations(s):
        obs = el(parent, "gen:Obs")
        if by_time:
            el(obs, "gen:ObsDimension", value=period)
        else:
            _key_values(obs, "gen:ObsKey", {**key, "TIME_PERIOD": period})
        el(obs, "gen:ObsValue", value=_value(value))
        shown = (attrs if detail.observation_attributes else {}) | (
            series_attributes(s) if not by_time and detail.series_attributes else {}
        )
        if shown:
            _key_values(obs, "gen:Attributes", shown)


def _key_values(parent: ET.Element, tag: str, values: dict[str, str]) -> None:
    wrapper = el(parent, tag)
    for ident, value in values.items():
        el(wrapper, "gen:Value", id=ident, value=value)


def structure_specific(m: DataMessage) -> bytes:
    at_obs = "TIME_PERIOD" if m.by_time else "AllDimensions"
    namespace = f"{SS_NAMESPACE}:ObsLevelDim:{at_obs}"
    root = el(None, "mes:StructureSpecificData")
    root.set("xmlns:ns1", namespace)
    head = header(root, datetime.now(UTC))
    structure = el(head, "mes:Structure", structureID=DSD, namespace=namespace, dimensionAtObservation=at_obs)
    ref(structure, "com:Structure", DSD, "DataStructure", "datastructure")
    for valid_from, members in _vintages(m.series, m.history):
        ds = el(
            root,
            "mes:DataSet",
            **{
                "ss__structureRef": DSD,
                "ss__dataScope": "DataStructure",
                "xsi__type": "ns1:DataSetType",
                "validFromDate": valid_from and f"{valid_from}T00:00:00",
            },
        )
        for s in members:
            _specific_series(ds, s, m.detail, m.by_time)
    return tostring(root)


def _specific_series(ds: ET.Element, s: Series, detail: Detail, by_time: bool) -> None:
    key = dict(zip(DIMENSIONS, s.key, strict=True))
    series_attrs = series_attributes(s) if detail.series_attributes else {}
    parent: ET.Element = el(ds, "Series", **key, **series_attrs) if by_time else ds
    if not detail.observations:
        return
    for period, value, attrs in observations(s):
        shown = attrs if detail.observation_attributes else {}
        dims = {} if by_time else {**key, **series_attrs}
        el(parent, "Obs", **dims, TIME_PERIOD=period, OBS_VALUE=_value(value), **shown)


def sdmx_csv(m: DataMessage) -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    series_cols = SERIES_ATTRIBUTES if m.detail.series_attributes else []
    obs_cols = OBS_ATTRIBUTES if m.detail.observation_attributes else []
    out.writerow(["DATAFLOW", *DIMENSIONS, "TIME_PERIOD", "OBS_VALUE", *series_cols, *obs_cols])
    flow = f"{AGENCY}:{FLOW}({VERSION})"
    for s in m.series:
        sa = series_attributes(s)
        for period, value, attrs in observations(s) if m.detail.observations else []:
            row = [flow, *s.key, period, "" if value is None else repr(float(value))]
            out.writerow(row + [sa[c] for c in series_cols] + [attrs.get(c, "") for c in obs_cols])
    return buf.getvalue().encode()
