"""The schema version and its upgrade path: one explicit function per version step."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, insert, inspect, select, update
from sqlmodel import SQLModel

from lfs_ayats import __version__

from .engine import StoreError
from .tables import TABLES, anomalies_table, corner_defs_table, schema_version_table

SCHEMA_VERSION = 3


def _add_corner_defs(conn: Connection) -> None:
    """Version 2: corners per track layout (analysis.corners)."""
    corner_defs_table.create(conn, checkfirst=True)


def _add_anomalies(conn: Connection) -> None:
    """Version 3: the `anomalies` table (flags from analysis.anomalies)."""
    SQLModel.metadata.create_all(conn, tables=[anomalies_table])


UPGRADES: dict[int, Callable[[Connection], None]] = {
    # n: a function taking a version n-1 database to version n
    2: _add_corner_defs,
    3: _add_anomalies,
}


def stored_version(conn: Connection) -> int | None:
    """The database's schema version (None: no lfs-ayats tables yet)."""
    if not inspect(conn).has_table("schema_version"):
        return None
    return conn.execute(select(schema_version_table.c.version)).scalar()


def ensure_schema(engine: Engine) -> int:
    """Create the tables in a new database, upgrade an older one, refuse a newer one."""
    with engine.begin() as conn:
        version = stored_version(conn)
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(f"{engine.url.render_as_string(hide_password=True)} was written by a newer "
                             f"lfs-ayats (schema {version}; this one knows up to {SCHEMA_VERSION}): upgrade lfs-ayats")
        if version is None:
            SQLModel.metadata.create_all(conn, tables=TABLES)
            conn.execute(insert(schema_version_table).values(id=1, version=SCHEMA_VERSION, written_by=__version__))
            return SCHEMA_VERSION
        for step in range(version + 1, SCHEMA_VERSION + 1):
            UPGRADES[step](conn)
        if version < SCHEMA_VERSION:
            conn.execute(update(schema_version_table).values(version=SCHEMA_VERSION, written_by=__version__))
    return SCHEMA_VERSION
