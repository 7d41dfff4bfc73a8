"""Search that understands Chinese: terms with synonyms of statistical shorthand (data/synonyms.csv), pinyin and
initials for place names, character bigrams for partial matches, results ranked.

Ranking, best first: exact (the code, the name, the name without its generic part 市/县..., the English name, or the
pinyin), prefix, every term found (each term, or one of its synonyms, in the code, a name or the description; a
series matches when each term is in its region or its indicator), partial (at least half of the query's character
pairs in the name: 规模工业 finds 规模以上工业增加值增速). Within a rank: indicators, regions (the higher level
first), series; then shorter names. ``"quoted text"`` matches only as written: no synonyms, pinyin or partials.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from service.model.romanize import keys, specific
from service.query.series import catalog as series_catalog
from service.store.snapshot import Memo, Snapshot

EXACT, PREFIX, TERMS, PARTIAL = 4, 3, 2, 1
MATCHES = {EXACT: "exact", PREFIX: "prefix", TERMS: "terms", PARTIAL: "partial"}
TYPES = {"indicator": 0, "region": 1, "series": 2}
LATIN = re.compile(r"^[a-z]+$")
WORD = re.compile(r"[^a-z0-9À-ɏ]+")
PUNCTUATION = re.compile(r"[“”\"'‘’「」《》()（）,，、。·]")


def normal(text: str) -> str:
    """What comparisons see: NFKC (full-width letters and digits to ASCII), case folded, quotation marks dropped."""
    return PUNCTUATION.sub("", unicodedata.normalize("NFKC", text)).casefold().strip()


@dataclass(frozen=True)
class Entry:
    type: str
    code: str
    name: str
    name_en: str | None
    texts: tuple[str, ...]  # normalised: searched for terms
    exact: tuple[str, ...]  # normalised: equal to the query is an exact match, starting with it a prefix match
    pinyin: tuple[str, ...]  # full pinyin and initials (place names)
    pairs: frozenset[str]  # the name's character bigrams
    depth: int = 0  # regions: how many ancestors

    @functools.cached_property
    def words(self) -> tuple[str, ...]:
        """The words of the texts: a term in Latin letters matches the start of one (hengyang is not in Chengyang)."""
        return tuple(w for t in self.texts for w in WORD.split(t) if w)


def _pairs(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


ENTRIES: Memo[list[Entry]] = Memo("search entries")


def _entries(snap: Snapshot) -> list[Entry]:
    """The searchable indicators and regions of a snapshot (built once per snapshot)."""
    return snap.memo(ENTRIES, lambda: _build(snap))


def _build(snap: Snapshot) -> list[Entry]:
    cached = [
        Entry(
            "indicator",
            i.code,
            i.name,
            i.name_en,
            tuple(normal(t) for t in (i.code, i.name, i.name_en, i.description) if t),
            tuple(normal(t) for t in (i.code, i.name, i.name_en) if t),
            (),
            _pairs(normal(i.name)),
        )
        for i in snap.indicators.values()
    ]
    cached += [
        Entry(
            "region",
            r.code,
            r.name,
            r.name_en,
            tuple(normal(t) for t in (r.code, r.name, r.name_en) if t),
            tuple(normal(t) for t in (r.code, r.name, specific(r.name), r.name_en) if t),
            keys(r.name),
            _pairs(normal(r.name)),
            len(snap.ancestors(r.code)),
        )
        for r in snap.regions.values()
    ]
    return cached


@functools.cache
def synonyms(path: Path) -> tuple[tuple[str, str], ...]:
    """(short, full) pairs of the synonym table (data/synonyms.csv); none if the file is missing."""
    if not path.exists():
        return ()
    with open(path, encoding="utf-8") as f:
        return tuple((normal(row["short"]), normal(row["full"])) for row in csv.DictReader(f))


def alternatives(term: str, table: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """A term and what it reads as with shorthand expanded or written short (规上工业 → 规模以上工业 → 规模工业),
    as far as the table leads."""
    out = [term]
    for t in out:  # grows as it goes: each new form is rewritten in turn
        for short, full in table:
            for form in (t.replace(short, full) if short in t else t, t.replace(full, short) if full in t else t):
                if form not in out and len(out) < 32:
                    out.append(form)
    return tuple(out)


def _has(entry: Entry, alts: tuple[str, ...], loose: bool) -> bool:
    for a in alts:
        if LATIN.match(a):
            if any(w.startswith(a) for w in entry.words) or (loose and any(k.startswith(a) for k in entry.pinyin)):
                return True
        elif any(a in t for t in entry.texts):
            return True
    return False


def _rank(entry: Entry, whole: tuple[str, ...], every_term: bool, loose: bool) -> tuple[int, float]:
    """(rank, score) of one entry for the query (``whole``: the query and its synonym forms; ``every_term``: each
    term is in the entry); rank 0: no match."""
    exact = entry.exact + (entry.pinyin if loose else ())
    if any(w in exact for w in whole):
        return EXACT, 1.0
    prefix = [len(w) / len(e) for w in whole for e in exact if e.startswith(w)]
    if prefix:
        return PREFIX, max(prefix)
    if every_term:
        return TERMS, 0.0
    if loose and len(whole[0]) >= 3 and entry.pairs:
        asked = _pairs(whole[0].replace(" ", ""))
        share = len(asked & entry.pairs) / len(asked)
        if share >= 0.5:
            return PARTIAL, share
    return 0, 0.0


Found = list[tuple[tuple[Any, ...], dict[str, Any]]]  # (sort key, row)


def search(snap: Snapshot, q: str, synonym_file: Path) -> pa.Table:
    """Every match for ``q``, best first, with how it matched."""
    quoted = len(q) >= 2 and q[0] == q[-1] == '"'
    text = normal(q)
    table = () if quoted else synonyms(synonym_file)
    whole = alternatives(text, table)
    terms = [alternatives(t, table) for t in ([text] if quoted else text.split())]
    if not terms:
        return pa.Table.from_pylist([], schema=SEARCH_SCHEMA)
    found, matched = _matching_entries(snap, whole, terms, quoted)
    found += _matching_series(snap, matched)
    found.sort(key=lambda pair: pair[0])
    return pa.Table.from_pylist([row for _, row in found], schema=SEARCH_SCHEMA)


def _matching_entries(
    snap: Snapshot, whole: tuple[str, ...], terms: list[tuple[str, ...]], quoted: bool
) -> tuple[Found, list[dict[str, set[str]]]]:
    """Indicators and regions that match, and for each term the codes it matched (to find series)."""
    found: Found = []
    matched: list[dict[str, set[str]]] = [{"indicator": set(), "region": set()} for _ in terms]
    for entry in _entries(snap):
        has = [_has(entry, alts, not quoted) for alts in terms]
        for i in (i for i, yes in enumerate(has) if yes):
            matched[i][entry.type].add(entry.code)
        rank, score = _rank(entry, whole, all(has), not quoted)
        if rank:
            row = {
                "type": entry.type,
                "code": entry.code,
                "name": entry.name,
                "name_en": entry.name_en,
                "indicator": entry.code if entry.type == "indicator" else None,
                "region": entry.code if entry.type == "region" else None,
                "match": MATCHES[rank],
                "score": round(score, 3),
            }
            found.append(((-rank, -score, TYPES[entry.type], entry.depth, len(entry.name), entry.code), row))
    return found, matched


def _matching_series(snap: Snapshot, matched: list[dict[str, set[str]]]) -> Found:
    """Series whose indicator or region each term matched."""
    found: Found = []
    cat = series_catalog(snap)
    for ind, reg in zip(cat.column("indicator").to_pylist(), cat.column("region").to_pylist(), strict=True):
        if all(ind in m["indicator"] or reg in m["region"] for m in matched):
            region, indicator = snap.regions[reg], snap.indicators[ind]
            name = f"{region.name} {indicator.name}"
            row = {
                "type": "series",
                "code": f"{ind}/{reg}",
                "name": name,
                "name_en": " ".join(x for x in (region.name_en, indicator.name_en) if x) or None,
                "indicator": ind,
                "region": reg,
                "match": MATCHES[TERMS],
                "score": 0.0,
            }
            found.append(((-TERMS, 0.0, TYPES["series"], 0, len(name), row["code"]), row))
    return found


SEARCH_SCHEMA = pa.schema(
    [
        ("type", pa.string()),
        ("code", pa.string()),
        ("name", pa.string()),
        ("name_en", pa.string()),
        ("indicator", pa.string()),
        ("region", pa.string()),
        pa.field("match", pa.string(), metadata={"description": "exact, prefix, terms or partial"}),
        pa.field("score", pa.float64(), metadata={"description": "Within a match kind: higher is closer"}),
    ]
)
