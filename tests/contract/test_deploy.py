"""docs/deploy: the compose file parses and says what docs/deploy.md says; its nginx configuration passes `nginx -t`."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config import Settings
from tests import services

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


def test_compose_has_the_documented_parts(compose: dict[str, Any]) -> None:
    services_ = compose["services"]
    assert {"postgres", "minio", "bucket", "seed", "replica-a", "replica-b", "nginx"} <= set(services_)
    a, b = services_["replica-a"], services_["replica-b"]
    assert a["environment"] == b["environment"] == services_["seed"]["environment"]
    assert set(a["volumes"]).isdisjoint(b["volumes"])  # nothing local shared: as on two machines
    assert a["depends_on"]["seed"]["condition"] == "service_completed_successfully"
    for mount in services_["nginx"]["volumes"]:
        assert (DEPLOY / mount.split(":")[0]).is_file(), mount
    named = {m.split(":")[0] for s in services_.values() for m in s.get("volumes", []) if not m.startswith(".")}
    assert named <= set(compose["volumes"])


def test_the_replicas_settings_are_valid_and_shared(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    env = compose["services"]["replica-a"]["environment"]
    for key, value in env.items():
        if key.startswith("YARDSTICK_"):
            assert key.removeprefix("YARDSTICK_").lower() in Settings.model_fields, key
            monkeypatch.setenv(key, str(value))
    settings = Settings()  # validated as the service validates them
    assert settings.catalog_uri is not None and settings.catalog_uri.startswith("postgresql://")
    assert settings.warehouse == "s3://lake/yardstick" and not settings.load_seed
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    bucket = compose["services"]["bucket"]["command"][0]
    assert "mb --ignore-existing lake/lake" in bucket  # the bucket the warehouse names
    user = compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
    assert f"//{user}:" in settings.catalog_uri


def test_nginx_conf_names_the_replicas_and_passes_nginx_t(compose: dict[str, Any]) -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    upstreams = re.findall(r"server ([\w-]+):(\d+)", conf)
    assert {name for name, _ in upstreams} == {"replica-a", "replica-b"}
    assert all(port == "8000" for _, port in upstreams)  # the Dockerfile's YARDSTICK_PORT
    binary = services.need("nginx")
    folder = Path(tempfile.mkdtemp(prefix="yardstick-nginx-t-"))
    try:
        shutil.copy(DEPLOY / "nginx-yardstick.conf", folder / "yardstick.conf")
        local = (
            conf.replace("/etc/nginx/yardstick.conf", str(folder / "yardstick.conf"))
            .replace("replica-a:", "127.0.0.1:")
            .replace("replica-b:", "127.0.0.2:")
            .replace("listen 80;", "listen 127.0.0.1:18080;")
        )
        local = f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n" + local
        (folder / "nginx.conf").write_text(local)
        done = subprocess.run([binary, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")], capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
