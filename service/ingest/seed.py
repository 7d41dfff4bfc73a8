"""Load the shipped dataset (data/) into an empty lake, through the same ingest path users use."""

from __future__ import annotations

from pathlib import Path

from service.ingest.load import IngestResult, ingest_paths
from service.store.lake import Lake

SEED_FILES = ("regions.csv", "indicators.csv", "sources.csv", "observations.csv")


def seed_paths(seed_dir: Path) -> list[Path]:
    return [seed_dir / name for name in SEED_FILES if (seed_dir / name).exists()]


def seed_notice(lake: Lake, seed_dir: Path) -> str | None:
    """One line for an operator when the lake is empty and the seed dataset is not where it is looked for."""
    if lake.current_id() != 0:
        return None
    missing = [name for name in SEED_FILES if not (seed_dir / name).exists()]
    if not missing:
        return None
    return (
        f"the lake {lake.root.resolve()} is empty and the seed dataset is missing from {seed_dir.resolve()} "
        f"({', '.join(missing)}); serving no data: set YARDSTICK_SEED_DIR or load files with `yardstick ingest`"
    )


def ensure_seed(lake: Lake, seed_dir: Path) -> IngestResult | None:
    """Ingest the seed files if the lake has no snapshot yet; safe when several workers start at once."""
    if lake.current_id() != 0 or seed_notice(lake, seed_dir) is not None:
        return None
    return ingest_paths(lake, seed_paths(seed_dir), author="seed", only_if_empty=True)
