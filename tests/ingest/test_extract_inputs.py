"""The inputs of POST /v1/extract (issue #24): bytes and a media type to the text the extractor reads, the mess of
real pages tidied with spans kept on the text as sent, and the answer's rows as ingest reads them. Real bytes:
GB18030, traditional characters, HTML, CSV, workbooks written by xlsxwriter and xlwt."""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from service.config import REPO_DATA
from service.errors import BadParameter, InvalidData, PayloadTooLarge, UnsupportedMediaType
from service.ingest.extract import answer as core
from service.ingest.extract import text as text_module
from service.ingest.extract.catalog import new_code
from service.ingest.extract.inputs import MAX_CHARACTERS, Document, read_document
from service.ingest.extract.text import normalise, opencc_t2s

TODAY = date(2024, 6, 1)
TABLE_ROWS: list[list[Any]] = [
    ["市州", "比上年同月(%)", "比上年同期(%)"],
    ["全 省", 9.4, 7.1],
    ["长沙市", 11.0, 8.3],
    ["株洲市", 7.7, 7.0],
    ["湘潭市", 8.2, 7.1],
]


@cache
def catalogs() -> core.Catalogs:
    return core.Catalogs.from_files(REPO_DATA, REPO_DATA / "synonyms.csv")


def run(doc: Document, **params: str) -> dict[str, Any]:
    return core.answer(doc, core.options(catalogs(), today=TODAY, **params), catalogs(), today=TODAY)


def spans_hold(out: dict[str, Any], text: str) -> None:
    for row in out["observations"] + out["unresolved"]:
        s, e = row["span"]
        assert text[s:e] == row["quote"], row


def values(out: dict[str, Any], region: str | None = None) -> list[float]:
    return [r["value"] for r in out["observations"] if region is None or r["region"] == region]


# --- text and its charset -----------------------------------------------------------------------------------


def test_gb18030_is_detected_and_spans_count_code_points() -> None:
    sent = "2022年衡阳市规模工业增加值同比增长8.4%。"
    doc = read_document(sent.encode("gb18030"), "text/plain")
    assert (doc.kind, doc.encoding, doc.text) == ("text", "gb18030", sent)
    out = run(doc, region="430400", published="2023-01-10")
    row = next(r for r in out["observations"] if r["value"] == 8.4)
    assert row["indicator"] == "industry.value_added.growth" and row["period"] == "2022-Q4"
    assert sent[row["span"][0] : row["span"][1]] == row["quote"] and "8.4%" in row["quote"]
    assert out["document"]["characters"] == len(sent) and "text" not in out["document"]


def test_a_declared_charset_is_used_and_a_false_one_refused() -> None:
    assert read_document("全省".encode("big5"), "text/plain; charset=big5").text == "全省"
    assert read_document("全省".encode("gbk"), "text/plain; charset=GB2312").encoding == "gb18030"
    with pytest.raises(InvalidData, match="declared utf-8"):
        read_document("衡阳市规模工业增加值".encode("gbk"), "text/plain; charset=utf-8")
    with pytest.raises(UnsupportedMediaType, match="unknown charset"):
        read_document(b"abc", "text/plain; charset=klingon")


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_in_words() -> None:
    with pytest.raises(InvalidData, match="neither UTF-8 nor GB18030") as err:
        read_document(b"\x81\x20abc\xff\x80", "text/plain")
    assert "charset" in err.value.problems[0].detail
    with pytest.raises(InvalidData, match="binary"):
        read_document(b"%PDF-1.4\x00\x01\x02\x03 stream", "text/plain")


def test_an_unsupported_media_type_and_an_empty_body() -> None:
    with pytest.raises(UnsupportedMediaType, match="application/pdf"):
        read_document(b"%PDF", "application/pdf")
    with pytest.raises(InvalidData, match="empty"):
        read_document(b"  \n", "text/plain")


def test_a_text_too_long_to_read_is_413() -> None:
    with pytest.raises(PayloadTooLarge, match="characters"):
        read_document(("增长" * (MAX_CHARACTERS // 2 + 1)).encode(), "text/plain")


def test_a_utf8_bom_is_not_part_of_the_text() -> None:
    doc = read_document(b"\xef\xbb\xbf" + "全市增长8.4%".encode(), "text/plain")
    assert doc.text == "全市增长8.4%" and doc.encoding == "utf-8-sig"


# --- traditional characters ---------------------------------------------------------------------------------


def test_traditional_text_is_read_through_opencc_and_quoted_as_sent() -> None:
    sent = "衡陽市2022年鋰電池產量增長25.3%，規模以上工業增加值同比增長8.4%。"
    out = run(read_document(sent.encode("utf-8"), "text/plain"), region="430400", published="2023-01-10")
    spans_hold(out, sent)
    lithium = next(r for r in out["observations"] if r["value"] == 25.3)
    assert "鋰電池" in lithium["quote"]  # the quote is the text as sent
    assert lithium["indicator_name"].startswith("锂电池产量")  # 鋰 is not in the built-in table: OpenCC read it
    assert next(r for r in out["observations"] if r["value"] == 8.4)["indicator"] == "industry.value_added.growth"


def test_a_conversion_that_changes_a_lines_length_falls_back_to_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    class Shortening:  # a phrase table that maps two characters to one, as no t2s table should
        def convert(self, s: str) -> str:
            return s.replace("後來", "后").replace("國", "国")

    monkeypatch.setattr(text_module, "_opencc", lambda: Shortening())
    line = "後來全國增長"
    assert opencc_t2s(line + "\n國") == "後來全国增長\n国"  # the first line character by character
    assert len(opencc_t2s(line)) == len(line)


# --- the mess of pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "value", "name"),
    [
        ("2022年全市工业总产值 12.5 亿元,同比增长 8.4%。", 12.5, "工业总产值"),
        ("2022年全市地区生产总值[1]300.5亿元,同比增长4.5%。", 300.5, "地区生产总值"),
        ("2022年全市地区生产总值①300.5亿元。", 300.5, "地区生产总值"),
        ("2022年全市规模工业?增加值同比增长8.4%。", 8.4, "规模以上工业增加值"),
        (
            "2022年全市规模工业增加值同比增长8.4%,比全省高出\n1.2个百分点,全市地区生产总值同比\n增长4.5%。",
            4.5,
            "地区生产总值",
        ),
    ],
)
def test_the_mess_of_real_pages(sent: str, value: float, name: str) -> None:
    out = run(read_document(sent.encode(), "text/plain"), region="430400", published="2023-01-10")
    spans_hold(out, sent)
    row = next(r for r in out["observations"] if r["value"] == value)
    full = catalogs().catalog.canonical(row["indicator_name"])
    assert full == name or row["indicator_name"] == name, row


def test_furniture_lines_give_no_figures() -> None:
    sent = "浏览次数：1523\n2022年全市地区生产总值300.5亿元。\n分享到：微信 2345人\n[责编:杨兰娟]\n"
    out = run(read_document(sent.encode(), "text/plain"), region="430400", published="2023-01-10")
    assert values(out) == [300.5]
    assert not any("1523" in u["quote"] for u in out["unresolved"])


def test_normalised_positions_map_back_to_the_text_as_sent() -> None:
    sent = "全 市\t地区 生产总值[2]300.5 亿元?\n"
    norm = normalise(sent)
    assert "全市" in norm.text and "[2]" not in norm.text and "?" not in norm.text
    at = norm.text.index("300.5")
    s, e = norm.span(at, at + 5)
    assert sent[s:e] == "300.5"


# --- tables -------------------------------------------------------------------------------------------------


def _region_table(out: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(r["region"], r["period_start"]): r["value"] for r in out["observations"]}


def _check_table(out: dict[str, Any], text: str) -> None:
    got = _region_table(out)
    assert got[("430100", "2017-11-01")] == 11.0  # 比上年同月: November alone
    assert got[("430100", "2017-01-01")] == 8.3  # 比上年同期: January to November
    assert got[("430000", "2017-11-01")] == 9.4  # the 全 省 row
    assert got[("430300", "2017-01-01")] == 7.1
    spans_hold(out, text)


@pytest.mark.parametrize(
    "pasted",
    [
        "市州 | 比上年同月(%) | 比上年同期(%)\n全 省 | 9.4 | 7.1\n长沙市 | 11.0 | 8.3\n株洲市 | 7.7 | 7.0\n"
        "湘潭市 | 8.2 | 7.1\n",
        "| 市州 | 比上年同月(%) | 比上年同期(%) |\n| --- | --- | --- |\n| 全 省 | 9.4 | 7.1 |\n"
        "| 长沙市 | 11.0 | 8.3 |\n"
        "| 株洲市 | 7.7 | 7.0 |\n| 湘潭市 | 8.2 | 7.1 |\n",
        "市州\t比上年同月(%)\t比上年同期(%)\n全 省\t9.4\t7.1\n长沙市\t11.0\t8.3\n株洲市\t7.7\t7.0\n湘潭市\t8.2\t7.1\n",
        "市州\n比上年同月(%)\n比上年同期(%)\n全 省\n9.4\n7.1\n长沙市\n11.0\n8.3\n株洲市\n7.7\n7.0\n湘潭市\n8.2\n7.1\n",
    ],
    ids=["pipes", "markdown", "tabs", "lines"],
)
def test_tables_pasted_as_text(pasted: str) -> None:
    out = run(read_document(pasted.encode(), "text/plain"), region="430000", period="2017年1-11月")
    _check_table(out, pasted)
    assert all("|" not in r["quote"] or r["quote"].split("|")[0].strip() for r in out["observations"])


def test_a_csv_table_in_gbk() -> None:
    sent = "\n".join(",".join(str(c) for c in row) for row in TABLE_ROWS).encode("gbk")
    doc = read_document(sent, "text/csv")
    assert (doc.kind, doc.encoding) == ("table", "gb18030")
    assert doc.text.splitlines()[2] == "| 长沙市 | 11.0 | 8.3 |"
    out = run(doc, region="430000", period="2017年1-11月")
    _check_table(out, doc.text)
    assert out["document"]["text"] == doc.text


def test_a_semicolon_csv_is_sniffed() -> None:
    doc = read_document("市州;增速(%)\n长沙市;11.0\n".encode(), "text/csv")
    assert doc.text == "| 市州 | 增速(%) |\n| 长沙市 | 11.0 |\n"


def _xlsx() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet("各市州规模工业增加值增速")
    for i, row in enumerate(TABLE_ROWS):
        sheet.write_row(i, 0, row)
    book.close()
    return buf.getvalue()


def _xls() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for i, row in enumerate(TABLE_ROWS):
        for j, v in enumerate(row):
            sheet.write(i, j, v)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("make", "name"), [(_xlsx, "t.xlsx"), (_xls, "t.xls")])
def test_workbooks_written_by_real_writers(make: Any, name: str) -> None:
    data = make()
    for doc in (read_document(data, None, name), read_document(data, "application/octet-stream")):
        assert doc.kind == "workbook" and doc.encoding is None
        assert "| 长沙市 | 11 | 8.3 |" in doc.text  # 11.0 in a cell is the number 11
    if name.endswith("xlsx"):
        assert doc.text.startswith("各市州规模工业增加值增速\n")  # a sheet's name is a line of its own
    out = run(doc, region="430000", period="2017年1-11月")
    _check_table(out, doc.text)


def test_a_damaged_workbook_is_422() -> None:
    with pytest.raises(InvalidData, match="not a readable Excel workbook"):
        read_document(b"PK\x03\x04 not a zip at all", None, "t.xlsx")


# --- HTML ---------------------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><meta charset="gbk"><title>各市州规模工业增加值增速</title>
<script>var hits = "1234亿元";</script><style>p { color: red }</style></head>
<body><div class="nav">首页 &gt; 统计数据</div>
<table width="100%"><tr><td>
<p>2017年1-11月,全省规模工业增加值
同比增长7.1%。</p>
<table border="1"><caption>各市州规模工业增加值增速</caption>
<tr><th>市州</th><th>比上年同月(%)</th><th>比上年同期(%)</th></tr>
<tr><td>全 省</td><td>9.4</td><td>7.1</td></tr>
<tr><td>长沙市</td><td>11.0</td><td>8.3</td></tr>
<tr><td>株洲市</td><td>7.7</td><td>7.0</td></tr>
<tr><td>湘潭市</td><td>8.2</td><td>7.1</td></tr>
</table>
<!-- 999亿元 -->
<p>来源:湖南省统计局</p></td></tr></table></body></html>"""


def test_an_html_page_with_a_table() -> None:
    doc = read_document(PAGE.encode("gbk"), "text/html")  # no charset in the header: the page's <meta> says GBK
    assert doc.kind == "html" and doc.encoding == "gb18030"
    assert "1234" not in doc.text and "999" not in doc.text and "color" not in doc.text  # script, style, comment
    assert "全省规模工业增加值 同比增长7.1%" in doc.text  # a paragraph is one line
    assert "| 长沙市 | 11.0 | 8.3 |" in doc.text and "各市州规模工业增加值增速\n| 市州" in doc.text
    out = run(doc, region="430000")
    _check_table(out, doc.text)  # the period from the page's text (2017年1-11月), no parameter
    assert out["document"]["text"] == doc.text


def test_html_is_recognised_without_a_media_type() -> None:
    assert read_document(b"<html><body><p>a</p></body></html>").kind == "html"
    assert read_document("全市增长8.4%".encode()).kind == "text"


# --- parameters and what is unresolved ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"region": "999999"}, "region"),
        ({"region": "43 04"}, "region"),
        ({"published": "2022-13-01"}, "published"),
        ({"published": "20221031"}, "published"),
        ({"published": "2030-01-01"}, "published"),
        ({"period": "2022-Q5"}, "period"),
        ({"source": "no-such-source"}, "source"),
    ],
)
def test_bad_parameters_are_400_naming_them(params: dict[str, str], parameter: str) -> None:
    with pytest.raises(BadParameter) as err:
        core.options(catalogs(), today=TODAY, **params)
    assert err.value.problems[0].parameter == parameter


def test_every_period_label_ingest_reads_is_accepted() -> None:
    for label, months in [
        ("2022-Q3", (2022, 1, 9)),
        ("2022-09", (2022, 9, 9)),
        ("2012年1-4月", (2012, 1, 4)),
        ("2022-07/P3M", (2022, 7, 9)),
        ("2022", (2022, 1, 12)),
        ("2022年前三季度", (2022, 1, 9)),
    ]:
        assert core.options(catalogs(), period=label, today=TODAY).months == months, label


def test_without_region_the_title_names_it_and_else_it_is_unresolved() -> None:
    titled = "衡阳市2022年国民经济和社会发展统计公报\n全市规模工业增加值同比增长8.4%。"
    out = run(read_document(titled.encode()), published="2023-03-01")
    assert out["region"] == "430400" and values(out, "430400") == [8.4]
    bare = "2022年全市规模工业增加值同比增长8.4%。"
    out = run(read_document(bare.encode()), published="2023-03-01")
    assert out["region"] is None and out["observations"] == []
    assert any("no region" in u["why"] and "8.4" in u["quote"] for u in out["unresolved"])


def test_without_a_year_figures_are_unresolved_not_dated_today() -> None:
    out = run(read_document("全市规模工业增加值同比增长8.4%。".encode()), region="430400")
    assert out["observations"] == []
    whys = [u["why"] for u in out["unresolved"]]
    assert any("no year" in w for w in whys) and any("no publication date" in w for w in whys)
    out = run(read_document("全市规模工业增加值同比增长8.4%。".encode()), region="430400", published="2023-04-20")
    assert out["observations"][0]["period_start"] == "2023-01-01"  # the year of publication


def test_the_page_states_its_publication_date() -> None:
    page = "来源:红网 2014-07-18 21:22:58\n上半年全省规模工业增加值增长11%。"
    out = run(read_document(page.encode()), region="430000")
    assert out["published"] == "2014-07-18" and out["observations"][0]["published"] == "2014-07-18"
    out = run(read_document(page.encode()), region="430000", published="2014-07-20")
    assert out["published"] == "2014-07-20"  # the parameter is what the reviewer says


def test_rows_are_ingest_rows() -> None:
    sent = "衡阳市2022年前三季度,我市规模工业增加值同比增长8.4%,居全省第二。全市锂电池产量3.5万吨。"
    out = run(read_document(sent.encode()), published="2022-10-31", source="hyrb-2022-q3-industry")
    rows = {r["value"]: r for r in out["observations"]}
    assert rows[8.4]["indicator"] == "industry.value_added.growth" and rows[8.4]["period"] == "2022-Q3"
    assert (
        rows[2.0]["indicator"] == "industry.value_added.growth.rank"
        and rows[2.0]["indicator_name"] == "规模工业增加值排名"
    )
    lithium = rows[3.5]
    assert lithium["new_indicator"] and lithium["indicator"].startswith("new.") and len(lithium["indicator"]) <= 64
    proposed = {i["code"]: i for i in out["indicators"]}
    assert (
        proposed[lithium["indicator"]]["frequency"] == "Q" and proposed[lithium["indicator"]]["accumulation"] == "ytd"
    )
    assert all(r["source"] == "hyrb-2022-q3-industry" and r["published"] == "2022-10-31" for r in rows.values())
    assert list(rows[8.4]) == list(core.OBSERVATION_FIELDS)


@pytest.mark.parametrize(
    ("start", "end", "rule", "label"),
    [
        ("2022-01-01", "2022-09-30", ("Q", "ytd"), "2022-Q3"),
        ("2022-07-01", "2022-09-30", ("Q", "period"), "2022-Q3"),
        ("2022-01-01", "2022-12-31", ("Q", "ytd"), "2022-Q4"),
        ("2022-09-01", "2022-09-30", ("M", "period"), "2022-09"),
        ("2022-12-31", "2022-12-31", ("A", "period"), "2022"),
        ("2022-01-01", "2022-09-30", ("Q", "period"), "2022-01/P9M"),  # does not fit: ingest says why
        ("2022-05-01", "2022-05-31", ("A", "period"), "2022-05"),
    ],
)
def test_period_labels(start: str, end: str, rule: Any, label: str) -> None:
    assert core.period_label(start, end, rule) == label


def test_new_codes_keep_the_grammar_of_indicator_codes() -> None:
    code = new_code("GDP绿色" + "规模以上工业企业实现利润总额" * 4, "contribution")
    assert code.startswith("new.gdp_lv_se_") and code.endswith(".contribution") and len(code) <= 64
    assert new_code("", "level") == "new.unnamed.level"


# --- the command line ---------------------------------------------------------------------------------------


def test_the_cli_writes_rows_that_ingest_reads(
    tmp_path: Path, lake_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import main
    from service.ingest.load import ingest
    from service.store.stores import lake_at

    doc = tmp_path / "bulletin.txt"
    doc.write_bytes("衡阳市2022年前三季度,我市规模工业增加值同比增长8.4%。全市锂电池产量3.5万吨。".encode("gbk"))
    out = tmp_path / "rows.csv"
    no_lake = tmp_path / "none"
    assert main(["--data-dir", str(no_lake), "extract", str(doc), "--published", "2022-11-02", "-o", str(out)]) == 0
    assert not no_lake.exists()  # offline: the shipped catalogs, nothing created
    assert "2 observations, 1 new indicators proposed" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["value"] for r in rows] == ["8.4", "3.5"] and rows[0]["span"].startswith("[")
    side = out.with_name("rows.indicators.csv")
    result = ingest(lake_at(lake_dir), [("i.csv", side.read_bytes()), ("o.csv", out.read_bytes())], dry_run=True)
    assert result.added == 1 and result.catalog_rows == {"indicators": 1}  # 8.4 is the seed's already
    assert main(["--data-dir", str(no_lake), "extract", str(doc), "--region", "nowhere"]) == 2
    assert "parameter region" in capsys.readouterr().err
