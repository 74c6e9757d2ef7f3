"""A lap plan while it is being built: editable speed, line, yaw and forced inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lfs_ayats.sim.physics import BaseLap, Overrides, SpeedCurves
from lfs_ayats.sim.track import FloatArray, IntArray, Track


@dataclass(frozen=True)
class IncidentSpec:
    """An incident planned at a point of a lap (its time is known once the lap is driven)."""

    kind: str
    index: int
    """Plan index where it happens."""
    detail: dict[str, Any]


@dataclass(eq=False)
class PlanDraft:
    """Editable arrays of one planned drive on the plan's distance grid."""

    base: BaseLap
    first_grid_index: int
    """Track grid index of plan point 0 (negative before the line on a grid start)."""
    distance: FloatArray
    speed: FloatArray
    offset: FloatArray
    yaw: FloatArray
    dwell: FloatArray
    overrides: Overrides
    ceiling: FloatArray
    """The driver's flying-lap speed along the plan: nothing goes faster."""
    incidents: list[IncidentSpec] = field(default_factory=list)

    @staticmethod
    def over(base: BaseLap, first: int, last: int) -> PlanDraft:
        """A draft covering track grid indices ``first``..``last`` (inclusive, unwrapped)."""
        track = base.track
        g = len(track.x)
        idx = np.arange(first, last + 1)
        grid = idx % g
        speed = base.speed[grid].copy()
        n = len(idx)
        return PlanDraft(
            base=base,
            first_grid_index=first,
            distance=(idx * track.step_m).astype(np.float64),
            speed=speed,
            offset=track.racing_line_offset[grid].copy(),
            yaw=np.zeros(n),
            dwell=np.zeros(n),
            overrides=Overrides.none(n),
            ceiling=speed.copy(),
        )

    @property
    def track(self) -> Track:
        return self.base.track

    @property
    def curves(self) -> SpeedCurves:
        return self.base.curves

    def __len__(self) -> int:
        return len(self.distance)

    def grid_index(self, k: IntArray | int) -> IntArray | int:
        return (self.first_grid_index + k) % len(self.track.x)

    def plan_indices(self, grid_indices: IntArray, margin_start: int = 0, margin_end: int = 0) -> IntArray:
        """Plan indices of these track grid indices that lie inside the plan (with margins)."""
        g = len(self.track.x)
        out = []
        for gi in np.asarray(grid_indices).tolist():
            k = (gi - self.first_grid_index) % g
            while k < len(self) - margin_end:
                if k >= margin_start:
                    out.append(k)
                k += g
        return np.asarray(sorted(out), dtype=np.int64)

    def curvature(self) -> FloatArray:
        return self.track.sample(self.track.curvature, self.distance)

    def half_width(self) -> FloatArray:
        out: FloatArray = 0.5 * self.track.sample(self.track.width, self.distance)
        return out

    def index_at_distance(self, start: int, metres: float) -> int:
        """Plan index ``metres`` further along than ``start`` (clamped to the plan)."""
        k = start + round(metres / self.track.step_m)
        return int(min(max(k, 0), len(self) - 1))


def bump(n: int, start: int, rise: int, hold: int, fall: int) -> FloatArray:
    """0→1→0 smooth plateau over plan indices (clipped to the plan)."""
    k = np.arange(n, dtype=float)
    up = np.clip((k - start) / max(rise, 1), 0.0, 1.0)
    down = np.clip((start + rise + hold + fall - k) / max(fall, 1), 0.0, 1.0)
    frac = np.minimum(up, down)
    out: FloatArray = frac * frac * (3.0 - 2.0 * frac)
    return out
