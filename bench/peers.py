"""Load the peer benchmark's synthetic store (../shared/bench-peers) into a Yardstick lake, so that our server is
measured on the same data as Datasette, ROAPI and the plain FastAPI + DuckDB app, in the same run.

The peers' region codes ('000000', '110000', '1101 00'-style synthetic codes) are not all real GB/T 2260 codes, so
a catalog is made for them: '000000' is the nation, 'NN0000' the provinces, the rest prefectures of their province.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import duckdb

from service.ingest.load import ingest_paths
from service.store.stores import lake_at


def catalog(data: Path, out: Path) -> list[Path]:
    con = duckdb.connect()
    regions = [
        r[0]
        for r in con.execute(
            "select distinct region from read_parquet($p) order by 1", {"p": str(data / "obs.parquet")}
        ).fetchall()
    ]
    indicators = [
        r[0]
        for r in con.execute(
            "select distinct indicator from read_parquet($p) order by 1", {"p": str(data / "obs.parquet")}
        ).fetchall()
    ]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "regions.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "level", "parent"])
        for code in regions:
            if code == "000000":
                w.writerow([code, "全国", "nation", ""])
            elif code.endswith("0000"):
                w.writerow([code, f"省{code[:2]}", "province", "000000"])
            else:
                parent = code[:2] + "0000"
                w.writerow([code, f"市{code}", "prefecture", parent if parent in regions else "000000"])
    with open(out / "indicators.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "unit", "kind", "frequency", "accumulation", "topic"])
        for code in indicators:
            w.writerow([code, f"指标{code[-3:]}", "percent", "share", "M", "period", "bench"])
    con.execute(
        """copy (select indicator, region, period, value, 'A' as status, date '2024-01-15' as published
                        from read_parquet($p)) to '{}' (format parquet)""".format(out / "observations.parquet"),
        {"p": str(data / "obs.parquet")},
    )
    return [out / "regions.csv", out / "indicators.csv", out / "observations.parquet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-peers-data"))
    parser.add_argument("--lake", type=Path, default=Path("/tmp/bench-yardstick-lake"))
    args = parser.parse_args()
    lake = lake_at(args.lake)
    if lake.current_id() == 0:
        files = catalog(args.data, args.lake.parent / "bench-yardstick-input")
        t = time.perf_counter()
        result = ingest_paths(lake, files, author="bench")
        print(f"ingest_seconds={time.perf_counter() - t:.2f} rows={result.added}")
    print(f"lake={args.lake} snapshot={lake.current_id():06d}")


if __name__ == "__main__":
    main()
