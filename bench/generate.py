"""Synthetic inputs for tests and benchmarks: N indicators x R regions x M monthly periods since 2000-01.

Regions are real codes from data/regions.csv (so they ingest against the shipped catalog): county-level ones, or
every level with --all-levels; the indicators are `synthetic.iNNN` (monthly levels). Written with DuckDB, which
streams the rows to the file, so millions take seconds and 100 million fit in little memory:

    python -m bench.generate /tmp/in-100m --indicators 300 --regions 3218 --months 104 --all-levels
    # 300 x 3,218 x 104 = 100,401,600 observations (issue 12's scale)
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import duckdb

from service.config import REPO_DATA


def county_codes(count: int, all_levels: bool = False) -> list[str]:
    """The first ``count`` county codes of the shipped catalog (or codes of every level)."""
    with open(REPO_DATA / "regions.csv", encoding="utf-8") as f:
        codes = [r["code"] for r in csv.DictReader(f) if all_levels or r["level"] == "county"]
    if count > len(codes):
        raise ValueError(f"at most {len(codes)} regions")
    return codes[:count]


def write_inputs(
    out: Path,
    indicators: int,
    regions: int,
    months: int,
    fmt: str = "parquet",
    all_levels: bool = False,
    first_month: int = 0,
) -> list[Path]:
    """indicators.csv and observations.<fmt> (csv or parquet); returns both paths, catalog first."""
    out.mkdir(parents=True, exist_ok=True)
    ind_path = out / "indicators.csv"
    with open(ind_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "unit", "kind", "frequency", "accumulation", "topic"])
        for i in range(indicators):
            w.writerow([f"synthetic.i{i:03d}", f"合成指标{i:03d}", "100m_cny", "level", "M", "period", "synthetic"])
    con = duckdb.connect()
    con.execute("create table r as select unnest($codes) as region", {"codes": county_codes(regions, all_levels)})
    obs_path = out / f"observations.{fmt}"
    query = f"""
        select printf('synthetic.i%03d', i.i) as indicator, r.region,
               strftime(date '2000-01-01' + to_months(m.m), '%Y-%m') as period,
               round(100 + 50 * sin(m.m / 6.0 + i.i) + hash(r.region) % 100, 2) as value,
               'A' as status, date '2024-01-15' as published, '' as source
        from range({int(indicators)}) i(i), r, range({int(first_month)}, {int(first_month + months)}) m(m)"""
    options = "(format parquet, compression zstd)" if fmt == "parquet" else "(format csv, header true)"
    con.execute(f"copy ({query}) to '{obs_path}' {options}")
    return [ind_path, obs_path]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--regions", type=int, default=320)
    parser.add_argument("--months", type=int, default=312)
    parser.add_argument("--format", choices=["csv", "parquet"], default="parquet")
    parser.add_argument("--all-levels", action="store_true", help="regions of every level, not only counties")
    args = parser.parse_args()
    for p in write_inputs(args.out, args.indicators, args.regions, args.months, args.format, args.all_levels):
        print(p)


if __name__ == "__main__":
    main()
