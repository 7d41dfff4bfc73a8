"""The rules added for documents nobody had seen: grids, periods, units, subjects, bounds, parks, ranks.

Every text here is written for the test (place names of the catalog, figures made up), not copied from the corpus.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from bench.extract import catalog
from service.ingest.extract import Extraction, Proposal, extract
from service.ingest.extract.regions import RegionRow


@cache
def _catalog() -> tuple[dict[str, RegionRow], dict[str, str], list[tuple[str, str]]]:
    return catalog()


def _run(text: str, region: str = "430000", published: date | None = date(2023, 4, 20)) -> Extraction:
    regions, indicators, synonyms = _catalog()
    return extract(
        text,
        region=region,
        published=published,
        period=None,
        regions=regions,
        indicators=indicators,
        synonyms=synonyms,
    )


def _all(out: Extraction, value: float) -> list[Proposal]:
    return [p for p in out.proposals if abs(p.value - value) < 1e-9]


def _one(out: Extraction, value: float) -> Proposal:
    hits = _all(out, value)
    assert len(hits) == 1, f"{value}: {[(p.value, p.region, p.period_start) for p in out.proposals]}"
    return hits[0]


def _when(p: Proposal) -> tuple[str, str, str]:
    return p.region, p.period_start, p.period_end


# --- grids ------------------------------------------------------------------------------------------------------

_GRID = (
    "2021年上半年各市州主要指标\n"
    "名次 | 市州 | GDP(亿元) | 2020年GDP(亿) | 2020年常住人口(万) | 人均GDP(元) | 人均GDP名次 |\n"
    "---|---|---|---|---|---|---|\n"
    "1 | 株洲 | 1500.5 | 3100.2 | 390.1 | 79472.1 | 1 |\n"
    "3 | 湘西州 | 350.4 | 720.9 | 248.8 | 28975.1 | 3 |\n"
    "2 | 益阳 | 900.7 | 1850.6 | 385.2 | 48042.6 | 2 |\n"
    "全省 | 20000.1 | 41000.3 | 6644.5 | 61705.2 |"
)


def test_a_grid_reads_each_row_on_its_own_line() -> None:
    out = _run(_GRID)
    assert _when(_one(out, 350.4)) == ("433100", "2021-01-01", "2021-06-30")  # 湘西州, the title's period
    assert _when(_one(out, 720.9)) == ("433100", "2020-01-01", "2020-12-31")  # the header's own year
    assert _when(_one(out, 248.8)) == ("433100", "2020-12-31", "2020-12-31")  # population: at the year's end
    assert _one(out, 900.7).region == "430900"  # the row after a leading rank is not shifted


def test_a_grid_row_without_the_rank_cell_is_aligned_on_its_region() -> None:
    out = _run(_GRID)
    assert _when(_one(out, 41000.3)) == ("430000", "2020-01-01", "2020-12-31")
    assert _one(out, 61705.2).unit == "cny"
    assert _one(out, 20000.1).unit == "100m_cny"


def test_a_rank_column_takes_the_period_of_the_column_it_orders() -> None:
    out = _run(_GRID)
    ranks = [p for p in out.proposals if p.unit == "rank" and p.region == "430900"]
    assert (2.0, "2020-01-01", "2020-12-31") in {(p.value, p.period_start, p.period_end) for p in ranks}
    assert not [p for p in out.proposals if p.quote.strip("-| ") == ""]  # the separator row is no header


def test_a_grid_of_indicators_is_about_the_documents_region() -> None:
    text = (
        "指标 | 绝对额(亿元) | 比上年增长(%) |\n--|--|--|\n地区生产总值 | 210.55 | 4.4 |\n年末常住人口(万人) | 31.2 | |"
    )
    out = _run(text, region="430421")
    assert (_one(out, 210.55).unit, _one(out, 4.4).measure) == ("100m_cny", "growth")
    assert _one(out, 31.2).unit == "10k_persons"


def test_thousands_separators() -> None:
    out = _run("全年全省实现地区生产总值48,670.37亿元。")
    assert _one(out, 48670.37).quote.endswith("48,670.37亿元")


# --- periods ----------------------------------------------------------------------------------------------------


def test_a_year_scopes_its_sentence_and_the_document_year_is_the_one_written_most() -> None:
    text = (
        "某县简介\n2015年全县森林覆盖率达70%。2021年末全县常住人口25.3万人。"
        "2021年全县实现地区生产总值80.6亿元。城镇化率48.2%。"
    )
    out = _run(text, region="431027", published=date(2022, 5, 1))
    assert _when(_one(out, 70)) == ("431027", "2015-01-01", "2015-12-31")
    assert _when(_one(out, 25.3)) == ("431027", "2021-12-31", "2021-12-31")
    assert _when(_one(out, 48.2)) == ("431027", "2021-12-31", "2021-12-31")  # the urbanisation rate: a stock


def test_last_year_is_the_year_before_the_writing() -> None:
    text = "2月3日,省统计局发布2022年数据。去年全省粮食产量615.1亿斤…全省地区生产总值增长4.5%。"
    news = _run(text, published=date(2023, 2, 3))
    assert _one(news, 4.5).period_start == "2022-01-01"
    bulletin = _run("2022年公报\n今年全省粮食增产。三次产业结构由去年的9.1:39.2:51.7调整为9.0:39.5:51.5。")
    assert _one(bulletin, 9.1).period_start == "2021-01-01"
    later = _run("2021年公报\n三次产业结构由上年的9.3:39.0:51.7调整为9.2:39.1:51.7。", published=date(2022, 4, 1))
    assert _one(later, 9.3).period_start == "2020-01-01"  # 上年: the year before the one spoken of


def test_a_target_year_is_not_the_figures_period() -> None:
    out = _run("上半年全省新增城镇就业40.1万人,完成全年目标任务的57.3%。")
    assert _one(out, 57.3).period_end == "2023-06-30"


# --- units ------------------------------------------------------------------------------------------------------


def test_livestock_per_mille_bare_hundred_million_and_indices() -> None:
    out = _run(
        "全年生猪出栏55.2万头,羊出栏3.1万只,家禽出栏210万羽。人口自然增长率-1.2‰。GDP达到876.5亿。"
        "居民消费价格指数为101.6。"
    )
    assert [_one(out, v).unit for v in (55.2, 3.1, 210)] == ["10k_head"] * 3
    assert (_one(out, -1.2).unit, _one(out, 876.5).unit, _one(out, 101.6).unit) == ("permille", "100m_cny", "index")


# --- subjects ---------------------------------------------------------------------------------------------------


def test_a_named_region_after_a_list_is_the_subject() -> None:
    out = _run("常德、益阳、娄底三市总量相近,在增速方面益阳最快,达到6.3%。")
    assert _one(out, 6.3).region == "430900"


def test_one_figure_said_of_two_regions_is_proposed_for_both() -> None:
    out = _run("株洲和湘潭两市的增速都超过5.0%。")
    hits = _all(out, 5.0)
    assert {p.region for p in hits} == {"430200", "430300"}
    assert all("lower bound" in (p.note or "") for p in hits)


def test_a_rank_in_the_province_keeps_its_figures_region() -> None:
    out = _run("2022年某县茶叶产量1.2万吨,排全省第一。", region="431027")
    assert {p.region for p in out.proposals} == {"431027"}


def test_another_provinces_city_is_its_own() -> None:
    out = _run("长沙一季度GDP增长5%。在去年落后于长沙的合肥,一季度以3300.2亿的总量反超。")
    assert _one(out, 3300.2).region == "340100"


# --- bounds, thresholds, counts of regions ----------------------------------------------------------------------


def test_bounds_are_noted_thresholds_and_counts_of_regions_left_out() -> None:
    out = _run("郴州经济总量突破1200亿元大关。全省有11个市州增速在4%以上,总量超过3000亿元的市州达到5个。")
    assert "lower bound" in (_one(out, 1200).note or "")
    assert not _all(out, 11) and not _all(out, 4) and not _all(out, 3000) and not _all(out, 5)


# --- parks, firms, the city's own budget ------------------------------------------------------------------------


def test_a_parks_or_the_city_levels_figures_are_left_for_a_person() -> None:
    text = "全年全市一般公共预算收入80.5亿元,其中市本级完成30.2亿元。工业园区入园企业增至120家,实现产值95.6亿元。"
    out = _run(text, region="430500")
    assert _one(out, 80.5).region == "430500"
    assert not _all(out, 30.2) and not _all(out, 120) and not _all(out, 95.6)
    assert any("市本级" in u.why for u in out.unresolved)


def test_a_park_named_after_its_place_is_not_the_place() -> None:
    out = _run("攸县经开区完成规模工业总产值210.3亿元。", region="430223")
    assert not _all(out, 210.3)


# --- ranks and derived figures ----------------------------------------------------------------------------------


def test_second_from_last_counts_the_peers() -> None:
    out = _run("永州增速为3.0%,在全省处于倒数第二。第二个突破千亿的城市是岳阳。")
    rank = [p for p in out.proposals if p.unit == "rank"]
    assert [(p.value, p.status, p.region) for p in rank] == [(13.0, "D", "431100")]


def test_a_net_increase_after_new_entries_derives_nothing() -> None:
    out = _run("1至6月,全省新入库规上企业860家、净增310家。")
    assert {p.value for p in out.proposals} == {860, 310}


def test_a_figure_in_brackets_after_a_region_is_that_regions() -> None:
    out = _run("上半年增速居前的是益阳(6.6%)、常德(6.2%)和衡阳(5.8%)。")
    assert [_one(out, v).region for v in (6.6, 6.2, 5.8)] == ["430900", "430700", "430400"]


def test_a_figure_of_regions_taken_together_is_no_single_regions() -> None:
    out = _run("长沙、株洲、湘潭三市地区生产总值合计占全省的41.5%。邵阳、永州两市共完成投资820.6亿元。")
    assert not _all(out, 41.5) and not _all(out, 820.6)
    assert any("together" in u.why for u in out.unresolved)


def test_births_are_a_flow_and_the_population_a_stock() -> None:
    out = _run("2022年统计公报\n全年出生人口2980人。年末常住人口30.2万人。", region="431027")
    assert _when(_one(out, 2980)) == ("431027", "2022-01-01", "2022-12-31")
    assert _when(_one(out, 30.2)) == ("431027", "2022-12-31", "2022-12-31")


def test_a_rank_followed_by_the_region_ranked() -> None:
    out = _run("增速排名第二的是邵阳,增长6.4%。")
    rank = next(p for p in out.proposals if p.unit == "rank")
    assert (rank.value, rank.region) == (2.0, "430500")


def test_a_grid_with_two_header_rows_and_empty_cells() -> None:
    text = (
        "2021年前三季度\n| 地区 | 生产总值 | | 工业 |\n| | 总量(亿元) | 增速(%) | 增速(%) |\n|---|---|---|---|\n"
        "| 邵阳 | 1800.6 | | 7.7 |\n| 永州 | 1700.5 | 7.1 | 8.8 |\n"
    )
    out = _run(text)
    assert (_one(out, 7.7).region, _one(out, 7.7).indicator_name) == ("430500", "工业增速")
    assert _when(_one(out, 1800.6)) == ("430500", "2021-01-01", "2021-09-30")
