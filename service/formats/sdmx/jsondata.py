"""SDMX-JSON data message 1.0: series grouped by key, observations by time, attribute values by position."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from service.formats.sdmx.data import OBS_ATTRIBUTES, SERIES_ATTRIBUTES, DataMessage, observations, series_attributes
from service.model.sdmx import AGENCY, COMPONENTS, DIMENSIONS
from service.query.sdmx import Series


class _Values:
    """Each attribute's values in order of first use: an observation names a value by its position."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, int]] = {a: {} for a in SERIES_ATTRIBUTES + OBS_ATTRIBUTES}

    def index(self, attr: str, value: str | None) -> int | None:
        return None if value is None else self.seen[attr].setdefault(value, len(self.seen[attr]))

    def structure(self, attrs: list[str]) -> list[dict[str, Any]]:
        return [
            {"id": a, "name": COMPONENTS[a][0], "values": [{"id": v, "name": v} for v in self.seen[a]]} for a in attrs
        ]


def sdmx_json(m: DataMessage) -> bytes:
    series = m.series
    dim_values: list[list[str]] = [list(dict.fromkeys(s.key[k] for s in series)) for k in range(len(DIMENSIONS))]
    periods = sorted({p for s in series for p in s.rows.column("period").to_pylist()})
    p_index = {p: k for k, p in enumerate(periods)}
    values = _Values()
    out_series: dict[str, Any] = {}
    for s in series:
        key = ":".join(str(dim_values[k].index(v)) for k, v in enumerate(s.key))
        out_series[key] = _series(s, m, p_index, values)
    names = m.names()
    body = {
        "header": {
            "id": f"IREF{uuid.uuid4().hex[:16].upper()}",
            "test": False,
            "prepared": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sender": {"id": AGENCY},
        },
        "dataSets": [{"action": "Information", "series": out_series}],
        "structure": {
            "name": "Regional economic indicators",
            "dimensions": {
                "dataSet": [],
                "series": [_dimension(d, k, dim_values[k], names) for k, d in enumerate(DIMENSIONS)],
                "observation": [_time(periods)],
            },
            "attributes": {
                "dataSet": [],
                "series": values.structure(SERIES_ATTRIBUTES),
                "observation": values.structure(OBS_ATTRIBUTES),
            },
        },
    }
    return orjson.dumps(body)


def _series(s: Series, m: DataMessage, p_index: dict[str, int], values: _Values) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if m.detail.series_attributes:
        sa = series_attributes(s)
        entry["attributes"] = [values.index(a, sa[a]) for a in SERIES_ATTRIBUTES]
    if m.detail.observations:
        shown = m.detail.observation_attributes
        entry["observations"] = {
            str(p_index[period]): [value] + ([values.index(a, attrs.get(a)) for a in OBS_ATTRIBUTES] if shown else [])
            for period, value, attrs in observations(s)
        }
    return entry


def _dimension(ident: str, position: int, ids: list[str], names: dict[str, dict[str, str]]) -> dict[str, Any]:
    shown = [{"id": v, "name": names.get(ident, {}).get(v, v)} for v in ids]
    return {"id": ident, "name": COMPONENTS[ident][0], "keyPosition": position, "values": shown}


def _time(periods: list[str]) -> dict[str, Any]:
    return {
        "id": "TIME_PERIOD",
        "name": COMPONENTS["TIME_PERIOD"][0],
        "role": "time",
        "keyPosition": len(DIMENSIONS),
        "values": [{"id": p, "name": p} for p in periods],
    }
