"""Files that are not good CSV, each with the words its refusal must say and the row it must name (issue 22, item 8):
refusals say what is wrong with the file, never what went wrong inside Arrow."""

from __future__ import annotations

import gzip
import io
import zipfile
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from tests.helpers import OBS_HEADER

HEADER = (",".join(OBS_HEADER) + "\n").encode()
ROW = b"industry.value_added.growth,430100,2022-Q3,7.1,,2022-10-31,,,\n"
MB = 1 << 20
# Arrow's own words: none may reach a user.
ARROW_WORDS = ("straddl", "CSV parse error", "Could not", "pyarrow", "ArrowInvalid", "block size", "CSV conversion")


@dataclass(frozen=True)
class Bad:
    data: bytes
    words: str  # what a problem's detail must contain
    row: int | None = None  # the row it must name, where there is one


def _workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"indicator": ["x"] * 1000, "region": ["y"] * 1000, "period": ["2022"] * 1000}), buf)
    return buf.getvalue()


def _unclosed(rows: int) -> bytes:
    return HEADER + ROW + b'industry.value_added.growth,430200,2022-Q3,"7.1,,2022-10-31,,,\n' + ROW * rows


BAD_FILES: dict[str, Bad] = {
    "empty.csv": Bad(b"", "the file has no header and no rows"),
    "only_a_bom.csv": Bad(b"\xef\xbb\xbf", "the file has no header and no rows"),
    "blank_first_line.csv": Bad(b"\n" + HEADER + ROW, "the first line must be the header", 1),
    "header_only.csv": Bad(HEADER, "no data rows"),
    "header_without_line_break.csv": Bad(HEADER.rstrip(), "no data rows"),
    "truncated.csv": Bad(HEADER + ROW + ROW[:20], "row 3 has 1 field; the header has 9", 3),
    "ragged.csv": Bad(HEADER + ROW + b"a,b,c\n" + ROW, "row 3 has 3 fields; the header has 9", 3),
    "extra_commas.csv": Bad(HEADER + ROW * 2 + ROW[:-1] + b",x,y\n", "row 4 has 11 fields; the header has 9", 4),
    "mixed_line_endings.csv": Bad(
        HEADER + ROW.replace(b"\n", b"\r\n") + ROW.replace(b"\n", b"\r") + b"a,b\n",
        "row 4 has 2 fields; the header has 9",
        4,
    ),
    "unclosed_quote.csv": Bad(_unclosed(3), "a quoted field opens in row 3 and is never closed", 3),
    "unclosed_quote_before_17_mb.csv": Bad(_unclosed(17 * MB // len(ROW)), "opens in row 3 and is never closed", 3),
    "row_of_33_mb.csv": Bad(
        HEADER + ROW + ROW[:-2] + b'"' + b"x" * (33 * MB) + b'"\n' + ROW, "row 3 is longer than 16 MB", 3
    ),
    "nul_byte.csv": Bad(HEADER + ROW.replace(b"430100", b"43\x000100"), "row 2 holds a NUL byte", 2),
    "semicolons.csv": Bad(HEADER.replace(b",", b";") + ROW.replace(b",", b";"), "separated by semicolons", 1),
    "tabs.csv": Bad(HEADER.replace(b",", b"\t") + ROW.replace(b",", b"\t"), "separated by tabs", 1),
    "workbook.csv": Bad(_workbook(), "an Excel .xlsx workbook"),
    "gzipped.csv": Bad(gzip.compress(HEADER + ROW), "gzip-compressed"),
    "utf16.csv": Bad((HEADER + ROW).decode().encode("utf-16"), "UTF-16 text"),
    "utf16_without_bom.csv": Bad((HEADER + ROW).decode().encode("utf-16-le"), "row 1 holds a NUL byte", 1),
    "neither_utf8_nor_gbk.csv": Bad(HEADER + ROW + b"\xff\xff,x\n", "row 3 is not UTF-8 text", 3),
    "cut_short.parquet": Bad(_parquet()[:300], "starts like Parquet but it cannot be read"),
}
