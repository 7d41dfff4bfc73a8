"""Workbooks for the sheet tests, written by real writers (xlsxwriter for .xlsx, xlwt for .xls): a long sheet with
Chinese column names, a title and notes; a wide 地区 × 指标 sheet with Chinese names and null marks; a 指标 × 时期
sheet whose region and year are in its title; a 地区 × 时期 sheet; and a long sheet with five different mistakes."""

from __future__ import annotations

import io
from datetime import date

import xlsxwriter
import xlwt

Cell = str | float | int | date | None
Merge = tuple[int, int, int, int, str]  # first row, first column, last row, last column (0-based), value
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS = "application/vnd.ms-excel"


def xlsx(
    rows: list[list[Cell]], merges: tuple[Merge, ...] = (), sheet: str = "数据", before: str | None = None
) -> bytes:
    """One sheet (after a sheet ``before``, if named, holding one cell) as .xlsx bytes."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    if before:
        book.add_worksheet(before).write(0, 0, "说明：数据在下一张表")
    ws = book.add_worksheet(sheet)
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for r0, c0, r1, c1, value in merges:
        ws.merge_range(r0, c0, r1, c1, value)
    merged = {(r, c) for r0, c0, r1, c1, _ in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or (r, c) in merged:
                continue
            if isinstance(value, date):
                ws.write_datetime(r, c, value, dates)
            else:
                ws.write(r, c, value)
    book.close()
    return buf.getvalue()


def xls(rows: list[list[Cell]], merges: tuple[Merge, ...] = (), sheet: str = "数据") -> bytes:
    """One sheet as .xls (BIFF8) bytes."""
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for r0, c0, r1, c1, value in merges:
        ws.write_merge(r0, r1, c0, c1, value)
    merged = {(r, c) for r0, c0, r1, c1, _ in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and (r, c) not in merged:
                ws.write(r, c, value, dates) if isinstance(value, date) else ws.write(r, c, value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


VA = "industry.value_added.growth"
INV = "investment.industry.growth"
TECH = "investment.tech_upgrade.growth"

# A long sheet: a merged title, Chinese column names, a region and an indicator by name, 2025.03 and 1-3月份, a
# date cell, a null mark with its status, and a note below the data.
LONG_ROWS: list[list[Cell]] = [
    [None],
    [None],
    ["指标", "地区", "时期", "数值", "状态", "发布日期", "备注"],
    [VA, "430400", "2025-Q1", 6.5, "A", date(2025, 4, 18), None],
    ["规上工业增加值增速", "衡阳县", "2025年1-3月份", 7.2, None, "2025-04-18", None],
    [INV, "衡阳市", "2025.03", "—", "P", "2025-04-18", "待核实"],
    ["注：数据为初步统计。", None, None, None, None, None, None],
]
LONG_MERGES: tuple[Merge, ...] = ((0, 0, 0, 6, "2025年一季度主要经济指标"),)
# (indicator, region, period, value, status) that the long sheet stores
LONG_STORED = {
    (VA, "430400", "2025-Q1", 6.5, "A"),
    (VA, "430421", "2025-Q1", 7.2, "A"),
    (INV, "430400", "2025-Q1", None, "P"),
}

# 地区 × 指标: the period in the title, the publication date in a note, 全市 and short names, four null marks.
WIDE_ROWS: list[list[Cell]] = [
    [None],
    [None, None, None, "单位：%"],
    ["地区", "规上工业增加值增速（%）", "工业投资增速", "技改投资增速"],
    ["全市", 6.8, 10.2, 12.5],
    ["衡阳县", 7.1, "…", 9.0],
    ["衡南县", 6.9, 11.0, "—"],
    ["耒阳", 7.3, "-", "/"],
    ["注：增速按可比价计算。", None, None, None],
    ["发布日期：2023-07-25", None, None, None],
]
WIDE_MERGES: tuple[Merge, ...] = ((0, 0, 0, 3, "2023年1-6月衡阳市各县市区主要经济指标"),)
WIDE_STORED = {
    (VA, "430400", 6.8),
    (INV, "430400", 10.2),
    (TECH, "430400", 12.5),
    (VA, "430421", 7.1),
    (TECH, "430421", 9.0),
    (VA, "430422", 6.9),
    (INV, "430422", 11.0),
    (VA, "430481", 7.3),
}

# 指标 × 时期: the region and the year in the title, periods without a year, a unit column.
BY_PERIOD_ROWS: list[list[Cell]] = [
    [None],
    ["指标", "单位", "1-3月份", "1-6月份", "1-9月份"],
    ["规模以上工业增加值增速", "%", 6.5, 6.8, 7.0],
    ["工业投资增速", "%", 10.0, 10.2, "…"],
]
BY_PERIOD_MERGES: tuple[Merge, ...] = ((0, 0, 0, 4, "衡阳市2023年主要经济指标"),)
BY_PERIOD_STORED = {
    (VA, "2023-Q1", 6.5),
    (VA, "2023-Q2", 6.8),
    (VA, "2023-Q3", 7.0),
    (INV, "2023-Q1", 10.0),
    (INV, "2023-Q2", 10.2),
}

# 地区 × 时期 of one indicator (given with the file): 3月末 and a full-width year.
BY_REGION_PERIOD_ROWS: list[list[Cell]] = [
    ["地区", "２０２３年3月末", "2023年6月末"],
    ["衡阳市", 9.5, 9.9],
    ["衡东县", 8.0, 8.8],
]

# Five different mistakes, one per row: a word for a number, a misspelt region, a month 13, an unknown indicator,
# a missing publication date; and two labels for one period (rows 8 and 9).
BAD_ROWS: list[list[Cell]] = [
    ["指标", "地区", "时期", "数值", "发布日期"],
    [VA, "430400", "2023-Q1", "六点五", "2023-04-20"],
    [VA, "衡杨市", "2023-Q1", 6.5, "2023-04-20"],
    [VA, "430400", "2023-13", 6.5, "2023-04-20"],
    ["工业增加值増速", "430400", "2023-Q2", 6.5, "2023-04-20"],
    [VA, "430421", "2023-Q2", 6.5, None],
    [INV, "430400", "2023-Q1", 9.0, "2023-04-20"],
    [INV, "430400", "2023年1-3月", 9.1, "2023-04-20"],
]
# (row, column letter, words of the detail) of each problem the bad sheet must report
BAD_PROBLEMS = [
    (2, "D", "'六点五' is not a number"),
    (3, "B", "unknown region '衡杨市' (did you mean 430400 衡阳市?)"),
    (4, "C", "unreadable period label '2023-13'"),
    (5, "A", "unknown indicator '工业增加值増速' (did you mean industry.all.value_added.growth 工业增加值增速?)"),
    (6, "E", "empty value in a required column"),
    (7, "C", "'2023年1-3月' and '2023-Q1' are two labels for one period"),
    (8, "C", "'2023-Q1' and '2023年1-3月' are two labels for one period"),
]
