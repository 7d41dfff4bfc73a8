"""The operator's commands: check (--deep), gc, backup, restore, migrate-catalog (docs/operations.md). Thin commands
over ``service.store``; ``service.cli`` registers them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from service.config import Settings

MIN_AGE_HELP = "seconds before an unreferenced file counts as an orphan (default: 3600; younger ones may be in flight)"


def admin_parsers(sub: Any) -> None:
    chk = sub.add_parser("check", help="verify every file of the current snapshot against its manifest")
    chk.add_argument(
        "--deep",
        action="store_true",
        help="read every file the retained snapshots reference from the warehouse itself (not the cache); list orphans",
    )
    chk.add_argument("--min-age", type=float, default=3600.0, help=MIN_AGE_HELP)
    gc = sub.add_parser("gc", help="remove orphans: warehouse files no retained snapshot references")
    gc.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")
    gc.add_argument("--min-age", type=float, default=3600.0, help=MIN_AGE_HELP)
    sub.add_parser(
        "migrate-catalog", help="bring the catalog database's tables to this release's schema (also done at start)"
    )
    backup = sub.add_parser("backup", help="copy the current snapshot, its files and the catalog's records to DEST")
    backup.add_argument("dest", type=Path, help="an empty or new folder")
    restore = sub.add_parser(
        "restore", help="bring a backup up in an empty lake (the --data-dir, catalog and warehouse the settings name)"
    )
    restore.add_argument("src", type=Path, help="a folder `yardstick backup` wrote")


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.integrity import check
    from service.store.stores import open_lake

    if args.deep:
        return _deep_check(settings, args.min_age)
    problems = check(open_lake(settings))
    for p in problems:
        print(p, file=sys.stderr)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems else 1


def _deep_check(settings: Settings, min_age: float) -> int:
    from service.store.audit import audit, iceberg
    from service.store.stores import open_lake

    lake = iceberg(open_lake(settings))
    found = audit(lake, min_age)
    for p in found.problems:
        print(p, file=sys.stderr)
    for rel in found.orphans:
        print(f"orphan: {lake.warehouse.location(rel)} (no retained snapshot references it)", file=sys.stderr)
    if found.young:
        young = f"{len(found.young)} unreferenced file(s) younger than {min_age:g}s: a write in flight? not orphans yet"
        print(young, file=sys.stderr)
    if not found.problems and not found.orphans:
        print(f"ok: {found.checked} referenced files read from the warehouse")
        return 0
    hint = ": `yardstick gc` removes the orphans" if found.orphans else ""
    print(f"{len(found.problems)} problem(s), {len(found.orphans)} orphan(s){hint}")
    return 1


def _gc(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.audit import remove_orphans
    from service.store.stores import open_lake

    removed = remove_orphans(open_lake(settings), args.min_age, args.dry_run)
    for location in removed:
        print(("would remove " if args.dry_run else "removed ") + location)
    print(f"{len(removed)} orphan(s) {'found (dry run: nothing removed)' if args.dry_run else 'removed'}")
    return 0


def _migrate_catalog(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.iceberg import IcebergLake

    before, now = IcebergLake.of(settings).prepare()  # opening the lake migrates it (or refuses a newer catalog)
    if before == now:
        print(f"catalog schema at revision {now}: nothing to do")
    else:
        print(f"catalog schema upgraded from revision {before or '(none: made before migrations)'} to {now}")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.audit import iceberg
    from service.store.backup import backup
    from service.store.stores import open_lake

    done = backup(iceberg(open_lake(settings)), args.dest)
    print(
        f"backed up snapshot {done.manifest.label} ({done.files} files, {done.bytes} bytes), {done.keys} API keys and "
        f"{done.replies} idempotency records to {args.dest}"
    )
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.audit import iceberg
    from service.store.backup import restore
    from service.store.stores import open_lake

    lake = iceberg(open_lake(settings))
    done = restore(lake, args.src)
    print(
        f"restored snapshot {done.manifest.label} ({done.files} files), {done.keys} API keys and {done.replies} "
        f"idempotency records into {lake.warehouse.uri}"
    )
    return 0


ADMIN = {
    "check": _check,
    "gc": _gc,
    "migrate-catalog": _migrate_catalog,
    "backup": _backup,
    "restore": _restore,
}
