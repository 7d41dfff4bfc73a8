"""SDMX-ML 2.1 shared by every message: namespaces, elements, the header, and error messages."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from service.model.sdmx import AGENCY, VERSION

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


def _q(tag: str) -> str:
    prefix, _, local = tag.partition(":")
    return f"{{{NS[prefix]}}}{local}" if local else tag


def el(parent: ET.Element | None, tag: str, text: str | None = None, **attrib: Any) -> ET.Element:
    """An element ``prefix:name`` (attributes ``prefix__name``; None values left out) under ``parent``."""
    attrs = {_q(k.replace("__", ":")): str(v) for k, v in attrib.items() if v is not None}
    elem = ET.Element(_q(tag), attrs) if parent is None else ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        elem.text = text
    return elem


def names(parent: ET.Element, given: dict[str, str], tag: str = "com:Name") -> None:
    for lang, name in given.items():
        el(parent, tag, name, **{"xml__lang": lang})


def header(root: ET.Element, prepared: datetime) -> ET.Element:
    head = el(root, "mes:Header")
    el(head, "mes:ID", f"IREF{uuid.uuid4().hex[:16].upper()}")
    el(head, "mes:Test", "false")
    el(head, "mes:Prepared", prepared.strftime("%Y-%m-%dT%H:%M:%S"))
    el(head, "mes:Sender", id=AGENCY)
    return head


def ref(parent: ET.Element, tag: str, ident: str, cls: str, package: str, **extra: str) -> None:
    wrapper = el(parent, tag)
    el(wrapper, "Ref", id=ident, agencyID=AGENCY, version=VERSION, package=package, **{"class": cls}, **extra)


def tostring(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


ERROR_CODES = {400: 140, 401: 110, 403: 110, 404: 100, 406: 406, 413: 510, 414: 414, 429: 503, 500: 500, 503: 503}
ERROR_TYPE = "application/xml"


def error_message(status: int, text: str) -> bytes:
    """An SDMX-ML 2.1 error message (code 100 for no results, 140 for a syntax error, 510 for too large...)."""
    root = el(None, "mes:Error")
    err = el(root, "mes:ErrorMessage", code=ERROR_CODES.get(status, 1000 if status < 500 else 500))
    el(err, "com:Text", text, **{"xml__lang": "en"})
    return tostring(root)
