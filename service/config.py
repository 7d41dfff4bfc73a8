"""Settings from the environment (prefix YARDSTICK_), built by the caller and passed explicitly; never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    """Every field is documented in docs/configuration.md (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="YARDSTICK_", frozen=True)

    data_dir: Path = Field(
        Path("var/lake"), description="The lake's local folder: the SQLite catalog and warehouse by default, LOCK."
    )
    catalog_uri: str | None = Field(
        None,
        description="SQL catalog of an Iceberg lake (SQLAlchemy URL, e.g. postgresql+psycopg://...); "
        "default sqlite:///<data_dir>/catalog.db.",
    )
    warehouse: str | None = Field(
        None,
        description="Where the lake's files live: a local folder (default <data_dir>/warehouse) or "
        "s3://bucket/prefix on any S3-compatible store, with AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY from the environment; remote files are cached under cache_dir/warehouse.",
    )
    seed_dir: Path = Field(REPO_DATA, description="The shipped dataset loaded into an empty lake on first start.")
    synonyms_file: Path = Field(
        REPO_DATA / "synonyms.csv",
        description="Synonyms of statistical shorthand for search (short,full,source: 规上 = 规模以上).",
    )
    load_seed: bool = Field(True, description="Load seed_dir into an empty lake when the service starts.")
    host: str = Field("127.0.0.1", description="Address `yardstick serve` binds.")
    port: int = Field(8000, description="Port `yardstick serve` binds.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    access_log: bool = Field(False, description="Log every request (uvicorn's access log); off for throughput.")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="text: uvicorn's lines. json: one JSON object a line: one per request (request id, route, "
        "status, duration, snapshot, key id), one per event (start, commit, refresh, degraded, recovered), errors.",
    )
    replica_name: str | None = Field(
        None,
        pattern=r"^[!-~]{1,128}$",  # printable ASCII without spaces: it goes in a header
        description="This replica's name in the X-Yardstick-Replica header, /readyz and logs (default: the host name).",
    )
    frame_ancestors: list[str] = Field(["*"], description="Who may frame the /embed/ widgets (CSP frame-ancestors).")
    cors_origins: list[str] = Field(["*"], description="Origins allowed to call GET endpoints from a browser.")
    cors_write_origins: list[str] = Field(
        [], description="Origins allowed to POST from a browser (default: none; reads keep cors_origins)."
    )
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="The service's public base URL (https://data.example.org/yardstick): absolute links in answers "
        "start with it. Unset: links are relative, never built from the request's Host header.",
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed "
        "(client address for rate limits, scheme). Empty: forwarded headers are ignored.",
    )
    cache_dir: Path | None = Field(
        None,
        description="Local cache for files built on request (filtered Parquet exports), outside the lake. "
        "Default: the data directory's sibling '<name>-cache'.",
    )
    export_cache_mb: float = Field(
        1024, ge=0, description="Disk for cached Parquet exports, least recently used out first."
    )
    max_header_kb: int = Field(
        32, ge=1, le=1024, description="Largest request line plus headers accepted (431 beyond)."
    )
    keep_alive_seconds: int = Field(
        75,
        ge=1,
        description="How long an idle keep-alive connection stays open; longer than a proxy's or client's own idle "
        "timeout (nginx: 60 s, httpx: 5 s), so that the client, not the server, closes it (no race on reuse).",
    )
    header_timeout_seconds: float = Field(
        10, gt=0, description="Longest time a client may take to send its request line and headers (408)."
    )
    refresh_seconds: float = Field(0.5, ge=0, description="How often a worker checks for a newer snapshot.")
    max_limit: int = Field(10000, ge=1, le=10000, description="Largest page size a client may ask for.")
    sdmx_max_observations: int = Field(
        500_000, ge=1, description="Most observations one SDMX data answer holds; past it the answer is 413."
    )
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
    memory_mb: float = Field(
        4096,
        ge=0,
        description="Memory for indicators' frames (the in-memory data series, compare and rankings answer from), "
        "per worker; the least recently used indicator goes first (0: no bound). Frames are memory-mapped Arrow "
        "files under cache_dir/frames, so the workers share one copy in the page cache.",
    )

    def cache_path(self) -> Path:
        """Where built files go: ``cache_dir``, or a sibling of the data directory (never inside the lake)."""
        if self.cache_dir is not None:
            return self.cache_dir
        data = self.data_dir.resolve()
        return data.parent / f"{data.name}-cache"
