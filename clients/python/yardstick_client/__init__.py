"""A Python client for a Yardstick API: DataFrames out, Parquet files down, CSV/Parquet files up.

    >>> from yardstick_client import Client
    >>> yc = Client("http://127.0.0.1:8000")
    >>> yc.series("industry.value_added.growth", "430400")          # a DataFrame; df.attrs holds the document
    >>> yc.get_series("industry.value_added.growth", "430400")      # a pd.Series indexed by period, as fredapi's
    >>> yc.observations("industry.value_added.growth", ["430400", "430000", "CN"], wide=True)  # periods x regions
    >>> yc.download("observations", "observations.parquet")          # resumable, sha256-checked

Errors are raised as ``YardstickError`` carrying the server's RFC 9457 problem document; 429 and 503 answers are
retried after their ``Retry-After``; repeated GETs revalidate with ETags.
"""

from __future__ import annotations

import calendar
import hashlib
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from yardstick_client import frames
from yardstick_client.frames import columns_for, frame

__all__ = ["Client", "YardstickError"]
__version__ = "0.1.0"


class YardstickError(Exception):
    """An error answer: ``status`` and the problem document (``title``, ``detail``, ``errors``...)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(f"{status} {problem.get('title', 'error')}: {problem.get('detail', '')}")


class Client:
    """One Yardstick service. ``api_key`` is sent as a Bearer token (needed for writes and private data)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        as_polars: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"user-agent": f"yardstick-client/{__version__}"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)
        self.retries = retries
        self.as_polars = as_polars
        self._etags: dict[str, tuple[str, httpx.Response]] = {}  # URL -> (ETag, the answer it names)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- HTTP ----------------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with retries on 429/503 (after Retry-After, at most ``retries`` times) and on connection
        errors; error answers raise YardstickError."""
        for attempt in range(self.retries + 1):
            try:
                r = self.http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                time.sleep(min(2**attempt * 0.2, 5))
                continue
            if r.status_code in (429, 503) and attempt < self.retries:
                time.sleep(_retry_after(r, attempt))
                continue
            if r.status_code >= 400:
                raise YardstickError(r.status_code, _problem(r))
            return r
        raise AssertionError("unreachable")

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document, revalidating a copy seen before with If-None-Match (a 304 reuses it)."""
        url = str(self.http.build_request("GET", path, params=_params(params) or None).url)  # {} would drop a query
        seen = self._etags.get(url)
        headers = {"if-none-match": seen[0]} if seen else {}
        r = self.request("GET", url, headers=headers)
        if r.status_code == 304 and seen is not None:
            r = seen[1]
        elif r.headers.get("etag"):
            self._etags[url] = (r.headers["etag"], r)
        return r.json()

    # ---- reads ---------------------------------------------------------------------------------------------------

    def series(self, indicator: str, region: str, **params: Any) -> Any:
        """One series (``vintages``, ``as_of``, ``start``, ``end``, ``units``... as the API takes them)."""
        df, doc = self._series(indicator, region, params)
        return self._out(df, doc)

    def get_series(self, indicator: str, region: str, start: Any = None, end: Any = None, **params: Any) -> pd.Series:
        """One series as a float ``pandas.Series`` indexed by period (fredapi's ``get_series``), named
        ``"<indicator>/<region>"``; ``attrs`` holds the document (``indicator``, ``region``, ``unit``, ``units``,
        ``snapshot``) and the ``sources`` of its values. ``start`` and ``end`` take period labels or dates (as
        ``observations``), the other keywords are the API's (``as_of``, ``units``...). Always pandas, even with
        ``as_polars``; every release of a period (``vintages="all"``) is ``series()``'s."""
        df, doc = self._series(indicator, region, {"start": start, "end": end, **params})
        return frames.series(df, doc, f"{indicator}/{region}")

    def _series(self, indicator: str, region: str, params: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
        doc = self.get_json(f"/v1/series/{indicator}/{region}", params)
        rows = doc.pop("observations")
        return frame(rows, columns_for(params)[2:]), doc  # a series' rows: no indicator and region

    def observations(
        self, indicator: str | list[str], region: str | list[str] | None = None, *, wide: bool = False, **params: Any
    ) -> Any:
        """Many series as one long table; every page is fetched (following ``next``). Each period is read at its
        own frequency (2022, 2022-Q3, 2022-09 are what the rows say); ``start`` and ``end`` also take dates
        (``datetime.date``, ``pd.Timestamp``): the periods that end on or after ``start`` and on or before
        ``end``.

        ``wide=True`` asks the server for ``shape=wide`` (one indicator's regions, or one region's indicators, side
        by side; anything wider is the server's 400): one row per period, indexed by period in the server's order,
        and one float column per region or indicator code, in the order asked (NaN where a series has no value);
        ``attrs`` holds the document (``columns_are``, ``columns`` with their names, ``unit``). With ``as_polars``
        the periods are a ``period`` column of labels."""
        query = {"indicator": _join(indicator), "region": _join(region), **params}
        if wide:
            answer = self.get_json("/v1/observations", {**query, "shape": "wide"})
            table = frames.wide(answer)  # takes the rows out of the answer: the rest is the document
            return self._out(table.reset_index() if self.as_polars else table, answer)
        doc: dict[str, Any] = {}
        rows = self._pages("/v1/observations", "observations", {"limit": 10_000, **query}, doc)
        return self._out(frame(rows, columns_for(params)), doc)

    def compare(self, indicator: str, region: str, **params: Any) -> Any:
        """The region beside its ancestors, one row per region and period (``role``: region or ancestor)."""
        doc = self.get_json(f"/v1/compare/{indicator}/{region}", params)
        rows = []
        for p in doc.pop("periods"):
            against = p.pop("against", [])
            rows.append({**p, "role": "region"})
            rows += [{**a, "period": p["period"], "role": "ancestor"} for a in against]
        return self._out(frame(rows), doc)

    def rankings(self, indicator: str, parent: str, **params: Any) -> Any:
        doc = self.get_json(f"/v1/rankings/{indicator}", {"parent": parent, **params})
        rows = [{**r, "period": doc["period"]} for r in doc.pop("rankings")]
        df = frame(rows)
        for column in ("rank", "reported_rank"):
            if column in df:
                df[column] = df[column].astype("Int64")
        return self._out(df, doc)

    def search(self, q: str, **params: Any) -> Any:
        doc = self.get_json("/v1/search", {"q": q, **params})
        key = next(k for k, v in doc.items() if isinstance(v, list))
        return self._out(pd.DataFrame(doc.pop(key)), doc)

    def regions(self, **params: Any) -> Any:
        return self._listing("/v1/regions", "regions", params)

    def indicators(self, **params: Any) -> Any:
        return self._listing("/v1/indicators", "indicators", params)

    def snapshots(self) -> Any:
        return self._listing("/v1/snapshots", "snapshots", {})

    def _listing(self, path: str, key: str, params: dict[str, Any]) -> Any:
        doc: dict[str, Any] = {}
        return self._out(pd.DataFrame(self._pages(path, key, params, doc)), doc)

    def _pages(self, path: str, key: str, params: dict[str, Any], doc: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row of a paged listing (following ``next``); ``doc`` gets the first page's document."""
        doc.update(self.get_json(path, params))
        rows: list[dict[str, Any]] = doc.pop(key)
        while doc.get("next"):
            page = self.get_json(doc["next"])
            rows += page[key]
            doc["next"] = page.get("next")
        return rows

    def _out(self, df: pd.DataFrame, doc: dict[str, Any]) -> Any:
        df.attrs.update(doc)
        if not self.as_polars:
            return df
        import polars as pl

        plain = df.copy()
        for column in plain:
            dtype = plain[column].dtype
            if isinstance(dtype, pd.PeriodDtype) or column == "period":
                plain[column] = plain[column].astype(str)  # polars has no period type: the label
            elif isinstance(dtype, pd.DatetimeTZDtype):
                plain[column] = plain[column].dt.tz_convert(None)  # UTC, naive
        out = pl.from_pandas(plain)
        return out

    # ---- bulk files and writes -----------------------------------------------------------------------------------

    def download(
        self,
        name: str,
        path: str | Path,
        *,
        snapshot: str = "latest",
        progress: bool | Callable[[int, int], None] = True,
    ) -> Path:
        """Download a bulk Parquet file (``observations``, ``regions``, ``indicators``, ``sources``, or
        ``observations/<indicator>``) to ``path``: resumed by Range from a partial ``path.part``, checked against
        the manifest's sha256, moved into place only when whole."""
        manifest = self.get_json("/v1/bulk")
        entry = next((f for f in manifest["files"] if f["name"] == name), None)
        if entry is None:
            names = ", ".join(f["name"] for f in manifest["files"][:8])
            raise YardstickError(404, {"title": "Not found", "detail": f"no bulk file {name!r} (have {names}, …)"})
        sid = manifest["snapshot"] if snapshot == "latest" else snapshot
        url = f"/v1/bulk/{sid}/{name}.parquet"
        target = Path(path)
        part = target.with_name(target.name + ".part")
        if part.exists() and part.stat().st_size > entry["bytes"]:
            part.unlink()  # not a prefix of this file
        report = _progress(progress, entry["bytes"], name)
        for attempt in range(6):  # resumed after a dropped connection, at most 5 times
            start = part.stat().st_size if part.exists() else 0
            headers = {"range": f"bytes={start}-", "if-range": f'"{entry["sha256"][:32]}"'} if start else {}
            try:
                self._fetch(url, headers, part, start, report)
                break
            except httpx.TransportError:
                if attempt == 5:
                    raise
        digest = _sha256(part)
        if digest != entry["sha256"]:
            part.unlink()
            raise YardstickError(
                502, {"title": "Checksum mismatch", "detail": f"{name}: sha256 {digest}, manifest {entry['sha256']}"}
            )
        part.replace(target)
        return target

    def _fetch(self, url: str, headers: dict[str, str], part: Path, start: int, report: Callable[[int], None]) -> None:
        with self.http.stream("GET", url, headers=headers) as r:
            if r.status_code >= 400:
                r.read()
                raise YardstickError(r.status_code, _problem(r))
            resumed = r.status_code == 206  # 200: the file changed or Range was ignored, so start over
            done = start if resumed else 0
            with open(part, "ab" if resumed else "wb") as out:
                for block in r.iter_bytes(1 << 20):
                    out.write(block)
                    done += len(block)
                    report(done)

    def upload(self, path: str | Path, *, kind: str = "observations", idempotency_key: str | None = None) -> Any:
        """Upload a CSV, JSON Lines or Parquet file of ``kind`` (observations, regions, indicators, sources); with
        ``idempotency_key`` a retried upload is applied once."""
        file = Path(path)
        data = file.read_bytes()
        media = {".csv": "text/csv", ".jsonl": "application/x-ndjson", ".parquet": "application/vnd.apache.parquet"}
        headers = {"content-type": media.get(file.suffix.lower(), "text/csv")}
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        return self.request("POST", f"/v1/{kind}", content=data, headers=headers).json()


def _bound(key: str, when: date) -> str:
    """A date as the month label that keeps the periods ending on or after it (start) or on or before it (end):
    every period ends on a month's last day."""
    year, month = when.year, when.month
    if key == "end" and when.day < calendar.monthrange(year, month)[1]:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return f"{year}-{month:02d}"


def _join(value: str | list[str] | None) -> str | None:
    return ",".join(value) if isinstance(value, list) else value


def _params(params: dict[str, Any] | None) -> dict[str, Any]:
    out = {}
    for k, v in (params or {}).items():
        if v is None:
            continue
        out[k] = _param(k, v)
    return out


def _param(key: str, value: Any) -> Any:
    """A parameter as the API reads it: booleans as true/false; dates as start/end month labels (see ``_bound``) or
    ISO 8601; pandas Periods as their label."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date) and key in ("start", "end"):
        return _bound(key, value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    return value


def _problem(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
        return body if isinstance(body, dict) else {"detail": str(body)}
    except ValueError:
        return {"title": r.reason_phrase, "detail": r.text[:500]}


def _retry_after(r: httpx.Response, attempt: int) -> float:
    try:
        seconds = float(str(r.headers.get("retry-after", "")))
        return min(seconds, 60.0)
    except ValueError:
        return min(0.5 * 2.0**attempt, 10.0)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _progress(progress: bool | Callable[[int, int], None], total: int, name: str) -> Callable[[int], None]:
    if callable(progress):
        return lambda done: progress(done, total)
    if not progress:
        return lambda done: None
    try:
        from tqdm import tqdm
    except ImportError:
        return lambda done: None
    bar = tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False)
    return lambda done: bar.update(done - bar.n)
