"""SDMX-ML 2.1 structure messages: the dataflow, the data structure, the concept scheme and codelists."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from service.formats.sdmx.ml import el, header, names, ref, tostring
from service.model.sdmx import AGENCY, COMPONENTS, CONCEPTS, DIMENSIONS, DSD, FLOW, VERSION, Code


def _urn(kind: str, ident: str, item: str | None = None) -> str:
    package = {"Dataflow": "datastructure", "DataStructure": "datastructure", "Codelist": "codelist"}.get(
        kind, "conceptscheme"
    )
    base = f"urn:sdmx:org.sdmx.infomodel.{package}.{kind}={AGENCY}:{ident}({VERSION})"
    return base + (f".{item}" if item else "")


def _concept_ref(parent: ET.Element, concept: str) -> None:
    wrapper = el(parent, "str:ConceptIdentity")
    el(
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
    prepared: datetime | None = None  # the header's time (default: now)


def structure_message(s: Structures) -> bytes:
    root = el(None, "mes:Structure")
    header(root, s.prepared or datetime.now(UTC))
    structures = el(root, "mes:Structures")  # the schema's order: dataflows, codelists, concepts, structures
    if s.dataflow:
        flow = _maintainable(el(structures, "str:Dataflows"), "Dataflow", FLOW, "dataflow" in s.stubs)
        names(flow, {"en": "Regional economic indicators", "zh": "地区经济指标"})
        if "dataflow" not in s.stubs:
            ref(flow, "str:Structure", DSD, "DataStructure", "datastructure")
    if s.codelists:
        lists = el(structures, "str:Codelists")
        for ident, (name, codes) in s.codelists.items():
            stub = "codelist" in s.stubs
            _codes(_maintainable(lists, "Codelist", ident, stub), ident, name, [] if stub else codes)
    if s.conceptscheme:
        cs = _maintainable(el(structures, "str:Concepts"), "ConceptScheme", CONCEPTS, "conceptscheme" in s.stubs)
        names(cs, {"en": "Yardstick concepts"})
        for ident, (name, _, _) in [] if "conceptscheme" in s.stubs else COMPONENTS.items():
            names(el(cs, "str:Concept", id=ident, urn=_urn("Concept", CONCEPTS, ident)), {"en": name})
    if s.datastructure:
        dsd = _maintainable(el(structures, "str:DataStructures"), "DataStructure", DSD, "datastructure" in s.stubs)
        names(dsd, {"en": "Regional economic indicators: frequency, region, indicator, period"})
        if "datastructure" not in s.stubs:
            _components(el(dsd, "str:DataStructureComponents"))
    return tostring(root)


def _maintainable(parent: ET.Element, kind: str, ident: str, stub: bool) -> ET.Element:
    extra = {"isExternalReference": "true"} if stub else {}
    return el(parent, f"str:{kind}", id=ident, urn=_urn(kind, ident), agencyID=AGENCY, version=VERSION, **extra)


def _codes(cl: ET.Element, ident: str, name: str, codes: list[Code]) -> None:
    names(cl, {"en": name})
    for c in codes:
        code = el(cl, "str:Code", id=c.id, urn=_urn("Code", ident, c.id))
        names(code, c.names)
        names(code, c.description, "com:Description")
        if c.parent is not None:
            el(el(code, "str:Parent"), "Ref", id=c.parent)


def _enumeration(parent: ET.Element, codelist: str | None, text_type: str = "String") -> None:
    rep = el(parent, "str:LocalRepresentation")
    if codelist is None:
        el(rep, "str:TextFormat", textType=text_type)
    else:
        ref(rep, "str:Enumeration", codelist, "Codelist", "codelist")


def _components(parent: ET.Element) -> None:
    dims = el(
        parent, "str:DimensionList", id="DimensionDescriptor", urn=_urn("DataStructure", DSD, "DimensionDescriptor")
    )
    for position, ident in enumerate(DIMENSIONS, start=1):
        dim = el(dims, "str:Dimension", id=ident, position=position)
        _concept_ref(dim, ident)
        _enumeration(dim, COMPONENTS[ident][1])
    time = el(dims, "str:TimeDimension", id="TIME_PERIOD", position=len(DIMENSIONS) + 1)
    _concept_ref(time, "TIME_PERIOD")
    _enumeration(time, None, "ObservationalTimePeriod")
    attrs = el(parent, "str:AttributeList", id="AttributeDescriptor")
    for ident, (_, codelist, level) in COMPONENTS.items():
        if level not in ("series", "observation"):
            continue
        status = "Mandatory" if ident in ("OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT", "ACCUMULATION") else "Conditional"
        attr = el(attrs, "str:Attribute", id=ident, assignmentStatus=status)
        _concept_ref(attr, ident)
        _enumeration(attr, codelist)
        relation = el(attr, "str:AttributeRelationship")
        if level == "series":
            for ident_ in DIMENSIONS:
                el(el(relation, "str:Dimension"), "Ref", id=ident_)
        else:
            el(el(relation, "str:PrimaryMeasure"), "Ref", id="OBS_VALUE")
    measures = el(parent, "str:MeasureList", id="MeasureDescriptor")
    measure = el(measures, "str:PrimaryMeasure", id="OBS_VALUE")
    _concept_ref(measure, "OBS_VALUE")
    _enumeration(measure, None, "Double")
