"""Bad CSV files (truncated, unbalanced quotes, a 33 MB row, empty, header only, only a BOM, NUL bytes, mixed line
endings, semicolons and tabs, an Excel workbook, gzip, UTF-16, neither UTF-8 nor GBK) and a cut-short Parquet file,
through `yardstick ingest` and a live server's upload: each is refused saying what is wrong with the file, at its row
where it has one, and no refusal carries Arrow's messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from service.store.stores import lake_at
from tests.bad_files import ARROW_WORDS, BAD_FILES
from tests.helpers import fingerprint
from tests.live import live_server


def test_the_command_line_says_what_is_wrong_with_each_file(lake_dir: Path, tmp_path: Path) -> None:
    paths = []
    for name, bad in BAD_FILES.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(bad.data)
    before = fingerprint(lake_dir)
    r = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(lake_dir), "ingest", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr[-3000:]
    assert not [w for w in ARROW_WORDS if w in r.stderr], r.stderr
    for name, bad in BAD_FILES.items():
        where = f"file {name}" + (f", row {bad.row}" if bad.row else "")
        lines = [line for line in r.stderr.splitlines() if line.strip().startswith(f"{where}:")]
        assert any(bad.words in line for line in lines), (name, r.stderr[-3000:])
    assert fingerprint(lake_dir) == before


def test_a_live_server_says_what_is_wrong_with_each_upload(lake_dir: Path) -> None:
    key = lake_at(lake_dir).keys.create("bureau", "write")[1]
    before = fingerprint(lake_dir)
    with (
        live_server(lake_dir, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live,
        httpx.Client(base_url=live.base, headers={"authorization": f"Bearer {key}"}, timeout=120) as client,
    ):
        for name, bad in BAD_FILES.items():
            parquet = name.endswith(".parquet")
            media = "application/vnd.apache.parquet" if parquet else "text/csv"
            r = client.post("/v1/observations", content=bad.data, headers={"content-type": media})
            case = (name, r.status_code, r.text[:600])
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", case
            assert not [w for w in ARROW_WORDS if w in r.text], case
            errors = r.json()["errors"]
            upload = "observations.parquet" if parquet else "observations.csv"
            assert any(bad.words in e["detail"] and e["file"] == upload for e in errors), case
            if bad.row is not None:
                assert [e.get("row") for e in errors] == [bad.row], case
    assert fingerprint(lake_dir) == before
