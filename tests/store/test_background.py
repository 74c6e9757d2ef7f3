"""Writing batches in the sink's own thread stores exactly what writing them in line does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lfs_ayats.store import sink as sink_module
from lfs_ayats.store.blocks import decode
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from lfs_ayats.store.tables import blocks_table, drivers_table, events_table, laps_table, sessions_table
from tests.telemetry.simrace import RecordedRace

FLUSH_ROWS = 3_000  # many small batches: laps span several, so blocks get merged too


def contents(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        out: dict[str, Any] = {}
        for table in (sessions_table, drivers_table, laps_table, events_table):
            out[table.name] = [tuple(v for k, v in row._mapping.items() if k != "id")
                               for row in conn.execute(select(table).order_by(table.c.id))]
        blocks = conn.execute(select(blocks_table).order_by(blocks_table.c.plid, blocks_table.c.lap,
                                                            blocks_table.c.source, blocks_table.c.t_start)).all()
        out["blocks"] = [(b.plid, b.lap, b.source, b.rows, b.t_start, b.t_end, b.distance_min_m, b.distance_max_m,
                          repr(decode(b.data).to_dict(as_series=False))) for b in blocks]  # repr: NaN == NaN
    return out


def test_background_writes_the_same_rows(race: RecordedRace) -> None:
    inline, threaded = open_store("sqlite://"), open_store("sqlite://")
    a = import_capture(race.full, inline, flush_rows=FLUSH_ROWS, background=False)
    b = import_capture(race.full, threaded, flush_rows=FLUSH_ROWS)
    assert a.counters.flushes > 5
    assert replace(a.counters, flush_seconds_max=0) == replace(b.counters, flush_seconds_max=0)
    expected, got = contents(inline), contents(threaded)
    assert expected["laps"] and expected["blocks"]
    assert {k: v for k, v in got.items() if k != "sessions"} == {k: v for k, v in expected.items() if k != "sessions"}
    # the sessions differ only by the path written (both imports name the same file)
    assert len(got["sessions"]) == len(expected["sessions"])


def test_a_failure_in_the_writer_thread_fails_the_import(race: RecordedRace, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sink_module, "block_row", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_capture(race.full, open_store("sqlite://"), flush_rows=FLUSH_ROWS)
