"""A batch: rows of several tables in one JSON object ({"sources": [...], "indicators": [...], "observations":
[...]}), committed together. What the review page commits for a document (POST /v1/batch), and how the shipped
reviewed documents (data/reviewed/) load."""

from __future__ import annotations

import orjson

from service.errors import InvalidData, Problem
from service.ingest.load import CATALOG_ORDER

BATCH_KINDS = CATALOG_ORDER  # committed in this order: a batch's observations may use its new indicators


def batch_files(body: bytes, prefix: str = "") -> list[tuple[str, bytes]]:
    """A batch's members as one JSON Lines file per table kind, named ``prefix`` + the kind (``kind_of`` reads it
    back); a malformed batch is a problem that says where."""
    try:
        batch = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidData("the batch is not JSON", [Problem(str(exc).split(":")[0], file="batch")]) from None
    if not isinstance(batch, dict) or not batch:
        raise InvalidData("the batch must be a JSON object", [Problem('expected {"observations": [...], ...}')])
    problems = [_batch_problem(k, rows) for k, rows in batch.items()]
    if any(problems):
        raise InvalidData("the batch cannot be read: nothing was stored", [p for p in problems if p])
    return [(prefix + k, b"\n".join(orjson.dumps(row) for row in batch[k])) for k in BATCH_KINDS if k in batch]


def _batch_problem(member: str, rows: object) -> Problem | None:
    if member not in BATCH_KINDS:
        return Problem("not a table of a batch", column=member, allowed=list(BATCH_KINDS))
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return Problem("must be a non-empty list of objects (rows)", column=member)
    return None


def kind_of(name: str) -> str:
    """The table kind of a batch file's name."""
    return name.rsplit("/", 1)[-1]
