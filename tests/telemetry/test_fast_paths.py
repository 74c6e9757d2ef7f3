"""The IS_MCI set's fast paths give, bit for bit, what the general computations give.

Each set is ~30 cars, so the telemetry takes shortcuts for the usual case (the same cars as the
last set share one time step, each car passed at most one node, every float row is scaled by one
product, per-node tables instead of per-set arithmetic). These tests run the shortcut and the
general path on the same input and compare the bytes.
"""

from __future__ import annotations

import math

import numpy as np

from lfs_ayats import packets as P
from lfs_ayats.telemetry import convert, units, validate
from lfs_ayats.telemetry.gaps import NodeClock
from lfs_ayats.telemetry.kinematics import Kinematics
from lfs_ayats.telemetry.track_ruler import TrackRuler

from . import builders as b

CARS = 30


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_kinematics_of_the_same_cars_match_a_reordered_set() -> None:
    rng = np.random.default_rng(5)
    plid = np.arange(1, CARS + 1, dtype=np.uint8)
    usual, general = Kinematics(), Kinematics()
    times = [i * 0.05 for i in range(40)] + [1.95, 3.0, 3.05, 3.1]  # a duplicate stamp, then a stale gap
    shortcuts = 0
    for step, t in enumerate(times):
        speed, direction = rng.uniform(0.0, 80.0, CARS), rng.uniform(-math.pi, math.pi, CARS)
        order = np.roll(np.arange(CARS), step + 1)  # a new order each set: never "the same cars"
        shortcuts += usual._last_rows == plid.astype(np.intp).tobytes()
        got = usual.update(t, plid, speed, direction)
        want = general.update(t, plid[order], speed[order], direction[order])
        for a, b_ in zip(got, want, strict=True):
            assert same_bits(a[order], b_)
    assert shortcuts > 30


def test_one_node_steps_stamp_like_the_general_interpolation() -> None:
    n = 100
    usual, general = NodeClock(n), NodeClock(n)
    plid = np.array([1, 2, 3, 4])
    position = np.array([1, 2, 3, 4])
    start = np.array([95.0, 60.0, 40.0, 12.0])
    speed = np.array([6.0, 5.5, 5.0, 4.0])  # nodes a second: at most one node per 0.1 s sample
    for step in range(1, 600):  # long enough for the leader to lap the last car
        t = step * 0.1
        node = (start + speed * t).astype(np.int64) % n
        gap, interval = usual.update(t, plid, node, position)
        # A fifth car in an unknown position stepping two nodes a set sends every car the general way.
        extra = np.append(node, (2 * step) % n)
        gap_g, interval_g = general.update(t, np.append(plid, 9), extra, np.append(position, 0))
        assert same_bits(gap, gap_g[:4]) and same_bits(interval, interval_g[:4])
        assert math.isnan(gap_g[4]) and math.isnan(interval_g[4])
    assert np.isfinite(gap).all() and gap[0] == 0.0 and interval[0] == 0.0


def compcars(rng: np.random.Generator, count: int) -> np.ndarray:
    dtype = P.decode(b.mci(b.car(1))).Info.array.dtype
    cars = np.zeros(count, dtype)
    for name in dtype.names or ():
        info = np.iinfo(dtype.fields[name][0])  # type: ignore[index]
        cars[name] = rng.integers(info.min, info.max, count, endpoint=True)
    cars["X"][:count // 2] //= 1000  # half on the map, half anywhere CompCar allows
    cars["Y"][:count // 2] //= 1000
    cars["Z"][:count // 2] //= 1000
    return cars


def test_car_samples_scale_every_column_like_units() -> None:
    rng = np.random.default_rng(9)
    for count in (0, 1, 16, 40):
        cars = compcars(rng, count)
        ev = convert.car_samples(1.0, cars)
        x, y, z = (units.position_m(cars[name].astype(np.float64)) for name in ("X", "Y", "Z"))
        speed = units.speed_mps(cars["Speed"].astype(np.float64))
        yaw = units.angular_velocity_radps(cars["AngVel"].astype(np.float64))
        assert same_bits(ev.x_m, x) and same_bits(ev.y_m, y) and same_bits(ev.z_m, z)
        assert same_bits(ev.speed_mps, speed) and same_bits(ev.yaw_rate_radps, yaw)
        assert same_bits(ev.direction_rad, units.angle16_rad(cars["Direction"].astype(np.float64)))
        assert same_bits(ev.heading_rad, units.angle16_rad(cars["Heading"].astype(np.float64)))
        assert same_bits(ev.invalid, validate.car_checks(speed, yaw, x, y, z))
        assert all(not column.flags.writeable for column in (ev.x_m, ev.plid, ev.invalid, ev.lap_fraction))
    assert np.count_nonzero(ev.invalid)  # the random set has implausible cars: the slow check ran too


def test_ruler_tables_match_the_per_node_formula() -> None:
    n, finish, length = 400, 100, 2996.5
    ruler = TrackRuler()
    ruler.configure(n, finish)
    nodes = np.array([0, 99, 100, 101, 250, 399, 400, 801])  # beyond the last node wraps
    fraction = ((nodes - finish) % n) / n
    assert same_bits(ruler.locate(nodes)[0], fraction) and np.isnan(ruler.locate(nodes)[1]).all()
    ruler.locate(nodes)  # a table built before the length is known must not stay
    ruler.set_length(length)
    learnt: dict[int, list[float]] = {}
    for node, distance in [(250, 1100.25), (250, 1101.0), (101, 2995.0), (399, 10.0), (0, 2990.0)]:
        ruler.learn(node, distance)
        rel = (node - finish) % n  # near the line a distance is moved to the node's side of it
        moved = distance - length if rel < n / 4 and distance > length / 2 else \
            distance + length if rel > 3 * n / 4 and distance < length / 2 else distance
        learnt.setdefault(node, []).append(moved)
        sums = np.array([sum(learnt.get(int(k) % n, [0.0])) for k in nodes])
        counts = np.array([len(learnt.get(int(k) % n, [])) for k in nodes])
        learnt_mean = np.divide(sums, counts, out=np.full(len(nodes), np.nan), where=counts > 0)
        want = np.where(counts > 0, learnt_mean, fraction * length) % length
        got_fraction, got_distance = ruler.locate(nodes)
        assert same_bits(got_fraction, fraction) and same_bits(got_distance, want)
        assert same_bits(ruler.distances(nodes), want)
