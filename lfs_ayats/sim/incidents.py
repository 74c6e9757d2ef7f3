"""Driver mistakes, each a local edit of a planned lap that leaves a ground-truth record.

Kinds: ``lockup`` (late braking, locked wheels, slower apex), ``spin`` (the car slides to a
near stop, rotates a full turn, recovers), ``off_track`` (runs wide beyond the track limits
and loses speed on the grass), ``cut`` (cuts inside the limits at an apex; recorded only as
``hotlap_invalid``), ``missed_shift`` (finds neutral instead of the next gear) and
``over_rev`` (changes down too early and over-revs). Leaving the limits adds a
``hotlap_invalid`` record (LFS's HLVC "ground"), like LFS's IS_HLV.
Contacts between cars are not planned here: the field detects them as they happen.
"""

from __future__ import annotations

import math
import random

import numpy as np

from lfs_ayats.sim.draft import IncidentSpec, PlanDraft, bump
from lfs_ayats.sim.speed_edits import apply_cap
from lfs_ayats.sim.track import FloatArray

MISTAKE_WEIGHTS: dict[str, float] = {
    "lockup": 0.28,
    "off_track": 0.20,
    "cut": 0.17,
    "missed_shift": 0.12,
    "over_rev": 0.11,
    "spin": 0.12,
}
"""Relative frequency of each kind of mistake."""

OFF_TRACK_MARGIN_M = 1.0
"""How far past the edge the centre of the car must be for the wheels to be off."""


def _outside_sign(draft: PlanDraft, k: int) -> float:
    """+1 if the outside of the corner at plan index k is to the left."""
    kappa = float(draft.track.sample(draft.track.curvature, draft.distance[k]))
    return -1.0 if kappa > 0.0 else 1.0


def _leave_limits(draft: PlanDraft, cause: str, first: int, last: int) -> list[IncidentSpec]:
    """A hotlap_invalid record where the car first leaves the limits within [first, last]."""
    half = draft.half_width()
    outside = np.nonzero(np.abs(draft.offset[first : last + 1]) > half[first : last + 1] + OFF_TRACK_MARGIN_M)[0]
    if len(outside) == 0:
        return []
    k = first + int(outside[0])
    return [IncidentSpec("hotlap_invalid", k, {"hlvc": "ground", "cause": cause})]


def _blend_offset(draft: PlanDraft, target: FloatArray, weight: FloatArray) -> None:
    draft.offset[:] = draft.offset * (1.0 - weight) + target * weight


def lockup(draft: PlanDraft, rng: random.Random, brake_start: int, apex: int) -> list[IncidentSpec]:
    """Brake late, lock the wheels, run wide and lose the apex speed."""
    step = draft.track.step_m
    late_m = rng.uniform(6.0, 22.0)
    start = min(draft.index_at_distance(brake_start, late_m), apex - 2)
    v_hold = float(draft.speed[brake_start])
    draft.speed[brake_start:start] = np.maximum(draft.speed[brake_start:start], v_hold)
    # Locked tyres stop worse than threshold braking.
    decel = 0.8 * draft.base.limits.brake_decel_mps2
    v_apex = float(draft.speed[apex]) * rng.uniform(0.72, 0.9)
    x = draft.distance[start:] - draft.distance[start]
    locked = np.sqrt(np.maximum(v_hold**2 - 2.0 * decel * x, 0.0))
    reach = np.nonzero(locked <= v_apex)[0]
    end = start + (int(reach[0]) if len(reach) else len(x) - 1)
    end = min(max(end, apex), len(draft) - 1)
    seg = slice(start, end + 1)
    draft.speed[seg] = np.maximum(locked[: end + 1 - start], v_apex)
    draft.speed = apply_cap(draft.speed, draft.distance, float(draft.distance[end]), v_apex, draft.curves, before=False)
    lock_end = start + max(2, int(0.6 * (end - start)))
    draft.overrides.brake[start : lock_end + 1] = 1.0
    draft.overrides.slip_ratio[start : lock_end + 1] = -1.0
    wide = rng.uniform(1.5, 3.0) * _outside_sign(draft, apex)
    half = draft.half_width()
    rise = max(int(15.0 / step), end - start)
    weight = bump(len(draft), start, rise, int(10.0 / step), int(50.0 / step))
    target = np.clip(draft.offset + wide, -(half - 0.6), half - 0.6)
    _blend_offset(draft, target, weight)
    detail = {
        "late_by_m": round(late_m, 1),
        "apex_speed_loss_mps": round(float(draft.ceiling[apex]) - v_apex, 2),
        "locked_m": round((lock_end - start) * step, 1),
    }
    return [IncidentSpec("lockup", start, detail)]


def spin(draft: PlanDraft, rng: random.Random, at: int) -> list[IncidentSpec]:
    """Lose the rear, slide to a near stop while turning round, then drive on."""
    step = draft.track.step_m
    v0 = float(draft.speed[at])
    v_stop = rng.uniform(0.8, 2.0)
    decel = 0.75 * draft.base.limits.mu * 9.81
    slide_m = max((v0**2 - v_stop**2) / (2.0 * decel), 8.0)
    slide_end = draft.index_at_distance(at, slide_m)
    creep_end = draft.index_at_distance(slide_end, rng.uniform(5.0, 10.0))
    x = draft.distance[at : slide_end + 1] - draft.distance[at]
    draft.speed[at : slide_end + 1] = np.sqrt(np.maximum(v0**2 - 2.0 * decel * x, v_stop**2))
    draft.speed[slide_end : creep_end + 1] = v_stop
    draft.speed = apply_cap(
        draft.speed, draft.distance, float(draft.distance[creep_end]), v_stop, draft.curves, before=False
    )
    draft.dwell[slide_end] += rng.uniform(0.8, 3.0)
    draft.overrides.brake[at : slide_end + 1] = 1.0
    direction = rng.choice((-1.0, 1.0))
    turn = rng.uniform(0.75, 1.15) * math.pi
    n = len(draft)
    k = np.arange(n, dtype=float)
    slide_frac = np.clip((k - at) / max(slide_end - at, 1), 0.0, 1.0)
    creep_frac = np.clip((k - slide_end) / max(creep_end - slide_end, 1), 0.0, 1.0)
    draft.yaw += direction * (turn * (slide_frac**0.7) + (2.0 * math.pi - turn) * creep_frac)
    leaves = rng.random() < 0.6
    half = draft.half_width()
    side = _outside_sign(draft, at)
    excursion = (half + rng.uniform(1.5, 6.0)) if leaves else (half - 0.8)
    weight = bump(n, at, max(slide_end - at, 1), max(creep_end - slide_end, 1), int(80.0 / step))
    _blend_offset(draft, side * excursion, weight)
    detail = {
        "yaw_deg": round(math.degrees(turn) * direction, 1),
        "min_speed_mps": round(v_stop, 2),
        "left_track": leaves,
    }
    out = [IncidentSpec("spin", at, detail)]
    if leaves:
        out += _leave_limits(draft, "spin", at, min(creep_end + int(80.0 / step), n - 1))
    return out


def off_track(draft: PlanDraft, rng: random.Random, at: int) -> list[IncidentSpec]:
    """Run wide out of a corner beyond the limits; the grass costs speed."""
    step = draft.track.step_m
    n = len(draft)
    half = draft.half_width()
    side = _outside_sign(draft, at)
    excursion = rng.uniform(1.5, 5.0)
    rise = int(rng.uniform(20.0, 35.0) / step)
    hold = int(rng.uniform(15.0, 60.0) / step)
    fall = int(rng.uniform(30.0, 50.0) / step)
    weight = bump(n, at, rise, hold, fall)
    _blend_offset(draft, side * (half + excursion), weight)
    rejoin = min(at + rise + hold, n - 1)
    v_leave = float(draft.speed[at])
    v_rejoin = v_leave * rng.uniform(0.6, 0.85)
    draft.speed = apply_cap(
        draft.speed, draft.distance, float(draft.distance[rejoin]), v_rejoin, draft.curves, brake_share=0.5
    )
    detail = {
        "side": "left" if side > 0 else "right",
        "max_excursion_m": round(excursion, 2),
        "speed_loss_mps": round(v_leave - v_rejoin, 2),
    }
    return [IncidentSpec("off_track", at, detail), *_leave_limits(draft, "off_track", at, min(rejoin + fall, n - 1))]


def cut(draft: PlanDraft, rng: random.Random, apex: int) -> list[IncidentSpec]:
    """Cut the inside of a corner past the limits (no damage; the hotlap is invalid)."""
    step = draft.track.step_m
    n = len(draft)
    half = draft.half_width()
    inside = -_outside_sign(draft, apex)
    depth = rng.uniform(1.3, 2.5)
    span = int(rng.uniform(12.0, 20.0) / step)
    weight = bump(n, apex - span, span, int(6.0 / step), span)
    _blend_offset(draft, inside * (half + depth), weight)
    return _leave_limits(draft, "cut", max(apex - span, 0), min(apex + 2 * span, n - 1))


def missed_shift(draft: PlanDraft, rng: random.Random, at: int) -> list[IncidentSpec]:
    """Find neutral instead of the next gear: no drive until the gear goes in."""
    car = draft.base.car
    v0 = float(draft.speed[at])
    duration = rng.uniform(0.5, 1.2)
    end = draft.index_at_distance(at, v0 * duration)
    draft.speed[at : end + 1] = np.minimum(draft.speed[at : end + 1], v0)
    draft.speed = apply_cap(draft.speed, draft.distance, float(draft.distance[end]), v0, draft.curves, before=False)
    draft.overrides.gear[at:end] = 0
    t = (draft.distance[at:end] - draft.distance[at]) / max(v0, 1.0)
    draft.overrides.rpm[at:end] = np.maximum(car.shift_rpm - 5000.0 * t, car.idle_rpm + 500.0)
    from_gear = int(car.gear_for_speed(v0)) - 1
    detail = {"from_gear": max(from_gear, 1), "duration_s": round(duration, 2)}
    return [IncidentSpec("missed_shift", at, detail)]


def over_rev(draft: PlanDraft, rng: random.Random, at: int) -> list[IncidentSpec]:
    """Change down a gear too early under braking: the engine is dragged past the limiter."""
    car = draft.base.car
    v = draft.speed
    gear = car.gears_along(v[: at + 1])[-1] if at > 0 else int(car.gear_for_speed(v[0]))
    lower = max(int(gear) - 1, 1)
    duration = rng.uniform(0.25, 0.6)
    end = draft.index_at_distance(at, float(v[at]) * duration)
    rpm = car.engine_rpm(v[at:end], lower)
    peak = float(rpm.max()) if len(rpm) else 0.0
    if peak <= car.redline_rpm * 1.03:
        # Not fast enough to hurt in that gear: go one gear lower still.
        lower = max(lower - 1, 1)
        rpm = car.engine_rpm(v[at:end], lower)
        peak = float(rpm.max()) if len(rpm) else 0.0
    draft.overrides.gear[at:end] = lower
    draft.overrides.rpm[at:end] = rpm
    draft.overrides.slip_ratio[at:end] = -0.35
    detail = {"gear": lower, "peak_rpm": round(peak), "redline_rpm": car.redline_rpm}
    return [IncidentSpec("over_rev", at, detail)]
