"""Settings from the environment (prefix YARDSTICK_), built by the caller and passed explicitly; never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    """Every field is documented in docs/configuration.md (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="YARDSTICK_", frozen=True)

    data_dir: Path = Field(Path("var/lake"), description="The lake: Parquet files, snapshot manifests, CURRENT, LOCK.")
    seed_dir: Path = Field(REPO_DATA, description="The shipped dataset loaded into an empty lake on first start.")
    load_seed: bool = Field(True, description="Load seed_dir into an empty lake when the service starts.")
    host: str = Field("127.0.0.1", description="Address `yardstick serve` binds.")
    port: int = Field(8000, description="Port `yardstick serve` binds.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    access_log: bool = Field(False, description="Log every request (uvicorn's access log); off for throughput.")
    frame_ancestors: list[str] = Field(["*"], description="Who may frame the /embed/ widgets (CSP frame-ancestors).")
    cors_origins: list[str] = Field(["*"], description="Origins allowed to call GET endpoints from a browser.")
    refresh_seconds: float = Field(0.5, ge=0, description="How often a worker checks for a newer snapshot.")
    max_limit: int = Field(10000, ge=1, description="Largest page size a client may ask for.")
    retain_snapshots: int = Field(10, ge=1, description="Snapshots whose files stay downloadable, newest first.")
    retain_hours: float = Field(24, ge=0, description="Also keep every snapshot younger than this many hours.")
    preload: bool = Field(
        True, description="Load every indicator into memory before serving, and changes after commits."
    )
    read_requires_key: bool = Field(False, description="Require an API key (scope read or write) for every read.")
    max_body_mb: float = Field(256, gt=0, description="Largest upload body accepted by POST endpoints (413 beyond).")
    body_timeout_seconds: float = Field(30, gt=0, description="Longest wait for the next chunk of an upload (408).")
    rate_limit_per_minute: int = Field(
        6000, ge=0, description="Requests per minute per client address without a key, per worker (0: no limit)."
    )
    key_rate_limit_per_minute: int = Field(60000, ge=0, description="Requests per minute per API key, per worker.")
    cache_mb: float = Field(64, ge=0, description="Memory for cached responses of the current snapshot, per worker.")
