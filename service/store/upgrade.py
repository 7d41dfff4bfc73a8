"""The catalog database's Yardstick tables, versioned with Alembic (migrations in ``service/store/migrations/``).

Every process that opens a lake runs ``upgrade`` first (the service at start, each CLI command): a catalog at an
older revision is brought to this release's head, under the writer lock so that replicas starting together migrate
it once; a catalog made before migrations existed (by ``create_all``: the tables, no version row) is adopted,
stamped with the initial revision, its rows untouched. A catalog at a revision this release does not know (a newer
release migrated it) is refused: an older release must not write tables whose shape it does not know.
``yardstick migrate-catalog`` runs the same upgrade and says what it did. Rolling upgrades: docs/operations.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from service.errors import YardstickError
from service.store.records import catalog_errors

VERSION_TABLE = "yardstick_alembic_version"
INITIAL = "0001"
MIGRATIONS = Path(str(files("service.store") / "migrations"))


class NewerCatalog(YardstickError):
    status = 409
    type = "/problems/newer-catalog"
    title = "The catalog was upgraded by a newer release"


def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    found = scripts().get_current_head()
    assert found is not None
    return found


def revision(c: Connection) -> str | None:
    """The catalog's revision (None: no version row, a catalog made by ``create_all`` or an empty database)."""
    return MigrationContext.configure(c, opts={"version_table": VERSION_TABLE}).get_current_revision()


def refuse_newer(found: str | None, where: str) -> None:
    known = {s.revision for s in scripts().walk_revisions()}
    if found is not None and found not in known:
        raise NewerCatalog(
            f"the catalog database {where} is at schema revision {found}, which this release does not know (its "
            f"newest is {head()}): a newer Yardstick migrated it. Run that release (or newer); see docs/operations.md"
        )


def upgrade(engine: Engine, lock: Callable[[], contextlib.AbstractContextManager[None]]) -> tuple[str | None, str]:
    """Bring the catalog to this release's head: (revision before, revision now). Nothing is locked when it is
    already there (the usual start)."""
    where = engine.url.render_as_string(hide_password=True)
    with catalog_errors():
        with engine.connect() as c:
            before = revision(c)
        refuse_newer(before, where)
        if before == head():
            return before, before
        with lock(), engine.begin() as c:
            before = revision(c)  # another process may have migrated it while we waited
            refuse_newer(before, where)
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = c
            if before is None and inspect(c).has_table("yardstick_snapshots"):
                command.stamp(config, INITIAL)  # made by create_all before migrations existed: adopt it
            command.upgrade(config, "head")
            return before, head()
