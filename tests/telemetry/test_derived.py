"""Derived values on controlled input: accelerations, node-passage gaps, the track ruler."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lfs_ayats.telemetry import events as E
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.telemetry.gaps import NodeClock
from lfs_ayats.telemetry.kinematics import Kinematics
from lfs_ayats.telemetry.track_ruler import TrackRuler
from lfs_ayats.telemetry.validate import Invalid

from . import builders as b


def test_longitudinal_acceleration_from_speeds() -> None:
    k = Kinematics()
    plid = np.array([4])
    along, across, stale = k.update(0.0, plid, np.array([10.0]), np.array([0.0]))
    assert np.isnan(along[0]) and stale[0]  # nothing to derive from yet
    along, across, stale = k.update(0.1, plid, np.array([10.2]), np.array([0.0]))
    assert along[0] == pytest.approx(2.0) and across[0] == pytest.approx(0.0) and not stale[0]


def test_lateral_acceleration_on_a_circle_left_positive_across_the_wrap() -> None:
    k = Kinematics()
    radius, speed, dt = 50.0, 20.0, 0.1
    rate = speed / radius  # rad/s, anticlockwise: a left turn
    plid = np.array([1, 2])
    out = []
    for step in range(40):  # goes through +π -> -π
        direction = (3.0 + rate * dt * step + math.pi) % (2 * math.pi) - math.pi
        _, across, _ = k.update(step * dt, plid, np.array([speed, speed]), np.array([direction, -direction]))
        out.append(across)
    lateral = np.array(out[1:])
    assert np.allclose(lateral[:, 0], speed**2 / radius) and np.allclose(lateral[:, 1], -speed**2 / radius)


def test_samples_too_far_apart_give_no_acceleration_and_are_flagged() -> None:
    k = Kinematics(max_gap_s=0.5)
    plid = np.array([1])
    k.update(0.0, plid, np.array([10.0]), np.array([0.0]))
    along, _, stale = k.update(2.0, plid, np.array([30.0]), np.array([0.0]))
    assert np.isnan(along[0]) and stale[0]
    along, _, stale = k.update(2.0, plid, np.array([31.0]), np.array([0.0]))  # stamped alike: keep the older
    assert np.isnan(along[0]) and not stale[0]
    along, _, _ = k.update(2.1, plid, np.array([31.0]), np.array([0.0]))
    assert along[0] == pytest.approx(10.0)


def test_the_feed_flags_a_sample_gap_on_the_car() -> None:
    events: list[E.Event] = []
    feed = Feed([events.append])
    feed.feed_frame(0.0, b.mci(b.car(1, speed=10.0)))
    feed.feed_frame(0.1, b.mci(b.car(1, speed=11.0)))
    feed.feed_frame(3.0, b.mci(b.car(1, speed=11.0)))
    flags = [int(e.invalid[0]) for e in events if isinstance(e, E.CarSamples)]
    assert flags == [Invalid.SAMPLE_GAP, 0, Invalid.SAMPLE_GAP]
    assert events[1].accel_long_mps2[0] == pytest.approx(10.0, abs=0.05)  # type: ignore[attr-defined]
    assert feed.counters.invalid == 0  # a missing derivative is not an implausible value


def drive(clock: NodeClock, cars: dict[int, float], speed_nodes_per_s: float, seconds: float,
          positions: dict[int, int], dt: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Cars at constant speed from the given start nodes (fractional); returns the last gaps."""
    plid = np.array(list(cars))
    position = np.array([positions[p] for p in cars])
    gap = interval = np.zeros(0)
    for step in range(round(seconds / dt) + 1):
        t = step * dt
        node = np.array([int(cars[p] + speed_nodes_per_s * t) % clock.num_nodes for p in cars])
        gap, interval = clock.update(t, plid, node, position)
    return gap, interval


def test_gap_and_interval_from_node_passages() -> None:
    clock = NodeClock(500)
    # Leader 1 is 20 nodes ahead of 2, which is 10 ahead of 3; all at 10 nodes a second.
    gap, interval = drive(clock, {1: 60.0, 2: 40.0, 3: 30.0}, 10.0, 8.0, {1: 1, 2: 2, 3: 3})
    assert gap == pytest.approx([0.0, 2.0, 3.0], abs=0.02)
    assert interval == pytest.approx([0.0, 2.0, 1.0], abs=0.02)


def test_a_lapped_car_measures_against_the_leaders_previous_passage() -> None:
    clock = NodeClock(100)
    # The leader is 95 nodes (9.5 s) ahead on a 100-node lap: it passes the back marker's node again.
    gap, _ = drive(clock, {1: 100.0, 2: 5.0}, 10.0, 25.0, {1: 1, 2: 2})
    assert gap[1] == pytest.approx(9.5, abs=0.05)


def test_unknown_positions_give_no_gap() -> None:
    clock = NodeClock(100)
    gap, interval = drive(clock, {1: 10.0, 2: 5.0}, 10.0, 2.0, {1: 0, 2: 0})
    assert np.isnan(gap).all() and np.isnan(interval).all()


def test_lap_fraction_from_the_finish_node() -> None:
    ruler = TrackRuler()
    assert np.isnan(ruler.fraction(np.array([5]))).all()
    ruler.configure(400, 100)
    assert ruler.fraction(np.array([100, 300, 99, 0])).tolist() == [0.0, 0.5, 399 / 400, 300 / 400]
    assert np.isnan(ruler.distances(np.array([100]))).all()  # length unknown
    ruler.set_length(2000.0)
    assert ruler.distances(np.array([300])).tolist() == [1000.0]


def test_the_track_length_from_indexed_distance_at_the_line() -> None:
    ruler = TrackRuler()
    ruler.configure(400, 100)
    length, speed = 2345.6, 50.0
    for step in range(2000):  # 100 s at 20 Hz: two line crossings
        t = step * 0.05
        ruler.observe(t, (1000.0 + speed * t) % length, speed, math.nan, math.nan, math.nan, math.nan)
    assert len(ruler.length_estimates) == 2 and ruler.length_m == pytest.approx(length, abs=1e-6)


def test_the_viewed_car_teaches_each_node_its_distance() -> None:
    ruler = TrackRuler()
    ruler.configure(100, 10)
    ruler.set_length(1000.0)
    # Nodes are not evenly spaced: node k of this lap sits at (k - 10)^1.5 ... not a fraction of the length.
    node_at = {(10 + k) % 100: 1000.0 * (k / 100) ** 1.5 for k in range(100)}
    for node, distance in node_at.items():
        ruler.observe(0.0, distance, 30.0, 0.0, distance, 0.0, 30.0)
        paired = ruler.view_distance(0.0, 0.0, distance + 3.0)  # IS_MCI saw the car 3 m further on
        assert paired == pytest.approx((distance + 3.0) % 1000.0)
        ruler.learn(node, distance)
    nodes = np.array([10, 60, 95])
    assert ruler.distances(nodes) == pytest.approx([node_at[10], node_at[60], node_at[95]])
    assert ruler.learnt_nodes() == 100


def test_lap_distance_through_the_feed_from_outsim() -> None:
    events: list[E.Event] = []
    feed = Feed([events.append])
    feed.feed_frame(0.0, b.npl(1, 1, "Alice"))
    feed.feed_frame(0.0, b.rst())
    feed.feed_frame(0.0, b.frame("IS_STA", ViewPLID=1, RaceInProg=1, RaceLaps=5, Track="BL1"))
    feed.feed_outsim(0.2, b.outsim2(2995.0, time_ms=200))
    feed.feed_outsim(0.3, b.outsim2(2.0, time_ms=300))  # the line: 2995 + 30 m/s x 0.1 s - 2 = 2996 m
    assert feed.session.ruler.length_m == pytest.approx(2996.0)
    feed.feed_outsim(0.5, b.outsim2(750.0, x=10.0, y=20.0, vx=0.0, vy=30.0))
    feed.feed_frame(0.5, b.mci(b.car(1, node=180, x=10.0, y=21.5), b.car(2, node=180, x=-5.0, y=0.0)))
    cars = [e for e in events if isinstance(e, E.CarSamples)][-1]
    assert cars.lap_distance_m[0] == pytest.approx(751.5)  # the viewed car: OutSim, moved to where IS_MCI saw it
    assert cars.lap_distance_m[1] == pytest.approx(751.5)  # the same node, learnt from the viewed car
    assert cars.lap_fraction.tolist() == [0.2, 0.2]
