"""Answers as pandas objects: long tables with periods as ``pandas.Period`` of the frequency their labels say, values
as floats, statuses as categories; wide tables indexed by period; one series as a ``pandas.Series``."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

PERIODS = {"Y": r"\d{4}", "Q": r"\d{4}-Q[1-4]", "M": r"\d{4}-(?:0[1-9]|1[0-2])"}  # canonical labels by pandas freq
COLUMNS = [  # a long table's columns (/v1/observations), so an empty answer has them too
    "indicator",
    "region",
    "period",
    "period_start",
    "period_end",
    "value",
    "status",
    "published",
    "source",
    "quote",
    "note",
    "recorded_at",
]
REALTIME = ["realtime_start", "realtime_end"]  # with every release (vintages=all, realtime_start/end)
STATUSES = ["A", "P", "E", "D"]  # official, provisional, estimated, derived


def columns_for(params: dict[str, Any]) -> list[str]:
    every = params.get("vintages") == "all" or any(params.get(k) for k in REALTIME)
    return COLUMNS + REALTIME if every else COLUMNS


def frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """Rows as a DataFrame (with ``columns`` when there are none): periods as pandas Periods of the frequency their
    label says, values float, status categorical, dates as datetimes."""
    df = pd.DataFrame(rows, columns=None if rows else columns)
    if "period" in df and len(df):
        df["period"] = pd.Series(periods(list(df["period"])), index=df.index)
    if "value" in df:
        df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    if "status" in df:
        df["status"] = pd.Categorical(df["status"], categories=STATUSES)
    for column in ("published", "period_start", "period_end", "recorded_at", "realtime_start", "realtime_end"):
        if column in df:
            df[column] = pd.to_datetime(df[column], utc=column == "recorded_at")
    return df


def period(label: str) -> pd.Period:
    """A canonical label (2022, 2022-Q3, 2022-09) as a pandas Period of the frequency it names; anything else is an
    error, never a guess."""
    freq = next((f for f, pattern in PERIODS.items() if re.fullmatch(pattern, label)), None)
    if freq is None:
        raise ValueError(f"period {label!r} is not 2022, 2022-Q3 or 2022-09: its frequency cannot be told")
    return pd.Period(label, freq=freq)


def periods(labels: list[str], name: str | None = None) -> pd.Index:
    """Labels as a PeriodIndex when they share one frequency, else an Index of Periods (2022 beside 2022-Q3)."""
    read = [period(label) for label in labels]
    if read and len({p.freqstr for p in read}) == 1:
        return pd.PeriodIndex(read, name=name)
    return pd.Index(read, name=name, dtype=object)


def wide(doc: dict[str, Any]) -> pd.DataFrame:
    """A shape=wide answer (its rows taken out of ``doc``) as a DataFrame: one row per period in the server's order
    (a PeriodIndex named ``period``), one float column per region or indicator code in the order the document lists
    them (the columns' name: ``region`` or ``indicator``, as ``columns_are`` says); a missing value is NaN."""
    rows = doc.pop("observations")
    codes = [str(column["code"]) for column in doc["columns"]]
    index = periods([row["period"] for row in rows], name="period")
    values = [[row.get(code) for code in codes] for row in rows]
    columns = pd.Index(codes, name=doc["columns_are"])
    return pd.DataFrame(values, index=index, columns=columns, dtype="float64")


def series(df: pd.DataFrame, doc: dict[str, Any], name: str) -> pd.Series:
    """One series' rows as a float Series indexed by period, called ``name``; ``attrs`` holds the document, its
    ``unit`` and the ``sources`` the values come from (ids, in period order, each once)."""
    if "realtime_start" in df or df["period"].duplicated().any():
        raise ValueError("a Series holds one value per period: use Client.series() for every release of a period")
    out = pd.Series(df["value"].to_numpy(), index=pd.Index(df["period"], name="period"), name=name, dtype="float64")
    sources = [s for s in dict.fromkeys(df["source"]) if isinstance(s, str)] if "source" in df else []
    out.attrs.update({**doc, "sources": sources})
    return out
