"""SDMX 2.1 messages: structure (SDMX-ML), data (SDMX-ML GenericData and StructureSpecificData, SDMX-JSON 1.0,
SDMX-CSV 1.0) and error messages. What goes in them is chosen in service/query/sdmx.py."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from service.errors import NotAcceptable, Problem, bad_parameter
from service.formats import preferred
from service.model.sdmx import AGENCY, COMPONENTS, CONCEPTS, DIMENSIONS, DSD, FLOW, STATUS, VERSION, Code, unit_of
from service.query.sdmx import Series

NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "gen": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic",
    "ss": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
for _prefix, _uri in NS.items():
    if _prefix != "xml":
        ET.register_namespace(_prefix, _uri)
SS_NAMESPACE = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}({VERSION})"


class SdmxType(StrEnum):
    STRUCTURE = "application/vnd.sdmx.structure+xml; version=2.1"
    GENERIC = "application/vnd.sdmx.genericdata+xml; version=2.1"
    SPECIFIC = "application/vnd.sdmx.structurespecificdata+xml; version=2.1"
    JSON = "application/vnd.sdmx.data+json; version=1.0.0"
    CSV = "application/vnd.sdmx.data+csv; version=1.0.0"


DATA_FORMATS = {
    "genericdata": SdmxType.GENERIC,
    "structurespecificdata": SdmxType.SPECIFIC,
    "jsondata": SdmxType.JSON,
    "sdmx-json": SdmxType.JSON,
    "csv": SdmxType.CSV,
    "csvfile": SdmxType.CSV,
    "sdmx-csv": SdmxType.CSV,
}
_DATA_ACCEPT = {
    "application/vnd.sdmx.genericdata+xml": SdmxType.GENERIC,
    "application/vnd.sdmx.structurespecificdata+xml": SdmxType.SPECIFIC,
    "application/vnd.sdmx.data+json": SdmxType.JSON,
    "application/vnd.sdmx.data+csv": SdmxType.CSV,
    "application/xml": SdmxType.GENERIC,
    "text/xml": SdmxType.GENERIC,
    "application/json": SdmxType.JSON,
    "text/csv": SdmxType.CSV,
    "application/*": SdmxType.GENERIC,
    "*/*": SdmxType.GENERIC,
}
_STRUCTURE_ACCEPT = ("application/vnd.sdmx.structure+xml", "application/xml", "text/xml", "application/*", "*/*")


def negotiate_data(fmt: str | None, accept: str | None) -> SdmxType:
    """``format`` first, then Accept (its parameters, such as version=2.1, are ignored); GenericData by default."""
    if fmt is not None:
        if fmt.lower() not in DATA_FORMATS:
            raise bad_parameter("format", f"unknown SDMX data format {fmt!r}", sorted(DATA_FORMATS))
        return DATA_FORMATS[fmt.lower()]
    for kind in _ranges(accept):
        if kind in _DATA_ACCEPT:
            return _DATA_ACCEPT[kind]
    if not accept:
        return SdmxType.GENERIC
    raise NotAcceptable(
        f"none of the types in Accept ({accept}) is an SDMX data format served here",
        [Problem("unsupported media type", parameter="Accept", allowed=[t.value for t in SdmxType][1:])],
    )


def negotiate_structure(accept: str | None) -> SdmxType:
    if not accept or any(kind in _STRUCTURE_ACCEPT for kind in _ranges(accept)):
        return SdmxType.STRUCTURE
    raise NotAcceptable(
        f"structures are served as SDMX-ML 2.1 ({SdmxType.STRUCTURE.value}), not {accept}",
        [Problem("unsupported media type", parameter="Accept", allowed=[SdmxType.STRUCTURE.value])],
    )


def _ranges(accept: str | None) -> list[str]:
    return preferred(accept) if accept else []


def _q(tag: str) -> str:
    prefix, _, local = tag.partition(":")
    return f"{{{NS[prefix]}}}{local}" if local else tag


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrib: Any) -> ET.Element:
    attrs = {_q(k.replace("__", ":")): str(v) for k, v in attrib.items() if v is not None}
    elem = ET.Element(_q(tag), attrs) if parent is None else ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        elem.text = text
    return elem


def _names(parent: ET.Element, names: dict[str, str], tag: str = "com:Name") -> None:
    for lang, name in names.items():
        _el(parent, tag, name, **{"xml__lang": lang})


def _header(root: ET.Element, prepared: datetime) -> ET.Element:
    header = _el(root, "mes:Header")
    _el(header, "mes:ID", f"IREF{uuid.uuid4().hex[:16].upper()}")
    _el(header, "mes:Test", "false")
    _el(header, "mes:Prepared", prepared.strftime("%Y-%m-%dT%H:%M:%S"))
    _el(header, "mes:Sender", id=AGENCY)
    return header


def _bytes(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


# ---- structures --------------------------------------------------------------------------------------------------


def _urn(kind: str, ident: str, item: str | None = None) -> str:
    package = {"Dataflow": "datastructure", "DataStructure": "datastructure", "Codelist": "codelist"}.get(
        kind, "conceptscheme"
    )
    base = f"urn:sdmx:org.sdmx.infomodel.{package}.{kind}={AGENCY}:{ident}({VERSION})"
    return base + (f".{item}" if item else "")


def _ref(parent: ET.Element, tag: str, ident: str, cls: str, package: str, **extra: str) -> None:
    wrapper = _el(parent, tag)
    _el(wrapper, "Ref", id=ident, agencyID=AGENCY, version=VERSION, package=package, **{"class": cls}, **extra)


def _concept_ref(parent: ET.Element, concept: str) -> None:
    wrapper = _el(parent, "str:ConceptIdentity")
    _el(
        wrapper,
        "Ref",
        id=concept,
        maintainableParentID=CONCEPTS,
        maintainableParentVersion=VERSION,
        agencyID=AGENCY,
        package="conceptscheme",
        **{"class": "Concept"},
    )


@dataclass(frozen=True)
class Structures:
    """What a structure message holds: any of the dataflow, the data structure, the concept scheme and codelists."""

    dataflow: bool = False
    datastructure: bool = False
    conceptscheme: bool = False
    codelists: dict[str, tuple[str, list[Code]]] | None = None
    stubs: frozenset[str] = frozenset()  # the kinds given by name only (detail=allstubs or referencestubs)


def structure_message(s: Structures, prepared: datetime | None = None) -> bytes:
    root = _el(None, "mes:Structure")
    _header(root, prepared or datetime.now(UTC))
    structures = _el(root, "mes:Structures")  # the schema's order: dataflows, codelists, concepts, structures
    if s.dataflow:
        flow = _maintainable(_el(structures, "str:Dataflows"), "Dataflow", FLOW, "dataflow" in s.stubs)
        _names(flow, {"en": "Regional economic indicators", "zh": "地区经济指标"})
        if "dataflow" not in s.stubs:
            _ref(flow, "str:Structure", DSD, "DataStructure", "datastructure")
    if s.codelists:
        lists = _el(structures, "str:Codelists")
        for ident, (name, codes) in s.codelists.items():
            stub = "codelist" in s.stubs
            _codes(_maintainable(lists, "Codelist", ident, stub), ident, name, [] if stub else codes)
    if s.conceptscheme:
        cs = _maintainable(_el(structures, "str:Concepts"), "ConceptScheme", CONCEPTS, "conceptscheme" in s.stubs)
        _names(cs, {"en": "Yardstick concepts"})
        for ident, (name, _, _) in [] if "conceptscheme" in s.stubs else COMPONENTS.items():
            _names(_el(cs, "str:Concept", id=ident, urn=_urn("Concept", CONCEPTS, ident)), {"en": name})
    if s.datastructure:
        dsd = _maintainable(_el(structures, "str:DataStructures"), "DataStructure", DSD, "datastructure" in s.stubs)
        _names(dsd, {"en": "Regional economic indicators: frequency, region, indicator, period"})
        if "datastructure" not in s.stubs:
            _components(_el(dsd, "str:DataStructureComponents"))
    return _bytes(root)


def _maintainable(parent: ET.Element, kind: str, ident: str, stub: bool) -> ET.Element:
    extra = {"isExternalReference": "true"} if stub else {}
    return _el(parent, f"str:{kind}", id=ident, urn=_urn(kind, ident), agencyID=AGENCY, version=VERSION, **extra)


def _codes(cl: ET.Element, ident: str, name: str, codes: list[Code]) -> None:
    _names(cl, {"en": name})
    for c in codes:
        code = _el(cl, "str:Code", id=c.id, urn=_urn("Code", ident, c.id))
        _names(code, c.names)
        _names(code, c.description, "com:Description")
        if c.parent is not None:
            _el(_el(code, "str:Parent"), "Ref", id=c.parent)


def _enumeration(parent: ET.Element, codelist: str | None, text_type: str = "String") -> None:
    rep = _el(parent, "str:LocalRepresentation")
    if codelist is None:
        _el(rep, "str:TextFormat", textType=text_type)
    else:
        _ref(rep, "str:Enumeration", codelist, "Codelist", "codelist")


def _components(parent: ET.Element) -> None:
    dims = _el(
        parent, "str:DimensionList", id="DimensionDescriptor", urn=_urn("DataStructure", DSD, "DimensionDescriptor")
    )
    for position, ident in enumerate(DIMENSIONS, start=1):
        dim = _el(dims, "str:Dimension", id=ident, position=position)
        _concept_ref(dim, ident)
        _enumeration(dim, COMPONENTS[ident][1])
    time = _el(dims, "str:TimeDimension", id="TIME_PERIOD", position=len(DIMENSIONS) + 1)
    _concept_ref(time, "TIME_PERIOD")
    _enumeration(time, None, "ObservationalTimePeriod")
    attrs = _el(parent, "str:AttributeList", id="AttributeDescriptor")
    for ident, (_, codelist, level) in COMPONENTS.items():
        if level not in ("series", "observation"):
            continue
        status = "Mandatory" if ident in ("OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT", "ACCUMULATION") else "Conditional"
        attr = _el(attrs, "str:Attribute", id=ident, assignmentStatus=status)
        _concept_ref(attr, ident)
        _enumeration(attr, codelist)
        relation = _el(attr, "str:AttributeRelationship")
        if level == "series":
            for ident_ in DIMENSIONS:
                _el(_el(relation, "str:Dimension"), "Ref", id=ident_)
        else:
            _el(_el(relation, "str:PrimaryMeasure"), "Ref", id="OBS_VALUE")
    measures = _el(parent, "str:MeasureList", id="MeasureDescriptor")
    measure = _el(measures, "str:PrimaryMeasure", id="OBS_VALUE")
    _concept_ref(measure, "OBS_VALUE")
    _enumeration(measure, None, "Double")


# ---- data --------------------------------------------------------------------------------------------------------


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


def _series_attributes(s: Series) -> dict[str, str]:
    unit, mult, _ = unit_of(s.indicator)
    return {
        "UNIT_MEASURE": unit,
        "UNIT_MULT": str(mult),
        "ACCUMULATION": "YTD" if s.indicator.accumulation == "ytd" else "PER",
    }


def _observations(s: Series) -> Iterable[tuple[str, float | None, dict[str, str]]]:
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


def generic_data(series: list[Series], detail: Detail, by_time: bool, history: bool) -> bytes:
    root = _el(None, "mes:GenericData")
    header = _header(root, datetime.now(UTC))
    at_obs = "TIME_PERIOD" if by_time else "AllDimensions"
    structure = _el(header, "mes:Structure", structureID=DSD, dimensionAtObservation=at_obs)
    _ref(structure, "com:Structure", DSD, "DataStructure", "datastructure")
    for valid_from, members in _vintages(series, history):
        ds = _el(root, "mes:DataSet", structureRef=DSD, validFromDate=valid_from and f"{valid_from}T00:00:00")
        for s in members:
            key = dict(zip(DIMENSIONS, s.key, strict=True))
            if by_time:
                parent = _el(ds, "gen:Series")
                _key_values(parent, "gen:SeriesKey", key)
                if detail.series_attributes:
                    _key_values(parent, "gen:Attributes", _series_attributes(s))
            if not detail.observations:
                continue
            for period, value, attrs in _observations(s):
                obs = _el(parent if by_time else ds, "gen:Obs")
                if by_time:
                    _el(obs, "gen:ObsDimension", value=period)
                else:
                    _key_values(obs, "gen:ObsKey", {**key, "TIME_PERIOD": period})
                _el(obs, "gen:ObsValue", value=_value(value))
                shown = (attrs if detail.observation_attributes else {}) | (
                    _series_attributes(s) if not by_time and detail.series_attributes else {}
                )
                if shown:
                    _key_values(obs, "gen:Attributes", shown)
    return _bytes(root)


def _key_values(parent: ET.Element, tag: str, values: dict[str, str]) -> None:
    wrapper = _el(parent, tag)
    for ident, value in values.items():
        _el(wrapper, "gen:Value", id=ident, value=value)


def structure_specific(series: list[Series], detail: Detail, by_time: bool, history: bool) -> bytes:
    at_obs = "TIME_PERIOD" if by_time else "AllDimensions"
    namespace = f"{SS_NAMESPACE}:ObsLevelDim:{at_obs}"
    root = _el(None, "mes:StructureSpecificData")
    root.set("xmlns:ns1", namespace)
    header = _header(root, datetime.now(UTC))
    structure = _el(header, "mes:Structure", structureID=DSD, namespace=namespace, dimensionAtObservation=at_obs)
    _ref(structure, "com:Structure", DSD, "DataStructure", "datastructure")
    for valid_from, members in _vintages(series, history):
        ds = _el(
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
            key = dict(zip(DIMENSIONS, s.key, strict=True))
            series_attrs = _series_attributes(s) if detail.series_attributes else {}
            parent: ET.Element = _el(ds, "Series", **key, **series_attrs) if by_time else ds
            if not detail.observations:
                continue
            for period, value, attrs in _observations(s):
                shown = attrs if detail.observation_attributes else {}
                dims = {} if by_time else {**key, **series_attrs}
                _el(parent, "Obs", **dims, TIME_PERIOD=period, OBS_VALUE=_value(value), **shown)
    return _bytes(root)


def sdmx_csv(series: list[Series], detail: Detail) -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    series_cols = ["UNIT_MEASURE", "UNIT_MULT", "ACCUMULATION"] if detail.series_attributes else []
    obs_cols = ["OBS_STATUS", "PUBLISHED", "COMMENT_OBS"] if detail.observation_attributes else []
    out.writerow(["DATAFLOW", *DIMENSIONS, "TIME_PERIOD", "OBS_VALUE", *series_cols, *obs_cols])
    flow = f"{AGENCY}:{FLOW}({VERSION})"
    for s in series:
        sa = _series_attributes(s)
        for period, value, attrs in _observations(s) if detail.observations else []:
            row = [flow, *s.key, period, "" if value is None else repr(float(value))]
            out.writerow(row + [sa[c] for c in series_cols] + [attrs.get(c, "") for c in obs_cols])
    return buf.getvalue().encode()


def sdmx_json(series: list[Series], detail: Detail, names: dict[str, dict[str, str]]) -> bytes:
    """SDMX-JSON data message 1.0, series grouped by key, observations by time (``names``: dimension -> id -> name)."""
    dim_values: list[list[str]] = [list(dict.fromkeys(s.key[k] for s in series)) for k in range(len(DIMENSIONS))]
    periods = sorted({p for s in series for p in s.rows.column("period").to_pylist()})
    p_index = {p: k for k, p in enumerate(periods)}
    series_attr_ids = ["UNIT_MEASURE", "UNIT_MULT", "ACCUMULATION"]
    obs_attr_ids = ["OBS_STATUS", "PUBLISHED", "COMMENT_OBS"]
    attr_values: dict[str, dict[str, int]] = {a: {} for a in series_attr_ids + obs_attr_ids}

    def index(attr: str, value: str | None) -> int | None:
        """The position of an attribute's value in the structure's list of its values (added on first use)."""
        return None if value is None else attr_values[attr].setdefault(value, len(attr_values[attr]))

    out_series: dict[str, Any] = {}
    for s in series:
        key = ":".join(str(dim_values[k].index(v)) for k, v in enumerate(s.key))
        entry: dict[str, Any] = {}
        if detail.series_attributes:
            sa = _series_attributes(s)
            entry["attributes"] = [index(a, sa[a]) for a in series_attr_ids]
        if detail.observations:
            entry["observations"] = {
                str(p_index[period]): [value]
                + ([index(a, attrs.get(a)) for a in obs_attr_ids] if detail.observation_attributes else [])
                for period, value, attrs in _observations(s)
            }
        out_series[key] = entry

    def dimension(ident: str, position: int, values: list[str]) -> dict[str, Any]:
        label = COMPONENTS[ident][0]
        shown = [{"id": v, "name": names.get(ident, {}).get(v, v)} for v in values]
        return {"id": ident, "name": label, "keyPosition": position, "values": shown}

    body = {
        "header": {
            "id": f"IREF{uuid.uuid4().hex[:16].upper()}",
            "test": False,
            "prepared": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sender": {"id": AGENCY},
        },
        "dataSets": [{"action": "Information", "series": out_series}],
        "structure": {
            "name": "Regional economic indicators",
            "dimensions": {
                "dataSet": [],
                "series": [dimension(d, k, dim_values[k]) for k, d in enumerate(DIMENSIONS)],
                "observation": [
                    {
                        "id": "TIME_PERIOD",
                        "name": COMPONENTS["TIME_PERIOD"][0],
                        "role": "time",
                        "keyPosition": len(DIMENSIONS),
                        "values": [{"id": p, "name": p} for p in periods],
                    }
                ],
            },
            "attributes": {
                "dataSet": [],
                "series": [
                    {"id": a, "name": COMPONENTS[a][0], "values": [{"id": v, "name": v} for v in attr_values[a]]}
                    for a in series_attr_ids
                ],
                "observation": [
                    {"id": a, "name": COMPONENTS[a][0], "values": [{"id": v, "name": v} for v in attr_values[a]]}
                    for a in obs_attr_ids
                ],
            },
        },
    }
    return orjson.dumps(body)


# ---- errors ------------------------------------------------------------------------------------------------------

ERROR_CODES = {400: 140, 401: 110, 403: 110, 404: 100, 406: 406, 413: 510, 414: 414, 429: 503, 500: 500, 503: 503}
ERROR_TYPE = "application/xml"


def error_message(status: int, text: str) -> bytes:
    """An SDMX-ML 2.1 error message (code 100 for no results, 140 for a syntax error, 510 for too large...)."""
    root = _el(None, "mes:Error")
    err = _el(root, "mes:ErrorMessage", code=ERROR_CODES.get(status, 1000 if status < 500 else 500))
    _el(err, "com:Text", text, **{"xml__lang": "en"})
    return _bytes(root)
