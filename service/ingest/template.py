"""`yardstick template observations|regions|indicators`: an example file, CSV or .xlsx, that ingests cleanly into a
lake holding the shipped catalog: every column of its kind in the header, and rows that show each column's forms
(a code or a name for a region, the period grammar's labels, an empty value with its status)."""

from __future__ import annotations

import csv
import io

from service.model.schema import INPUT_COLUMNS

NOTE = "example row: replace it with your figures"
ROWS: dict[str, list[dict[str, str]]] = {
    "observations": [
        {
            "indicator": "industry.value_added.growth",
            "region": "430400",
            "period": "2025-Q1",
            "value": "6.5",
            "status": "E",
            "published": "2025-04-28",
            "note": NOTE,
        },
        {
            "indicator": "规模以上工业增加值增速",
            "region": "衡阳县",
            "period": "2025年1-3月",
            "value": "7.2",
            "status": "E",
            "published": "2025-04-28",
            "note": f"{NOTE}; a region and an indicator may be named as the catalog names them",
        },
        {
            "indicator": "investment.industry.growth",
            "region": "430400",
            "period": "2025年第一季度",
            "value": "—",
            "status": "P",
            "published": "2025-04-28",
            "note": f"{NOTE}; — (or …, -, /) is no figure, and an empty value needs a status",
        },
    ],
    "regions": [
        {
            "code": "430400Z90",
            "name": "衡阳示例园区",
            "name_en": "Hengyang Example Park",
            "level": "zone",
            "parent": "430400",
        }
    ],
    "indicators": [
        {
            "code": "example.retail_sales.growth",
            "name": "示例社会消费品零售总额增速",
            "name_en": "Example: retail sales of consumer goods, growth",
            "unit": "percent",
            "kind": "growth",
            "frequency": "Q",
            "accumulation": "ytd",
            "basis": "nominal",
            "description": "An example indicator: cumulative from January, against the same months a year before",
            "topic": "consumption",
        }
    ],
}


def table(kind: str) -> tuple[list[str], list[list[str]]]:
    """The header (every input column of ``kind``) and the example rows."""
    columns = INPUT_COLUMNS[kind]
    return columns, [[row.get(c, "") for c in columns] for row in ROWS[kind]]


def write(kind: str, fmt: str) -> bytes:
    """The example file's bytes: CSV (UTF-8 with a BOM, so that Excel shows the Chinese) or .xlsx."""
    header, rows = table(kind)
    if fmt == "csv":
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    import xlsxwriter

    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, {"in_memory": True})
    sheet = book.add_worksheet(kind)
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)  # as text: 2023-04-20 stays a label, not a date serial
    sheet.set_column(0, len(header) - 1, 18)
    book.close()
    return data.getvalue()
