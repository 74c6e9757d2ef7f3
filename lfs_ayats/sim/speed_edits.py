"""Local edits of a speed trace that respect the car's acceleration and braking.

A cap at one point (a slower apex, a pit stop, a spin) is joined to the rest of the lap by
the car's own braking curve before it and acceleration curve after it; taking the minimum
with the original trace keeps every other limit intact. All distances are metres along the
centre line; all arrays are on the same grid.
"""

from __future__ import annotations

import numpy as np

from lfs_ayats.sim.physics import SpeedCurves
from lfs_ayats.sim.track import FloatArray


def cap_curve(
    distance: FloatArray,
    at_distance: float,
    speed_cap: float,
    curves: SpeedCurves,
    *,
    brake_share: float = 1.0,
    before: bool = True,
    after: bool = True,
) -> FloatArray:
    """Highest speed everywhere given that the car is at ``speed_cap`` at ``at_distance``.

    The point may lie outside the grid (a corner of the next lap). ``brake_share`` < 1
    brakes more gently (a pit stop rather than a corner).
    """
    x = distance - at_distance
    out = np.full(len(distance), np.inf)
    if before:
        mask = x < 0.0
        out[mask] = curves.speed_before_stop(curves.brake_distance(speed_cap) + brake_share * -x[mask])
    if after:
        mask = x > 0.0
        out[mask] = curves.speed_after_accel(curves.accel_distance(speed_cap) + x[mask])
    out[x == 0.0] = speed_cap
    return out


def apply_cap(
    speed: FloatArray,
    distance: FloatArray,
    at_distance: float,
    speed_cap: float,
    curves: SpeedCurves,
    *,
    brake_share: float = 1.0,
    before: bool = True,
    after: bool = True,
) -> FloatArray:
    # Only the stretch where the curves can be below the trace matters.
    top = max(float(np.max(speed)), speed_cap)
    reach_before = (float(curves.brake_distance(top)) - float(curves.brake_distance(speed_cap))) / brake_share
    reach_after = float(curves.accel_distance(top)) - float(curves.accel_distance(speed_cap))
    lo = (
        int(np.searchsorted(distance, at_distance - reach_before - 1.0))
        if before
        else int(np.searchsorted(distance, at_distance))
    )
    hi = (
        int(np.searchsorted(distance, at_distance + reach_after + 1.0, side="right"))
        if after
        else int(np.searchsorted(distance, at_distance, side="right"))
    )
    out = speed.copy()
    if lo < hi:
        part = cap_curve(
            distance[lo:hi], at_distance, speed_cap, curves, brake_share=brake_share, before=before, after=after
        )
        out[lo:hi] = np.minimum(speed[lo:hi], part)
    return out


def apply_zone_cap(
    speed: FloatArray,
    distance: FloatArray,
    start: int,
    end: int,
    speed_cap: float,
    curves: SpeedCurves,
    *,
    brake_share: float = 0.6,
) -> FloatArray:
    """Limit the speed to ``speed_cap`` between two indices (a pit lane speed limit).

    Indices may lie outside the array: the zone is then open on that side.
    """
    n = len(distance)
    out = speed.copy()
    lo = max(start, 0)
    hi = min(end, n - 1)
    if lo <= hi:
        out[lo : hi + 1] = np.minimum(out[lo : hi + 1], speed_cap)
    if 0 <= start < n:
        out = apply_cap(out, distance, float(distance[start]), speed_cap, curves, brake_share=brake_share, after=False)
    if 0 <= end < n:
        out = apply_cap(out, distance, float(distance[end]), speed_cap, curves, before=False)
    return out


def continue_from(
    speed: FloatArray, distance: FloatArray, start_speed: float, curves: SpeedCurves, ceiling: FloatArray
) -> FloatArray:
    """Join a trace to the speed the car already has at its first point.

    Slower than the trace: accelerate into it. Faster: brake down to it, never above
    ``ceiling`` (the driver's flying lap).
    """
    x = distance - distance[0]
    accel = curves.speed_after_accel(curves.accel_distance(start_speed) + x)
    slowing = curves.speed_before_stop(np.maximum(curves.brake_distance(start_speed) - x, 0.0))
    out: FloatArray = np.maximum(np.minimum(speed, accel), np.minimum(ceiling, slowing))
    out[0] = start_speed
    return out
