"""Turn hand-reviewed documents (the answer keys of tests/extract: every figure, read and checked by a person) into
the batches the review page commits (POST /v1/batch): one source per document, its figures as observations with
their quotes, in the catalog's indicators and units. ``python data/tools/reviewed.py KEYS_DIR... [-o data/reviewed]``
writes ``<slug>.json`` per document and prints what was kept and what was not (and why).

A figure is shipped when its name and measure map to an indicator of the catalog (data/indicators.csv, through
data/indicator_names.csv and the synonyms, as the extractor maps them), its unit converts to the indicator's, and
its months form a period of that indicator; the rest are counted in the report, not guessed into the catalog.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from service.ingest.extract.catalog import Catalog  # noqa: E402
from service.ingest.extract.text import builtin_t2s, normalise  # noqa: E402
from service.model.period import PeriodError, parse  # noqa: E402

# (from, to) → factor: a key's unit into the catalog's
FACTORS = {
    ("10k_cny", "100m_cny"): 1e-4,
    ("cny", "100m_cny"): 1e-8,
    ("trn_cny", "100m_cny"): 1e4,
    ("t", "10k_t"): 1e-4,
    ("persons", "10k_persons"): 1e-4,
    ("10k_kwh", "100m_kwh"): 1e-4,
    ("pp", "percentage_points"): 1.0,
}
SKIP = {"table-hunan-prefectures-per-capita-gdp-traditional": "the page prints 2013 and 2014 figures under 2015"}


def catalog() -> tuple[Catalog, dict[str, dict[str, str]]]:
    with open(ROOT / "data" / "indicators.csv", encoding="utf-8") as f:
        rows = {r["code"]: r for r in csv.DictReader(f)}
    with open(ROOT / "data" / "synonyms.csv", encoding="utf-8") as f:
        synonyms = [(r["short"], r["full"]) for r in csv.DictReader(f)]
    with open(ROOT / "data" / "indicator_names.csv", encoding="utf-8") as f:
        names = [(r["code"], r["name"]) for r in csv.DictReader(f)]
    units = {c: r["unit"] for c, r in rows.items()}
    return Catalog({c: r["name"] for c, r in rows.items()}, synonyms, names, units), rows


def label(start: date, end: date) -> str:
    """A period label ingest reads: the months the figure covers (a stock at a month's end: that month)."""
    if start == end:
        return f"{end.year}-{end.month:02d}" if end.month != 12 else f"{end.year}"
    if (start.month, end.month) == (1, 12):
        return f"{end.year}"
    return f"{end.year}年{start.month}-{end.month}月"


def vintage(key: dict[str, Any]) -> tuple[date, str | None]:
    """When the figures became known: the document's date, or (not on the copy) the end of the third month after
    the latest period it reports, said so in the source's note."""
    if key.get("published"):
        return date.fromisoformat(key["published"]), None
    last = max(date.fromisoformat(f["period_end"]) for f in key["figures"])
    month = last.month + 3
    year, month = last.year + (month - 1) // 12, (month - 1) % 12 + 1
    when = date(year, month, calendar.monthrange(year, month)[1])
    return when, f"publication date not on the copy: vintage set to {when}, three months after the period reported"


def observation(
    fig: dict[str, Any], cat: Catalog, rows: dict[str, dict[str, str]], published: date, source: str
) -> tuple[dict[str, Any] | None, str]:
    name = normalise(fig["indicator_name"], builtin_t2s).text
    code, new = cat.code(name, fig["measure"], fig["unit"])
    if new:
        return None, "indicator not in the catalog"
    info = rows[code]
    factor = 1.0 if fig["unit"] == info["unit"] else FACTORS.get((fig["unit"], info["unit"]))
    if factor is None:
        return None, f"unit {fig['unit']} is not {info['unit']}"
    start, end = date.fromisoformat(fig["period_start"]), date.fromisoformat(fig["period_end"])
    text = label(start, end)
    try:
        parse(text, info["frequency"], info["accumulation"])  # type: ignore[arg-type]
    except PeriodError:
        return None, "months that are not a period of the indicator"
    if end >= published + timedelta(days=1) or date.fromisoformat(fig["period_start"]) > published:
        return None, "a period after the document's date"
    notes = [fig.get("derivation"), fig.get("approx") and f"approximate: {fig['approx']}", fig.get("note")]
    row = {
        "indicator": code,
        "region": fig["region"],
        "period": text,
        "value": round(fig["value"] * factor, 10),
        "status": "A" if fig["stated"] else "D",
        "published": published.isoformat(),
        "source": source,
        "quote": fig["quote"],
        "note": "; ".join(str(n) for n in notes if n) or None,
    }
    return row, "shipped"


def batch(folder: Path, cat: Catalog, rows: dict[str, dict[str, str]]) -> tuple[dict[str, Any], Counter[str]]:
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    published, why = vintage(key)
    source = {
        "id": folder.name,
        "title": key["title"],
        "publisher": key.get("publisher"),
        "url": key.get("url"),
        "published": published.isoformat(),
        "note": "; ".join(n for n in ("figures reviewed by hand against the text", why) if n),
    }
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    clashes: set[tuple[str, str, str]] = set()
    tally: Counter[str] = Counter()
    for fig in key["figures"]:
        row, outcome = observation(fig, cat, rows, published, folder.name)
        if row is not None:
            at = (row["indicator"], row["region"], row["period"])
            if at not in seen:
                seen[at] = row
            elif _same(seen[at]["value"], row["value"]):  # a table's 804.2782 and the text's 804.28: the precise one
                outcome = "the same figure twice"
                seen[at] = max(seen[at], row, key=lambda r: len(repr(r["value"])))
            else:  # two readings of one figure (e.g. 一般公共预算收入 and 地方一般公共预算收入): neither is shipped
                outcome = "two values for one figure: both left out"
                clashes.add(at)
        tally[outcome] += 1
    kept = [row for at, row in seen.items() if at not in clashes]
    tally["observations kept"] = len(kept)
    return {"sources": [source], "observations": kept}, tally


def _same(a: float, b: float) -> bool:
    """Equal at the precision of the less precise of the two."""
    decimals = min(len(repr(x).split(".")[1]) if "." in repr(x) else 0 for x in (a, b))
    return round(a, decimals) == round(b, decimals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("keys", nargs="+", type=Path, help="folders holding <slug>/key.json")
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "data" / "reviewed")
    args = parser.parse_args()
    cat, rows = catalog()
    args.out.mkdir(parents=True, exist_ok=True)
    total: Counter[str] = Counter()
    for folder in sorted(p.parent for d in args.keys for p in d.glob("*/key.json")):
        if folder.name in SKIP:
            print(f"{folder.name}: left out ({SKIP[folder.name]})")
            continue
        out, tally = batch(folder, cat, rows)
        if out["observations"]:
            text = json.dumps(out, ensure_ascii=False, indent=1)
            (args.out / f"{folder.name}.json").write_text(text + "\n", encoding="utf-8")
        total += tally
        print(f"{folder.name}: {dict(tally)}")
    print(f"total: {dict(total)}")


if __name__ == "__main__":
    main()
