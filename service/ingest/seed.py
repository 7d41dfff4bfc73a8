"""Load the shipped dataset (data/) into an empty lake, through the same ingest path users use: the catalog and the
seed article's figures (CSV), and the reviewed documents (data/reviewed/*.json, batches as the review page commits
them), as one commit."""

from __future__ import annotations

from pathlib import Path

from service.ingest.batch import batch_files, kind_of
from service.ingest.load import IngestResult, ingest
from service.store.lake import Lake

SEED_FILES = ("regions.csv", "indicators.csv", "sources.csv", "observations.csv")


def seed_paths(seed_dir: Path) -> list[Path]:
    return [seed_dir / name for name in SEED_FILES if (seed_dir / name).exists()]


def reviewed_files(seed_dir: Path) -> list[tuple[str, bytes]]:
    """The reviewed documents' batches, one JSON Lines file per table of each (named ``<document>/<kind>``)."""
    return [
        file
        for path in sorted((seed_dir / "reviewed").glob("*.json"))
        for file in batch_files(path.read_bytes(), prefix=f"{path.stem}/")
    ]


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


def ensure_seed(lake: Lake, seed_dir: Path, reviewed: bool = True) -> IngestResult | None:
    """Ingest the seed files (and, with ``reviewed``, the reviewed documents) if the lake has no snapshot yet; safe
    when several workers start at once."""
    if lake.current_id() != 0 or seed_notice(lake, seed_dir) is not None:
        return None
    files = [(p.name, p.read_bytes()) for p in seed_paths(seed_dir)] + (reviewed_files(seed_dir) if reviewed else [])
    kinds = {name: kind_of(name) for name, _ in files if "/" in name}
    return ingest(lake, files, kinds=kinds, author="seed", only_if_empty=True)
