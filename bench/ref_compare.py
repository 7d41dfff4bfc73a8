"""The plain way to serve comparisons and rankings, as a peer: FastAPI + DuckDB (in-memory table), one SQL query per
request. Same data and the same region scheme as bench/peers.py ('000000' nation, 'NN0000' provinces, the rest
prefectures of their province).

Run: PEER_PARQUET=/tmp/bench-peers-data/obs.parquet uvicorn --app-dir bench ref_compare:app --port 8108
"""

from __future__ import annotations

import os

import duckdb
import orjson
from fastapi import FastAPI, Response

PARQUET = os.environ.get("PEER_PARQUET", "/tmp/bench-peers-data/obs.parquet")
con = duckdb.connect()
con.execute("create table obs as select * from read_parquet($p)", {"p": PARQUET})
app = FastAPI()

COMPARE = """
with siblings as (
    select region, value, rank() over (order by value desc) as rank, count(*) over () as of
    from obs where indicator = $i and period = $p and region like $prefix and region <> $province
)
select o.region, o.value, s.rank, s.of
from obs o left join siblings s on s.region = o.region
where o.indicator = $i and o.period = $p and o.region in ($r, $province, '000000')
"""
RANKINGS = """
select region, value, rank() over (order by value desc) as rank,
       value - (select value from obs where indicator = $i and period = $p and region = $parent) as gap
from obs where indicator = $i and period = $p and region like $prefix and region <> $parent
order by rank
"""


@app.get("/compare/{indicator}/{region}")
def compare(indicator: str, region: str, period: str) -> Response:
    province = region[:2] + "0000"
    rows = (
        con.cursor()
        .execute(COMPARE, {"i": indicator, "p": period, "r": region, "province": province, "prefix": region[:2] + "%"})
        .fetchall()
    )
    return Response(
        orjson.dumps([{"region": r, "value": v, "rank": k, "of": n} for r, v, k, n in rows]),
        media_type="application/json",
    )


@app.get("/rankings/{indicator}")
def rankings(indicator: str, parent: str, period: str) -> Response:
    rows = (
        con.cursor()
        .execute(RANKINGS, {"i": indicator, "p": period, "parent": parent, "prefix": parent[:2] + "%"})
        .fetchall()
    )
    return Response(
        orjson.dumps([{"region": r, "value": v, "rank": k, "gap": g} for r, v, k, g in rows]),
        media_type="application/json",
    )
