"""The sink's writer thread stores exactly what writing in line does; batch columns match column by column."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from lfs_ayats.store import batch_write, write_process
from lfs_ayats.store import sink as sink_module
from lfs_ayats.store.blocks import decode
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from lfs_ayats.store.tables import blocks_table, drivers_table, events_table, laps_table, sessions_table
from tests.telemetry.simrace import RecordedRace

FLUSH_ROWS = 1_000  # many small batches (an import holds each lap in progress back until it is over)


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


@pytest.mark.parametrize("background", ["thread", "process"])
def test_background_writes_the_same_rows(race: RecordedRace, tmp_path: Path, background: str) -> None:
    inline = open_store("sqlite://")
    other = open_store("sqlite://" if background == "thread" else f"sqlite:///{tmp_path / 'store.db'}")
    a = import_capture(race.full, inline, flush_rows=FLUSH_ROWS, background=False)
    b = import_capture(race.full, other, flush_rows=FLUSH_ROWS, background=background)  # type: ignore[arg-type]
    assert a.counters.flushes > 3
    assert replace(a.counters, flush_seconds_max=0) == replace(b.counters, flush_seconds_max=0)
    expected, got = contents(inline), contents(other)
    assert expected["laps"] and expected["blocks"]
    assert {k: v for k, v in got.items() if k != "sessions"} == {k: v for k, v in expected.items() if k != "sessions"}
    # the sessions differ only by the path written (both imports name the same file)
    assert len(got["sessions"]) == len(expected["sessions"])


def test_the_default_writes_in_a_process_where_the_database_is_a_file(race: RecordedRace, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    real = write_process.WriterProcess.__init__

    def spy(self: write_process.WriterProcess, engine: Engine) -> None:
        started.append(engine.url)
        real(self, engine)

    monkeypatch.setattr(write_process.WriterProcess, "__init__", spy)
    import_capture(race.full, open_store("sqlite://"), flush_rows=FLUSH_ROWS)
    assert not started  # in memory: nobody else can open it, so a thread
    import_capture(race.full, open_store(f"sqlite:///{tmp_path / 'store.db'}"), flush_rows=FLUSH_ROWS)
    assert len(started) == 1


def test_a_failure_in_the_writer_process_fails_the_import_and_keeps_nothing(race: RecordedRace,
                                                                            tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as conn:  # a database that refuses the fourth block, as a full disk would
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON sample_blocks "
                             "WHEN (SELECT count(*) FROM sample_blocks) >= 3 "
                             "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    with pytest.raises(IntegrityError, match="database or disk is full"):
        import_capture(race.full, engine, flush_rows=FLUSH_ROWS)
    with engine.connect() as conn:
        for table in (sessions_table, laps_table, blocks_table):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_a_failure_in_the_writer_thread_fails_the_import(race: RecordedRace, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch_write, "block_row", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_capture(race.full, open_store("sqlite://"), flush_rows=FLUSH_ROWS)


@pytest.mark.parametrize("rows", [
    [(1, 0.5, 3, 2.0, 7), (1, 0.6, 3, math.nan, 8)],
    [(2, 0.5, 3, None, 7), (2, 0.6, 4, 1.5, None)],  # an optional channel without a value
    [(0, 1.0, 5, True, 2**40), (0, 2.0, 5, False, -1)],
])
def test_batch_columns_match_column_by_column(rows: list[tuple[Any, ...]]) -> None:
    names = ("lap", "t", "plid", "a", "b")
    fast, slow = sink_module._columns(rows, names), sink_module._columns_one_by_one(rows, names)
    assert list(fast) == list(slow)
    for name in names:
        assert fast[name].dtype == slow[name].dtype and fast[name].flags.c_contiguous
        assert np.array_equal(fast[name], slow[name], equal_nan=True)
