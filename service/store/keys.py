"""API keys: created once (the secret is shown once), stored as SHA-256 hashes in DATA_DIR/keys.json, listed,
revoked, checked in constant time.

A key reads ``ys_<id>_<secret>``: the id finds the record, the hash of the whole key is compared with
hmac.compare_digest. Keys are 32 random bytes, so a fast hash is the right tool (no password stretching needed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import orjson

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")


@dataclass(frozen=True)
class Key:
    id: str
    name: str
    scope: Scope
    sha256: str
    created: str
    revoked: str | None = None

    def allows(self, scope: Scope) -> bool:
        """A write key may also read."""
        return self.revoked is None and (self.scope == scope or self.scope == "write")


class KeyStore:
    """The keys of one data directory (re-read when the file changes, so every worker sees revocations)."""

    def __init__(self, root: Path) -> None:
        self.path = root / "keys.json"
        self._stamp: tuple[float, int] | None = None
        self._keys: dict[str, Key] = {}

    def all(self) -> list[Key]:
        stat = self.path.stat() if self.path.exists() else None
        stamp = (stat.st_mtime, stat.st_size) if stat else None
        if stamp != self._stamp:
            raw = orjson.loads(self.path.read_bytes()) if stat else []
            self._keys = {k["id"]: Key(**k) for k in raw}
            self._stamp = stamp
        return list(self._keys.values())

    def create(self, name: str, scope: Scope) -> tuple[Key, str]:
        """A new key and its secret (shown once: only the hash is kept)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}")
        ident = secrets.token_hex(6)
        secret = f"ys_{ident}_{secrets.token_urlsafe(32)}"
        key = Key(ident, name, scope, _digest(secret), datetime.now(UTC).isoformat(timespec="seconds"))
        with self._edit() as keys:
            keys.append(key)
        return key, secret

    def revoke(self, ident_or_name: str) -> list[Key]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        changed = []
        with self._edit() as keys:
            for i, k in enumerate(keys):
                if k.revoked is None and ident_or_name in (k.id, k.name):
                    keys[i] = Key(**{**asdict(k), "revoked": now})
                    changed.append(keys[i])
        return changed

    def check(self, presented: str) -> Key | None:
        """The key a presented secret belongs to, or None (unknown, malformed or revoked)."""
        parts = presented.split("_")
        if len(parts) < 3 or parts[0] != "ys":
            return None
        self.all()
        key = self._keys.get(parts[1])
        if key is None or not hmac.compare_digest(key.sha256, _digest(presented)):
            return None
        return key if key.revoked is None else None

    @contextlib.contextmanager
    def _edit(self) -> Iterator[list[Key]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._stamp = None
            keys = self.all()
            yield keys
            tmp = self.path.with_name(f".keys-{uuid.uuid4().hex}.json")
            tmp.write_bytes(orjson.dumps([asdict(k) for k in keys], option=orjson.OPT_INDENT_2))
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            self._stamp = None
        finally:
            os.close(fd)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
