"""An import that converts the viewed car's OutSim/OutGauge column-wise stores exactly what one-by-one would.

Both ways run on the seeded race, and on a copy doctored with what real captures hold now and
then: a non-finite float, a datagram of a wrong size, a view switched to another car and back.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, select

from lfs_ayats.store import blocks
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from lfs_ayats.store.tables import blocks_table, events_table, laps_table
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.wire.capture import CaptureReader, CaptureWriter, Channel
from tests.telemetry.simrace import RecordedRace


def one_by_one(self: Feed, records: Any) -> None:
    for record in records:
        self.feed_record(record)


def stored(engine: Engine) -> tuple[list[Any], list[Any], list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        laps = [tuple(r) for r in conn.execute(select(laps_table).order_by(laps_table.c.id))]
        events = [tuple(r) for r in conn.execute(select(events_table).order_by(events_table.c.id))]
        rows = conn.execute(select(blocks_table).order_by(blocks_table.c.plid, blocks_table.c.lap,
                                                          blocks_table.c.source)).all()
    keyed = [(r.plid, r.lap, r.source, r.rows, r.t_start, r.t_end, r.distance_min_m, r.distance_max_m,
              blocks.decode(r.data)) for r in rows]
    return laps, events, keyed


def import_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_engine, slow_engine = open_store("sqlite://"), open_store("sqlite://")
    fast = import_capture(path, fast_engine)
    with monkeypatch.context() as m:
        m.setattr(Feed, "feed_records", one_by_one)
        slow = import_capture(path, slow_engine)
    assert fast.decode_errors == slow.decode_errors
    assert (fast.counters.samples, fast.counters.laps, fast.counters.events, fast.counters.blocks) == (
        slow.counters.samples, slow.counters.laps, slow.counters.events, slow.counters.blocks)
    fast_laps, fast_events, fast_blocks = stored(fast_engine)
    slow_laps, slow_events, slow_blocks = stored(slow_engine)
    assert fast_laps == slow_laps
    assert fast_events == slow_events
    assert len(fast_blocks) == len(slow_blocks)
    assert {b[2] for b in fast_blocks} == {"cars", "gauge", "motion"}
    for a, b in zip(fast_blocks, slow_blocks, strict=True):
        assert a[:8] == b[:8]
        frame_a, frame_b = a[8], b[8]
        assert isinstance(frame_a, pl.DataFrame)
        assert frame_a.schema == frame_b.schema, a[:3]
        assert frame_a.equals(frame_b), a[:3]


def test_the_seeded_race_is_stored_alike(race: RecordedRace, monkeypatch: pytest.MonkeyPatch) -> None:
    import_both_ways(race.full, monkeypatch)


def doctor(source: Path, target: Path) -> dict[str, int]:
    """A copy of a capture with odd datagrams in it; returns how many of each were put in."""
    done = {"nan": 0, "short": 0, "view": 0}
    with CaptureReader(source) as reader, CaptureWriter(target, reader.header) as writer:
        outsim = outgauge = 0
        for record in reader.records():
            data = record.data
            if record.channel == Channel.OUTSIM:
                outsim += 1
                if outsim % 997 == 0:  # a NaN in the front right wheel's SuspDeflect (Opts 0x1ff)
                    raw = bytearray(data)
                    struct.pack_into("<f", raw, len(raw) - 4 * 9 - 12, float("nan"))
                    data, done["nan"] = bytes(raw), done["nan"] + 1
            elif record.channel == Channel.OUTGAUGE:
                outgauge += 1
                if outgauge % 1499 == 0:
                    data, done["short"] = data[:50], done["short"] + 1
                elif 3000 <= outgauge < 3040:  # the view on another car for a moment
                    raw = bytearray(data)
                    raw[11] = 2 if raw[11] != 2 else 3  # OutGauge PLID
                    data = bytes(raw)
                    done["view"] += 1
            writer.write(record.channel, data, record.t)
    return done


def test_a_capture_with_odd_datagrams_is_stored_alike(race: RecordedRace, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    odd = tmp_path / "odd.lfscap"
    done = doctor(race.full, odd)
    assert all(done.values()), done
    import_both_ways(odd, monkeypatch)
