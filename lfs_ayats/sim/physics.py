"""Quasi-steady-state lap simulation.

The speed profile comes from three limits: cornering (v² |κ| ≤ μ (g + downforce/m)), a
forward pass limited by engine torque in the current gear, traction and the friction circle,
and a backward pass limited by braking. Everything a data logger shows (time, throttle,
brake, clutch, gear, RPM, accelerations, steering, fuel) is then derived from the speed and
the driven path, so the channels always agree with each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from lfs_ayats.sim.cars import AIR_DENSITY_KG_M3, DOWNSHIFT_FRACTION, GRAVITY_MPS2, CarSpec, get_car
from lfs_ayats.sim.track import FloatArray, Track, get_track, offset_path

IntArray = NDArray[np.int64]

PACE_BUCKET = 0.005
"""Profiles are cached per pace rounded to this step."""
MIN_SPEED_MPS = 0.05


def pace_bucket(pace: float) -> float:
    """The cached pace nearest to ``pace``."""
    return round(round(pace / PACE_BUCKET) * PACE_BUCKET, 6)


@dataclass(frozen=True)
class DriverLimits:
    """What a driver at ``pace`` (1.0 = the car's limit) takes from the car."""

    mu: float
    brake_decel_mps2: float

    @staticmethod
    def for_pace(car: CarSpec, pace: float) -> DriverLimits:
        return DriverLimits(mu=car.tyre_mu * pace**2, brake_decel_mps2=car.max_brake_decel_mps2 * pace**2)


class SpeedCurves:
    """Straight-line acceleration and braking curves of a car for a driver's limits.

    ``accel_distance(v)`` is the distance needed to reach ``v`` from rest at full throttle
    (with gear shifts); ``brake_distance(v)`` the distance to stop from ``v``. Their inverses
    give the speed along an acceleration that starts (or a braking that ends) at a known
    point, which is how laps are modified without re-running the full simulation.
    """

    def __init__(self, car: CarSpec, limits: DriverLimits) -> None:
        self.car = car
        v = np.arange(0.0, car.top_speed_at_limiter_mps + 5.0, 0.1)
        m = car.mass_kg
        grip = limits.mu * (m * GRAVITY_MPS2 + car.downforce(v))
        resist = car.drag_force(v) + car.rolling_resistance * m * GRAVITY_MPS2
        gear = car.gear_for_speed(v)
        rpm = np.maximum(car.engine_rpm(v, gear), car.launch_rpm * (gear == 1) + car.idle_rpm * (gear != 1))
        rpm = np.minimum(rpm, car.redline_rpm)
        drive = car.torque_at(rpm) * car.overall_ratio(gear) * car.drivetrain_efficiency / car.wheel_radius_m
        drive = np.minimum(drive, grip * car.driven_load_fraction)
        accel = (drive - resist) / m
        usable = np.nonzero(accel <= 0.05)[0]
        last = int(usable[0]) if len(usable) else len(v)
        v_acc, a_acc = v[:last], accel[:last]
        seg = np.diff(v_acc) * 0.5 * (v_acc[1:] / a_acc[1:] + v_acc[:-1] / a_acc[:-1])
        dist = np.concatenate(([0.0], np.cumsum(seg)))
        # A gear change interrupts the drive for shift_time_s at the shift speed.
        for v_shift in car.upshift_speeds():
            dist = dist + np.where(v_acc > v_shift, v_shift * car.shift_time_s, 0.0)
        self.accel_speed = v_acc
        self.accel_dist = dist
        decel = np.minimum(limits.brake_decel_mps2 * m, grip) / m + resist / m
        seg_b = np.diff(v) * 0.5 * (v[1:] / decel[1:] + v[:-1] / decel[:-1])
        self.brake_speed = v
        self.brake_dist = np.concatenate(([0.0], np.cumsum(seg_b)))

    @property
    def top_speed_mps(self) -> float:
        return float(self.accel_speed[-1])

    def accel_distance(self, speed: FloatArray | float) -> FloatArray:
        out: FloatArray = np.asarray(np.interp(speed, self.accel_speed, self.accel_dist), dtype=np.float64)
        return out

    def speed_after_accel(self, distance: FloatArray) -> FloatArray:
        """Speed after accelerating over ``distance`` from rest (capped at the curve's top)."""
        out: FloatArray = np.asarray(np.interp(distance, self.accel_dist, self.accel_speed), dtype=np.float64)
        return out

    def brake_distance(self, speed: FloatArray | float) -> FloatArray:
        out: FloatArray = np.asarray(np.interp(speed, self.brake_speed, self.brake_dist), dtype=np.float64)
        return out

    def speed_before_stop(self, distance: FloatArray) -> FloatArray:
        """Highest speed from which the car can stop within ``distance``."""
        out: FloatArray = np.asarray(np.interp(distance, self.brake_dist, self.brake_speed), dtype=np.float64)
        return out


def cornering_limit(car: CarSpec, limits: DriverLimits, curvature: FloatArray) -> FloatArray:
    """Highest steady speed on a path of this curvature (1/m)."""
    k_down = 0.5 * AIR_DENSITY_KG_M3 * car.downforce_area_m2 / car.mass_kg
    excess = np.abs(curvature) - limits.mu * k_down
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.sqrt(limits.mu * GRAVITY_MPS2 / excess)
    out: FloatArray = np.where(excess > 1e-9, np.minimum(v, 200.0), 200.0)
    return out


def solve_speed(
    car: CarSpec,
    limits: DriverLimits,
    curvature: FloatArray,
    step_len: FloatArray,
    grade: FloatArray,
    v_top: float,
) -> FloatArray:
    """Periodic quasi-steady-state speed on a closed path (one value per grid point).

    ``step_len[i]`` is the driven length from point i to i+1 (the last wraps to 0).
    """
    n = len(curvature)
    m = car.mass_kg
    g = GRAVITY_MPS2
    k_drag = 0.5 * AIR_DENSITY_KG_M3 * car.drag_area_m2 / m
    k_down = 0.5 * AIR_DENSITY_KG_M3 * car.downforce_area_m2 / m
    mu = limits.mu
    rr = car.rolling_resistance * g
    v_lim = np.minimum(cornering_limit(car, limits, curvature), v_top).tolist()
    kap = np.abs(curvature).tolist()
    ds = step_len.tolist()
    gr = grade.tolist()
    ratio = [0.0] + [r * car.final_drive for r in car.gear_ratios]
    rpm_per_mps = [r * 60.0 / (2.0 * math.pi * car.wheel_radius_m) for r in ratio]
    wheel_force = [r * car.drivetrain_efficiency / car.wheel_radius_m for r in ratio]
    tq_rpm = list(car.torque_curve_rpm)
    tq_nm = list(car.torque_curve_nm)
    up_speeds = car.upshift_speeds().tolist()
    down_speeds = [DOWNSHIFT_FRACTION * u for u in up_speeds]
    top_gear = car.gear_count
    start = int(np.argmin(v_lim))

    def torque(rpm: float) -> float:
        if rpm > car.redline_rpm:
            return 0.0
        return _interp(rpm, tq_rpm, tq_nm)

    def gear_for(v: float, current: int) -> int:
        low = 1
        while low < top_gear and v > up_speeds[low - 1]:
            low += 1
        high = 1
        while high < top_gear and v > down_speeds[high - 1]:
            high += 1
        return low if current < low else high if current > high else current

    # Forward pass, two laps from the slowest point so the result is periodic.
    fwd = [0.0] * n
    v = v_lim[start]
    gear = gear_for(v, 1)
    shift_left = 0.0
    for step in range(2 * n):
        i = (start + step) % n
        j = (i + 1) % n
        if step >= n:
            fwd[i] = v
        grip = mu * (g + k_down * v * v)
        a_lat = v * v * kap[i]
        frac = a_lat / grip
        long_avail = grip * math.sqrt(1.0 - frac * frac) if frac < 1.0 else 0.0
        rpm = v * rpm_per_mps[gear]
        if shift_left <= 0.0 and gear < top_gear and rpm >= car.shift_rpm:
            gear += 1
            shift_left = car.shift_time_s
            rpm = v * rpm_per_mps[gear]
        if shift_left > 0.0:
            drive = 0.0
            shift_left -= ds[i] / max(v, 1.0)
        else:
            drive = torque(max(rpm, car.launch_rpm if gear == 1 else car.idle_rpm)) * wheel_force[gear] / m
            drive = min(drive, long_avail * car.driven_load_fraction)
        a = drive - k_drag * v * v - rr - g * gr[i]
        v_next = math.sqrt(max(v * v + 2.0 * a * ds[i], MIN_SPEED_MPS**2))
        if v_next >= v_lim[j]:
            v_next = v_lim[j]
            if shift_left <= 0.0:
                gear = gear_for(v_next, gear)
        v = v_next
    # Backward pass (braking), also two laps.
    bwd = [0.0] * n
    v = v_lim[start]
    for step in range(2 * n):
        i = (start - step) % n
        h = (i - 1) % n
        if step >= n:
            bwd[i] = v
        grip = mu * (g + k_down * v * v)
        a_lat = v * v * kap[h]
        frac = a_lat / grip
        long_avail = grip * math.sqrt(1.0 - frac * frac) if frac < 1.0 else 0.0
        decel = min(limits.brake_decel_mps2, long_avail) + k_drag * v * v + rr + g * gr[h]
        v_prev = math.sqrt(max(v * v + 2.0 * max(decel, 0.0) * ds[h], MIN_SPEED_MPS**2))
        v = min(v_prev, v_lim[h])
    out: FloatArray = np.minimum(np.asarray(fwd), np.asarray(bwd))
    return out


def _interp(x: float, xs: list[float], ys: list[float]) -> float:
    if x <= xs[0]:
        return ys[0]
    for k in range(1, len(xs)):
        if x <= xs[k]:
            t = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
            return ys[k - 1] + t * (ys[k] - ys[k - 1])
    return ys[-1]


@dataclass(frozen=True, eq=False)
class LapProfile:
    """Channels of one drive along the track, on a uniform grid of centre-line distance.

    ``distance`` may start before the line (a grid start) or run past a lap; use
    ``track.lap_distance`` to wrap it. Signs: lateral offset, steering, yaw and lateral
    acceleration are positive to the left (counter-clockwise); slip ratio is negative
    under braking (-1 = locked).
    """

    distance: FloatArray
    time_s: FloatArray
    """Time of arrival at each point, from the start of the profile."""
    dwell_s: FloatArray
    """Time spent standing at each point before moving on (pit stops, a start)."""
    speed_mps: FloatArray
    lateral_offset_m: FloatArray
    direction_offset_rad: FloatArray
    """Direction of motion relative to the centre line."""
    yaw_offset_rad: FloatArray
    """Car heading relative to its direction of motion (a spin)."""
    throttle: FloatArray
    brake: FloatArray
    clutch: FloatArray
    gear: IntArray
    rpm: FloatArray
    accel_long_mps2: FloatArray
    accel_lat_mps2: FloatArray
    steer_rad: FloatArray
    yaw_rate_radps: FloatArray
    fuel_used_kg: FloatArray
    slip_ratio: FloatArray
    tan_slip_angle: FloatArray
    path_curvature: FloatArray

    @property
    def lap_time_s(self) -> float:
        return float(self.time_s[-1])

    def __repr__(self) -> str:
        return f"LapProfile({len(self.distance)} points, {self.lap_time_s:.3f} s)"

    def __len__(self) -> int:
        return len(self.distance)


@dataclass
class Overrides:
    """Per-point inputs that an incident forces onto the derived channels (NaN/-1 = none)."""

    gear: IntArray
    rpm: FloatArray
    brake: FloatArray
    slip_ratio: FloatArray

    @staticmethod
    def none(n: int) -> Overrides:
        return Overrides(
            gear=np.full(n, -1, dtype=np.int64),
            rpm=np.full(n, np.nan),
            brake=np.full(n, np.nan),
            slip_ratio=np.full(n, np.nan),
        )


def derive_channels(
    track: Track,
    car: CarSpec,
    limits: DriverLimits,
    distance: FloatArray,
    speed: FloatArray,
    lateral_offset: FloatArray,
    yaw_offset: FloatArray | None = None,
    dwell: FloatArray | None = None,
    overrides: Overrides | None = None,
    start_gear: int | None = None,
) -> LapProfile:
    """Everything a logger shows, derived from speed and the driven line."""
    n = len(distance)
    step = track.step_m
    yaw = np.zeros(n) if yaw_offset is None else yaw_offset
    stay = np.zeros(n) if dwell is None else dwell
    ov = Overrides.none(n) if overrides is None else overrides
    v = np.maximum(speed, 0.0)
    kappa_c = track.sample(track.curvature, distance)
    kappa_slope = np.gradient(kappa_c, step)
    path = offset_path(kappa_c, lateral_offset, step, kappa_slope)
    seg_len = 0.5 * step * (path.stretch[1:] + path.stretch[:-1])
    seg_speed = np.maximum(v[1:] + v[:-1], 2.0 * MIN_SPEED_MPS)
    seg_time = 2.0 * seg_len / seg_speed
    time_s = np.concatenate(([0.0], np.cumsum(seg_time + stay[:-1])))
    seg_accel = (v[1:] ** 2 - v[:-1] ** 2) / (2.0 * seg_len)
    accel = np.concatenate((seg_accel, seg_accel[-1:]))

    gear = car.gears_along(v, start_gear)
    forced_gear = ov.gear >= 0
    gear = np.where(forced_gear, ov.gear, gear)
    locked_rpm = car.engine_rpm(v, gear)
    rpm = np.maximum(locked_rpm, car.idle_rpm)
    clutch = np.zeros(n)
    # A launch runs from a standstill until the wheels turn the engine at launch RPM.
    k = np.arange(n)
    last_stop = np.maximum.accumulate(np.where(v < 0.5, k, -1))
    last_grip = np.maximum.accumulate(np.where((locked_rpm >= car.launch_rpm) | (gear != 1), k, -1))
    launching = (last_stop >= 0) & (last_stop > last_grip) & (accel > 0.0)
    rpm = np.where(launching, car.launch_rpm, rpm)
    clutch = np.where(launching, np.clip(1.0 - locked_rpm / car.launch_rpm, 0.0, 1.0), clutch)
    stalling = (locked_rpm < car.idle_rpm) & ~launching
    clutch = np.where(stalling, 1.0, clutch)
    shifting = _shift_windows(gear, v, time_s, car.shift_time_s)
    clutch = np.where(shifting, 1.0, clutch)
    neutral = gear == 0
    rpm = np.where(neutral, car.idle_rpm + 0.0 * v, rpm)
    rpm = np.minimum(rpm, car.redline_rpm)
    rpm = np.where(np.isnan(ov.rpm), rpm, ov.rpm)

    m = car.mass_kg
    grade = track.sample(track.grade, distance) / path.stretch
    resist = car.drag_force(v) + car.rolling_resistance * m * GRAVITY_MPS2 + m * GRAVITY_MPS2 * grade
    needed = m * accel + resist
    full = (
        car.torque_at(np.minimum(rpm, car.redline_rpm))
        * car.overall_ratio(gear)
        * car.drivetrain_efficiency
        / car.wheel_radius_m
    )
    throttle = np.where((needed > 0.0) & ~shifting & ~neutral, np.clip(needed / np.maximum(full, 1.0), 0.0, 1.0), 0.0)
    engine_drag = 0.1 * car.peak_torque_nm * car.overall_ratio(gear) / car.wheel_radius_m * (clutch < 0.5)
    brake = np.where(
        needed < -engine_drag, np.clip((-needed - engine_drag) / (m * car.max_brake_decel_mps2), 0.0, 1.0), 0.0
    )
    brake = np.where(np.isnan(ov.brake), brake, ov.brake)
    throttle = np.where(brake > 0.0, 0.0, throttle)

    accel_lat = v * v * path.curvature
    grip = limits.mu * (m * GRAVITY_MPS2 + car.downforce(v)) / m
    dyaw = np.gradient(yaw, step) / path.stretch
    yaw_rate = v * (path.curvature + dyaw)
    steer = np.arctan(car.wheelbase_m * path.curvature) + 0.002 * accel_lat
    # Opposite lock while the car rotates away from its path.
    steer = steer - np.clip(dyaw * 4.0, -1.0, 1.0) * car.max_steer_rad
    steer = np.clip(steer, -car.max_steer_rad, car.max_steer_rad)

    omega = rpm * 2.0 * math.pi / 60.0
    power = throttle * car.torque_at(rpm) * omega
    idle_flow = car.bsfc_kg_per_j * 2000.0
    flow = car.bsfc_kg_per_j * power + idle_flow
    seg_fuel = 0.5 * (flow[1:] + flow[:-1]) * seg_time + idle_flow * stay[:-1]
    fuel = np.concatenate(([0.0], np.cumsum(seg_fuel)))

    slip = np.where(brake > 0.0, -0.12 * brake, 0.08 * throttle * np.clip(needed / (grip * m), 0.0, 1.0))
    slip = np.where(np.isnan(ov.slip_ratio), slip, ov.slip_ratio)
    wrapped_yaw = (yaw + math.pi) % (2.0 * math.pi) - math.pi
    tan_slip = np.tan(np.clip(0.12 * accel_lat / grip + wrapped_yaw, -1.45, 1.45))

    return LapProfile(
        distance=distance,
        time_s=time_s,
        dwell_s=stay,
        speed_mps=v,
        lateral_offset_m=lateral_offset,
        direction_offset_rad=path.direction_offset,
        yaw_offset_rad=yaw,
        throttle=throttle,
        brake=brake,
        clutch=clutch,
        gear=gear.astype(np.int64),
        rpm=rpm,
        accel_long_mps2=accel,
        accel_lat_mps2=accel_lat,
        steer_rad=steer,
        yaw_rate_radps=yaw_rate,
        fuel_used_kg=fuel,
        slip_ratio=slip,
        tan_slip_angle=tan_slip,
        path_curvature=path.curvature,
    )


def _shift_windows(gear: IntArray, speed: FloatArray, time_s: FloatArray, shift_time: float) -> NDArray[np.bool_]:
    """Points where the clutch is down for a gear change (from the change onwards)."""
    changes = np.nonzero((np.diff(gear) != 0) & (gear[1:] > 0) & (gear[:-1] > 0))[0] + 1
    window = np.zeros(len(gear), dtype=bool)
    if len(changes) == 0:
        return window
    ends = time_s[changes] + np.where(gear[changes] > gear[changes - 1], shift_time, 0.6 * shift_time)
    stop = np.searchsorted(time_s, ends, side="left")
    for a, b in zip(changes.tolist(), stop.tolist(), strict=True):
        window[a : max(b, a + 1)] = True
    return window


@dataclass(frozen=True, eq=False)
class BaseLap:
    """A cached flying lap for (track, car, pace) plus what the field needs to vary it."""

    track: Track
    car: CarSpec
    pace: float
    limits: DriverLimits
    curves: SpeedCurves
    profile: LapProfile
    speed: FloatArray
    """Flying-lap speed at each track grid point (periodic, without the closing point)."""
    apexes: IntArray
    """Grid indices of corner apexes (local speed minima)."""
    brake_starts: IntArray
    """Grid index where the braking for each apex begins."""
    upshifts: IntArray
    downshifts: IntArray


def _find_apexes(speed: FloatArray) -> tuple[IntArray, IntArray]:
    """Speed minima that end a real braking zone (≥ 6 % slower than the peak before them),
    and the grid index where that braking starts (the peak)."""
    n = len(speed)
    rising = np.roll(speed, -1) > speed
    # Turning points of the periodic trace: a minimum where it stops falling, a maximum where it stops rising.
    minima = np.nonzero(rising & ~np.roll(rising, 1))[0]
    maxima = np.nonzero(~rising & np.roll(rising, 1))[0]
    if len(minima) == 0 or len(maxima) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    k = np.searchsorted(maxima, minima) - 1
    peaks = maxima[k % len(maxima)]
    keep = speed[peaks] >= 1.06 * speed[minima]
    order = np.argsort(minima[keep])
    return minima[keep][order].astype(np.int64), (peaks[keep][order] % n).astype(np.int64)


@lru_cache(maxsize=256)
def base_lap(track_code: str, car_code: str, pace: float) -> BaseLap:
    """The flying lap of ``car_code`` on ``track_code`` at ``pace`` (cached per pace bucket)."""
    track = get_track(track_code)
    car = get_car(car_code)
    pace = pace_bucket(pace)
    limits = DriverLimits.for_pace(car, pace)
    curves = SpeedCurves(car, limits)
    line = track.racing_line
    step_len = track.step_m * 0.5 * (line.stretch + np.roll(line.stretch, -1))
    speed = solve_speed(car, limits, line.curvature, step_len, track.grade / line.stretch, curves.top_speed_mps)
    distance = np.arange(len(speed) + 1, dtype=np.float64) * track.step_m
    closed = np.concatenate((speed, speed[:1]))
    offset = np.concatenate((track.racing_line_offset, track.racing_line_offset[:1]))
    profile = derive_channels(track, car, limits, distance, closed, offset)
    apexes, starts = _find_apexes(speed)
    gear = profile.gear[:-1]
    change = np.diff(np.concatenate((gear, gear[:1])))
    return BaseLap(
        track=track,
        car=car,
        pace=pace,
        limits=limits,
        curves=curves,
        profile=profile,
        speed=speed,
        apexes=apexes,
        brake_starts=starts,
        upshifts=np.nonzero(change > 0)[0] + 1,
        downshifts=np.nonzero(change < 0)[0] + 1,
    )


def simulate_lap(track: Track | str, car: CarSpec | str, pace: float = 1.0) -> LapProfile:
    """A flying lap: the car's cached quasi-steady-state lap at ``pace`` (0 < pace ≤ 1).

    ``pace`` is the share of the tyres' grip and of the brakes that the driver uses.
    """
    if not 0.5 <= pace <= 1.0:
        raise ValueError(f"pace must be within [0.5, 1.0], got {pace}")
    track_code = track if isinstance(track, str) else track.code
    car_code = car if isinstance(car, str) else car.code
    return base_lap(track_code.upper(), car_code.upper(), pace_bucket(pace)).profile
