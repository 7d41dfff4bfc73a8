"""The server's edges against a real `yardstick serve` on 127.0.0.1: limits on the request head (431, 408), requests
the parser refuses (problem documents), forwarded headers believed only from trusted proxies, an unusable data
directory at start, and a full disk (507) on a real small filesystem."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.store.stores import lake_at
from tests.helpers import fingerprint, seeded_copy
from tests.live import live_server

pytestmark = pytest.mark.slow
VA = "industry.value_added.growth"


def exchange(base: str, raw: bytes, pause: float = 0.0, read_timeout: float = 20.0) -> bytes:
    """Send raw bytes (optionally in two halves with a pause) and read until the server closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as s:
        halves = [raw[: len(raw) // 2], raw[len(raw) // 2 :]] if pause else [raw]
        for i, part in enumerate(halves):
            if i:
                time.sleep(pause)
            with suppress(OSError):  # the server may have closed already
                s.sendall(part)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def status_and_problem(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower(), head
    return int(head.split(b" ", 2)[1]), orjson.loads(body)


@pytest.fixture(scope="module")
def server(seeded_lake: Path) -> Iterator[str]:
    env = {"YARDSTICK_HEADER_TIMEOUT_SECONDS": "1", "YARDSTICK_MAX_HEADER_KB": "8"}
    with live_server(seeded_lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0", **env) as live:
        yield live.base


def test_a_huge_header_is_431_before_it_is_read_whole(server: str) -> None:
    raw = b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (4 << 20)  # 4 MiB, never finished
    status, problem = status_and_problem(exchange(server, raw))
    assert status == 431 and "8 KiB" in str(problem["detail"])
    many = b"GET /v1/sources HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 100) for i in range(200))
    assert status_and_problem(exchange(server, many + b"\r\n"))[0] == 431
    assert httpx.get(f"{server}/v1/sources", headers={"x-fine": "c" * 4000}).status_code == 200


def test_a_slow_header_is_408_and_the_connection_closes(server: str) -> None:
    answer = exchange(server, b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n\r\n", pause=3)
    status, problem = status_and_problem(answer)  # the server answered and closed: it did not wait for the rest
    assert status == 408 and "1 s" in str(problem["detail"])
    assert httpx.get(f"{server}/healthz").status_code == 200  # the worker was never held


def test_raw_utf8_in_the_request_line_is_a_problem_document(server: str) -> None:
    raw = "GET /v1/search?q=衡阳 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    status, problem = status_and_problem(exchange(server, raw))
    assert status == 400 and "data-urlencode" in str(problem["detail"])
    assert httpx.get(f"{server}/v1/search", params={"q": "衡阳"}).json()["results"]


@pytest.mark.parametrize(("trusted", "separate"), [(None, False), ('["127.0.0.1"]', True)])
def test_forwarded_for_counts_only_from_trusted_proxies(seeded_lake: Path, trusted: str | None, separate: bool) -> None:
    env = {"YARDSTICK_RATE_LIMIT_PER_MINUTE": "2"}
    if trusted:
        env["YARDSTICK_TRUSTED_PROXIES"] = trusted
    with live_server(seeded_lake, **env) as live:
        codes = [
            httpx.get(f"{live.base}/v1/sources", headers={"x-forwarded-for": f"203.0.113.{i}"}).status_code
            for i in range(4)
        ]
    # untrusted: one client (the socket's peer) and its bucket of 2; trusted: four clients of one request each
    assert codes == ([200] * 4 if separate else [200, 200, 429, 429])


def test_an_unusable_data_directory_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    run = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(blocker / "lake"), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(blocker / "lake") in errors[0] and "Traceback" not in run.stderr


def test_an_unwritable_cache_folder_is_one_line_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    run = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(tmp_path / "lake"), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "YARDSTICK_CACHE_DIR": str(blocker / "cache")},
    )
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "YARDSTICK_CACHE_DIR" in errors[0] and str(blocker / "cache") in errors[0]
    assert "Traceback" not in run.stderr


@contextmanager
def small_filesystem(root: Path, size: str = "16m") -> Iterator[Path]:
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def fill(root: Path, leave: int) -> Path:
    """Fill the filesystem but ``leave`` bytes, with a new file."""
    filler = root / f"filler-{uuid.uuid4().hex[:8]}"
    stat = os.statvfs(root)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


def upload_body(rows: int = 4000) -> bytes:
    lines = [
        orjson.dumps(
            {
                "indicator": VA,
                "region": "430100",
                "period": f"{1900 + i // 4}-Q{i % 4 + 1}",
                "value": i,
                "published": "2022-10-31",
                "quote": uuid.uuid4().hex * 4,
            }
        )
        for i in range(rows)
    ]
    return b"\n".join(lines)


async def test_a_full_disk_is_507_and_the_lake_is_untouched(seeded_lake: Path, tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "small") as small:
        lake = small / "lake"
        seeded_copy(lake)
        key = lake_at(lake).keys.create("bureau", "write")[1]
        before = fingerprint(lake)
        filler = fill(small, leave=64 * 1024)
        settings = Settings(data_dir=lake, cache_dir=small / "cache", load_seed=False, refresh_seconds=0)
        app = create_app(settings)
        headers = {"authorization": f"Bearer {key}", "content-type": "application/x-ndjson"}
        async with (
            LifespanManager(app) as m,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as api,
        ):
            body = upload_body()
            r = await api.post("/v1/observations", content=body, headers=headers)
            assert r.status_code == 507, r.text
            assert r.headers["content-type"] == "application/problem+json" and "disk is full" in r.json()["detail"]
            assert fingerprint(lake) == before  # no file left behind, in whatever format the lake is
            assert not any((lake / "staging").iterdir()) if (lake / "staging").exists() else True
            full = fill(small, leave=0)
            export = await api.get("/v1/observations", params={"format": "parquet"})
            assert export.status_code == 507 and export.headers["content-type"] == "application/problem+json"
            assert not list((small / "cache").rglob("*.parquet"))  # no half-written export left behind
            filler.unlink()
            full.unlink()
            again = await api.post("/v1/observations", content=body, headers=headers)
            assert again.status_code == 201, again.text
            series = (await api.get(f"/v1/series/{VA}/430100")).json()
            assert series["count"] == 4000


def test_a_local_service_links_to_its_configured_address_whatever_the_host_header(server: str) -> None:
    evil = {"host": "attacker.example:666", "x-forwarded-host": "evil.example", "x-forwarded-proto": "gopher"}
    page = httpx.get(f"{server}/v1/regions", params={"level": "county", "limit": "5"}, headers=evil).json()
    assert page["next"] == f"{server}/v1/regions?level=county&limit=5&offset=5"
    files = httpx.get(f"{server}/v1/bulk", headers=evil).json()["files"]
    assert all(f["url"].startswith(f"{server}/v1/bulk/") for f in files)
