"""The quasi-steady-state lap: believable lap times, and channels that agree with each other."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lfs_ayats.sim.cars import CARS, GRAVITY_MPS2, get_car
from lfs_ayats.sim.physics import LapProfile, base_lap, simulate_lap
from lfs_ayats.sim.track import TRACKS

PAIRS = [(t, c) for t in sorted(TRACKS) for c in ("XFG", "FXR", "MRT")]


@pytest.fixture(params=PAIRS, ids=[f"{t}-{c}" for t, c in PAIRS])
def lap(request: pytest.FixtureRequest) -> tuple[str, str, LapProfile]:
    track, car = request.param
    return track, car, simulate_lap(track, car)


def test_road_car_on_the_club_circuit_is_believable() -> None:
    p = simulate_lap("GM1", "XFG")
    assert 80.0 <= p.lap_time_s <= 100.0
    assert 130.0 <= p.speed_mps.max() * 3.6 <= 200.0
    assert 35.0 <= p.speed_mps.min() * 3.6 <= 70.0


def test_faster_cars_are_faster() -> None:
    for track in TRACKS:
        road = simulate_lap(track, "XFG").lap_time_s
        assert simulate_lap(track, "XRT").lap_time_s < road
        assert simulate_lap(track, "FXR").lap_time_s < 0.85 * road


def test_lap_time_scales_with_pace() -> None:
    times = [simulate_lap("GM1", "XFG", pace).lap_time_s for pace in (1.0, 0.97, 0.94, 0.9)]
    assert times == sorted(times)
    assert 1.01 < times[1] / times[0] < 1.05
    assert 1.04 < times[3] / times[0] < 1.15
    with pytest.raises(ValueError):
        simulate_lap("GM1", "XFG", 1.2)


def test_profile_shapes_and_time(lap: tuple[str, str, LapProfile]) -> None:
    _, _, p = lap
    n = len(p.distance)
    for name in (
        "time_s",
        "speed_mps",
        "throttle",
        "brake",
        "clutch",
        "gear",
        "rpm",
        "accel_long_mps2",
        "accel_lat_mps2",
        "steer_rad",
        "fuel_used_kg",
        "yaw_rate_radps",
    ):
        assert len(getattr(p, name)) == n, name
    assert np.all(np.diff(p.time_s) > 0)
    assert p.speed_mps[0] == pytest.approx(p.speed_mps[-1])  # a flying lap joins itself
    for name in ("throttle", "brake", "clutch"):
        values = getattr(p, name)
        assert values.min() >= 0.0 and values.max() <= 1.0


def test_rpm_follows_speed_and_gear(lap: tuple[str, str, LapProfile]) -> None:
    _, car_code, p = lap
    car = get_car(car_code)
    locked = car.engine_rpm(p.speed_mps, p.gear)
    engaged = (p.clutch == 0.0) & (locked > car.idle_rpm)
    assert engaged.mean() > 0.9
    assert np.allclose(p.rpm[engaged], np.minimum(locked[engaged], car.redline_rpm), rtol=1e-6)
    assert p.rpm.min() >= car.idle_rpm - 1e-9
    assert p.rpm.max() <= car.redline_rpm + 1e-9
    assert p.gear.min() >= 1 and p.gear.max() <= car.gear_count


def test_pedals_agree_with_acceleration(lap: tuple[str, str, LapProfile]) -> None:
    _, _, p = lap
    braking = p.brake > 0.0
    assert braking.any()
    assert np.all(p.accel_long_mps2[braking] < 0.0)
    assert np.all(p.throttle[braking] == 0.0)
    accelerating = p.accel_long_mps2 > 0.5
    assert np.all(p.brake[accelerating] == 0.0)
    assert p.throttle[accelerating & (p.clutch == 0.0)].min() > 0.0
    # Flat out on the straights.
    assert np.median(p.throttle[(p.accel_long_mps2 > 1.0) & (np.abs(p.path_curvature) < 0.002)]) == pytest.approx(1.0)


def test_gear_never_drops_while_accelerating_on_a_straight(lap: tuple[str, str, LapProfile]) -> None:
    _, _, p = lap
    straight = (np.abs(p.path_curvature) < 0.002) & (p.accel_long_mps2 > 0.2)
    runs = np.split(np.arange(len(p.gear)), np.nonzero(np.diff(straight.astype(int)) != 0)[0] + 1)
    for run in runs:
        if straight[run[0]] and len(run) > 10:
            assert np.all(np.diff(p.gear[run]) >= 0)
    # No hunting: a lap has a sensible number of gear changes.
    changes = int(np.count_nonzero(np.diff(p.gear)))
    assert changes < 80


def test_grip_limits_are_respected(lap: tuple[str, str, LapProfile]) -> None:
    _, car_code, p = lap
    car = get_car(car_code)
    grip = car.tyre_mu * (GRAVITY_MPS2 + car.downforce(p.speed_mps) / car.mass_kg)
    assert np.all(np.abs(p.accel_lat_mps2) <= grip * 1.02)
    assert p.accel_long_mps2.min() > -grip.max() * 1.3
    assert np.abs(p.steer_rad).max() <= car.max_steer_rad


def test_fuel_burn_is_plausible() -> None:
    for code in CARS:
        p = simulate_lap("GM1", code)
        assert np.all(np.diff(p.fuel_used_kg) >= 0.0)
        per_100km = p.fuel_used_kg[-1] / 0.745 / (p.distance[-1] / 100_000.0)
        assert 5.0 < per_100km < 90.0, code


def test_upshifts_happen_at_the_shift_point() -> None:
    lap_ = base_lap("HR1", "XFG", 1.0)
    p = lap_.profile
    car = lap_.car
    for k in lap_.upshifts.tolist():
        before = p.rpm[k - 1]
        assert before == pytest.approx(car.shift_rpm, rel=0.06)


def test_apexes_are_the_slow_corners() -> None:
    lap_ = base_lap("GM1", "XFG", 1.0)
    v = lap_.speed
    assert 6 <= len(lap_.apexes) <= 16
    for apex, start in zip(lap_.apexes.tolist(), lap_.brake_starts.tolist(), strict=True):
        assert v[start] > v[apex] * 1.05
    slowest = int(np.argmin(v))
    assert slowest in lap_.apexes.tolist()
    assert math.isclose(float(v[slowest]), float(v.min()))
