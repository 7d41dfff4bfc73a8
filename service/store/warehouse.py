"""Where the lake's files live: a local folder, or a bucket of any S3-compatible store (AWS S3, MinIO, Ceph RGW, OSS).

Files are immutable and named once (``<snapshot>-<uuid>.parquet``), so a remote file can be cached locally by its
path forever: readers (DuckDB views, in-memory frames, bulk downloads) always get a local path. A remote warehouse
downloads a file on first use into the cache folder (checked against the size and SHA-256 the commit log recorded),
and a writer writes into that cache and uploads before it commits.

S3 settings are the AWS SDK's usual environment variables: ``AWS_ENDPOINT_URL`` (MinIO, moto, Ceph),
``AWS_REGION`` or ``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import pyarrow.fs as pafs

from service import events
from service.errors import StorageUnavailable, YardstickError


def plain(location: str) -> str:
    """A location without the file:// scheme (Iceberg writes local paths either way)."""
    return location.removeprefix("file://")


class Warehouse:
    """A local warehouse: paths are files under ``root``."""

    remote = False

    @contextlib.contextmanager
    def outages(self) -> Iterator[None]:
        """Errors of a store that does not answer, as a 503 with Retry-After (a local folder has none)."""
        yield

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def of(location: str, cache: Path, env: Mapping[str, str] = os.environ) -> Warehouse:
        """The warehouse a setting names: ``s3://bucket/prefix`` or a local folder."""
        if location.startswith("s3://"):
            return S3Warehouse(location, cache, env)
        if "://" in location and not location.startswith("file://"):
            raise YardstickError(f"warehouse {location!r}: use a local folder or s3://bucket/prefix")
        return Warehouse(Path(location.removeprefix("file://")))

    @property
    def uri(self) -> str:
        """The warehouse as Iceberg and other engines name it."""
        return self.root.as_uri()

    def probe(self) -> None:
        """Raise if the warehouse cannot be used now (a local folder: it exists and is writable)."""
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"the warehouse folder {self.root} is missing or not writable")

    def properties(self) -> dict[str, str]:
        """Catalog properties that let pyiceberg (and engines given the same) open files here."""
        return {}

    def location(self, rel: str) -> str:
        """A file's full location (what Iceberg metadata records)."""
        return str(self.root / rel)

    def local(self, rel: str, size: int | None = None, sha256: str | None = None) -> Path:
        """A local path to read the file from."""
        return self.root / rel

    def new(self, rel: str) -> Path:
        """Where a writer writes a new file (a local path); ``publish`` makes it part of the warehouse."""
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def publish(self, rel: str) -> None:
        """A new file, written and fsynced where ``new`` said, is already in a local warehouse."""

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)

    def read(self, rel: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A stored file opened for reading from the store itself (not a cache); FileNotFoundError if missing."""
        return open(self.root / rel, "rb")

    def digest(self, rel: str) -> tuple[int, str] | None:
        """A stored file's size and SHA-256, read from the store itself (not a cache), or None if it is missing."""
        try:
            with self.outages(), self.read(rel) as src:
                return _digest(src)
        except FileNotFoundError:
            return None

    def files(self, prefix: str) -> Iterator[tuple[str, float]]:
        """Every file under ``prefix``: its path and modification time (seconds since the epoch)."""
        for p in (self.root / prefix).rglob("*"):
            if p.is_file():
                yield p.relative_to(self.root).as_posix(), p.stat().st_mtime


class S3Warehouse(Warehouse):
    """A bucket (and prefix) of an S3-compatible store, with a local read-through cache of its immutable files."""

    remote = True

    def __init__(self, location: str, cache: Path, env: Mapping[str, str]) -> None:
        parts = urlsplit(location)
        if not parts.netloc:
            raise YardstickError(f"warehouse {location!r}: name a bucket, s3://bucket/prefix")
        self.bucket_path = f"{parts.netloc}/{parts.path.strip('/')}".rstrip("/")
        self.cache = cache.resolve()
        self.root = self.cache  # readers' local paths are in the cache
        self.cache.mkdir(parents=True, exist_ok=True)
        endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        self._props = {
            k: v
            for k, v in {
                "s3.endpoint": endpoint,
                "s3.region": region,
                "s3.access-key-id": env.get("AWS_ACCESS_KEY_ID"),
                "s3.secret-access-key": env.get("AWS_SECRET_ACCESS_KEY"),
                "s3.session-token": env.get("AWS_SESSION_TOKEN"),
            }.items()
            if v
        }
        scheme = urlsplit(endpoint).scheme if endpoint else None
        options: dict[str, Any] = {
            "access_key": env.get("AWS_ACCESS_KEY_ID"),
            "secret_key": env.get("AWS_SECRET_ACCESS_KEY"),
            "session_token": env.get("AWS_SESSION_TOKEN"),
            "region": region,
            "endpoint_override": urlsplit(endpoint).netloc if endpoint else None,
            "scheme": scheme or "https",
        }
        self.fs = pafs.S3FileSystem(**options)
        self._probe_fs = pafs.S3FileSystem(  # readiness probes: no retries, short timeouts
            **options, connect_timeout=1, request_timeout=2, retry_strategy=pafs.AwsStandardS3RetryStrategy(1)
        )

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket_path}"

    def probe(self) -> None:
        """One look at the bucket's prefix (no retries, short timeouts: a probe must be cheap)."""
        with self.outages():
            self._probe_fs.get_file_info(self.bucket_path)

    @contextlib.contextmanager
    def outages(self) -> Iterator[None]:
        """The bucket's errors other than a missing object (an endpoint that refuses connections, times out or
        answers 5xx) as a 503 with Retry-After: nothing was committed, and the same request may be sent again."""
        try:
            yield
        except (FileNotFoundError, YardstickError):
            raise
        except OSError as exc:
            events.emit("warehouse_error", error=type(exc).__name__)
            raise StorageUnavailable(
                f"the object store {self.uri} does not answer; nothing was committed, try again shortly",
                extra={"headers": {"retry-after": "5"}},
            ) from exc

    def properties(self) -> dict[str, str]:
        return dict(self._props)

    def location(self, rel: str) -> str:
        return f"s3://{self.bucket_path}/{rel}"

    def _key(self, rel: str) -> str:
        return f"{self.bucket_path}/{rel}"

    def local(self, rel: str, size: int | None = None, sha256: str | None = None) -> Path:
        """The cached copy, downloaded on first use (to a temporary name, checked, then renamed: two readers
        downloading at once both end with the same complete file)."""
        target = self.cache / rel
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        digest = hashlib.sha256()
        try:
            with self.outages(), self.fs.open_input_stream(self._key(rel)) as src, open(tmp, "wb") as out:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
            got = tmp.stat().st_size
            if (size is not None and got != size) or (sha256 is not None and digest.hexdigest() != sha256):
                raise YardstickError(f"{self.location(rel)} does not match the commit log (size or sha256)")
            os.replace(tmp, target)
            events.emit("download", bytes=got)
        except FileNotFoundError:
            tmp.unlink(missing_ok=True)
            return target  # missing remotely: the caller's existence check or read reports it
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def new(self, rel: str) -> Path:
        target = self.cache / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def publish(self, rel: str) -> None:
        """Upload a new file (a single PUT or a multipart upload: the object appears whole, or not at all)."""
        with self.outages(), open(self.cache / rel, "rb") as src, self.fs.open_output_stream(self._key(rel)) as out:
            while block := src.read(8 << 20):
                out.write(block)

    def remove(self, rel: str) -> None:
        (self.cache / rel).unlink(missing_ok=True)
        with self.outages(), contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self._key(rel))

    def read(self, rel: str) -> contextlib.AbstractContextManager[BinaryIO]:
        return self.fs.open_input_stream(self._key(rel))  # type: ignore[no-any-return]

    def files(self, prefix: str) -> Iterator[tuple[str, float]]:
        selector = pafs.FileSelector(self._key(prefix), recursive=True, allow_not_found=True)
        with self.outages():
            infos = self.fs.get_file_info(selector)
        for info in infos:
            if info.type == pafs.FileType.File:
                mtime = info.mtime.timestamp() if info.mtime else 0.0
                yield info.path.removeprefix(self.bucket_path + "/"), mtime


def _digest(src: BinaryIO) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    while block := src.read(1 << 20):
        h.update(block)
        size += len(block)
    return size, h.hexdigest()
