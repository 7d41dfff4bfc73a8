"""Command line: serve | ingest | template | extract | check | snapshots | openapi. Thin commands over the layers
below."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from service import logs, workers
from service.admin import ADMIN, admin_parsers
from service.config import Settings
from service.errors import YardstickError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yardstick", description="Regional economic indicators over HTTP.")
    parser.add_argument("--data-dir", type=Path, help="lake directory (default: $YARDSTICK_DATA_DIR or var/lake)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service (loads the shipped data into an empty lake)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    ing = sub.add_parser(
        "ingest", help="load regions, indicators, sources or observations (CSV, Parquet, JSONL, .xlsx, .xls)"
    )
    ing.add_argument("files", nargs="+", type=Path)
    ing.add_argument("--dry-run", action="store_true", help="validate only; commit nothing")
    ing.add_argument("--kind", choices=KINDS)
    ing.add_argument("--author", default="cli")
    ing.add_argument("--sheet", help="a workbook's sheet, by name or number (from 1); default: the first visible")
    for name, what in GIVEN.items():
        ing.add_argument(
            f"--{name}", help=f"{what} of every row (a wide sheet's layout lacks it, or the file has no such column)"
        )
    _template_parser(sub)
    admin_parsers(sub)
    _extract_parser(sub)
    sub.add_parser("seed", help="load the shipped dataset into an empty lake")
    sub.add_parser("migrate", help="convert the lake in --data-dir from the old format to Iceberg, in place")
    sub.add_parser("snapshots", help="list snapshots")
    sub.add_parser("openapi", help="print the OpenAPI document")
    keys = sub.add_parser("keys", help="API keys: create, list, revoke")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", choices=["read", "write"], default="write")
    keys_sub.add_parser("list", help="list keys (never their secrets)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by id or name")
    revoke.add_argument("key")
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings(**overrides)
    lake = settings.data_dir.resolve()
    if args.command not in ("openapi", "template", "extract") and settings.log_format == "text":
        print(f"yardstick: lake {lake}", file=sys.stderr)  # which lake, whatever the working directory
    try:
        return COMMANDS[args.command](settings, args)
    except YardstickError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.status < 500 else 1
    except OSError as exc:  # an unwritable or full data directory: one line, not a traceback
        where = exc.filename or lake
        print(f"error: cannot use the lake at {lake}: {exc.strerror or exc} ({where})", file=sys.stderr)
        return 1


def _template_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tpl = sub.add_parser("template", help="write an example file that ingests cleanly")
    tpl.add_argument("kind", choices=["observations", "regions", "indicators"])
    tpl.add_argument("-o", "--output", type=Path, help="the file to write (default: standard output, CSV only)")
    tpl.add_argument("--format", choices=["csv", "xlsx"], help="default: from the output's extension, else csv")


def _extract_parser(sub: Any) -> None:
    ext = sub.add_parser(
        "extract",
        help="propose observations from documents (text, HTML, CSV, xlsx, xls), as POST /v1/extract does; "
        "nothing is stored",
    )
    ext.add_argument("files", nargs="+", type=Path)
    ext.add_argument("--region", help="the code of the region the documents are about (430400)")
    ext.add_argument("--published", help="publication date, YYYY-MM-DD")
    ext.add_argument("--period", help="the period of tables that state none (2022-Q3, 2012年1-4月)")
    ext.add_argument("--source", help="a source id of the catalog, attached to every row")
    ext.add_argument("-o", "--output", type=Path, help="write the rows to FILE.csv (ingest columns) or FILE.json")


LOOPBACK = ("127.0.0.1", "localhost", "::1")
KINDS = ["regions", "indicators", "sources", "observations"]
GIVEN = {
    "period": "the period (2022年1-9月, 2022-Q3)",
    "region": "the region (a code or a name)",
    "indicator": "the indicator (a code or a name)",
    "published": "the vintage date (YYYY-MM-DD)",
}


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from service.store.stores import open_lake

    changes = {k: getattr(args, k) for k in ("host", "port", "workers") if getattr(args, k) is not None}
    settings = settings.model_copy(update=changes)
    # uvicorn workers build their settings from the environment: hand them what the command line chose.
    os.environ["YARDSTICK_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.public_url is None and settings.host in LOOPBACK:  # a local service: links can name it exactly
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        os.environ["YARDSTICK_PUBLIC_URL"] = f"http://{host}:{settings.port}"
    problem = _unwritable(settings.cache_path())
    if problem:
        print(
            f"error: cannot use the cache folder {settings.cache_path()} (YARDSTICK_CACHE_DIR): {problem}",
            file=sys.stderr,
        )
        return 1
    lake = open_lake(settings, wait=True)  # refuses a lake of the old format, in one line, before serving
    _cold_start(settings, lake)
    metrics_dir = workers.metrics_dir(settings.workers)
    uvicorn.run(
        "service.api:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
        access_log=settings.access_log,
        env_file=None,
        http="service.server:Protocol",  # limits on the request head (size, time): see service/server.py
        # X-Forwarded-For/-Proto are believed only from the configured proxies
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        timeout_keep_alive=settings.keep_alive_seconds,
        log_config=logs.config(settings.log_format),
    )
    if metrics_dir is not None:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _cold_start(settings: Settings, lake: Any) -> None:
    """Seed an empty lake (the ingest's imports only then). A catalog or object store that does not answer is the
    server's to report, degraded, not a reason to exit: it retries until they answer."""
    from service.errors import CatalogUnavailable, StorageUnavailable

    try:
        if settings.load_seed and lake.current_id() == 0:
            from service.ingest.seed import ensure_seed, seed_notice

            notice = seed_notice(lake, settings.seed_dir)
            if notice:
                _say(settings, notice)
            ensure_seed(lake, settings.seed_dir)
    except (CatalogUnavailable, StorageUnavailable) as exc:
        _say(settings, f"starting degraded: {exc}", "warning")


def _say(settings: Settings, message: str, level: str = "info") -> None:
    """A line of `serve` on stderr, in the log format the settings name."""
    if settings.log_format == "json":
        line = {"level": level, "logger": "yardstick", "message": message}
        print(orjson.dumps(line).decode(), file=sys.stderr)
    else:
        print(f"yardstick: {message}", file=sys.stderr)


def _unwritable(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (frames, exports, bulk files go there), or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from service.ingest.load import ingest_paths
    from service.store.stores import open_lake

    progress = _terminal_progress if sys.stderr.isatty() else _no_progress
    result = ingest_paths(
        open_lake(settings),
        args.files,
        author=args.author,
        dry_run=args.dry_run,
        kind=args.kind,
        progress=progress,
        given={k: getattr(args, k) for k in ("sheet", *GIVEN) if getattr(args, k)},
    )
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(orjson.dumps(result.__dict__, option=orjson.OPT_INDENT_2).decode())
    return 0


def _template(settings: Settings, args: argparse.Namespace) -> int:
    from service.ingest.template import write

    fmt = args.format or ("xlsx" if args.output and args.output.suffix.lower() == ".xlsx" else "csv")
    data = write(args.kind, fmt)
    if args.output is None:
        if fmt != "csv":
            print("error: an .xlsx template is written to a file: give -o FILE", file=sys.stderr)
            return 2
        sys.stdout.buffer.write(data)
        return 0
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({args.kind}, {fmt}): `yardstick ingest {args.output}` loads it", file=sys.stderr)
    return 0


def _terminal_progress(stage: str, done: int, total: int) -> None:
    """A one-line progress bar on stderr (only when it is a terminal)."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r{stage:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}\x1b[K")
    sys.stderr.flush()


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _extract(settings: Settings, args: argparse.Namespace) -> int:
    from service.ingest.extract import answer as core
    from service.ingest.extract.inputs import read_document

    catalogs = _extract_catalogs(settings)
    opts = core.options(catalogs, region=args.region, published=args.published, period=args.period, source=args.source)
    answers = [
        {"file": str(f), **core.answer(read_document(f.read_bytes(), filename=f.name), opts, catalogs)}
        for f in args.files
    ]
    for a in answers:
        print(
            f"{a['file']}: {len(a['observations'])} observations, {len(a['indicators'])} new indicators proposed, "
            f"{len(a['unresolved'])} unresolved",
            file=sys.stderr,
        )
    if args.output is not None and args.output.suffix.lower() == ".csv":
        _write_csv(args.output, [r for a in answers for r in a["observations"]], core.OBSERVATION_FIELDS)
        indicators = {r["code"]: r for a in answers for r in a["indicators"]}
        if indicators:
            side = args.output.with_name(args.output.stem + ".indicators.csv")
            _write_csv(side, list(indicators.values()), list(next(iter(indicators.values()))))
            print(f"proposed indicators: {side}", file=sys.stderr)
        return 0
    data = orjson.dumps(answers[0] if len(answers) == 1 else answers, option=orjson.OPT_INDENT_2)
    if args.output is not None:
        args.output.write_bytes(data + b"\n")
    else:
        sys.stdout.write(data.decode() + "\n")
    return 0


def _extract_catalogs(settings: Settings) -> Any:
    """The lake's catalogs when --data-dir holds a lake, else the shipped ones (nothing is created)."""
    from service.ingest.extract import answer as core

    synonyms = core.read_synonyms(settings.synonyms_file)
    if (settings.data_dir / "catalog.db").exists() or settings.catalog_uri:
        from service.store.snapshot import open_snapshot
        from service.store.stores import open_lake

        lake = open_lake(settings)
        snap = open_snapshot(lake, lake.manifest())
        if snap.regions:
            return core.Catalogs(
                snap.regions, snap.indicators, set(snap.sources), synonyms, core.read_concepts(settings.seed_dir)
            )
    print(f"yardstick: no lake at {settings.data_dir}: the shipped catalogs of {settings.seed_dir}", file=sys.stderr)
    return core.Catalogs.from_files(settings.seed_dir, settings.synonyms_file)


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: orjson.dumps(v).decode() if isinstance(v, list | bool) else v for k, v in r.items()})


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from service.ingest.seed import ensure_seed
    from service.store.stores import open_lake

    result = ensure_seed(open_lake(settings), settings.seed_dir)
    print("lake already has data" if result is None or result.skipped else f"seeded snapshot {result.snapshot}")
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.oldformat import migrate_in_place

    done = migrate_in_place(settings)
    print(
        f"migrated snapshot {done.manifest.label} ({done.manifest.counts}), {done.earlier} earlier log entries, "
        f"{done.keys} API keys and {done.replies} idempotency records"
    )
    for p in done.problems:
        print(p, file=sys.stderr)
    print(
        "the old format's files (CURRENT, snapshots/, tables/, staging/, keys.json, idempotency/) are no longer read"
        ": remove them when satisfied"
    )
    return 0 if not done.problems else 1


def _snapshots(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.stores import open_lake

    lake = open_lake(settings)
    for sid in lake.snapshot_ids():
        m = lake.manifest(sid)
        print(f"{m.label}  {m.committed_at}  {m.author:<10} {orjson.dumps(m.counts).decode()}  {m.message}")
    return 0


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    from service.api import openapi_document

    sys.stdout.write(orjson.dumps(openapi_document(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from service.store.stores import open_lake

    store = open_lake(settings).keys
    if args.keys_command == "create":
        key, secret = store.create(args.name, args.scope)
        print(secret)
        print(f"key {key.id} ({key.name}, scope {key.scope}): shown once; only its hash is stored", file=sys.stderr)
    elif args.keys_command == "list":
        for k in store.all():
            state = f"revoked {k.revoked}" if k.revoked else "active"
            print(f"{k.id}  {k.name:<20} {k.scope:<6} created {k.created}  {state}")
    else:
        revoked = store.revoke(args.key)
        print(f"revoked {len(revoked)} key(s)")
        return 0 if revoked else 1
    return 0


COMMANDS = {
    "serve": _serve,
    "ingest": _ingest,
    "template": _template,
    "extract": _extract,
    "seed": _seed,
    "migrate": _migrate,
    "snapshots": _snapshots,
    "openapi": _openapi,
    "keys": _keys,
    **ADMIN,
}
