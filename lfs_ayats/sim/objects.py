"""Objects a car can hit when it leaves the track: cones, tyre stacks, tyre barriers.

They are LFS's "unknown objects" (part of the track, not of a layout): IS_OBH with Index 0 and
no OBH_LAYOUT. Whether a car that runs off hits one is drawn when its plan is installed, from
the car's own random stream, so the rest of the simulation draws exactly as without objects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from lfs_ayats.packets.constants import OBH
from lfs_ayats.sim.incidents import OFF_TRACK_MARGIN_M
from lfs_ayats.sim.lap_plan import LapPlan, PlanEvent
from lfs_ayats.sim.track import Track

OBJECT_HIT_CHANCE = 0.3
"""Chance that a car that leaves the track (off_track, or a spin off it) hits something."""
SEARCH_M = 200.0
"""How far after the start of the excursion the car can meet the object."""


@dataclass(frozen=True)
class ObjectKind:
    name: str
    weight: float
    movable: bool
    closing_share: tuple[float, float]
    """Share of the car's speed that is closing speed (a glancing blow to a head-on one)."""
    knock: float
    """Share of the closing speed the car loses."""


OBJECT_KINDS = (
    ObjectKind("cone", 0.45, True, (0.7, 1.0), 0.03),
    ObjectKind("tyre_stack", 0.3, True, (0.4, 0.9), 0.25),
    ObjectKind("tyre_barrier", 0.25, False, (0.2, 0.6), 0.6),
)


def plan_object_hits(plan: LapPlan, track: Track, car_length_m: float, rng: random.Random, chance: float) -> None:
    """Add "object_hit" events to ``plan`` for the excursions on it that meet an object."""
    profile = plan.profile
    step = track.step_m
    added: list[PlanEvent] = []
    for spec in plan.incidents:
        leaves = spec.kind == "off_track" or (spec.kind == "spin" and spec.detail.get("left_track"))
        if not leaves or rng.random() >= chance:
            continue
        lo = spec.index
        hi = min(lo + round(SEARCH_M / step), len(profile) - 1)
        offset = profile.lateral_offset_m[lo : hi + 1]
        lap_d = profile.distance[lo : hi + 1] % track.length_m
        outside = np.abs(offset) - 0.5 * track.sample(track.width, lap_d) - OFF_TRACK_MARGIN_M
        if len(outside) == 0 or float(outside.max()) <= 0.0:
            continue
        # The car meets it where it is furthest out: that is what stopped it going further.
        k = lo + int(np.argmax(outside))
        kind = rng.choices(OBJECT_KINDS, [o.weight for o in OBJECT_KINDS])[0]
        speed = float(profile.speed_mps[k])
        closing = speed * rng.uniform(*kind.closing_share)
        # The object sits just ahead of the car's nose, on the car's line.
        ahead = 0.5 * car_length_m + 0.3
        flags = int(OBH.ON_SPOT) | (int(OBH.CAN_MOVE) if kind.movable else 0)
        added.append(_hit(plan, k, ahead, closing, kind, flags, spec.kind))
        if kind.movable and closing > 3.0 and rng.random() < 0.3:
            # Pushed along, the object is met again while it is still moving.
            later = min(k + max(1, round(rng.uniform(2.0, 6.0) / step)), len(profile) - 1)
            again = float(profile.speed_mps[later]) * rng.uniform(0.1, 0.3)
            flags = int(OBH.CAN_MOVE | OBH.WAS_MOVING)
            added.append(_hit(plan, later, ahead, again, kind, flags, spec.kind))
    if added:
        plan.events.extend(added)
        plan.events.sort(key=lambda e: (e.time_s, e.kind))


def _hit(plan: LapPlan, k: int, ahead_m: float, closing: float, kind: ObjectKind, flags: int, cause: str) -> PlanEvent:
    profile = plan.profile
    data = {
        "object": kind.name,
        "closing_speed_mps": round(closing, 2),
        "ahead_m": ahead_m,
        "offset_m": float(profile.lateral_offset_m[k]),
        "flags": flags,
        "knock": kind.knock,
        "cause": cause,
    }
    return PlanEvent(float(profile.time_s[k]), "object_hit", k, data)
