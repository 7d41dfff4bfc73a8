"""Series transforms: FRED's ``units`` codes with FRED's formulas, plus ``from_ytd``, ``normalize`` and the
changes from the previous observation.

Pure functions over one series (periods in order, values). FRED's lags are by calendar period, never by position,
so a gap gives a null rather than a wrong comparison. For series with gaps by design (a census every 5 years),
``chg_prev`` and ``pch_prev`` compare each value with the previous observation that has one, whatever lies between.
Callers compute on the full series, then cut the window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from service.errors import bad_parameter
from service.model.catalog import Indicator
from service.model.period import MONTHS_PER_STEP, Period

Values = list[float | None]


@dataclass(frozen=True)
class Transform:
    code: str
    long_name: str
    title: str
    unit: str | None  # unit of the result; None keeps the indicator's unit
    levels_only: bool  # meaningless on rates, ranks and shares (percent changes, logs, indexes)


TRANSFORMS: dict[str, Transform] = {
    t.code: t
    for t in [
        Transform("lin", "levels", "Levels (no transformation)", None, False),
        Transform("chg", "change", "Change: x(t) - x(t-1)", None, False),
        Transform("ch1", "change_from_year_ago", "Change from a year ago: x(t) - x(t-n)", None, False),
        Transform("pch", "percent_change", "Percent change: (x(t)/x(t-1) - 1) * 100", "percent", True),
        Transform("pc1", "percent_change_from_year_ago", "Percent change from a year ago", "percent", True),
        Transform("pca", "compounded_annual_rate", "Compounded annual rate of change", "percent", True),
        Transform("cch", "continuously_compounded_change", "Continuously compounded rate of change", "percent", True),
        Transform("cca", "continuously_compounded_annual_rate", "Continuously compounded annual rate", "percent", True),
        Transform("log", "natural_log", "Natural log: ln(x(t))", "log", True),
        Transform("chg_prev", "change_from_previous_observation", "Change from the previous observation", None, False),
        Transform(
            "pch_prev",
            "percent_change_from_previous_observation",
            "Percent change from the previous observation",
            "percent",
            True,
        ),
        Transform("from_ytd", "period_values", "Single-period values from a year-to-date series", None, True),
        Transform("normalize", "index", "Index, base period = 100", "index", True),
    ]
}
ALIASES = {t.long_name: t.code for t in TRANSFORMS.values()} | {t.code: t.code for t in TRANSFORMS.values()}


def lookup(units: str, indicator: Indicator) -> Transform:
    """The transform named by ``units`` (FRED code or long name); 400 if unknown or meaningless here."""
    code = ALIASES.get(units)
    if code is None:
        raise bad_parameter("units", f"unknown units {units!r}", sorted(ALIASES))
    t = TRANSFORMS[code]
    if code == "lin":
        return t
    if indicator.kind == "rank":
        raise bad_parameter("units", f"{indicator.code} is a rank: only units=lin applies")
    if t.levels_only and indicator.kind not in ("level", "count"):
        raise bad_parameter(
            "units",
            f"units={units} needs a level or count series; {indicator.code} is a {indicator.kind} "
            f"in {indicator.unit} (compare rates with chg or ch1, in percentage points)",
        )
    if code == "from_ytd" and indicator.accumulation != "ytd":
        raise bad_parameter(
            "units", f"units=from_ytd needs a year-to-date series; {indicator.code} already holds single-period values"
        )
    return t


def per_year(period: Period) -> int:
    return 12 // MONTHS_PER_STEP[period.freq]


def apply(
    t: Transform, periods: list[Period], values: Values, starts: list[date], base: Period | None = None
) -> tuple[Values, list[date]]:
    """Transform one series; returns the new values and period starts (from_ytd changes what a value covers)."""
    if t.code == "lin":
        return values, starts
    if t.code == "from_ytd":
        return _from_ytd(periods, values, starts)
    if t.code == "normalize":
        return _normalize(periods, values, base), starts
    if t.code in PREVIOUS:
        return _from_previous(PREVIOUS[t.code], values), starts
    by_period = dict(zip(periods, values, strict=True))
    lag_steps = 1 if t.code in ("chg", "pch", "pca", "cch", "cca") else None
    out: Values = []
    for p, x in zip(periods, values, strict=True):
        n = per_year(p)
        prev = by_period.get(p.shift(-(lag_steps or n))) if t.code != "log" else None
        out.append(_FORMULAS[t.code](x, prev, n))
    return out, starts


def _ok(*xs: float | None) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def _safe(f: Callable[[float, float, int], float]) -> Callable[[float | None, float | None, int], float | None]:
    def g(x: float | None, prev: float | None, n: int) -> float | None:
        if not _ok(x, prev):
            return None
        assert x is not None and prev is not None
        try:
            return f(x, prev, n)
        except (ZeroDivisionError, ValueError, OverflowError):
            return None

    return g


def _log(x: float | None, _prev: float | None, _n: int) -> float | None:
    return math.log(x) if x is not None and x > 0 else None


_FORMULAS: dict[str, Callable[[float | None, float | None, int], float | None]] = {
    "chg": _safe(lambda x, p, n: x - p),
    "ch1": _safe(lambda x, p, n: x - p),
    "pch": _safe(lambda x, p, n: (x / p - 1) * 100),
    "pc1": _safe(lambda x, p, n: (x / p - 1) * 100),
    "pca": _safe(lambda x, p, n: ((x / p) ** n - 1) * 100),
    "cch": _safe(lambda x, p, n: (math.log(x) - math.log(p)) * 100),
    "cca": _safe(lambda x, p, n: (math.log(x) - math.log(p)) * 100 * n),
    "log": _log,
}


PREVIOUS = {"chg_prev": "chg", "pch_prev": "pch"}  # the formula, applied to the previous observation with a value


def _from_previous(formula: str, values: Values) -> Values:
    out: Values = []
    last: float | None = None
    for x in values:
        out.append(_FORMULAS[formula](x, last, 1))
        if _ok(x):
            last = x
    return out


def _from_ytd(periods: list[Period], values: Values, starts: list[date]) -> tuple[Values, list[date]]:
    """x(t) - x(t-1) within a year; the first period of a year is itself. A monthly series that starts a year at
    February (1-2月 published together) keeps February's cumulative value, covering January and February."""
    by_period = dict(zip(periods, values, strict=True))
    out: Values = []
    new_starts: list[date] = []
    for p, x, start in zip(periods, values, starts, strict=True):
        prev_p = p.shift(-1)
        if p.index == 1:
            out.append(x)
            new_starts.append(start)
        elif prev_p in by_period:
            prev = by_period[prev_p]
            out.append(x - prev if _ok(x, prev) else None)  # type: ignore[operator]
            new_starts.append(date(p.year, p.end_month - MONTHS_PER_STEP[p.freq] + 1, 1))
        elif p.freq == "M" and p.index == 2:
            out.append(x)  # combined January-February
            new_starts.append(date(p.year, 1, 1))
        else:
            out.append(None)
            new_starts.append(date(p.year, p.end_month - MONTHS_PER_STEP[p.freq] + 1, 1))
    return out, new_starts


def _normalize(periods: list[Period], values: Values, base: Period | None) -> Values:
    if base is None:
        base_value = next((v for v in values if _ok(v) and v != 0), None)
    else:
        base_value = dict(zip(periods, values, strict=True)).get(base)
    if base_value is None or base_value == 0:
        raise bad_parameter("base", f"no usable value at the base period {base.label if base else '(first)'}")
    return [v / base_value * 100 if _ok(v) else None for v in values]  # type: ignore[operator]
