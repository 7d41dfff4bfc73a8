"""Refusals of an ingest, all or nothing: the problems of every file at once (the first of how many), keys repeated
across a streamed file's batches, rows that contradict stored figures, and values given for every row of a file that
is streamed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from service.errors import Conflict, InvalidData, Problem
from service.ingest.readers import Stream
from service.store.statements import run, statement


def refuse(problems: list[Problem], total: int | None = None) -> None:
    """Refuse the ingest for ``problems`` (the first of ``total``, if more were found)."""
    if problems:
        first, total = problems[0], max(total or 0, len(problems))
        where = ", ".join(
            f"{k} {v}"
            for k, v in (("file", first.file), ("sheet", first.sheet), ("row", first.row), ("column", first.column))
            if v
        )
        listed = f" ({len(problems)} listed)" if total > len(problems) else ""
        raise InvalidData(
            f"{total} problem(s){listed}, the first at {where}: {first.detail}; nothing was stored",
            problems,
            {"total": total},
        )


def check_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Keys repeated within one file across its batches (within a batch, validation reported them already)."""
    if not con.execute(statement("merge_any_duplicate")).fetchone():
        return  # the common case, answered by one hash aggregation
    rows = run(con, "merge_duplicates")
    if rows.num_rows:
        refuse(
            [
                Problem("duplicate key within the file", file=r["_file"], row=r["_row"], column="period")
                for r in rows.to_pylist()
            ]
        )


def check_conflicts(rows: pa.Table) -> None:
    if rows.num_rows:
        raise Conflict(
            "some rows contradict figures already stored for the same period and vintage; nothing was stored",
            [
                Problem(
                    f"{r['period']} of {r['indicator']} for {r['region']}: "
                    f"stored value {r['stored_value']} ({r['stored_status']}) vs new "
                    f"{r['new_value']} ({r['new_status']}); publish a revision with a later 'published' date instead",
                    file=r["_file"],
                    row=r["_row"],
                    column="value",
                )
                for r in rows.to_pylist()
            ],
        )


def refuse_given(streamed: list[Path], given: dict[str, str]) -> None:
    """Values for every row are filled into files read whole: a streamed file must hold them as columns."""
    values = [f"{k}=" for k, v in given.items() if v and k != "sheet"]
    if streamed and values:
        detail = f"{', '.join(values)} cannot be given with a file this large: write it as a column of the file"
        raise InvalidData(detail, [Problem(detail, file=p.name) for p in streamed])


def observations_only(source: Stream, most: int) -> Stream:
    """A streamed file (over ``most`` rows) must be of observations."""
    if source.kind != "observations":
        raise InvalidData(
            f"{source.name}: a {source.kind} file this large is not accepted",
            [Problem(f"only observation files may have over {most:,} rows", file=source.name)],
        )
    return source
