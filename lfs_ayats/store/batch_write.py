"""One flush's worth of rows -> the database, in one transaction (in line, in a thread or in a process).

`write_batch` is a plain function of an engine and a `Batch` so that an import can run it in a
process of its own (store/write_process.py) while the feed decodes on the first core.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, insert, select, update

from lfs_ayats.telemetry.events import LapReclassified

from .blocks import block_row, merged_row, split_by_car_and_lap
from .tables import blocks_table, events_table, laps_table


@dataclass
class Batch:
    """What one flush writes, taken out of a sink's buffers."""

    session_id: int | None
    cars: dict[str, np.ndarray] | None
    gauge: dict[str, np.ndarray] | None
    motion: dict[str, np.ndarray] | None
    laps: list[dict[str, Any]]
    events: list[dict[str, Any]]
    reclassified: list[LapReclassified]
    completed: list[tuple[int, int]]  # (plid, lap) whose blocks to merge into one per source


@dataclass
class Written:
    """What a batch put in the database."""

    laps: int = 0
    events: int = 0
    blocks: int = 0
    samples: int = 0
    seconds: float = 0.0


def write_batch(engine: Engine, batch: Batch) -> Written:
    started = time.perf_counter()
    written = Written()
    session_id = batch.session_id
    if session_id is not None:
        blocks = _blocks(session_id, batch, written)
        with engine.begin() as conn:
            if batch.laps:
                conn.execute(insert(laps_table), batch.laps)
            if batch.events:
                conn.execute(insert(events_table), batch.events)
            for ev in batch.reclassified:
                laps = laps_table.c
                conn.execute(update(laps_table).where(laps.session_id == session_id, laps.plid == ev.plid,
                                                      laps.lap == ev.lap)
                             .values(clean=ev.clean, reason=ev.reasons[0] if ev.reasons else "",
                                     reasons=list(ev.reasons), notes=list(ev.notes)))
            if blocks:
                conn.execute(insert(blocks_table), blocks)
            _merge_completed(conn, session_id, batch.completed)
        written.laps, written.events, written.blocks = len(batch.laps), len(batch.events), len(blocks)
    written.seconds = time.perf_counter() - started
    return written


def _blocks(session_id: int, batch: Batch, written: Written) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for source, columns in (("cars", batch.cars), ("gauge", batch.gauge), ("motion", batch.motion)):
        if columns is None:
            continue
        out += [block_row(session_id, p, lap, source, cols) for p, lap, cols in split_by_car_and_lap(columns)]
        written.samples += len(columns["t"])
    return out


def _merge_completed(conn: Connection, session_id: int, completed: list[tuple[int, int]]) -> None:
    # Timed flushes (~1 s, live) cut a lap into several blocks; once the lap is over its blocks
    # become one per source, so reading a lap is one row each.
    b = blocks_table.c
    for plid, lap in completed:
        found = conn.execute(select(b.id, b.source, b.data).where(b.session_id == session_id, b.plid == plid,
                                                                  b.lap == lap).order_by(b.source, b.t_start)).all()
        by_source: dict[str, list[Any]] = {}
        for row in found:
            by_source.setdefault(row.source, []).append(row)
        for source, rows in by_source.items():
            if len(rows) < 2:
                continue
            conn.execute(delete(blocks_table).where(b.id.in_([r.id for r in rows])))
            conn.execute(insert(blocks_table), [merged_row(session_id, plid, lap, source, [r.data for r in rows])])
