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


def stress_capture(path: Path, seed: int) -> None:
    """A hand-made race that a seeded simulator seldom produces: fast cars lapping slow ones, positions
    that lag the order on track, sets stamped alike, resets, splits in between, the view moving."""
    import math
    import random

    from tests.telemetry import builders as b

    rng = random.Random(seed)
    cars = 10
    n = b.NUM_NODES
    rate = [rng.choice((1, 2, 3, 5, 9)) for _ in range(cars)]  # nodes per set: the 9s lap the 1s
    node = [rng.randrange(n) for _ in range(cars)]
    laps = [1] * cars
    t = 0.0
    with CaptureWriter(path, {"source": "test"}) as w:
        w.write(Channel.INSIM_TCP, b.rst(), t)
        for p in range(1, cars + 1):
            w.write(Channel.INSIM_TCP, b.ncn(p, f"u{p}", f"Driver {p}"), t)
            w.write(Channel.INSIM_TCP, b.npl(p, p, f"Driver {p}", reqi=1), t)
        view = 1
        for step in range(600):
            if rng.random() > 0.15:  # else: the same stamp as the set before
                t += 0.05
            for i in range(cars):
                before = node[i]
                node[i] = (node[i] + rate[i] + rng.choice((0, 0, 1))) % n
                if (before - b.FINISH) % n > (node[i] - b.FINISH) % n:
                    laps[i] += 1
                if rng.random() < 0.002:  # a reset: back a few nodes
                    node[i] = (node[i] - 7) % n
            progress = [laps[i] * n + (node[i] - b.FINISH) % n for i in range(cars)]
            order = sorted(range(cars), key=lambda i: -progress[i])
            if rng.random() < 0.3:  # positions a set behind the order on track
                j = rng.randrange(cars - 1)
                order[j], order[j + 1] = order[j + 1], order[j]
            position = {car_i: k + 1 for k, car_i in enumerate(order)}
            rows = [b.car(i + 1, node=node[i], lap=laps[i], position=position[i], x=node[i] * 5.0, y=float(i),
                          speed=20.0 + rate[i] + rng.random(), direction=rng.uniform(-math.pi, math.pi))
                    for i in range(cars)]
            w.write(Channel.INSIM_TCP, b.mci(*rows[:6], last=False), t)
            w.write(Channel.INSIM_TCP, b.mci(*rows[6:], first=False), t)
            if step % 97 == 50:
                view = rng.randrange(1, cars + 1)
            v = view - 1
            w.write(Channel.OUTGAUGE, b.outgauge(plid=view, time_ms=round(t * 1000)), t)
            w.write(Channel.OUTSIM, b.outsim2((node[v] * 5.0 + 3.0) % (n * 5.0), x=node[v] * 5.0, y=float(v),
                                              vx=30.0, vy=0.0, time_ms=round(t * 1000)), t)
            if rng.random() < 0.08:
                w.write(Channel.INSIM_TCP, b.spx(rng.randrange(1, cars + 1), 30_000, 60_000, 1), t)


@pytest.mark.parametrize("seed", [1, 2])
def test_runs_of_sets_match_set_by_set_where_cars_lap_and_positions_lag(tmp_path: Path, seed: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from lfs_ayats.telemetry import car_runs

    path = tmp_path / "stress.lfscap"
    stress_capture(path, seed)
    joined: list[bool] = []
    real = car_runs.arrive

    def counted(*args: Any) -> bool:
        joined.append(real(*args))
        return joined[-1]

    with monkeypatch.context() as m:
        m.setattr(car_runs, "arrive", counted)
        import_both_ways(path, monkeypatch)
    assert joined.count(True) > 400 and joined.count(False) > 5  # both ways were taken, mostly runs
