"""Period grammar: every accepted label form, spans, errors, and properties (parse ∘ label = id; shift inverses)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.model.period import Period, PeriodError, bounds, parse, parse_canonical

CASES = [
    ("2022", "A", "period", "2022"),
    ("2022-A1", "A", "period", "2022"),
    ("2022A1", "A", "period", "2022"),
    ("2022年", "A", "period", "2022"),
    ("2022-Q3", "Q", "period", "2022-Q3"),
    ("2022Q3", "Q", "period", "2022-Q3"),
    ("2022年第三季度", "Q", "period", "2022-Q3"),
    ("2022-09", "M", "period", "2022-09"),
    ("2022-M09", "M", "period", "2022-09"),
    ("2022M9", "M", "period", "2022-09"),
    ("2022年9月", "M", "period", "2022-09"),
    ("2022-09/P1M", "M", "period", "2022-09"),
    ("2022-07/P3M", "Q", "period", "2022-Q3"),
    ("2022-01/P1Y", "A", "period", "2022"),
    ("2022-01/P9M", "Q", "ytd", "2022-Q3"),
    ("2022-01/P9M", "M", "ytd", "2022-09"),
    ("2022年1-9月", "Q", "ytd", "2022-Q3"),
    ("2022年1—9月", "M", "ytd", "2022-09"),
    ("2022年前三季度", "Q", "ytd", "2022-Q3"),
    ("2022年前三季度", "M", "ytd", "2022-09"),
    ("2022年上半年", "Q", "ytd", "2022-Q2"),
    ("2022年1-2月", "M", "ytd", "2022-02"),
    ("2022-Q3", "M", "ytd", "2022-09"),
    ("2021年", "Q", "ytd", "2021-Q4"),
    # as statistical tables write them (issue 24)
    ("2023年1-3月份", "Q", "ytd", "2023-Q1"),
    ("2023年1－3月份", "M", "ytd", "2023-03"),
    ("２０２３年３月", "M", "period", "2023-03"),
    ("２０２３－Ｑ１", "Q", "period", "2023-Q1"),
    ("2023.03", "M", "period", "2023-03"),
    ("2023.12", "Q", "ytd", "2023-Q4"),
    ("2023年3月末", "M", "period", "2023-03"),
    ("2023年6月底", "Q", "ytd", "2023-Q2"),
    ("2023年末", "A", "period", "2023"),
    ("2023 年 3 月", "M", "period", "2023-03"),
]


@pytest.mark.parametrize(("text", "freq", "acc", "label"), CASES)
def test_accepted_forms(text: str, freq: str, acc: str, label: str) -> None:
    assert parse(text, freq, acc).label == label  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "freq", "acc", "message"),
    [
        ("2022-13", "M", "period", "unreadable"),
        ("2022-Q5", "Q", "period", "unreadable"),
        ("2022-00", "M", "period", "unreadable"),
        ("22Q3", "Q", "period", "unreadable"),
        ("", "A", "period", "unreadable"),
        ("2022-08", "Q", "ytd", "month 8"),
        ("2022年1-9月", "Q", "period", "do not form"),
        ("2022-Q3", "M", "period", "quarterly label"),
        ("2022", "Q", "period", "annual label"),
        ("2022-10/P6M", "Q", "ytd", "past the end"),
        ("2022-04/P6M", "Q", "ytd", "cumulative from January"),
    ],
)
def test_rejected_forms(text: str, freq: str, acc: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse(text, freq, acc)  # type: ignore[arg-type]


def test_spans_of_ytd_and_period() -> None:
    q3 = parse("2022-Q3", "Q", "ytd")
    assert (q3.start_date("ytd"), q3.end_date()) == (date(2022, 1, 1), date(2022, 9, 30))
    assert q3.start_date("period") == date(2022, 7, 1)
    m9 = parse("2022年1-9月", "M", "ytd")
    assert (m9.start_date("ytd"), m9.end_date()) == (q3.start_date("ytd"), q3.end_date())  # the same span
    feb = parse("2024-02", "M", "period")
    assert feb.end_date() == date(2024, 2, 29)


def test_bounds_for_query_filters() -> None:
    assert bounds("2022-Q3") == (date(2022, 7, 1), date(2022, 9, 30))
    assert bounds("2022") == (date(2022, 1, 1), date(2022, 12, 31))
    assert bounds("2022年1-9月") == (date(2022, 1, 1), date(2022, 9, 30))


periods = st.builds(
    lambda freq, year, i: Period(year, freq, i % {"A": 1, "Q": 4, "M": 12}[freq] + 1),
    st.sampled_from(["A", "Q", "M"]),
    st.integers(1900, 2100),
    st.integers(0, 11),
)


@given(periods)
def test_label_round_trips(p: Period) -> None:
    assert parse_canonical(p.label) == p
    assert parse(p.label, p.freq, "period") == p


@given(periods, st.integers(-500, 500))
def test_shift_is_invertible(p: Period, n: int) -> None:
    assert p.shift(n).shift(-n) == p
    assert (p.shift(n) > p) == (n > 0) or n == 0


@given(periods)
def test_shift_by_a_year_keeps_the_index(p: Period) -> None:
    per_year = {"A": 1, "Q": 4, "M": 12}[p.freq]
    assert p.shift(per_year) == Period(p.year + 1, p.freq, p.index)


def test_a_year_and_one_digit_after_a_dot_is_refused_as_ambiguous() -> None:
    with pytest.raises(PeriodError) as caught:
        parse("2023.1", "M")
    assert "'2023.1' is ambiguous: 2023.10 typed as a number loses its 0" in str(caught.value)
