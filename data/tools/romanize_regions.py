"""Fill the empty ``name_en`` of data/regions.csv with the Hanyu Pinyin of the name's specific part, by the national
rules for romanising place names (service/model/romanize.py: 衡阳市 → Hengyang, 西安市 → Xi'an; the level is its own
column). Names written by hand are kept. Reproducible: the same input gives the same file.

Usage: python data/tools/romanize_regions.py data/regions.csv           # rewrites the file in place
       python data/tools/romanize_regions.py data/regions.csv --check   # exit 1 if it would change anything
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from service.model.romanize import english


def romanized(text: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "name_en": row["name_en"] or english(row["name"]) or ""})
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date")
    args = parser.parse_args()
    before = args.path.read_text(encoding="utf-8")
    after = romanized(before)
    if args.check:
        if after != before:
            print(f"{args.path}: names to romanise; run without --check", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(after, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
