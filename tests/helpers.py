"""Test helpers: write input files, fingerprint a lake directory."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

OBS_HEADER = ["indicator", "region", "period", "value", "status", "published", "source", "quote", "note"]


def csv_bytes(rows: list[list[object]], header: list[str] = OBS_HEADER, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def obs(
    indicator: str, region: str, period: str, value: object, published: str = "2022-10-31", status: str = ""
) -> list[object]:
    return [indicator, region, period, value, status, published, "", "", ""]


def fingerprint(root: Path) -> dict[str, str]:
    """Every file of the lake (but the lock and staging) with its sha256: equal fingerprints = untouched lake."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel != "LOCK" and not rel.startswith("staging/"):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def seeded_copy(target: Path) -> Path:
    """A lake of its own with the shipped data, at ``target``. Not a copy of another lake's folder: Iceberg metadata
    holds absolute paths, so a copied folder's tables would still live in the original's."""
    from service.config import REPO_DATA
    from service.ingest.seed import ensure_seed
    from service.store.stores import lake_at

    ensure_seed(lake_at(target), REPO_DATA, reviewed=False)
    return target


PARTIAL = "test.partial"


def partly_ranked(target: Path) -> Path:
    """A seeded lake with one more indicator, ``test.partial`` (a growth rate), for 2022-Q3: 4 of Hunan's 14
    prefectures (Hengyang 8.4, second of the four), two Hubei cities and the nation; Hunan itself has no figure."""
    from service.ingest.load import ingest
    from service.store.stores import lake_at

    seeded_copy(target)
    header = ["code", "name", "name_en", "unit", "kind", "frequency", "accumulation", "basis", "topic"]
    indicator = [PARTIAL, "部分地区增速", "Growth, some regions", "percent", "growth", "Q", "ytd", "real", "test"]
    values = {"430100": 9.0, "430200": 8.0, "430400": 8.4, "430500": 7.0, "420100": 9.5, "420200": 6.0, "CN": 4.0}
    rows = [obs(PARTIAL, code, "2022-Q3", value) for code, value in values.items()]
    ingest(lake_at(target), [("indicators.csv", csv_bytes([indicator], header)), ("partial.csv", csv_bytes(rows))])
    return target


VA = "industry.value_added.growth"
LEVEL = "test.output"
QUARTERS = ["2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2"]


def quarters_lake(target: Path) -> Path:
    """The seed (2022-Q3: Hengyang 8.4, Hunan 7.4 derived, China 3.9 derived) and six quarters before it for the
    three: Hengyang has no 2022-Q1; every other Hunan figure is derived; Hengyang's 2022-Q2 (9.5) was revised to 9.9
    on 2023-01-15. And ``test.output``, a level in 亿元 by year, with no figure for Hunan and none for Hengyang 2020."""
    from service.ingest.load import ingest
    from service.store.stores import lake_at

    seeded_copy(target)
    rows = []
    for i, q in enumerate(QUARTERS):
        if q != "2022-Q1":
            rows.append(obs(VA, "430400", q, round(8.0 + i * 0.3, 1), "2022-08-01"))
        rows.append(obs(VA, "430000", q, round(7.0 + i * 0.2, 1), "2022-08-01", "D" if i % 2 else "A"))
        rows.append(obs(VA, "CN", q, round(6.0 - i * 0.4, 1), "2022-08-01"))
    rows.append(obs(VA, "430400", "2022-Q2", 9.9, "2023-01-15"))
    for year, value in ((2019, 3000.0), (2021, 3500.0), (2022, 3800.0)):
        rows.append(obs(LEVEL, "430400", str(year), value, "2023-03-01"))
    rows += [obs(LEVEL, "CN", str(y), 1_000_000.0 + y, "2023-03-01") for y in (2019, 2020, 2021, 2022)]
    header = ["code", "name", "name_en", "unit", "kind", "frequency", "accumulation", "basis", "topic"]
    indicator = [LEVEL, "测试产值", "Test output", "100m_cny", "level", "A", "period", "", "test"]
    ingest(lake_at(target), [("indicators.csv", csv_bytes([indicator], header)), ("q.csv", csv_bytes(rows))])
    return target
