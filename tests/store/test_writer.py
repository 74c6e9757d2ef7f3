"""The live writer: batched, flushed every ~second, everything on a clean stop, drops counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lfs_ayats.store import queries
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.tables import blocks_table, laps_table
from lfs_ayats.store.writer import StoreWriter
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.wire.capture import CaptureReader

from .conftest import RecordedRace


def _count(engine: Engine, table, column=None) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        what = func.count() if column is None else func.coalesce(func.sum(column), 0)
        return int(conn.execute(select(what).select_from(table)).scalar_one())


def test_a_clean_stop_writes_everything(engine: Engine, race: RecordedRace) -> None:
    writer = StoreWriter(engine).start()
    feed = Feed([writer.queue])
    with CaptureReader(race.full) as reader:
        for record in reader.records():
            feed.feed_record(record)
    feed.flush()
    stats = writer.stop()
    assert stats.dropped == 0 and stats.errors == 0 and stats.queued == 0
    assert _count(engine, laps_table) == len(race.truth["laps"])
    cars = feed.counters.events["CarSamples"]
    assert cars > 0 and stats.samples == _count(engine, blocks_table, blocks_table.c.rows)
    [session] = queries.sessions(engine)
    assert session["source"] == "live" and session["t_end"] is not None


def test_rows_reach_the_database_within_the_flush_interval(tmp_path: Path, race: RecordedRace) -> None:
    url = f"sqlite:///{tmp_path}/live.sqlite3"
    writer = StoreWriter(open_store(url), interval_s=0.3, flush_rows=10**9).start()
    feed = Feed([writer.queue])
    with CaptureReader(race.full) as reader:
        for record in reader.records(0, 120):  # past the first lap of every car
            feed.feed_record(record)
    reader_engine = open_store(url)  # another connection, as the UI would read
    deadline = time.monotonic() + 1.5
    laps = feed.counters.events["LapCompleted"]
    while _count(reader_engine, laps_table) < laps and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _count(reader_engine, laps_table) == laps > 0  # without a stop
    assert _count(reader_engine, blocks_table, blocks_table.c.rows) == writer.stats().samples > 0
    writer.stop()
    # whatever blocks the flushes cut a completed lap into were merged: one per car, lap and source
    with reader_engine.connect() as conn:
        b = blocks_table.c
        pieces = conn.execute(select(b.plid, b.lap, b.source, func.count()).where(b.source == "cars")
                              .group_by(b.plid, b.lap, b.source)).all()
    completed = {(lap["plid"], lap["lap"]) for lap in queries.laps(reader_engine)}
    assert completed and all(n == 1 for plid, lap, _, n in pieces if (plid, lap) in completed)


def test_a_full_queue_drops_samples_and_counts_them(engine: Engine, race: RecordedRace) -> None:
    writer = StoreWriter(engine, queue_limit=50)  # not started: nothing drains the queue
    feed = Feed([writer.queue])
    with CaptureReader(race.full) as reader:
        for record in reader.records(0, 100):
            feed.feed_record(record)
    assert writer.stats().dropped > 0 and feed.drops == writer.stats().dropped
    writer.start()
    stats = writer.stop()
    assert _count(engine, laps_table) == feed.counters.events["LapCompleted"] > 0  # laps are never dropped
    assert stats.dropped == writer.queue.dropped


CHILD = textwrap.dedent("""
    import sys, time
    from lfs_ayats.store.engine import open_store
    from lfs_ayats.store.writer import StoreWriter
    from lfs_ayats.telemetry.feed import Feed
    from lfs_ayats.wire.capture import CaptureReader

    writer = StoreWriter(open_store(sys.argv[1]), interval_s=1.0).start()
    feed = Feed([writer.queue])
    speed = 20.0  # capture seconds per wall second
    start = time.monotonic()
    with CaptureReader(sys.argv[2]) as reader:
        for record in reader.records():
            while record.t > (time.monotonic() - start) * speed:
                time.sleep(0.005)
            feed.feed_record(record)
            print(f"fed {record.t:.3f}", flush=True)
    time.sleep(60)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_loses_at_most_about_a_second(tmp_path: Path, race: RecordedRace) -> None:
    url = f"sqlite:///{tmp_path}/killed.sqlite3"
    open_store(url)
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(race.full)], stdout=subprocess.PIPE, text=True,
                             cwd=os.getcwd())
    assert child.stdout is not None
    last = 0.0
    while last < 100.0:  # 5 s of wall time at 20x
        line = child.stdout.readline()
        assert line, "the writer process ended early"
        last = float(line.split()[1])
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    engine = open_store(url)
    with engine.connect() as conn:
        stored = conn.execute(select(func.max(blocks_table.c.t_end))).scalar_one()
    # a flush every second of wall time = 20 s of capture time; allow half a second more for the flush itself
    assert stored is not None and last - stored <= 1.5 * 20.0


def test_a_laps_pieces_are_merged_into_one_block(engine: Engine, race: RecordedRace) -> None:
    from lfs_ayats.store.sink import EventSink

    sink = EventSink(engine)
    feed = Feed([sink.handle])
    with CaptureReader(race.full) as reader:
        for record in reader.records(0, 130):
            feed.feed_record(record)
            if sink.pending >= 500:  # many small flushes, as a live writer makes
                sink.flush()
    sink.close()
    b = blocks_table.c
    with engine.connect() as conn:
        pieces = dict(conn.execute(select(b.plid, func.count()).where(b.lap == 1, b.source == "cars")
                                   .group_by(b.plid)).all())
        open_laps = conn.execute(select(func.count()).where(b.lap == 2, b.source == "cars")).scalar_one()
    assert set(pieces.values()) == {1} and len(pieces) == len(race.truth["players"])
    assert open_laps > len(race.truth["players"])  # lap 2 was still being driven: its pieces stay
    lap = queries.laps(engine, plid=1)[0]
    frame = queries.lap_telemetry(engine, lap["id"])
    assert frame["t"].is_sorted() and frame.height > 900
