"""Score the extractor on the labelled corpus (tests/extract/*/key.json, the seed article): ``python -m bench.extract``.

A labelled figure is FOUND when a proposal has its region, period_start..period_end and value (equal after rounding
to the number's decimals) and a quote containing the labelled ``number`` as written. A proposal is MISATTRIBUTED
when its value equals a labelled figure's with that number in its quote but region or period differ, or when it
states (status A) a number that appears nowhere in the text. Spans: text[span[0]:span[1]] == quote.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from service.ingest.extract import Extraction, Proposal, extract
from service.ingest.extract.periods import When, parse_label
from service.ingest.extract.regions import RegionRow, load_regions

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "extract"
SEED_TEXT = Path("/work/shared/seeds/000_22d7e5e093362160.txt")
# The period a reviewer types for a table whose excerpt does not say it (the key's note: inferred from the page);
# the seed article (a news report on the first three quarters) is given 2022年前三季度 the same way.
PERIOD_ARGUMENT = {
    "table-hunan-prefectures-industry-2012-04": "2012年1-4月",
    "table-hunan-prefectures-industry-growth-2017-11": "2017年1-11月",
}
_CN = "零一二三四五六七八九十"


@dataclass
class Document:
    slug: str
    text: str
    region: str | None
    published: date | None
    period: str | None
    figures: list[dict[str, Any]]


@dataclass
class Score:
    slug: str
    stated: int
    stated_found: int
    derived: int
    derived_found: int
    proposals: int
    misattributed: int
    spans_ok: int
    ms: float

    def pct(self, a: int, b: int) -> float:
        return 100.0 * a / b if b else 100.0


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def corpus() -> list[Document]:
    docs: list[Document] = []
    for key_path in sorted(CORPUS.glob("*/key.json")):
        key = json.loads(key_path.read_text(encoding="utf-8"))
        text = (key_path.parent / "document.txt").read_text(encoding="utf-8")
        slug = key_path.parent.name
        docs.append(
            Document(slug, text, key["region"], _date(key["published"]), PERIOD_ARGUMENT.get(slug), key["figures"])
        )
    if SEED_TEXT.exists():
        docs.append(seed())
    return docs


def _seed_when(label: str) -> When | None:
    if m := re.fullmatch(r"(\d{4})-01/P(\d+)M", label):
        return When(int(m.group(1)), 1, int(m.group(2)))
    return parse_label(label.replace("—", "-"), None)


def _seed_number(row: dict[str, str]) -> str:
    quote, value = row["quote"], float(row["value"])
    if row["status"] == "D":
        ops = re.findall(r"\d+(?:\.\d+)?", row["note"].split("(")[0])
        for op in reversed(ops):
            if op in quote:
                return op
            if op.isdigit() and int(op) < 10 and _CN[int(op)] in quote:
                return _CN[int(op)]
        return ops[-1] if ops else row["value"]
    for m in re.finditer(r"\d+(?:\.\d+)?", quote):
        if abs(float(m.group()) - value) < 1e-9:
            return m.group()
    if value.is_integer() and value < 10 and (cn := _CN[int(value)]) in quote:
        return cn
    return row["value"]


def seed() -> Document:
    figures: list[dict[str, Any]] = []
    with (ROOT / "data" / "observations.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            when = _seed_when(row["period"])
            if when is None:
                continue
            figures.append(
                {
                    "quote": row["quote"],
                    "number": _seed_number(row),
                    "value": float(row["value"]),
                    "region": row["region"],
                    "period_start": when.start,
                    "period_end": when.end,
                    "stated": row["status"] != "D",
                }
            )
    return Document(
        "seed-hengyang-2022-q3-article",
        SEED_TEXT.read_text(encoding="utf-8"),
        "430400",
        date(2022, 10, 31),
        "2022年前三季度",
        figures,
    )


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def same_value(a: float, b: float, number: str) -> bool:
    d = max(_decimals(number), 2)
    return abs(round(a, d) - round(b, d)) < 1e-9


def found(fig: dict[str, Any], proposals: Iterable[Proposal]) -> bool:
    return any(
        p.region == fig["region"]
        and p.period_start == fig["period_start"]
        and p.period_end == fig["period_end"]
        and same_value(p.value, fig["value"], fig["number"])
        and fig["number"] in p.quote
        for p in proposals
    )


def _matches(p: Proposal, fig: dict[str, Any]) -> bool:
    return same_value(p.value, fig["value"], fig["number"]) and fig["number"] in p.quote


def misattributed(p: Proposal, figures: list[dict[str, Any]], text: str) -> bool:
    near = [f for f in figures if _matches(p, f)]
    if near and not any(found(f, [p]) for f in near):
        return True
    if p.status == "A" and p.unit != "rank":
        held = re.sub(r"(?<=\d),(?=\d{3})", "", p.quote)  # 35,420.5 holds 35420.5
        return not any(f"{abs(p.value):.{d}f}" in held for d in range(4))
    return False


def score(
    doc: Document, regions: dict[str, RegionRow], indicators: dict[str, str], synonyms: list[tuple[str, str]]
) -> tuple[Score, Extraction]:
    t0 = time.perf_counter()
    out = extract(
        doc.text,
        region=doc.region,
        published=doc.published,
        period=doc.period,
        regions=regions,
        indicators=indicators,
        synonyms=synonyms,
    )
    ms = 1000 * (time.perf_counter() - t0)
    stated = [f for f in doc.figures if f["stated"]]
    derived = [f for f in doc.figures if not f["stated"]]
    ps = out.proposals
    return Score(
        doc.slug,
        len(stated),
        sum(found(f, ps) for f in stated),
        len(derived),
        sum(found(f, ps) for f in derived),
        len(ps),
        sum(misattributed(p, doc.figures, doc.text) for p in ps),
        sum(doc.text[p.span[0] : p.span[1]] == p.quote for p in ps),
        ms,
    ), out


def catalog() -> tuple[dict[str, RegionRow], dict[str, str], list[tuple[str, str]]]:
    regions = load_regions(ROOT / "data" / "regions.csv")
    with (ROOT / "data" / "indicators.csv").open(encoding="utf-8") as f:
        indicators = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with (ROOT / "data" / "synonyms.csv").open(encoding="utf-8") as f:
        synonyms = [(r["short"], r["full"]) for r in csv.DictReader(f)]
    return regions, indicators, synonyms


def run() -> list[Score]:
    regions, indicators, synonyms = catalog()
    return [score(doc, regions, indicators, synonyms)[0] for doc in corpus()]


def total(scores: list[Score]) -> Score:
    keys = ("stated", "stated_found", "derived", "derived_found", "proposals", "misattributed", "spans_ok", "ms")
    sums = {k: sum(getattr(s, k) for s in scores) for k in keys}
    return Score("overall", **sums)


def table(scores: list[Score]) -> str:
    head = "| document | stated found | derived found | misattributed | proposals | spans ok | ms |"
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in [*scores, total(scores)]:
        lines.append(
            f"| {s.slug} | {s.stated_found}/{s.stated} ({s.pct(s.stated_found, s.stated):.0f}%) "
            f"| {s.derived_found}/{s.derived} ({s.pct(s.derived_found, s.derived):.0f}%) "
            f"| {s.misattributed} ({s.pct(s.misattributed, s.proposals):.1f}%) | {s.proposals} "
            f"| {s.pct(s.spans_ok, s.proposals):.0f}% | {s.ms:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) > 1:  # python -m bench.extract <slug>: the misses and the proposals of one document
        regions, indicators, synonyms = catalog()
        doc = next(d for d in corpus() if d.slug == argv[1])
        _, out = score(doc, regions, indicators, synonyms)
        for f in doc.figures:
            if not found(f, out.proposals):
                print("MISS", f["number"], f["value"], f["region"], f["period_start"], f["period_end"], f["quote"][:50])
        for p in out.proposals:
            print(
                "PROP", p.value, p.region, p.period_start, p.period_end, p.status, p.indicator_name, "|", p.quote[:50]
            )
        return
    print(table(run()))


if __name__ == "__main__":
    main(sys.argv)
