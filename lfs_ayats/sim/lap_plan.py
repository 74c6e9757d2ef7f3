"""Plans: one drive of a car from one timing point to the next, fixed before it is driven.

A plan starts from the driver's cached flying lap and adds lap-to-lap variation (slower or
faster apexes, a slightly different line), the situation (a standing start, the pit lane, a
pit stop, a cool-down) and the planned mistakes. Its channels come from
:func:`~lfs_ayats.sim.physics.derive_channels`, and it knows the plan-clock time of every
timing line, pit line and incident on it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lfs_ayats.sim import incidents
from lfs_ayats.sim.draft import IncidentSpec, PlanDraft, bump
from lfs_ayats.sim.penalties import PIT_SPEED_TOLERANCE_MPS
from lfs_ayats.sim.physics import BaseLap, LapProfile, derive_channels
from lfs_ayats.sim.speed_edits import apply_cap, apply_zone_cap, continue_from
from lfs_ayats.sim.track import FloatArray

PLAN_KINDS = ("flying", "race_start", "in", "out", "garage_out", "park", "cooldown")
"""flying: line to line. race_start: grid to line. in: line to line, into the pit lane at
the end. out: line (in the pit lane) past the box, where it stops (or not, on a drive-through),
to the line. garage_out: box to line (untimed). park: line to box, where it stays. cooldown:
an in lap after the flag, at a gentle pace."""

PIT_BRAKE_SHARE = 0.6
"""Share of its braking a driver uses to slow for the pit speed limit."""
LATE_SLOWING_M = 15.0
"""A driver who enters the pit lane too fast notices this far after the speed limit line."""


@dataclass(frozen=True)
class PlanEvent:
    time_s: float
    """Plan-clock time (seconds from the start of the plan)."""
    kind: str
    """"split", "pit_entry", "pit_exit", "stop_start", "stop_end", "box_pass" (a drive-through
    passes its box), "pit_speeding" (over the pit-lane limit), "incident", "object_hit"."""
    index: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class LapPlan:
    kind: str
    first_grid_index: int
    profile: LapProfile
    pit_lane: FloatArray
    """1 where the car is in the pit lane, else 0."""
    events: list[PlanEvent]
    incidents: list[IncidentSpec]
    ends_parked: bool
    """The plan ends standing still (in the box, or retired); otherwise at the line."""
    retires: bool = False

    @property
    def duration_s(self) -> float:
        return self.profile.lap_time_s

    @property
    def end_speed(self) -> float:
        return float(self.profile.speed_mps[-1])

    @property
    def end_gear(self) -> int:
        return int(self.profile.gear[-1])


@dataclass(frozen=True)
class LapNoise:
    """A driver's variation on one lap: apex speed factors and a line wobble."""

    apex_factor: FloatArray
    """Per apex of the base lap (1 = as fast as the driver can)."""
    line_amplitudes: tuple[float, ...]

    @staticmethod
    def draw(base: BaseLap, rng: random.Random, consistency: float) -> LapNoise:
        scale = corner_noise_scale(base, consistency)
        factors = [1.0 - min(abs(rng.gauss(0.0, 1.0)) * scale, 0.15) for _ in range(len(base.apexes))]
        wobble = 0.1 + 40.0 * consistency
        amplitudes = tuple(rng.gauss(0.0, wobble / (m + 1)) for m in range(6))
        return LapNoise(np.asarray(factors), amplitudes)

    @staticmethod
    def none(base: BaseLap) -> LapNoise:
        return LapNoise(np.ones(len(base.apexes)), (0.0,) * 6)


_NOISE_SCALE_CACHE: dict[tuple[str, str, float], float] = {}


def corner_noise_scale(base: BaseLap, consistency: float) -> float:
    """Spread of apex-speed factors that makes the lap time vary by ``consistency`` (sigma/mean).

    Each apex's sensitivity (seconds lost per unit of speed factor) is measured once on the
    base lap; for half-normal factors the lap-time variance is Σ sᵢ² c² (1 - 2/π).
    """
    key = (base.track.code, base.car.code, base.pace)
    if key not in _NOISE_SCALE_CACHE:
        step = base.track.step_m
        distance = np.arange(len(base.speed), dtype=np.float64) * step
        t0 = float(np.sum(step / base.speed))
        squares = 0.0
        for apex in base.apexes.tolist():
            slowed = apply_cap(base.speed, distance, float(distance[apex]), float(base.speed[apex]) * 0.99, base.curves)
            sens = (float(np.sum(step / slowed)) - t0) / 0.01
            squares += sens * sens
        _NOISE_SCALE_CACHE[key] = math.sqrt(squares * (1.0 - 2.0 / math.pi)) / base.profile.lap_time_s
    denom = _NOISE_SCALE_CACHE[key]
    return consistency / denom if denom > 0 else 0.0


@dataclass
class PlanRequest:
    """Everything needed to build one plan."""

    kind: str
    base: BaseLap
    noise: LapNoise
    next_noise: LapNoise
    start_speed: float = 0.0
    start_gear: int | None = None
    mistakes: tuple[str, ...] = ()
    start_dwell_s: float = 0.0
    box_distance: float = 0.0
    stop_s: float = 0.0
    grid_behind_m: float = 0.0
    grid_lateral_m: float = 0.0
    gentle: float = 1.0
    """Speed factor for a cool-down lap."""
    retire_chance: float = 0.0
    pit_speeding_mps: float = 0.0
    """In lap: how far over the pit speed limit the car crosses the limit line."""
    drive_through: bool = False
    """Out lap: drive past the box without stopping (serving a drive-through penalty)."""


def _box_index(request: PlanRequest) -> int:
    return round(request.box_distance / request.base.track.step_m)


def _domain(request: PlanRequest) -> tuple[int, int]:
    g = len(request.base.track.x)
    kind = request.kind
    if kind == "race_start":
        return -round(request.grid_behind_m / request.base.track.step_m), g
    if kind == "garage_out":
        return _box_index(request), g
    if kind == "park":
        return 0, _box_index(request)
    return 0, g


def _pit_weight(draft: PlanDraft, kind: str) -> FloatArray:
    """0..1: how far into the pit lane the car is at each point of the plan."""
    pit = draft.track.pit
    lap_d = draft.distance % draft.track.length_m
    frac = pit.lateral_offset(lap_d) / pit.offset_m
    if kind in ("in", "cooldown"):
        keep = draft.distance >= pit.entry_distance
    elif kind in ("out", "garage_out"):
        keep = draft.distance <= pit.exit_distance
    elif kind == "park":
        keep = np.ones(len(draft), dtype=bool)
    else:
        keep = np.zeros(len(draft), dtype=bool)
    out: FloatArray = np.where(keep, frac, 0.0)
    return out


def _apply_noise(draft: PlanDraft, noise: LapNoise, next_noise: LapNoise) -> None:
    base = draft.base
    g = len(base.track.x)
    length = base.track.length_m
    first = draft.first_grid_index
    for lap_shift, lap_noise in ((0, noise), (g, next_noise)):
        for apex, factor in zip(base.apexes.tolist(), lap_noise.apex_factor.tolist(), strict=True):
            if factor >= 1.0:
                continue
            at = (apex + lap_shift) * base.track.step_m
            if lap_shift == 0 and not (first * base.track.step_m <= at <= draft.distance[-1]):
                continue
            draft.speed = apply_cap(draft.speed, draft.distance, at, float(base.speed[apex]) * factor, base.curves)
    # A wobble that vanishes at both lap ends keeps the line continuous from lap to lap.
    u = np.clip(draft.distance / length, 0.0, 1.0)
    wobble = np.zeros(len(draft))
    for m, amp in enumerate(noise.line_amplitudes, start=1):
        wobble += amp * np.sin(math.pi * m * u)
    half = draft.half_width()
    draft.offset[:] = np.clip(draft.offset + wobble, -(half - 0.9), half - 0.9)


def _sites(draft: PlanDraft, kind: str, lo: int, hi: int, rng: random.Random) -> list[tuple[int, ...]]:
    """Candidate places for a mistake of this kind, as plan indices within [lo, hi]."""
    base = draft.base
    step = base.track.step_m
    out: list[tuple[int, ...]] = []
    if kind == "lockup":
        for start, apex in zip(base.brake_starts.tolist(), base.apexes.tolist(), strict=True):
            for k in draft.plan_indices(np.asarray([start])).tolist():
                a = k + (apex - start) % len(base.track.x)
                if lo <= k and a <= hi and a - k >= int(20.0 / step):
                    out.append((k, a))
    elif kind in ("spin", "off_track", "cut"):
        for k in draft.plan_indices(base.apexes).tolist():
            shift = 0 if kind == "cut" else int(rng.uniform(3.0, 25.0) / step)
            if lo <= k + shift <= hi:
                out.append((k + shift,))
    elif kind == "missed_shift":
        out = [(k,) for k in draft.plan_indices(base.upshifts).tolist() if lo <= k <= hi]
    elif kind == "over_rev":
        starts = draft.plan_indices(base.brake_starts).tolist()
        out = [(k + int(3.0 / step),) for k in starts if lo <= k <= hi]
    return out


def _plan_mistakes(draft: PlanDraft, request: PlanRequest, rng: random.Random, pit_w: FloatArray) -> None:
    step = draft.track.step_m
    n = len(draft)
    lead_in = int((150.0 if request.kind == "race_start" else 40.0) / step) + max(0, -draft.first_grid_index)
    on_track = np.nonzero(pit_w[:n] < 1e-9)[0]
    if len(on_track) == 0:
        return
    used: list[int] = []
    for kind in request.mistakes:
        room = int((260.0 if kind in ("spin", "off_track") else 120.0) / step)
        lo = max(int(on_track[0]) + lead_in, lead_in)
        hi = min(int(on_track[-1]), n - 1) - room
        # Keep clear of the pit lane entry at the end of an in lap.
        sites = [s for s in _sites(draft, kind, lo, hi, rng) if all(abs(s[0] - u) > int(200.0 / step) for u in used)]
        sites = [s for s in sites if pit_w[min(s[-1] + room, n - 1)] < 1e-9 and pit_w[s[0]] < 1e-9]
        if not sites:
            continue
        site = sites[rng.randrange(len(sites))]
        used.append(site[0])
        if kind == "lockup":
            specs = incidents.lockup(draft, rng, site[0], site[1])
            if rng.random() < 0.2:
                specs += incidents.off_track(draft, rng, site[1])
        elif kind == "spin":
            specs = incidents.spin(draft, rng, site[0])
        elif kind == "off_track":
            specs = incidents.off_track(draft, rng, site[0])
        elif kind == "cut":
            specs = incidents.cut(draft, rng, site[0])
        elif kind == "missed_shift":
            specs = incidents.missed_shift(draft, rng, site[0])
        else:
            specs = incidents.over_rev(draft, rng, site[0])
        draft.incidents.extend(specs)


def _time_at(profile: LapProfile, distance: float) -> float:
    """Plan-clock time when the car passes ``distance`` (moving off after any dwell)."""
    d = profile.distance
    k = int(np.searchsorted(d, distance, side="right")) - 1
    k = min(max(k, 0), len(d) - 2)
    frac = (distance - d[k]) / (d[k + 1] - d[k])
    leave = profile.time_s[k] + profile.dwell_s[k]
    return float(leave + frac * (profile.time_s[k + 1] - leave))


def build_plan(request: PlanRequest, rng: random.Random) -> LapPlan:
    """Build the plan described by ``request``; ``rng`` decides the details of mistakes."""
    base = request.base
    track = base.track
    pit = track.pit
    first, last = _domain(request)
    draft = PlanDraft.over(base, first, last)
    n = len(draft)
    kind = request.kind
    if kind not in PLAN_KINDS:
        raise ValueError(f"unknown plan kind {kind!r}")

    if kind == "cooldown":
        draft.speed *= request.gentle
    if kind in ("flying", "race_start", "in", "out"):
        _apply_noise(draft, request.noise, request.next_noise)
    pit_w = _pit_weight(draft, kind)
    draft.offset[:] = draft.offset * (1.0 - pit_w) + pit.lateral_offset(draft.distance % track.length_m) * (pit_w > 0)
    if kind == "race_start":
        merge = 1.0 - bump(n, -1, 1, round(request.grid_behind_m / track.step_m), int(150.0 / track.step_m))
        draft.offset[:] = request.grid_lateral_m * (1.0 - merge) + draft.offset * merge

    limit = pit.speed_limit_mps

    def to_index(d: float) -> int:
        return round((d - float(draft.distance[0])) / track.step_m)

    stop_at: int | None = None
    box_pass: int | None = None
    if kind in ("in", "cooldown"):
        start = to_index(pit.limit_start)
        if request.pit_speeding_mps > 0.0:
            start = _enter_too_fast(draft, start, limit + request.pit_speeding_mps, limit)
        draft.speed = apply_zone_cap(draft.speed, draft.distance, start, n + 10, limit, draft.curves)
    elif kind == "out":
        draft.speed = apply_zone_cap(draft.speed, draft.distance, -10, to_index(pit.limit_end), limit, draft.curves)
        if request.drive_through:
            box_pass = _box_index(request)
        else:
            stop_at = _box_index(request)
    elif kind == "garage_out":
        draft.speed = apply_zone_cap(draft.speed, draft.distance, -10, to_index(pit.limit_end), limit, draft.curves)
    elif kind == "park":
        draft.speed = np.minimum(draft.speed, limit)
        stop_at = n - 1
    if stop_at is not None:
        draft.speed = apply_cap(
            draft.speed, draft.distance, float(draft.distance[stop_at]), 0.0, draft.curves, brake_share=0.35
        )
        draft.dwell[stop_at] += request.stop_s

    if request.mistakes:
        _plan_mistakes(draft, request, rng, pit_w)
    retire_at: int | None = None
    for spec in draft.incidents:
        if spec.kind == "spin" and spec.detail.get("left_track") and rng.random() < request.retire_chance:
            retire_at = spec.index + int(30.0 / track.step_m)
            break

    draft.speed = continue_from(draft.speed, draft.distance, request.start_speed, draft.curves, draft.ceiling)
    draft.dwell[0] += request.start_dwell_s
    if kind == "garage_out":
        draft.speed[0] = 0.0
    if retire_at is not None and retire_at < n - 2:
        _truncate(draft, retire_at + 1)
        draft.speed = apply_cap(draft.speed, draft.distance, float(draft.distance[-1]), 0.0, draft.curves, after=False)
        draft.incidents = [s for s in draft.incidents if s.index < len(draft)]
        pit_w = pit_w[: len(draft)]

    profile = derive_channels(
        track,
        base.car,
        base.limits,
        draft.distance,
        draft.speed,
        draft.offset,
        yaw_offset=draft.yaw,
        dwell=draft.dwell,
        overrides=draft.overrides,
        start_gear=request.start_gear,
    )
    events = _plan_events(draft, profile, kind, pit_w, stop_at, box_pass)
    return LapPlan(
        kind=kind,
        first_grid_index=first,
        profile=profile,
        pit_lane=(pit_w > 0.0).astype(float),
        events=events,
        incidents=list(draft.incidents),
        ends_parked=kind == "park" or retire_at is not None,
        retires=retire_at is not None,
    )


def _enter_too_fast(draft: PlanDraft, start: int, v_in: float, limit: float) -> int:
    """Ignore the pit speed limit up to ``v_in`` for a while after the limit line.

    The driver notices only once the car is that fast (at the line, or out of a corner after
    it) and has gone on a little, and is down to the limit by the timing line. Returns the
    index from which the limit holds.
    """
    curves = draft.curves
    step = draft.track.step_m
    n = len(draft)
    reach = np.nonzero(draft.speed[start:] >= v_in)[0]
    fast_at = start + (int(reach[0]) if len(reach) else n)
    slowing_m = (float(curves.brake_distance(v_in)) - float(curves.brake_distance(limit))) / PIT_BRAKE_SHARE
    late = min(fast_at + round((slowing_m + LATE_SLOWING_M) / step), n - 1)
    draft.speed = apply_zone_cap(draft.speed, draft.distance, start, late, v_in, draft.curves)
    return late


def _pit_speeding(draft: PlanDraft, profile: LapProfile, pit_w: FloatArray) -> PlanEvent | None:
    """Where the car first goes over the limit between the pit speed limit lines, if it does."""
    pit = draft.track.pit
    signed = pit.signed_distance(profile.distance)
    zone = (pit_w[: len(signed)] > 0.0) & (signed >= float(pit.signed_distance(pit.limit_start)))
    zone &= signed <= pit.limit_end
    over = np.nonzero(zone & (profile.speed_mps > pit.speed_limit_mps + PIT_SPEED_TOLERANCE_MPS))[0]
    if len(over) == 0:
        return None
    peak = float(np.max(profile.speed_mps[zone]))
    k = int(over[0])
    detail = {"speed_mps": round(peak, 2), "limit_mps": round(pit.speed_limit_mps, 2)}
    return PlanEvent(float(profile.time_s[k]), "pit_speeding", k, detail)


def _truncate(draft: PlanDraft, n: int) -> None:
    draft.distance = draft.distance[:n]
    draft.speed = draft.speed[:n]
    draft.offset = draft.offset[:n]
    draft.yaw = draft.yaw[:n]
    draft.dwell = draft.dwell[:n]
    draft.ceiling = draft.ceiling[:n]
    ov = draft.overrides
    ov.gear, ov.rpm, ov.brake, ov.slip_ratio = ov.gear[:n], ov.rpm[:n], ov.brake[:n], ov.slip_ratio[:n]


def _plan_events(
    draft: PlanDraft, profile: LapProfile, kind: str, pit_w: FloatArray, stop_at: int | None, box_pass: int | None
) -> list[PlanEvent]:
    track = draft.track
    pit = track.pit
    d0, d1 = float(profile.distance[0]), float(profile.distance[-1])
    events: list[PlanEvent] = []
    if kind not in ("park", "garage_out"):
        for number, split in enumerate(track.split_distances, start=1):
            if d0 < split < d1:
                events.append(PlanEvent(_time_at(profile, split), "split", 0, {"split": number}))
    if kind in ("in", "cooldown") and d0 < pit.entry_distance < d1:
        events.append(PlanEvent(_time_at(profile, pit.entry_distance), "pit_entry", 0))
    if kind in ("out", "garage_out") and d0 < pit.exit_distance < d1:
        events.append(PlanEvent(_time_at(profile, pit.exit_distance), "pit_exit", 0))
    if box_pass is not None:
        events.append(PlanEvent(float(profile.time_s[box_pass]), "box_pass", box_pass))
    speeding = _pit_speeding(draft, profile, pit_w)
    if speeding is not None:
        events.append(speeding)
    if stop_at is not None:
        arrive = float(profile.time_s[stop_at])
        events.append(PlanEvent(arrive, "stop_start", stop_at))
        if kind != "park":
            events.append(PlanEvent(arrive + float(profile.dwell_s[stop_at]), "stop_end", stop_at))
    for spec in draft.incidents:
        events.append(PlanEvent(float(profile.time_s[spec.index]), "incident", spec.index, {"spec": spec}))
    events.sort(key=lambda e: (e.time_s, e.kind))
    return events
