"""POST /v1/extract on a real `yardstick serve`: a GB18030 bulletin uploaded by curl from a file, and a workbook by
httpx, answered as they are over a socket; then the CLI on the same files gives the same rows."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from service.store.stores import lake_at
from tests.helpers import seeded_copy
from tests.live import live_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BULLETIN = "衡阳市2022年前三季度\n今年前三季度,我市规模工业增加值同比增长8.4%,居全省第二。\n"


def _xlsx() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet()
    rows = [["市州", "比上年同月(%)", "比上年同期(%)"], ["全 省", 9.4, 7.1], ["长沙市", 11, 8.3], ["株洲市", 7.7, 7]]
    for i, row in enumerate(rows):
        sheet.write_row(i, 0, row)
    book.close()
    return buf.getvalue()


def test_uploads_to_a_live_server_and_the_cli(tmp_path: Path) -> None:
    lake = seeded_copy(tmp_path / "lake")
    key = lake_at(lake).keys.create("bureau", "write")[1]
    text_file = tmp_path / "bulletin.txt"
    text_file.write_bytes(BULLETIN.encode("gb18030"))
    book_file = tmp_path / "table.xlsx"
    book_file.write_bytes(_xlsx())
    with live_server(lake) as live:
        url = f"{live.base}/v1/extract?region=430400&published=2022-10-31"
        out = subprocess.run(
            ["curl", "-s", "-S", "-X", "POST", url, "--data-binary", f"@{text_file}", "-w", "\n%{http_code}",
             "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: text/plain"],
            capture_output=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        body, _, status = out.rpartition(b"\n")
        assert status == b"200"
        answer = json.loads(body)
        assert answer["document"]["encoding"] == "gb18030"
        row = next(o for o in answer["observations"] if o["value"] == 8.4)
        assert BULLETIN[row["span"][0] : row["span"][1]] == row["quote"]
        assert (row["indicator"], row["period"]) == ("industry.value_added.growth", "2022-Q3")
        r = httpx.post(
            f"{live.base}/v1/extract?region=430000&period=2017年1-11月",
            content=book_file.read_bytes(),
            headers={"authorization": f"Bearer {key}", "content-type": "application/octet-stream"},
            timeout=120,
        )
        assert r.status_code == 200 and r.json()["document"]["kind"] == "workbook"
        assert {(o["region"], o["value"]) for o in r.json()["observations"]} == {
            ("430000", 9.4), ("430000", 7.1), ("430100", 11.0), ("430100", 8.3), ("430200", 7.7), ("430200", 7.0)
        }  # fmt: skip
        r = httpx.post(f"{live.base}/v1/extract", content=b"x", headers={"content-type": "image/png"}, timeout=60)
        assert r.status_code == 401  # the key comes first
    cli = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(lake), "extract", str(text_file),
         "--region", "430400", "--published", "2022-10-31", "-o", str(tmp_path / "rows.json")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    offline = json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))
    assert offline["observations"] == answer["observations"]
