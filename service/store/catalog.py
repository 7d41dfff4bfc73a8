"""pyiceberg's SQL catalog, with table commits held back and published together with the commit log's row.

Iceberg commits one table at a time: a commit writes a new metadata file, then moves the table's pointer
(``iceberg_tables.metadata_location``) in the catalog database. A Yardstick commit touches up to four tables and the
commit log; were each pointer moved on its own, a writer that died between two of them would leave other engines
(DuckDB, polars, Spark, Trino) reading rows the log never committed. Inside ``held()``, a table commit writes its
metadata file (nothing points at it yet, so no reader sees it) and records the move; ``publish(connection)`` makes
every move, each a compare-and-swap on the pointer the commit started from, in the caller's transaction, which also
inserts the log row: all of them or none, as Iceberg's REST catalog does with a multi-table commit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.typedef import Identifier
from sqlalchemy import update
from sqlalchemy.engine import Connection, make_url

from service.errors import Busy


@dataclass(frozen=True)
class HeldCommit:
    """A table's pointer move waiting for ``publish``: from the location the catalog holds to a new metadata file."""

    namespace: str
    name: str
    old: str
    new: str
    metadata: TableMetadata


class LakeCatalog(SqlCatalog):
    """A ``SqlCatalog`` whose commits can be held and then published in one transaction of the catalog database."""

    def __init__(self, name: str, **properties: Any) -> None:
        super().__init__(name, **properties)
        self._held: dict[tuple[str, str], HeldCommit] | None = None

    def _init_catalog(self) -> None:
        """Deferred to ``prepare``: a server may start before the catalog database answers."""

    def prepare(self) -> None:
        """pyiceberg's check of its tables (made if missing), which needs the catalog database to answer."""
        super()._init_catalog()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold every table commit made inside (``publish`` makes them visible); what is not published is dropped."""
        self._held = {}
        try:
            yield
        finally:
            self._held = None

    def load_table(self, identifier: str | Identifier) -> Table:
        """The table as this writer sees it: with its held commit, if it has one."""
        held = self._held.get(_key(identifier)) if self._held else None
        if held is None:
            return super().load_table(identifier)
        io = self._load_file_io(held.metadata.properties, held.new)
        return Table(Catalog.identifier_to_tuple(identifier), held.metadata, held.new, io, self)

    def commit_table(
        self, table: Table, requirements: tuple[Any, ...], updates: tuple[Any, ...]
    ) -> CommitTableResponse:
        if self._held is None:
            return super().commit_table(table, requirements, updates)
        key = _key(table.name())
        current = self.load_table(table.name())
        staged = self._update_and_stage_table(current, table.name(), requirements, updates)
        if staged.metadata == current.metadata:
            return CommitTableResponse(metadata=current.metadata, metadata_location=current.metadata_location)
        self._write_metadata(metadata=staged.metadata, io=staged.io, metadata_path=staged.metadata_location)
        before = self._held.get(key)
        old = before.old if before else current.metadata_location
        self._held[key] = HeldCommit(key[0], key[1], old, staged.metadata_location, staged.metadata)
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)

    def publish(self, connection: Connection) -> dict[str, str]:
        """Move every held table's pointer in ``connection``'s transaction (the caller commits it, with its own
        rows): a pointer that moved since the commit started fails the whole transaction. Returns each moved
        table's new metadata location."""
        for held in (self._held or {}).values():
            moved = connection.execute(
                update(IcebergTables)
                .where(
                    IcebergTables.catalog_name == self.name,
                    IcebergTables.table_namespace == held.namespace,
                    IcebergTables.table_name == held.name,
                    IcebergTables.metadata_location == held.old,
                )
                .values(metadata_location=held.new, previous_metadata_location=held.old)
            )
            if moved.rowcount != 1:
                raise Busy(
                    f"table {held.namespace}.{held.name} was changed by another writer; nothing was committed",
                    extra={"headers": {"retry-after": "1"}},
                )
        return {f"{h.namespace}.{h.name}": h.new for h in (self._held or {}).values()}


def _key(identifier: str | Identifier) -> tuple[str, str]:
    parts = Catalog.identifier_to_tuple(identifier)
    return Catalog.namespace_to_string(Catalog.namespace_from(parts)), Catalog.table_name_from(parts)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing (SQLite keeps the mode, and gives it to its journal)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o600)


def catalog_url(uri: str) -> str:
    """PostgreSQL through psycopg 3 (the driver we ship), whichever way the URL was written, and a connect timeout
    (a catalog host that does not answer is a quick 503, not a hung request)."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri.removeprefix(prefix)
    if uri.startswith("postgresql+psycopg://") and "connect_timeout=" not in uri:
        uri += ("&" if "?" in uri else "?") + "connect_timeout=3"
    return uri


def shown_url(uri: str) -> str:
    """The catalog's URL as logs and /readyz show it: without its password."""
    return make_url(uri).render_as_string(hide_password=True)
