"""A richer lake for the API tests: the seed data plus hand-made series whose transforms, ranks and gaps are
easy to compute by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.helpers import csv_bytes, obs, seeded_copy

HUNAN_PREFECTURES = [
    "430100",
    "430200",
    "430300",
    "430400",
    "430500",
    "430600",
    "430700",
    "430800",
    "430900",
    "431000",
    "431100",
    "431200",
    "431300",
    "433100",
]
INDICATORS = b"""code,name,name_en,unit,kind,frequency,accumulation,basis,topic
test.output,Test output,Test output,100m_cny,level,Q,ytd,,test
test.monthly,Test monthly output,Test monthly,100m_cny,level,M,ytd,,test
test.growth,Test growth,Test growth,percent,growth,Q,period,real,test
test.index,Test index,Test index,count,count,A,period,,test
"""
# Quarterly ytd level: Hengyang 2021 Q1..Q4 = 100, 210, 330, 440; 2022 Q1..Q3 = 110, 231, 363.
OUTPUT_HY = {
    "2021-Q1": 100,
    "2021-Q2": 210,
    "2021-Q3": 330,
    "2021-Q4": 440,
    "2022-Q1": 110,
    "2022-Q2": 231,
    "2022-Q3": 363,
}
# Monthly ytd with January and February published together (2022-02 has no 2022-01 before it).
MONTHLY_HY = {"2021-01": 10, "2021-02": 22, "2021-03": 36, "2022-02": 25, "2022-03": 40, "2022-05": 70}
# Growth (period) for Hunan's prefectures in 2022-Q3, with ties: 9.0 (x2), 8.0, then falling.
GROWTH_Q3 = {code: round(10 - i * 0.5, 1) for i, code in enumerate(HUNAN_PREFECTURES)}
GROWTH_Q3["430100"] = 9.0
GROWTH_Q3["430200"] = 9.0
# Beyond Hunan, for nationwide league tables: two Hubei cities and Guangzhou (tied with 433100), and three counties.
OTHER_GROWTH_Q3 = {"420100": 9.5, "420200": 12.0, "440100": 3.5, "430102": 11.0, "430421": 7.0, "420102": 20.0}


def rich_rows() -> list[list[object]]:
    rows = [obs("test.output", "430400", p, v) for p, v in OUTPUT_HY.items()]
    rows += [obs("test.output", "430000", "2022-Q3", 3630), obs("test.output", "CN", "2022-Q3", 90750)]
    rows += [obs("test.monthly", "430400", p, v) for p, v in MONTHLY_HY.items()]
    rows += [obs("test.growth", c, "2022-Q3", v) for c, v in {**GROWTH_Q3, **OTHER_GROWTH_Q3}.items()]
    rows += [obs("test.growth", "430000", "2022-Q3", 8.0), obs("test.growth", "CN", "2022-Q3", 4.0)]
    rows += [obs("test.growth", "430400", "2022-Q2", 7.5)]
    rows += [obs("test.index", "430400", str(y), v) for y, v in [(2019, 50), (2020, 100), (2021, 150)]]
    return rows


@pytest.fixture(scope="session")
def rich_lake(seeded_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rich") / "lake"
    seeded_copy(root)
    ingest(lake_at(root), [("indicators.csv", INDICATORS), ("rich.csv", csv_bytes(rich_rows()))])
    # A revision: Hengyang's 2022-Q3 output revised from 363 to 365 on 2023-01-20.
    ingest(lake_at(root), [("rev.csv", csv_bytes([obs("test.output", "430400", "2022-Q3", 365, "2023-01-20")]))])
    return root


@pytest.fixture
async def rich(rich_lake: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=rich_lake, load_seed=False, refresh_seconds=0))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as c,
    ):
        yield c
