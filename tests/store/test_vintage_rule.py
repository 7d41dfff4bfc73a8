"""One vintage rule (issue #23): on random vintage histories, the Arrow functions of store/vintage.py, the SQL macro
``selected_observations`` (through the statements that read it) and every reader built on them pick the releases
that a plain reading of the rule picks.

The rule, as the reference below reads it: a release is known on D when it was published on or before D; the
current release of a period on D is its latest known release (``initial``: its first release, if known); a release
is the latest known from its published date to the day before the next release of its period (9999-12-31 while it
is the latest). Histories have several indicators, regions and periods, several releases per period, ties in
published dates across periods, releases that arrive (are recorded) before earlier-published ones, and withdrawn
(null) values; dates are drawn around the published dates, so a comparison off by one day shows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.ingest.load import ingest
from service.model.period import parse_canonical
from service.model.schema import OBSERVATIONS
from service.model.sdmx import sdmx_id
from service.query.compare import Figure, compare, figures, latest_period, periods_between
from service.query.rankings import members, rankings
from service.query.sdmx import DataQuery, SdmxNoResults, select
from service.query.series import ObservationsQuery, SeriesQuery, Vintage, export, from_frames, observations, series
from service.store import vintage
from service.store.frames import SERIES_COLUMNS
from service.store.lake import Lake
from service.store.snapshot import Snapshot, open_snapshot
from service.store.statements import run, statement
from service.store.stores import lake_at
from tests.helpers import csv_bytes, seeded_copy

FOREVER = date(9999, 12, 31)
DAY = timedelta(days=1)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
Key = tuple[str, str, str]  # indicator, region, period
Id = tuple[str, str, str, date]  # ... and published


@dataclass(frozen=True)
class Release:
    indicator: str
    region: str
    period: str
    period_end: date
    published: date
    value: float | None
    batch: int  # the order of arrival: a later batch is recorded later, whatever its published date

    @property
    def key(self) -> Key:
        return (self.indicator, self.region, self.period)

    @property
    def id(self) -> Id:
        return (*self.key, self.published)


# The reference: the rule read plainly, one release at a time.


def known(history: Iterable[Release], as_of: date | None) -> list[Release]:
    return [r for r in history if as_of is None or r.published <= as_of]


def current(history: Iterable[Release], as_of: date | None, initial: bool = False) -> dict[Key, Release]:
    """Each period's release current on ``as_of``: its latest known (``initial``: its first, if known)."""
    out: dict[Key, Release] = {}
    for r in sorted(known(history, as_of), key=lambda r: r.published, reverse=not initial):
        out.setdefault(r.key, r)
    return out


def intervals(history: list[Release], as_of: date | None, start: date | None = None, end: date | None = None):
    """Release → (first day, last day) on which it was the current release, as known on ``as_of``, between
    ``start`` and ``end``: found by asking ``current`` on every day where the answer can change."""
    lo, hi = start or date.min, end or FOREVER
    days = {lo, hi} | {r.published for r in history} | {r.published - DAY for r in history if r.published > date.min}
    out: dict[Id, tuple[date, date]] = {}
    for d in sorted(d for d in days if lo <= d <= hi):
        for r in current(history, d if as_of is None else min(d, as_of)).values():
            since, until = out.get(r.id, (d, d))
            out[r.id] = (min(since, d), max(until, d))
    return out


def expected(history: list[Release], as_of: date | None, initial: bool, every: bool) -> dict[Id, Release]:
    chosen = known(history, as_of) if every else current(history, as_of, initial).values()
    return {r.id: r for r in chosen}


# Random histories.

QUARTER_ENDS = [date(2021, 12, 31), date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30)]
BASE = date(2022, 4, 1)
near = st.integers(-3, 40).map(lambda n: BASE + timedelta(days=n))  # few days: many ties, many same-day as_of


def releases(
    indicators: list[str], regions: list[str], ends: st.SearchStrategy[date], published: st.SearchStrategy[date]
):
    one = st.builds(
        lambda i, r, e, p, v, b: Release(i, r, e.isoformat(), e, p, v, b),
        st.sampled_from(indicators),
        st.sampled_from(regions),
        ends,
        published,
        st.one_of(st.none(), st.integers(0, 9).map(float)),
        st.integers(0, 2),
    )
    return st.lists(one, max_size=40, unique_by=lambda r: r.id)


def dates_around(history: list[Release]) -> st.SearchStrategy[date | None]:
    """None, a day of the range, or a published date give or take a day."""
    pubs = sorted({r.published for r in history})
    around = st.nothing()
    if pubs:
        around = st.tuples(st.sampled_from(pubs), st.sampled_from([-1, 0, 1])).map(
            lambda t: t[0] + t[1] * DAY if date.min < t[0] < date.max else t[0]
        )
    return st.one_of(st.none(), near, around, around)


def as_table(history: list[Release]) -> pa.Table:
    """The releases as the lake stores them: in (indicator, region, period_end, published) order."""
    rows = [
        {
            "indicator": r.indicator,
            "region": r.region,
            "period": r.period,
            "period_start": r.period_end,
            "period_end": r.period_end,
            "value": r.value,
            "status": "A" if r.value is not None else "E",
            "published": r.published,
            "recorded_at": T0 + timedelta(hours=r.batch),
        }
        for r in sorted(history, key=lambda r: (r.indicator, r.region, r.period_end, r.published))
    ]
    return pa.Table.from_pylist(rows, schema=OBSERVATIONS)


def series_of(table: pa.Table) -> dict[tuple[str, str], pa.Table]:
    """Each series' rows as a frame holds them (no indicator or region column)."""
    out = {}
    for i, r in {(i, r) for i, r in zip(table["indicator"].to_pylist(), table["region"].to_pylist(), strict=True)}:
        mask = [
            a == i and b == r for a, b in zip(table["indicator"].to_pylist(), table["region"].to_pylist(), strict=True)
        ]
        out[(i, r)] = table.filter(pa.array(mask)).select(SERIES_COLUMNS)
    return out


def ids(rows: pa.Table, indicator: str, region: str) -> list[Id]:
    return [
        (indicator, region, p, d)
        for p, d in zip(rows["period"].to_pylist(), rows["published"].to_pylist(), strict=True)
    ]


def spans(rows: pa.Table) -> list[tuple[date, date]]:
    return list(zip(rows["realtime_start"].to_pylist(), rows["realtime_end"].to_pylist(), strict=True))


def in_order(chosen: Iterable[Release]) -> list[Release]:
    return sorted(chosen, key=lambda r: (r.indicator, r.region, r.period_end, r.published))


MODES = [(False, False), (True, False), (False, True)]  # (initial, every): latest, first, all releases


# The Arrow functions and the SQL macro against the reference: many histories, cheap.


def check_arrow(history: list[Release], table: pa.Table, as_of: date | None) -> None:
    series = series_of(table)
    for initial, every in MODES:
        got = [
            i
            for (ind, reg), rows in sorted(series.items())
            for i in ids(vintage.pick(rows, as_of, initial, every), ind, reg)
        ]
        assert got == [r.id for r in in_order(expected(history, as_of, initial, every).values())], (initial, every)
    latest = current(history, as_of)
    ends = sorted({r.period_end for r in history} | {date(2022, 1, 1)})  # and a period no series has
    for (ind, reg), rows in series.items():
        for end, at in zip(ends, vintage.find(rows, np.array(ends, "datetime64[D]"), as_of).tolist(), strict=True):
            want = [r.id for r in latest.values() if (r.indicator, r.region, r.period_end) == (ind, reg, end)]
            assert ([] if at < 0 else ids(rows.slice(at, 1), ind, reg)) == want, (ind, reg, end)


def check_realtime(
    history: list[Release], table: pa.Table, as_of: date | None, start: date | None, end: date | None
) -> None:
    want = intervals(history, as_of, start, end)
    got: dict[Id, tuple[date, date]] = {}
    for (ind, reg), rows in series_of(table).items():  # one series at a time, as the frames give them
        out = vintage.realtime(vintage.pick(rows, as_of, every=True), start, end)
        got.update(zip(ids(out, ind, reg), spans(out), strict=True))
    assert got == want
    long = vintage.realtime(vintage.known(table, as_of), start, end)  # a long table: series told apart by key
    got = dict(
        zip(
            [
                (*k, d)
                for *k, d in zip(
                    long["indicator"].to_pylist(),
                    long["region"].to_pylist(),
                    long["period"].to_pylist(),
                    long["published"].to_pylist(),
                    strict=True,
                )
            ],
            spans(long),
            strict=True,
        )
    )
    assert got == want


def check_sql(
    con: duckdb.DuckDBPyConnection,
    history: list[Release],
    as_of: date | None,
    window: tuple[date | None, date | None],
    after: int | None,
) -> None:
    start, end = window
    updated_after = None if after is None else T0 + timedelta(hours=after)
    for initial, every in MODES:
        out = run(
            con,
            "observations_realtime" if every else "observations",
            indicators=[],
            regions=[],
            as_of=as_of,
            start=start,
            end=end,
            initial=initial,
            all_vintages=every,
            updated_after=updated_after,
            limit=None,
            offset=0,
        )
        want = [
            r
            for r in in_order(expected(history, as_of, initial, every).values())
            if (start is None or r.period_end >= start)
            and (end is None or r.period_end <= end)
            and (after is None or r.batch > after)
        ]
        got = list(
            zip(
                out["indicator"].to_pylist(),
                out["region"].to_pylist(),
                out["period"].to_pylist(),
                out["published"].to_pylist(),
                strict=True,
            )
        )
        assert got == [r.id for r in want], (initial, every)
        assert out["value"].to_pylist() == [r.value for r in want]
        if every:  # the intervals of every release known on as_of, whatever updated_after and the window leave
            spans_of = intervals(history, as_of)
            assert spans(out) == [spans_of[r.id] for r in want]


windows = st.tuples(st.none() | st.sampled_from(QUARTER_ENDS), st.none() | st.sampled_from(QUARTER_ENDS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_arrow_and_sql_pick_what_the_rule_picks(data: st.DataObject) -> None:
    ends = st.one_of(st.sampled_from(QUARTER_ENDS), st.sampled_from(QUARTER_ENDS), st.dates())
    history = data.draw(releases(["a", "b.c"], ["r1", "r2"], ends, st.one_of(near, near, near, st.dates())))
    table = as_table(history)
    con = duckdb.connect()
    con.register("observations", table)
    con.execute(statement("macros"))
    for _ in range(3):
        as_of = data.draw(dates_around(history), label="as_of")
        check_arrow(history, table, as_of)
        start, end = data.draw(st.tuples(st.none() | near, st.none() | near), label="realtime range")
        if start and end and start > end:  # refused by the API (deps.get_vintage)
            start, end = end, start
        check_realtime(history, table, as_of, start, end)
        check_sql(
            con,
            history,
            as_of,
            data.draw(windows, label="window"),
            data.draw(st.none() | st.integers(0, 2), label="after"),
        )


# Every reader, through its real code path over a real lake: fewer histories (each is ingested, batch by batch).

KIDS = ["430100", "430200", "430300"]  # Hunan's prefectures (14 in all: the rest have no data)
REGIONS = [*KIDS, "430000", "CN"]  # and their ancestors
PERIODS = ["2022-Q3", "2022-Q4", "2023-Q1"]
ENDS = {p: parse_canonical(p).end_date() for p in PERIODS}
INDICATORS = "code,name,unit,kind,frequency,accumulation,rank_of,rank_among,topic\n"
codes = itertools.count()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return lake_at(seeded_copy(tmp_path_factory.mktemp("vintage") / "lake"))


def lake_history(code: str) -> st.SearchStrategy[list[Release]]:
    """Releases of a growth rate (``code``) and of its reported rank (``code``_rank), published in early 2023."""
    published = st.integers(0, 30).map(lambda n: date(2023, 1, 1) + timedelta(days=n))
    one = st.builds(
        lambda i, r, p, d, v, b: Release(i, r, p, ENDS[p], d, v, b),
        st.sampled_from([code, f"{code}_rank"]),
        st.sampled_from(REGIONS),
        st.sampled_from(PERIODS),
        published,
        st.one_of(st.none(), st.integers(1, 9).map(float)),
        st.integers(0, 2),
    )
    return st.lists(one, min_size=1, max_size=30, unique_by=lambda r: r.id)


def load(lake: Lake, code: str, history: list[Release]) -> list[datetime]:
    """Ingest the history in its order of arrival (one commit per batch); the time before each batch."""
    catalog = (
        INDICATORS + f"{code},V,percent,growth,Q,period,,,test\n{code}_rank,R,rank,rank,Q,period,{code},siblings,test\n"
    )
    marks = []
    for b in range(3):
        files = [("indicators.csv", catalog.encode())] if b == 0 else []
        rows = [
            [
                r.indicator,
                r.region,
                r.period,
                "" if r.value is None else r.value,
                "" if r.value is not None else "E",
                r.published,
                "",
                "",
                "",
            ]
            for r in history
            if r.batch == b
        ]
        if rows:
            files.append((f"batch{b}.csv", csv_bytes(rows)))
        marks.append(datetime.now(UTC))
        if files:
            ingest(lake, files)
    return marks


def check_series(snap: Snapshot, code: str, history: list[Release], as_of: date | None) -> None:
    for initial, every in MODES:
        want = in_order(expected(history, as_of, initial, every).values())
        for region in REGIONS:
            q = SeriesQuery(Vintage(as_of=as_of, initial=initial, all=every))
            out = series(snap, snap.indicators[code], region, q)
            mine = [r for r in want if r.key[:2] == (code, region)]
            assert ids(out, code, region) == [r.id for r in mine], (region, initial, every)
            assert out["value"].to_pylist() == [r.value for r in mine]
            if every:
                assert spans(out) == [intervals(history, as_of)[r.id] for r in mine]


def long_ids(out: pa.Table) -> list[Id]:
    columns = [out[c].to_pylist() for c in ("indicator", "region", "period", "published")]
    return list(zip(*columns, strict=True))


def check_observations(
    snap: Snapshot, code: str, history: list[Release], as_of: date | None, marks: list[datetime]
) -> None:
    """The frames (a few named series) and DuckDB (every region) paths, pages, and the streamed export."""
    spans_of = intervals(history, as_of)
    for (initial, every), after in itertools.product(MODES, [None, 1, 2]):
        v = Vintage(as_of=as_of, initial=initial, all=every, updated_after=None if after is None else marks[after])
        chosen = expected(history, as_of, initial, every).values()
        want = [r for r in in_order(chosen) if r.indicator == code and (after is None or r.batch >= after)]
        for regions in (REGIONS, []):
            q = ObservationsQuery([code], regions, v, limit=None)
            assert from_frames(q) == bool(regions)
            out, total = observations(snap, q, 0)
            assert long_ids(out) == [r.id for r in want] and total == len(want), (regions, initial, every, after)
            assert out["value"].to_pylist() == [r.value for r in want]
            if every:
                assert spans(out) == [spans_of[r.id] for r in want]
            page, _ = observations(snap, replace(q, limit=2), 1)
            assert page.equals(out.slice(1, 2))
        assert long_ids(export(snap, q).read_all()) == [r.id for r in want]


def figure(fig: Figure | dict[str, Any]) -> tuple[date | None, float | None]:
    return (fig.published, fig.value) if isinstance(fig, Figure) else (fig["published"], fig["value"])


def release(latest: dict[Key, Release], key: Key) -> tuple[date | None, float | None]:
    r = latest.get(key)
    return (None, None) if r is None else (r.published, r.value)


def check_figures(snap: Snapshot, code: str, history: list[Release], as_of: date | None) -> None:
    """Figures, comparisons and what periods there are: the latest release as of the date."""
    latest = current(history, as_of)
    for (region, p), fig in figures(snap, code, REGIONS, PERIODS, as_of).items():
        assert figure(fig) == release(latest, (code, region, p)), (region, p)
    doc, _ = compare(snap, snap.indicators[code], snap.regions[KIDS[0]], PERIODS, as_of)
    for block in doc["periods"]:
        p = block["period"]
        assert figure(block) == release(latest, (code, KIDS[0], p))
        assert [figure(a) for a in block["against"]] == [release(latest, (code, a, p)) for a in ("430000", "CN")]
        rank = latest.get((f"{code}_rank", KIDS[0], p))
        reported = block["rank"] and block["rank"]["reported"]
        assert (reported and reported["rank"]) == (None if rank is None or rank.value is None else int(rank.value))
    have = [r for r in latest.values() if r.indicator == code and r.value is not None]
    last = max(have, key=lambda r: (r.period_end, r.period)).period if have else None
    assert latest_period(snap, code, REGIONS, as_of) == last
    for region in REGIONS:
        mine = sorted(r.period_end for r in latest.values() if r.key[:2] == (code, region))
        assert periods_between(snap, code, region, None, None, as_of) == [
            e and next(p for p in PERIODS if ENDS[p] == e) for e in mine
        ]


def check_rankings(snap: Snapshot, code: str, history: list[Release], as_of: date | None) -> None:
    latest = current(history, as_of)
    parent = snap.regions["430000"]
    kids = members(snap, parent, None)
    for p in PERIODS:
        meta, made = rankings(snap, snap.indicators[code], parent, kids, p, True, as_of)
        assert figure(meta["parent"]) == release(latest, (code, "430000", p))
        for row in made.table().to_pylist():
            assert figure(row) == release(latest, (code, row["region"], p)), (p, row["region"])
            rank = latest.get((f"{code}_rank", row["region"], p))
            assert row["reported_rank"] == (None if rank is None or rank.value is None else int(rank.value))


def check_sdmx(snap: Snapshot, code: str, history: list[Release]) -> None:
    """SDMX has no as-of date: the latest release, or with history every release."""
    for every in (False, True):
        want = [r.id for r in in_order(expected(history, None, False, every).values()) if r.indicator == code]
        query = DataQuery(key=f"Q.{'+'.join(REGIONS)}.{sdmx_id(code)}", history=every)
        try:
            got = [i for s in select(snap, query, 10**6) for i in ids(s.rows, code, s.region)]
        except SdmxNoResults:
            got = []
        assert got == want, every


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_reader_picks_what_the_rule_picks(lake: Lake, data: st.DataObject) -> None:
    code = f"vintage.h{next(codes)}"
    history = data.draw(lake_history(code), label="history")
    marks = load(lake, code, history)
    snap = open_snapshot(lake, lake.manifest())
    check_sdmx(snap, code, history)
    for _ in range(2):
        as_of = data.draw(dates_around(history), label="as_of")
        check_series(snap, code, history, as_of)
        check_observations(snap, code, history, as_of, marks)
        check_figures(snap, code, history, as_of)
        check_rankings(snap, code, history, as_of)
