"""Corner definitions per track layout: read, replace, rename (the rows are analysis.corners' output)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from .tables import corner_defs_table

FIELDS = ("number", "name", "entry_m", "apex_m", "exit_m", "direction", "turn_deg", "length_m", "axis",
          "source_lap_id")


def corner_defs(engine: Engine, track: str, layout: str = "") -> list[dict[str, Any]]:
    """The layout's corners in lap order (empty if none were stored)."""
    c = corner_defs_table.c
    query = select(corner_defs_table).where(c.track == track, c.layout == layout).order_by(c.number)
    with engine.connect() as conn:
        return [{f: row._mapping[f] for f in FIELDS} for row in conn.execute(query)]


def save_corner_defs(engine: Engine, track: str, layout: str, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the layout's corners (names given by the user to numbers that still exist are kept)."""
    c = corner_defs_table.c
    now = datetime.now(UTC)
    with engine.begin() as conn:
        names = {r.number: r.name for r in conn.execute(select(c.number, c.name).where(c.track == track,
                                                                                       c.layout == layout))}
        conn.execute(delete(corner_defs_table).where(c.track == track, c.layout == layout))
        if rows:
            conn.execute(insert(corner_defs_table), [
                {**{f: r.get(f) for f in FIELDS}, "track": track, "layout": layout, "created_at": now,
                 "name": names.get(r["number"]) or r.get("name") or f"T{r['number']}"} for r in rows])


def rename_corner(engine: Engine, track: str, layout: str, number: int, name: str) -> bool:
    """Give corner `number` a name; False if the layout has no such corner."""
    c = corner_defs_table.c
    with engine.begin() as conn:
        done = conn.execute(update(corner_defs_table).where(c.track == track, c.layout == layout, c.number == number)
                            .values(name=name))
        return bool(done.rowcount)
