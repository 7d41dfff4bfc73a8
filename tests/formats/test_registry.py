"""The format registry: every format once, negotiation over each offer, nothing picked silently, and a new format
(a stand-in) answered by registering it, with no other change (as xlsx was: service/formats/xlsx.py and one call)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from service.errors import BadParameter, NotAcceptable
from service.formats import CHARTS, SDMX_DATA, SDMX_STRUCTURE, SERIES, TABLES, Format, Offer, Payload, encode
from service.formats.registry import TEXT, listing, negotiate, preferred, register, registered

OFFERS: list[Offer[Any]] = [TABLES, SERIES, SDMX_DATA, SDMX_STRUCTURE, CHARTS]


def _offer() -> Offer[Payload]:
    return Offer("test", "unknown format {format!r}", "none of {accept} ({types})")


def _xlsx(table: pa.Table, metadata: object, bom: bool) -> bytes:
    return b"PK" + str(table.num_rows).encode()


def test_each_format_is_registered_once_and_reached_by_its_name_and_media_type() -> None:
    names = [f.name for f in registered()]
    assert len(names) == len(set(names))
    for offer in OFFERS:
        assert offer.formats, offer.name
        for fmt in offer.formats:
            assert fmt in registered()
            assert all(negotiate(name, None, offer) is fmt for name in fmt.names)
            assert negotiate(fmt.names[0].upper(), None, offer) is fmt
            assert negotiate(None, fmt.media_type, offer) is fmt  # parameters (version=2.1) ignored
        assert negotiate(None, None, offer) is offer.default and negotiate(None, "", offer) is offer.default


def test_series_formats_extend_the_table_formats_in_order() -> None:
    assert TABLES.names == ("json", "csv", "parquet", "arrow", "xlsx")
    assert SERIES.names == (*TABLES.names, "jsonstat")
    assert SDMX_DATA.names == ("genericdata", "structurespecificdata", "jsondata", "csv")
    assert CHARTS.names == ("svg", "png")


@pytest.mark.parametrize("offer", OFFERS, ids=lambda o: o.name)
def test_a_range_no_format_claims_is_never_answered(offer: Offer[Any]) -> None:
    with pytest.raises(NotAcceptable) as caught:
        negotiate(None, "application/x-unheard-of, image/gif;q=0.5", offer)
    assert caught.value.problems[0].allowed == [f.media_type for f in offer.formats]
    with pytest.raises(BadParameter) as bad:
        negotiate("ods", None, offer)
    assert bad.value.problems[0].allowed == offer.params


def test_accept_is_read_in_order_of_preference() -> None:
    assert preferred("text/csv;q=0.5, application/json, image/png;q=0") == ["application/json", "text/csv"]
    assert negotiate(None, "text/html;q=0.9, text/csv;q=0.5", TABLES).name == "csv"
    assert negotiate(None, "application/json", SDMX_DATA).name == "sdmx-json"  # each offer reads a range its way
    assert negotiate(None, "*/*", SDMX_STRUCTURE).name == "sdmx-structure"
    assert negotiate("csv", "application/json", TABLES).name == "csv"  # format= wins over Accept


def test_a_format_has_one_kind_of_encoder_and_an_offer_no_ambiguity() -> None:
    with pytest.raises(ValueError, match="not both or neither"):
        Format[Payload]("none", "application/x-none", "none", "None")
    offer = _offer()
    offer.add(Format("a", "application/a", "a", "A", table=_xlsx, accepts=("*/*",)))
    with pytest.raises(ValueError, match="both claim"):
        offer.add(Format("b", "application/b", "b", "B", table=_xlsx, accepts=("*/*",)))
    with pytest.raises(ValueError, match="registered twice"):
        register(Format("json", "application/x-json", "json", "JSON", table=_xlsx))


def test_a_new_format_is_one_registration() -> None:
    """What the xlsx issue needed: its encoder and one Format; negotiation, file names and the OpenAPI content map
    follow (a fresh offer here, so the app's offers stay as they are)."""
    offer = _offer()
    json = TABLES.default
    offer.add(json)
    xlsx: Format[Payload] = Format(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "Excel",
        table=_xlsx,
        schema={"type": "string", "format": "binary"},
    )
    offer.add(xlsx)
    assert negotiate("xlsx", None, offer) is xlsx
    assert negotiate(None, "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", offer) is xlsx
    assert encode(Payload(pa.table({"a": [1, 2]})), xlsx) == b"PK2"
    assert xlsx.stream is None  # /v1/observations answers it a page at a time, never as some other format

    from service.api.docs import content, described

    assert described(offer) == "JSON by default; Excel with format= or Accept"
    assert list(content(offer)) == ["application/json", xlsx.media_type]


def test_xlsx_is_one_registration_in_the_table_offers() -> None:
    from service.formats import XLSX, xlsx

    assert negotiate("xlsx", None, TABLES) is XLSX and negotiate(None, XLSX.media_type, SERIES) is XLSX
    assert XLSX.document is xlsx.encode and XLSX.stream is None and XLSX.file is None
    assert XLSX.disposition == "attachment" and XLSX.max_rows == 1_048_575  # a sheet's rows under its header


def test_openapi_content_maps_come_from_the_registry() -> None:
    from service.api.docs import CHART_RESPONSES, DATA_RESPONSES, SDMX_RESPONSES, SERIES_RESPONSES, content

    assert DATA_RESPONSES[200]["content"] == content(TABLES)
    from service.api.schemas import JsonStat

    assert SERIES_RESPONSES[200]["content"]["application/json-stat+json"] == {
        "schema": JsonStat.model_json_schema(by_alias=True)
    }
    assert SDMX_RESPONSES[200]["content"]["application/vnd.sdmx.data+csv; version=1.0.0"] == {"schema": dict(TEXT)}
    assert list(CHART_RESPONSES[200]["content"]) == ["image/svg+xml", "image/png"]
    assert listing(["a"]) == "a" and listing(["a", "b", "c"]) == "a, b or c"
