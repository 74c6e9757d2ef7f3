"""Ring buffers for the live UI: the newest samples, oldest first, in memory fixed at construction."""

from __future__ import annotations

import numpy as np
import pytest

from lfs_ayats.telemetry import events as E
from lfs_ayats.telemetry.buffers import CarRing, RingBuffer, TelemetryBuffers
from lfs_ayats.telemetry.feed import Feed

from . import builders as b


def test_a_ring_keeps_the_newest_in_order() -> None:
    ring = RingBuffer(5)
    assert len(ring) == 0 and ring.latest()[1].size == 0
    for k in range(12):
        ring.append(k / 10, float(k))
    t, v = ring.latest()
    assert len(ring) == 5 and v.tolist() == [7, 8, 9, 10, 11] and t.tolist() == pytest.approx([0.7, 0.8, 0.9, 1.0, 1.1])
    assert ring.latest(2)[1].tolist() == [10, 11] and ring.latest(99)[1].size == 5
    first = ring.values(3)
    assert first == (9.0, 10.0, 11.0) and isinstance(first, tuple)
    ring.append(1.2, 12.0)
    assert ring.values(3) == (10.0, 11.0, 12.0) and first == (9.0, 10.0, 11.0)  # a new tuple each time
    with pytest.raises(ValueError):
        RingBuffer(0)


def sample_set(t: float, plids: list[int], speed: float) -> E.CarSamples:
    feed_events: list[E.Event] = []
    Feed([feed_events.append]).feed_frame(t, b.mci(*[b.car(p, speed=speed + p) for p in plids]))
    cars = feed_events[0]
    assert isinstance(cars, E.CarSamples)
    return cars


def test_car_rings_take_a_whole_set_per_row() -> None:
    ring = CarRing(4, channels=("speed_mps",), max_cars=3)
    for k in range(6):
        ring.append(sample_set(k, [1, 2] if k % 2 else [2, 1], speed=10.0 * k))
    t, speed = ring.latest(1, "speed_mps")
    assert t.tolist() == [2, 3, 4, 5] and speed == pytest.approx([21, 31, 41, 51], abs=0.01)
    assert np.isnan(ring.latest(7, "speed_mps")[1]).all()
    ring.append(sample_set(6, [1, 2, 3, 4], speed=0.0))  # one car more than there are columns
    assert ring.overflow == 1
    ring.release(2)
    ring.append(sample_set(7, [5], speed=0.0))  # reuses the column PLID 2 had
    assert ring.latest(5, "speed_mps", 1)[1] == pytest.approx([5.0], abs=0.01)
    assert np.isnan(ring.latest(2, "speed_mps")[1]).all()


def test_the_buffers_listener_stays_bounded_over_a_long_session() -> None:
    buffers = TelemetryBuffers(seconds=2.0, sample_hz=50, set_hz=10)
    feed = Feed([buffers])
    feed.feed_frame(0.0, b.npl(1, 1, "Alice"))

    def size() -> int:
        rings = [r for store in (buffers.gauge, buffers.motion) for rs in store.values() for r in rs.values()]
        car_arrays = list(buffers.cars._data.values())
        return sum(r._t.nbytes + r._v.nbytes for r in rings) + sum(a.nbytes for a in car_arrays)

    for k in range(1000):
        t = k / 50
        feed.feed_outgauge(t, b.outgauge(plid=1, speed=float(k % 90), rpm=3000.0 + k))
        feed.feed_outsim(t, b.outsim2(float(k)))
        if k % 5 == 0:
            feed.feed_frame(t, b.mci(b.car(1, speed=k % 90), b.car(2)))
        if k == 100:
            settled = size()
    assert size() == settled
    times, rpm = buffers.latest("gauge", 1, "rpm", 3)
    assert rpm.tolist() == [3997.0, 3998.0, 3999.0] and times[-1] == pytest.approx(999 / 50)
    assert len(buffers.latest("gauge", 1, "speed_mps")[1]) == 100
    assert len(buffers.latest("cars", 1, "speed_mps")[1]) == 20
    assert buffers.latest("motion", 1, "lap_distance_m", 1)[1].tolist() == [999.0]
    assert buffers.latest("gauge", 9, "rpm")[1].size == 0
    feed.feed_frame(30.0, b.frame("IS_PLL", PLID=1))
    assert 1 not in buffers.gauge and np.isnan(buffers.latest("cars", 1, "speed_mps")[1]).all()
