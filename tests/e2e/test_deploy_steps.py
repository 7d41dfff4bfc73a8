"""docs/deploy.md, "Without compose, step by step", run as written: the role and database of
docs/deploy/postgres.sql on a PostgreSQL cluster, a bucket on moto's S3 server, the settings of
docs/deploy/yardstick.env (hosts pointed at those services), the seed job and the admin CLI as separate processes,
a replica behind nginx terminating TLS with docs/deploy/nginx-tls.conf; then the documented polars and DuckDB
blocks read the tables from the bucket."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests import services
from tests.live import free_port, live_server

DOCS = Path(__file__).resolve().parents[2] / "docs"
IND = "industry.value_added.growth"


def fenced(language: str, first: str) -> str:
    """The code block of docs/deploy.md in ``language`` whose first line starts with ``first``."""
    for body in re.findall(rf"```{language}\n(.*?)```", (DOCS / "deploy.md").read_text(), re.S):
        if body.startswith(first):
            return str(body)
    raise AssertionError(f"no ```{language} block starting {first!r} in docs/deploy.md")


def cli(env: dict[str, str], data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(data_dir), *argv],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def tls_nginx(upstream: int, https: int, http: int) -> Iterator[None]:
    """nginx with docs/deploy/nginx-tls.conf (a self-signed certificate, ports on 127.0.0.1)."""
    binary = services.need("nginx")
    folder = Path(tempfile.mkdtemp(prefix="yardstick-tls-"))
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    tls = (
        (DOCS / "deploy" / "nginx-tls.conf")
        .read_text()
        .replace("/etc/ssl/yardstick/", f"{folder}/")
        .replace("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream}")
        .replace("listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
        .replace("listen 80;", f"listen 127.0.0.1:{http};")
    )
    temp = "\n".join(f"  {k}_temp_path {folder}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n{temp}\n"
        f"{(DOCS / 'deploy' / 'nginx-yardstick.conf').read_text()}\n{tls}\n}}\n"
    )
    proc = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        services._wait(lambda: httpx.get(f"https://127.0.0.1:{https}/healthz", verify=False).status_code, "nginx")
        yield
    finally:
        services._stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("deploy")
    with services.postgres() as pg, services.s3(bucket="lake") as s3:  # step 2: the bucket (PUT /lake)
        url = make_url(pg.url)
        psql = str(services.PG_BIN / "psql")
        sql = DOCS / "deploy" / "postgres.sql"  # step 1, as documented (as the postgres superuser)
        done = subprocess.run(
            [psql, "-h", "127.0.0.1", "-p", str(url.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-f", str(sql)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        https, http = free_port(), free_port()
        env = {}  # step 3: the settings file, with the hosts of this test
        for line in (DOCS / "deploy" / "yardstick.env").read_text().splitlines():
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = (
                    value.strip("'")  # as the shell and systemd read it
                    .replace("db.internal:5432", f"127.0.0.1:{url.port}")
                    .replace("http://minio.internal:9000", s3.endpoint)
                    .replace("https://yardstick.example.org", f"https://127.0.0.1:{https}")
                )
        seeded = cli(env, root / "seed", "seed")  # step 4, on a machine of its own
        assert seeded.returncode == 0 and "seeded snapshot" in seeded.stdout, seeded.stderr
        made = cli(env, root / "admin", "keys", "create", "--name", "bureau")  # step 6
        assert made.returncode == 0, made.stderr
        with live_server(root / "replica", **env) as replica:  # step 5
            port = int(replica.base.rsplit(":", 1)[1])
            with tls_nginx(port, https, http):  # step 7
                yield {"env": env, "root": root, "https": https, "http": http, "key": made.stdout.strip(), "s3": s3}


def test_the_steps_serve_over_tls_and_the_admin_cli_works(deployed: dict[str, Any]) -> None:
    base = f"https://127.0.0.1:{deployed['https']}"
    bulk = httpx.get(f"{base}/v1/bulk", verify=False, timeout=60)
    assert bulk.status_code == 200
    assert all(f["url"].startswith(f"{base}/v1/bulk/") for f in bulk.json()["files"])  # links name the public URL
    plain = httpx.get(f"http://127.0.0.1:{deployed['http']}/v1/bulk", timeout=30)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
    headers = {"Authorization": f"Bearer {deployed['key']}", "Content-Type": "text/csv"}
    rows = "indicator,region,period,value,published\nindustry.taxes_paid,430400,2022-Q3,61.5,2024-05-01\n"
    written = httpx.post(f"{base}/v1/observations", content=rows, headers=headers, verify=False, timeout=60)
    assert written.status_code == 201, written.text
    checked = cli(deployed["env"], deployed["root"] / "admin", "check", "--deep")
    assert checked.returncode == 0 and checked.stdout.startswith("ok: "), checked.stderr


def test_polars_reads_the_bucket_as_documented(deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLARS_ICEBERG_PLANNER", "unset-after-the-test")  # the block sets it; monkeypatch restores
    code = (
        fenced("python", "# polars")
        .replace("db.internal:5432", deployed["env"]["YARDSTICK_CATALOG_URI"].rsplit("@", 1)[1].split("/")[0])
        .replace("http://minio.internal:9000", deployed["s3"].endpoint)
    )
    scope: dict[str, Any] = {}
    try:
        exec(code, scope)
    finally:
        if "catalog" in scope:
            scope["catalog"].engine.dispose()  # the block's connections, closed before the test ends
    base = f"https://127.0.0.1:{deployed['https']}"
    served = httpx.get(f"{base}/v1/observations", params={"indicator": IND, "limit": 1000}, verify=False, timeout=60)
    assert served.status_code == 200
    assert scope["df"].height == served.json()["total"] > 0


def test_duckdb_reads_the_bucket_as_documented(deployed: dict[str, Any]) -> None:
    import duckdb_extension_avro
    import duckdb_extension_httpfs
    import duckdb_extension_iceberg

    base = f"https://127.0.0.1:{deployed['https']}"
    location = httpx.get(f"{base}/v1/bulk", verify=False, timeout=60).json()["iceberg"]["tables"]["observations"]
    scan = f"iceberg_scan('{location['metadata_location']}')"
    sql = re.sub(r"iceberg_scan\('[^']*'\)", scan, fenced("sql", "-- DuckDB"))
    sql = sql.replace("minio.internal:9000", deployed["s3"].endpoint.removeprefix("http://"))
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    for module in (duckdb_extension_httpfs, duckdb_extension_avro, duckdb_extension_iceberg):
        con.execute(f"load '{next(Path(str(module.__file__)).parent.glob('extensions/*/*.duckdb_extension'))}'")
    code = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    statements = [s for s in code.split(";") if s.strip()]
    for statement in statements[:-1]:
        con.execute(statement)
    rows = con.execute(statements[-1]).fetchall()
    served = httpx.get(f"{base}/v1/observations", params={"indicator": IND, "limit": 1000}, verify=False, timeout=60)
    assert len(rows) == served.json()["total"] > 0
