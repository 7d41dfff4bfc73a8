"""Property tests (hypothesis): period arithmetic and spans, FRED transforms against a pandas reference on random
series with gaps, and competition ranks with ties against pandas' rank(method="min")."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from service.model.period import MONTHS_PER_STEP, Period, bounds, parse, parse_canonical
from service.query.compare import competition_ranks
from service.query.transforms import TRANSFORMS, apply

freqs = st.sampled_from(["A", "Q", "M"])


@st.composite
def periods(draw: st.DrawFn) -> Period:
    freq = draw(freqs)
    return Period(draw(st.integers(1900, 2100)), freq, draw(st.integers(1, 12 // MONTHS_PER_STEP[freq])))


@given(periods(), st.integers(-300, 300), st.integers(-300, 300))
def test_shifts_add_up(p: Period, a: int, b: int) -> None:
    assert p.shift(a).shift(b) == p.shift(a + b)


@given(periods(), st.integers(1, 300))
def test_a_later_period_ends_later_and_periods_tile_the_calendar(p: Period, n: int) -> None:
    assert p.shift(n).end_date() > p.end_date()
    assert p.shift(1).start_date() == p.end_date() + timedelta(days=1)  # no gap, no overlap
    assert parse_canonical(p.label) == p


@given(periods())
def test_ytd_spans_run_from_january_and_chinese_labels_agree(p: Period) -> None:
    assert p.start_date("ytd") == date(p.year, 1, 1) and p.end_date() == bounds(p.label)[1]
    if p.freq == "M" and p.index >= 2:
        assert parse(f"{p.year}年1-{p.index}月", "M", "ytd") == p
    if p.freq == "Q":
        cn = "一二三四"[p.index - 1]
        assert parse(f"{p.year}年第{cn}季度", "Q") == p
        if p.index > 1:
            assert parse(f"{p.year}年前{cn}季度", "Q", "ytd") == p
            assert parse(f"{p.year}-01/P{p.index * 3}M", "Q", "ytd") == p


values = st.one_of(st.none(), st.floats(0.5, 1e6, allow_nan=False), st.sampled_from([0.0, -3.0]))


@given(freqs, st.lists(st.tuples(st.integers(0, 40), values), min_size=1, max_size=30, unique_by=lambda t: t[0]))
def test_fred_transforms_match_pandas(freq: str, points: list[tuple[int, float | None]]) -> None:
    first = Period(2000, freq, 1)  # type: ignore[arg-type]
    points.sort()
    ps = [first.shift(k) for k, _ in points]
    xs = [x for _, x in points]
    n = 12 // MONTHS_PER_STEP[freq]
    full = pd.Series([np.nan] * 41, dtype="float64")  # slot k is the period k steps after the first
    for k, x in points:
        full.iloc[k] = np.nan if x is None else x
    ref = {
        "chg": full - full.shift(1),
        "ch1": full - full.shift(n),
        "pch": (full / full.shift(1) - 1) * 100,
        "pc1": (full / full.shift(n) - 1) * 100,
        "log": np.log(full.where(full > 0)),
    }
    for code, expected in ref.items():
        got, _ = apply(TRANSFORMS[code], ps, xs, [p.start_date() for p in ps])
        for (k, _), value in zip(points, got, strict=True):
            want = expected.iloc[k]
            if value is None:
                assert not math.isfinite(want), (code, k, want)
            else:
                assert math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-9), (code, k, value, want)


@given(st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.sampled_from([1.0, 2.0, 2.5, 3.0, -1.0])))
def test_competition_ranks_are_pandas_min_ranks(values: dict[str, float]) -> None:
    for descending in (True, False):
        got = competition_ranks(values, descending)
        want = pd.Series(values, dtype="float64").rank(method="min", ascending=not descending)
        assert got == {k: int(v) for k, v in want.items()}
