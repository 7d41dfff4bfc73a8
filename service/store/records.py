"""Yardstick's own tables in the catalog database, beside pyiceberg's: the commit log, API keys, idempotency records.

Every replica reads the same catalog database, so a key created or revoked on one machine, an upload replayed on
another, and the snapshot a writer committed anywhere are seen by all of them. Keys and request bodies are stored as
SHA-256 hashes only.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from service import events
from service.errors import Busy, CatalogUnavailable

METADATA = MetaData()
LOG = Table(
    "yardstick_snapshots",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("committed_at", String(40), nullable=False),
    Column("manifest", Text, nullable=False),  # the Manifest as JSON: author, message, counts, changes, files
    Column("pins", Text, nullable=False),  # {"observations": <iceberg snapshot id> | null, ...}
)
KEYS = Table(
    "yardstick_keys",
    METADATA,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("scope", String(10), nullable=False),
    Column("sha256", String(64), nullable=False),  # of the whole key; the key itself is never stored
    Column("created", String(40), nullable=False),
    Column("revoked", String(40), nullable=True),
)
IDEMPOTENCY = Table(
    "yardstick_idempotency",
    METADATA,
    Column("id", String(64), primary_key=True),  # sha256 of (key name, Idempotency-Key)
    Column("sha256", String(64), nullable=False),  # of the request body
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created", String(40), nullable=False),
)


def create_all(engine: Engine) -> None:
    """Create the tables that do not exist (two replicas starting together on a new database may race: the loser
    finds them made)."""
    try:
        METADATA.create_all(engine)
    except (IntegrityError, ProgrammingError):
        METADATA.create_all(engine)


@contextlib.contextmanager
def catalog_errors() -> Iterator[None]:
    """A catalog database that does not answer (down, restarting, unreachable) is a 503 with Retry-After, never a
    500; what the answer was about is unchanged (nothing half-written: every write is one transaction)."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        events.emit("catalog_error", error=type(exc).__name__)
        raise CatalogUnavailable(
            "the catalog database does not answer; try again shortly", extra={"headers": {"retry-after": "5"}}
        ) from exc


@contextlib.contextmanager
def connect(engine: Engine, begin: bool = False) -> Iterator[Connection]:
    """A connection (a transaction with ``begin``) to the catalog database, its outages as ``CatalogUnavailable``."""
    with catalog_errors(), engine.begin() if begin else engine.connect() as c:
        yield c


def _prepared() -> None:
    """The catalog as given: ready (the lake passes its ``prepare``, which may wait for the database)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- API keys --------------------------------------------------------------------------------------------------------
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
    """API keys: created once (the secret is shown once, only its SHA-256 is kept), listed, revoked, and checked in
    constant time. A key reads ``ys_<id>_<secret>``: the id finds the record, the hash of the whole key is compared
    with hmac.compare_digest. Keys are 32 random bytes, so a fast hash is the right tool (no stretching needed).

    ``check`` keeps each record it read for ``fresh_seconds``: a revocation reaches every replica within that time,
    and a burst of requests with one key costs one query."""

    def __init__(self, engine: Engine, fresh_seconds: float = 1.0, prepare: Callable[[], object] = _prepared) -> None:
        self.engine = engine
        self.fresh_seconds = fresh_seconds
        self.prepare = prepare  # the catalog's tables ready (a server may start before the database answers)
        self._seen: dict[str, tuple[float, Key | None]] = {}

    def all(self) -> list[Key]:
        with connect(self.engine) as c:
            return [Key(**r._asdict()) for r in c.execute(select(KEYS).order_by(KEYS.c.created, KEYS.c.id))]

    def create(self, name: str, scope: Scope) -> tuple[Key, str]:
        """A new key and its secret (shown once: only the hash is kept)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}")
        ident = secrets.token_hex(6)
        secret = f"ys_{ident}_{secrets.token_urlsafe(32)}"
        key = Key(ident, name, scope, _digest(secret), _now())
        self.add(key)
        return key, secret

    def add(self, key: Key) -> None:
        """Store a key record as it is (``create`` makes new ones; migration brings old ones)."""
        with connect(self.engine, begin=True) as c:
            c.execute(insert(KEYS).values(**key.__dict__))

    def revoke(self, ident_or_name: str) -> list[Key]:
        match = (KEYS.c.id == ident_or_name) | (KEYS.c.name == ident_or_name)
        with connect(self.engine, begin=True) as c:
            ids = list(c.execute(select(KEYS.c.id).where(match, KEYS.c.revoked.is_(None))).scalars())
            if ids:
                c.execute(update(KEYS).where(KEYS.c.id.in_(ids)).values(revoked=_now()))
            changed = [Key(**r._asdict()) for r in c.execute(select(KEYS).where(KEYS.c.id.in_(ids)))]
        self._seen.clear()
        return changed

    def check(self, presented: str) -> Key | None:
        """The key a presented secret belongs to, or None (unknown, malformed or revoked)."""
        parts = presented.split("_")
        if len(parts) < 3 or parts[0] != "ys" or not 0 < len(parts[1]) <= 32:
            return None
        now = time.monotonic()
        seen = self._seen.get(parts[1])
        if seen is None or now - seen[0] > self.fresh_seconds:
            self.prepare()
            with connect(self.engine) as c:
                row = c.execute(select(KEYS).where(KEYS.c.id == parts[1])).first()
            if len(self._seen) > 10_000:  # unknown ids are looked up again, not hoarded
                self._seen.clear()
            seen = self._seen[parts[1]] = (now, Key(**row._asdict()) if row else None)
        key = seen[1]
        if key is None or not hmac.compare_digest(key.sha256, _digest(presented)):
            return None
        return key if key.revoked is None else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# -- idempotency records ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """The answer first given to an upload with an Idempotency-Key."""

    sha256: str  # of the body it was given for
    status: int
    response: dict[str, Any]


PENDING = 0  # the status of a claimed key whose upload is still being worked on


class Idempotency:
    """Answers given to uploads with an Idempotency-Key, by (key name, Idempotency-Key): replayed on a retry, on any
    replica. A key is claimed in the catalog database before the work starts (an insert only one replica can win):
    the same key sent to two replicas at once runs once, and the other waits for the answer and replays it."""

    def __init__(
        self,
        engine: Engine,
        wait_seconds: float = 120.0,
        stale_seconds: float = 900.0,
        prepare: Callable[[], object] = _prepared,
    ) -> None:
        self.engine = engine
        self.prepare = prepare  # as KeyStore's
        self.wait_seconds = wait_seconds  # how long a duplicate waits for the winner's answer (503 beyond)
        self.stale_seconds = stale_seconds  # a claim this old belongs to a writer that died: it can be taken over

    @staticmethod
    def ident(key_name: str, idempotency_key: str) -> str:
        return hashlib.sha256(f"{key_name}\x00{idempotency_key}".encode()).hexdigest()

    def recall(self, ident: str) -> Outcome | None:
        """The answer given for this key, or None (never claimed, or still being worked on)."""
        row = self._row(ident)
        return Outcome(row.sha256, row.status, orjson.loads(row.response)) if row and row.status != PENDING else None

    def claim(self, ident: str, sha256: str) -> Outcome | None:
        """Claim the key for an upload of this body: None when the caller won (do the work, then ``remember`` or
        ``release``), or the answer of whoever did the work, waited for while it was under way. The body's digest
        is in the answer: the caller compares it with its own."""
        self.prepare()
        deadline = time.monotonic() + self.wait_seconds
        while True:
            if self._insert(ident, sha256, PENDING, {}):
                return None
            row = self._row(ident)
            if row is not None and (row.status != PENDING or row.sha256 != sha256):
                return Outcome(row.sha256, row.status, orjson.loads(row.response) if row.status else {})
            if row is not None and self._take_over(ident, row.created):
                return None
            if time.monotonic() > deadline:
                raise Busy(
                    "an upload with this Idempotency-Key is still being worked on; try again shortly",
                    extra={"headers": {"retry-after": "5"}},
                )
            time.sleep(0.05)

    def remember(self, ident: str, outcome: Outcome) -> None:
        """The claimed key's answer, for every retry."""
        values = {"status": outcome.status, "response": orjson.dumps(outcome.response).decode(), "created": _now()}
        with connect(self.engine, begin=True) as c:
            moved = c.execute(
                update(IDEMPOTENCY).where(IDEMPOTENCY.c.id == ident, IDEMPOTENCY.c.status == PENDING).values(**values)
            )
        if moved.rowcount == 0:  # not claimed (a record imported by migrate, or a claim taken over): keep the first
            self._insert(ident, outcome.sha256, outcome.status, outcome.response)

    def release(self, ident: str) -> None:
        """Give the claim up (the upload failed): a retry does the work again."""
        with connect(self.engine, begin=True) as c:
            c.execute(delete(IDEMPOTENCY).where(IDEMPOTENCY.c.id == ident, IDEMPOTENCY.c.status == PENDING))

    def _row(self, ident: str) -> Any:
        self.prepare()
        with connect(self.engine) as c:
            return c.execute(select(IDEMPOTENCY).where(IDEMPOTENCY.c.id == ident)).first()

    def _insert(self, ident: str, sha256: str, status: int, response: dict[str, Any]) -> bool:
        try:
            with connect(self.engine, begin=True) as c:
                c.execute(
                    insert(IDEMPOTENCY).values(
                        id=ident,
                        sha256=sha256,
                        status=status,
                        response=orjson.dumps(response).decode(),
                        created=_now(),
                    )
                )
            return True
        except IntegrityError:
            return False

    def _take_over(self, ident: str, created: str) -> bool:
        """A pending claim older than ``stale_seconds`` (its writer died) becomes ours, if nobody took it first."""
        if (datetime.now(UTC) - datetime.fromisoformat(created)).total_seconds() < self.stale_seconds:
            return False
        with connect(self.engine, begin=True) as c:
            moved = c.execute(
                update(IDEMPOTENCY)
                .where(IDEMPOTENCY.c.id == ident, IDEMPOTENCY.c.status == PENDING, IDEMPOTENCY.c.created == created)
                .values(created=_now())
            )
        return bool(moved.rowcount)


def import_files(root: Path, engine: Engine) -> tuple[int, int]:
    """Bring the old format's keys.json and idempotency/*.json into the catalog database (``yardstick migrate``);
    records already there are kept. Returns (keys, idempotency records) imported."""
    keys, idem = KeyStore(engine), Idempotency(engine)
    known = {k.id for k in keys.all()}
    n_keys = n_idem = 0
    path = root / "keys.json"
    for raw in json.loads(path.read_text()) if path.exists() else []:
        if raw["id"] not in known:
            keys.add(Key(**raw))
            n_keys += 1
    for p in sorted((root / "idempotency").glob("*.json")):
        seen = orjson.loads(p.read_bytes())
        if idem.recall(p.stem) is None:
            idem.remember(p.stem, Outcome(seen["sha256"], seen["status"], seen["response"]))
            n_idem += 1
    return n_keys, n_idem
