"""Looking after a database: where it is, what it holds, compacting it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, func, select, text

from .engine import mask_url, sqlite_path
from .schema import SCHEMA_VERSION, stored_version
from .tables import anomalies_table, blocks_table, drivers_table, events_table, laps_table, sessions_table


def info(engine: Engine) -> dict[str, Any]:
    """URL (password masked), file and size for SQLite, schema version, and row counts."""
    url = engine.url.render_as_string(hide_password=False)
    path = sqlite_path(url)
    out: dict[str, Any] = {"url": mask_url(url), "backend": engine.dialect.name,
                           "path": str(path) if path else None,
                           "size_bytes": path.stat().st_size if path and path.exists() else None}
    with engine.connect() as conn:
        out["schema_version"] = stored_version(conn)
        out["schema_version_supported"] = SCHEMA_VERSION
        for name, table in (("sessions", sessions_table), ("drivers", drivers_table), ("laps", laps_table),
                            ("events", events_table), ("sample_blocks", blocks_table),
                            ("anomalies", anomalies_table)):
            out[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        out["samples"] = int(conn.execute(select(func.coalesce(func.sum(blocks_table.c.rows), 0))).scalar_one())
    return out


def vacuum(engine: Engine) -> None:
    """Give free pages back (SQLite: VACUUM and a WAL checkpoint; PostgreSQL: VACUUM ANALYZE)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("VACUUM"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        elif engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE"))


def discard_sessions(engine: Engine, session_ids: Sequence[int]) -> None:
    """Delete sessions and everything that hangs off them (an import that failed half-way).

    Children first and explicitly: a backend without foreign-key cascades must not keep orphans.
    """
    if not session_ids:
        return
    with engine.begin() as conn:
        for table in (anomalies_table, blocks_table, events_table, laps_table, drivers_table):
            conn.execute(delete(table).where(table.c.session_id.in_(list(session_ids))))
        conn.execute(delete(sessions_table).where(sessions_table.c.id.in_(list(session_ids))))
