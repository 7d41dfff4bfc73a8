"""Alembic's environment for the catalog database's Yardstick tables (see ``service/store/upgrade.py``).

The service runs migrations itself, with a connection it opened (``config.attributes["connection"]``); pyiceberg's
own tables (``iceberg_tables``, ``iceberg_namespace_properties``) are pyiceberg's to manage and are left alone.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from service.store.records import METADATA

VERSION_TABLE = "yardstick_alembic_version"


def _ours(name: str | None, type_: str, parent_names: Any) -> bool:
    return type_ != "table" or (name or "").startswith("yardstick_")


context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=METADATA,
    version_table=VERSION_TABLE,
    include_name=_ours,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
