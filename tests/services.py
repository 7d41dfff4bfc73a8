"""Real services the product uses, started by tests on 127.0.0.1 in a temporary folder and stopped by them:
PostgreSQL (Debian's package; as the ``postgres`` user when the tests run as root, since PostgreSQL refuses root),
nginx (Debian's package), and moto's standalone S3 server (the S3-compatible endpoint that installs here; production
uses AWS S3, MinIO or Ceph RGW through the same settings).

Where a binary is missing the test is skipped with the reason, except under CI (``CI=true``), where .ci/run installs
them and a missing one is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live import free_port

PG_BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/nonexistent"))


def need(binary: str | Path) -> str:
    found = shutil.which(str(binary)) or shutil.which(str(binary), path="/usr/sbin:/sbin")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is not installed (scripts/test installs it in CI)")
        pytest.skip(f"{binary} is not installed (apt-get install postgresql nginx)")
    return found


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _wait(check: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds  # a bound for a busy machine, not a speed requirement
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (OSError, httpx.TransportError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@dataclass
class Postgres:
    url: str  # SQLAlchemy URL of the ``postgres`` database
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server now (an outage, as the service sees it)."""
        _stop(self.proc, signal.SIGINT)


@contextmanager
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster."""
    initdb = need(PG_BIN / "initdb")
    folder = Path(tempfile.mkdtemp(prefix="yardstick-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(
        [*as_postgres, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            *as_postgres,
            str(PG_BIN / "postgres"),
            "-D",
            str(data),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        ready = [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)]
        _wait(lambda: subprocess.run(ready, capture_output=True).returncode == 0, "PostgreSQL")
        yield Postgres(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", proc)
    finally:
        _stop(proc, signal.SIGINT)  # fast shutdown
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class S3:
    endpoint: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """Stop the endpoint now (an outage, as the service sees it)."""
        if self.proc is not None:
            _stop(self.proc)


@contextmanager
def s3(bucket: str = "lake") -> Iterator[S3]:
    """moto's standalone S3 server with one bucket; ``env`` holds the AWS settings a client needs."""
    server = need(Path(sys.executable).parent / "moto_server")
    port = free_port()
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    try:
        _wait(lambda: httpx.get(f"{endpoint}/moto-api/", timeout=5).status_code < 500, "moto")
        httpx.put(f"{endpoint}/{bucket}", timeout=10).raise_for_status()
        yield S3(endpoint, env, proc)
    finally:
        _stop(proc)


@contextmanager
def nginx(upstreams: list[str], http_extra: str = "", server_extra: str = "") -> Iterator[str]:
    """nginx balancing over ``upstreams`` (host:port) the way docs/deploy.md configures it; yields its base URL.
    ``http_extra`` and ``server_extra`` are more configuration for the http and server contexts (a shipped file)."""
    binary = need("nginx")
    folder = Path(tempfile.mkdtemp(prefix="yardstick-nginx-"))
    port = free_port()
    servers = "\n".join(f"    server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
{(Path(__file__).parent.parent / "docs" / "deploy" / "nginx-yardstick.conf").read_text()}
{http_extra}
  upstream yardstick {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
{server_extra}
    location / {{ proxy_pass http://yardstick; }}
  }}
}}
"""
    )
    proc = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/healthz", timeout=5).status_code in (200, 502, 503), "nginx")
        yield base
    finally:
        _stop(proc, signal.SIGQUIT)
        shutil.rmtree(folder, ignore_errors=True)


class Forwarder:
    """A TCP port that refuses connections until ``open`` (an endpoint that is down), then passes them to
    ``target`` (host, port): a service "started" without losing the state of the real one behind it (moto keeps
    its buckets in memory, so stopping and starting it would empty them)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self.server: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def open(self) -> None:
        server = socket.create_server(("127.0.0.1", self.port))
        self.server = server
        thread = threading.Thread(target=self._accept, args=(server,), daemon=True)
        thread.start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for s in self.sockets:
            s.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
