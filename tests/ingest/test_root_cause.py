"""One bad row is reported once, at its root: rows that depend on a refused row (children of a refused region,
observations of a refused region or indicator) are not reported again as 'unknown'."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import InvalidData
from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.helpers import csv_bytes, fingerprint, obs


def test_a_refused_region_does_not_cascade_into_its_dependants(lake_dir: Path) -> None:
    towns = [f"TOWN{i:04d}" for i in range(1000)]
    regions = "code,name,level,parent\nNEWCITY,新城市,prefecture,430000\nBADCITY,坏城市,metropolis,430000\n"
    regions += "".join(f"{t},镇{i},county,BADCITY\n" for i, t in enumerate(towns))
    observations = csv_bytes([obs("industry.value_added.growth", t, "2022-Q3", 1.0) for t in towns])
    before = fingerprint(lake_dir)
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("regions.csv", regions.encode()), ("observations.csv", observations)])
    problems = caught.value.problems
    assert len(problems) == 1, [p.detail for p in problems[:5]]
    root = problems[0]
    assert (root.file, root.row, root.column) == ("regions.csv", 3, "level") and "metropolis" in root.detail
    assert "regions.csv, row 3, column level" in caught.value.detail  # the summary names the root cause first
    assert fingerprint(lake_dir) == before


def test_a_refused_indicator_does_not_cascade_either(lake_dir: Path) -> None:
    indicators = b"code,name,unit,kind,frequency\nnew.thing,New,count,count,W\n"
    observations = csv_bytes([obs("new.thing", "430400", f"{2000 + i}", i) for i in range(50)])
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("indicators.csv", indicators), ("observations.csv", observations)])
    assert [(p.file, p.column) for p in caught.value.problems] == [("indicators.csv", "frequency")]


def test_unknown_codes_are_still_reported_when_nothing_defines_them(lake_dir: Path) -> None:
    observations = csv_bytes([obs("industry.value_added.growth", "NOWHERE", "2022-Q3", 1.0)])
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("observations.csv", observations)])
    assert caught.value.problems[0].detail == "unknown region 'NOWHERE'"


def test_many_rows_of_an_unknown_indicator_are_422_not_a_crash(lake_dir: Path) -> None:
    """Found here: every period key null (the indicator is unknown) crashed the duplicate check (a 500 over HTTP)."""
    observations = csv_bytes([obs("no.such", "CN", str(year), 1.0) for year in (2021, 2022)])
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("observations.csv", observations)])
    assert {p.detail for p in caught.value.problems} == {"unknown indicator 'no.such'"}
