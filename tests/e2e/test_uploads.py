"""Real files through a real server with real clients: every upload reaches the application, whatever its size and
however the client splits the head from the body (the request-head limit once counted body bytes that arrived in
the same read as the headers, and refused uploads over 32 KiB with 431 at random).

Each client sends the same body with the same Idempotency-Key: the first commits (201), the others are replayed
(200 with `idempotency-replayed`), so every try reads the whole body and compares its digest without a new commit.
"""

from __future__ import annotations

import http.client
import io
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
import requests

from service.config import REPO_DATA
from service.store.stores import lake_at
from tests.e2e.test_protocol import exchange
from tests.helpers import seeded_copy
from tests.live import Live, live_server

MB = 1024 * 1024
TRIES = 20

Sender = Callable[[str, str, bytes, str, str], tuple[int, dict[str, str], bytes]]


def body_of(kind: str, size: int, published: str) -> bytes:
    """Observations of a monthly indicator for every region of the seed catalog, month after month from 1950, padded
    to about ``size`` bytes with a note (no two rows share a key)."""
    regions = pa.csv.read_csv(REPO_DATA / "regions.csv").column("code").to_pylist()
    pad = "统计" * 40  # non-ASCII, so byte counts are not character counts
    n = max(1, size // (90 + len(pad.encode())))
    i = np.arange(n)
    months = i // len(regions)
    table = pa.table(
        {
            "indicator": ["investment.signed_major_projects"] * n,
            "region": [regions[k] for k in (i % len(regions))],
            "period": [f"{1950 + m // 12}-{m % 12 + 1:02d}" for m in months],
            "value": (i % 997).astype("float64"),
            "published": [published] * n,
            "note": [f"{pad} {k}" for k in range(n)],
        }
    )
    sink = io.BytesIO()
    if kind == "parquet":
        pq.write_table(table, sink, compression="none", use_dictionary=False)
    else:
        pa.csv.write_csv(table, sink)
    return sink.getvalue()


MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def via_httpx(url: str, key: str, body: bytes, media: str, ident: str) -> tuple[int, dict[str, str], bytes]:
    r = httpx.post(url, content=body, headers=_headers(key, media, ident), timeout=300)
    return r.status_code, dict(r.headers), r.content


def via_requests(url: str, key: str, body: bytes, media: str, ident: str) -> tuple[int, dict[str, str], bytes]:
    r = requests.post(url, data=body, headers=_headers(key, media, ident), timeout=300)
    return r.status_code, dict(r.headers), r.content


def via_http_client(url: str, key: str, body: bytes, media: str, ident: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    try:
        conn.request("POST", parts.path, body=body, headers=_headers(key, media, ident))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def via_curl(url: str, key: str, body: bytes, media: str, ident: str) -> tuple[int, dict[str, str], bytes]:
    with _tempfile(body) as path:
        args = ["curl", "-s", "-S", "-X", "POST", url, "--data-binary", f"@{path}", "-D", "-"]
        for name, value in _headers(key, media, ident).items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run(args, capture_output=True, timeout=300, check=True).stdout
    head, _, payload = out.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):  # curl shows the interim answer to Expect: 100-continue first
        head, _, payload = payload.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, payload


def via_one_sendall(url: str, key: str, body: bytes, media: str, ident: str) -> tuple[int, dict[str, str], bytes]:
    """The head and the whole body in one write: the server's first read holds both."""
    parts = urlsplit(url)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in _headers(key, media, ident).items()) + "\r\n"
    answer = exchange(f"http://{parts.netloc}", head.encode() + body, read_timeout=300)
    status_line, _, rest = answer.partition(b"\r\n")
    raw_headers, _, payload = rest.partition(b"\r\n\r\n")
    headers = {
        k.strip().lower(): v.strip()
        for k, _, v in (line.partition(":") for line in raw_headers.decode("latin-1").split("\r\n"))
    }
    return int(status_line.split()[1]), headers, payload


CLIENTS: dict[str, Sender] = {
    "curl": via_curl,
    "http.client": via_http_client,
    "requests": via_requests,
    "httpx": via_httpx,
    "sendall": via_one_sendall,
}


def _headers(key: str, media: str, ident: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": media, "Idempotency-Key": ident}


class _tempfile:
    def __init__(self, data: bytes) -> None:
        import tempfile

        self.dir = Path(tempfile.mkdtemp())
        self.path = self.dir / "body"
        self.path.write_bytes(data)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def writable(seeded_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, str]]:
    lake = seeded_copy(tmp_path_factory.mktemp("uploads") / "lake")
    _, key = lake_at(lake).keys.create("bureau", "write")
    with live_server(lake, workers=2, YARDSTICK_MAX_BODY_MB="160") as live:
        yield live, key


def _upload_everywhere(writable: tuple[Live, str], kind: str, size: int, tries: int) -> None:
    live, key = writable
    published = f"2023-{1 + list(MEDIA).index(kind):02d}-{1 + len(str(size // MB)):02d}"  # one vintage per case
    body = body_of(kind, size, published)
    assert len(body) >= size * 0.9
    url = f"{live.base}/v1/observations"
    ident = f"{kind}-{size}"
    statuses: list[tuple[str, int]] = []
    first = True
    for name, send in CLIENTS.items():
        for _ in range(tries):
            status, headers, payload = send(url, key, body, MEDIA[kind], ident)
            assert status != 431, (name, payload[:300])
            assert status in (200, 201), (name, status, payload[:500])
            if first:
                assert status == 201, payload[:500]  # the first try commits the rows
                first = False
            else:
                assert headers.get("idempotency-replayed") == "true", (name, headers)
            statuses.append((name, status))
    assert len(statuses) == len(CLIENTS) * tries


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("size", [1 * MB, 10 * MB])
def test_uploads_reach_the_application_with_every_client(writable: tuple[Live, str], kind: str, size: int) -> None:
    _upload_everywhere(writable, kind, size, TRIES)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_100_mb_upload_reaches_the_application_with_every_client(writable: tuple[Live, str], kind: str) -> None:
    _upload_everywhere(writable, kind, 100 * MB, TRIES)


def test_pipelined_requests_whose_heads_add_up_past_the_limit_are_each_answered(writable: tuple[Live, str]) -> None:
    """Ten GETs with 6 KiB of headers each in one write: 60 KiB of heads on one connection, each under 32 KiB."""
    live, _ = writable
    parts = urlsplit(live.base)
    one = f"GET /v1/regions/430400 HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Pad: {'a' * 6000}\r\n\r\n".encode()
    last = f"GET /v1/regions/430000 HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
    answer = exchange(live.base, one * 10 + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 11, answer[:500]
    assert b" 431 " not in answer


def test_one_request_with_too_large_a_head_is_still_431_after_a_small_one(writable: tuple[Live, str]) -> None:
    """A small request, then one whose 40 KiB of headers arrive with it in one write: the second is refused."""
    live, _ = writable
    parts = urlsplit(live.base)
    small = f"GET /v1/regions/430400 HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    big = f"GET /v1/regions/430000 HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Pad: {'a' * 40000}\r\n\r\n".encode()
    answer = exchange(live.base, small + big)
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:300]
    assert b"HTTP/1.1 431 Request Header Fields Too Large" in answer
    assert b"application/problem+json" in answer
