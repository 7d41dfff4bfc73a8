"""The extractor (issue #24): the scorer over the labelled corpus, and the grammar on short sentences.

The corpus floors sit at (or a little below) what the extractor achieves; the unit sentences are written for these
tests, not copied from the corpus.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest

from bench.extract import Score, catalog, corpus, score, total
from service.ingest.extract import Extraction, Proposal, extract
from service.ingest.extract.numbers import chinese_int, numbers
from service.ingest.extract.regions import RegionRow


@cache
def _catalog() -> tuple[dict[str, RegionRow], dict[str, str], list[tuple[str, str]]]:
    return catalog()


@cache
def _scores() -> tuple[Score, ...]:
    regions, indicators, synonyms = _catalog()
    return tuple(score(doc, regions, indicators, synonyms)[0] for doc in corpus())


def _run(text: str, region: str = "430421", period: str | None = None) -> Extraction:
    regions, indicators, synonyms = _catalog()
    return extract(
        text,
        region=region,
        published=date(2023, 4, 20),
        period=period,
        regions=regions,
        indicators=indicators,
        synonyms=synonyms,
    )


def _find(out: Extraction, value: float, region: str | None = None) -> Proposal:
    hits = [p for p in out.proposals if abs(p.value - value) < 1e-9 and (region is None or p.region == region)]
    assert hits, f"no proposal of {value} ({region}) in {[(p.value, p.region) for p in out.proposals]}"
    return hits[0]


# --- the corpus -------------------------------------------------------------------------------------------------


def test_overall_floors() -> None:
    t = total(list(_scores()))
    assert t.pct(t.stated_found, t.stated) >= 98
    assert t.pct(t.derived_found, t.derived) >= 95
    assert t.pct(t.misattributed, t.proposals) <= 1.5
    assert t.spans_ok == t.proposals


# Stated found, per document, a little below what the extractor achieves (98 for the documents it reads whole).
_FLOORS = {
    "seed-hengyang-2022-q3-article": 92,  # 46/49: a period or region written after its figure, 3.13万家 unscaled
    "bulletin-huayuan-2021": 97,  # 46/47: 标准园区3个, a stock whose year-end is only in the sentence before
    "news-hunan-prefectures-2022-q1": 80,  # 18/22: 1000左右 without a unit (three regions), 千亿 as a number
}


@pytest.mark.parametrize("slug", [d.slug for d in corpus()])
def test_each_document(slug: str) -> None:
    s = next(s for s in _scores() if s.slug == slug)
    assert s.spans_ok == s.proposals, "every quote is text[span]"
    assert s.pct(s.stated_found, s.stated) >= _FLOORS.get(slug, 98)
    assert s.pct(s.misattributed, s.proposals) <= (10 if slug.startswith("seed") else 3)
    assert s.ms < 1000


def test_a_long_bulletin_answers_in_under_a_second() -> None:
    sentence = "全年实现地区生产总值420.77亿元,同比增长5.2%,高于全省0.9个百分点,居全市第二。"
    text = sentence * (10_000 // len(sentence))
    import time

    t0 = time.perf_counter()
    out = _run(text)
    assert time.perf_counter() - t0 < 1.0
    assert all(text[p.span[0] : p.span[1]] == p.quote for p in out.proposals)


# --- the grammar on short sentences -----------------------------------------------------------------------------


def test_level_and_growth_with_sign() -> None:
    out = _run("全年全县完成税收收入12.5亿元,比上年下降3.2%。")
    level, growth = _find(out, 12.5), _find(out, -3.2)
    assert (level.unit, level.period_start, level.period_end, level.region) == (
        "100m_cny",
        "2023-01-01",
        "2023-12-31",
        "430421",
    )
    assert growth.unit == "percent" and "3.2" in growth.quote


def test_distributing_list_shares_the_last_unit() -> None:
    out = _run("一、二、三产业分别拉动经济增长0.5、1.8和2.2个百分点。")
    assert {p.value for p in out.proposals if p.unit == "pp"} == {0.5, 1.8, 2.2}


def test_relative_to_province_and_nation_is_derived() -> None:
    out = _run("上半年,我县规上工业增加值增长7.0%,分别高于全国、全省2.5个、1.2个百分点。")
    assert _find(out, 7.0).period_end == "2023-06-30"
    nation, province = _find(out, 4.5, "CN"), _find(out, 5.8, "430000")
    assert nation.status == province.status == "D" and "7.0" in (province.note or "")


def test_rank_in_province_with_chinese_numeral() -> None:
    out = _run("前三季度,全县固定资产投资增长9.1%,居全市第四。")
    rank = next(p for p in out.proposals if p.unit == "rank")
    assert (rank.value, rank.period_end) == (4.0, "2023-09-30")


def test_structure_ratio_and_share_change_derive_last_year() -> None:
    out = _run("三次产业结构为10.5:40.2:49.3。与上年相比,第三产业比重提高1.1个百分点。")
    assert {p.value for p in out.proposals if p.measure == "share" and p.status == "A"} == {10.5, 40.2, 49.3}
    last_year = _find(out, 48.2)
    assert (last_year.status, last_year.period_start) == ("D", "2022-01-01")


def test_change_in_level_derives_last_year() -> None:
    out = _run("全年油菜籽产量3.2万吨,比上年减少0.4万吨。")
    assert _find(out, -0.4).measure == "change"
    assert _find(out, 3.6).status == "D"


def test_contribution_share_and_month_periods() -> None:
    out = _run("1-8月,社会消费品零售总额占全市比重为12.4%;8月当月,工业对经济增长的贡献率为35.0%。", region="430400")
    share, contribution = _find(out, 12.4), _find(out, 35.0)
    assert (share.measure, share.period_start, share.period_end) == ("share", "2023-01-01", "2023-08-31")
    assert (contribution.measure, contribution.period_start) == ("contribution", "2023-08-01")


def test_named_regions_and_stocks_at_month_end() -> None:
    out = _run("衡南县、衡东县地区生产总值分别为310.2亿元、298.7亿元。6月末,全市市场主体达12345户。", region="430400")
    assert _find(out, 310.2).region == "430422" and _find(out, 298.7).region == "430424"
    stock = _find(out, 12345)
    assert stock.period_start == stock.period_end == "2023-06-30"


def test_traditional_characters_and_glosses_keep_spans() -> None:
    text = "全年實現地區(qu)生產總值88.8億元,比上年增長6.6%。"
    out = _run(text)
    p = _find(out, 88.8)
    assert text[p.span[0] : p.span[1]] == p.quote and "88.8" in p.quote


def test_estimate_and_approximation() -> None:
    out = _run("预计全年新增就业约1200人。")
    p = _find(out, 1200)
    assert p.status == "E" and "约" in (p.note or "")


def test_text_table_of_regions() -> None:
    text = "单位:%\n地区\n增速\n全 省\n6.1\n长沙市\n7.2\n株洲市\n5.0\n湘潭市\n-1.3\n"
    out = _run(text, region="430000", period="2023-Q1")
    assert _find(out, -1.3).region == "430300"
    assert _find(out, 6.1).region == "430000"


def test_glued_numbers_and_chinese_numerals() -> None:
    assert [n.written for n in numbers("占比为12.634.552.9,")] == ["12.6", "34.5", "52.9"]
    assert [chinese_int(w) for w in ("二", "十一", "二十", "7")] == [2, 11, 20, 7]


def test_a_countys_whole_city_is_its_prefecture_and_compared_with_bi() -> None:
    out = _run("全年全县社会消费品零售总额增长6.0%,增速比全市高0.4个百分点,比全省低0.2个百分点。")
    assert _find(out, 5.6, "430400").status == "D"
    assert _find(out, 6.2, "430000").note and _find(out, -0.2).unit == "pp"


def test_structure_from_last_year_to_this_year() -> None:
    out = _run("三次产业结构由上年的15.0:40.0:45.0调整为14.2:39.5:46.3。")
    assert _find(out, 15.0).period_start == "2022-01-01"
    assert _find(out, 14.2).period_start == "2023-01-01"


def test_change_against_an_earlier_period_of_the_year() -> None:
    out = _run("上半年,全县规模以上工业增加值增长7.5%,比一季度加快1.5个百分点。")
    q1 = _find(out, 6.0)
    assert (q1.status, q1.period_start, q1.period_end) == ("D", "2023-01-01", "2023-03-31")


def test_company_names_are_not_regions() -> None:
    out = _run("全年,县工信局辅导衡东电子等12家企业申报技改项目。", region="430421")
    assert _find(out, 12).region == "430421"


def test_a_firm_is_left_unresolved() -> None:
    out = _run("湘江机械制造有限公司全年实现产值12.6亿元,增长8.0%。")
    assert not out.proposals
    first = out.unresolved[0]
    assert "12.6亿元" in first.quote and "有限公司" in first.why
    assert out.unresolved[0].span[1] - out.unresolved[0].span[0] == len(first.quote)


def test_a_rate_down_in_points_derives_last_years_rate() -> None:
    out = _run("年末城镇登记失业率为3.2%,比上年末下降0.3个百分点。居民消费价格上涨1.8%。")
    assert _find(out, -0.3).unit == "pp"
    assert _find(out, 3.5).status == "D"
    assert _find(out, 1.8).measure == "growth"


def test_a_narrower_fall_derives_a_deeper_one_before() -> None:
    out = _run("1-5月,全县规上工业利润总额同比下降6.0%,降幅比1-4月收窄2.0个百分点。")
    before = _find(out, -8.0)
    assert (before.status, before.period_end) == ("D", "2023-04-30")
