"""Open the lake the settings name: the one place that knows the concrete store (everything above ``store/`` sees
the ``Lake`` interface)."""

from __future__ import annotations

from pathlib import Path

from service.config import Settings
from service.store.iceberg import IcebergLake
from service.store.lake import Lake, OldFormat


def open_lake(settings: Settings, wait: bool = False) -> Lake:
    """The store of these settings: the lake on Iceberg. A folder holding a lake of the old format and no catalog
    is refused with one line that says how to migrate it. ``wait`` (a server): a catalog database that does not
    answer yet is prepared on first use instead of refused."""
    root = settings.data_dir
    if (root / "CURRENT").exists() and not settings.catalog_uri and not (root / "catalog.db").exists():
        raise OldFormat(
            f"{root.resolve()} holds a lake in the old format (CURRENT, snapshots/, tables/): "
            f"convert it in place with `yardstick --data-dir {root} migrate`"
        )
    return IcebergLake.of(settings, wait)


def lake_at(root: Path) -> Lake:
    """The store in the data folder ``root``, with every other setting from the environment."""
    return open_lake(Settings(data_dir=root))
