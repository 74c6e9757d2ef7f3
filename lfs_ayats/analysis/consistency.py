"""Consistency and pace over the clean set (analysis.md 6(b), analysis 5).

Public API
----------
- ``consistency(times_ms) -> Consistency``: n, best, median, sigma, CV = sigma/median, IQR, best-5 and
  best-10 averages, and C0.5 = the share of laps within 0.5 % of the best.
- ``speed_band(speeds, grid) -> pl.DataFrame``: s_m, median_mps, sigma_mps (population sigma) per distance.
- ``theil_sen(x, y) -> (slope, intercept)`` and ``stint_drift(laps) -> list[StintDrift]``: the
  Theil-Sen slope of clean lap times (s/lap) in each stint (stints split at pit stops).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

WITHIN_SHARE = 0.005  # C0.5: within 0.5 % of the best
BEST_N = (5, 10)


@dataclass(frozen=True)
class Consistency:
    n: int
    best_ms: float | None
    median_ms: float | None
    sigma_ms: float | None  # sample standard deviation
    cv: float | None  # sigma / median
    iqr_ms: float | None
    best5_avg_ms: float | None
    best10_avg_ms: float | None
    within_half_percent: float | None  # C0.5, a share 0..1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def consistency(times_ms: Sequence[float]) -> Consistency:
    """Statistics of clean lap times (ms); None where too few laps make a figure meaningless."""
    t = np.sort(np.asarray(times_ms, dtype=np.float64))
    n = len(t)
    if n == 0:
        return Consistency(0, None, None, None, None, None, None, None, None)
    median = float(np.median(t))
    sigma = float(np.std(t, ddof=1)) if n >= 2 else None
    q75, q25 = np.percentile(t, [75, 25])
    averages = [float(t[:k].mean()) if n >= k else None for k in BEST_N]
    return Consistency(
        n=n, best_ms=float(t[0]), median_ms=median, sigma_ms=sigma,
        cv=None if sigma is None else sigma / median, iqr_ms=float(q75 - q25) if n >= 2 else None,
        best5_avg_ms=averages[0], best10_avg_ms=averages[1],
        within_half_percent=float(np.mean(t <= t[0] * (1 + WITHIN_SHARE))),
    )


def speed_band(speeds: Sequence[np.ndarray], grid: np.ndarray) -> pl.DataFrame:
    """Median and population sigma of speed at each grid distance over several laps (sigma peaks: lost consistency)."""
    stack = np.vstack(list(speeds)) if speeds else np.full((1, len(grid)), np.nan)
    return pl.DataFrame({"s_m": grid, "median_mps": np.median(stack, axis=0), "sigma_mps": np.std(stack, axis=0)})


def theil_sen(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """The median of pairwise slopes and the median intercept (tolerates ~⅓ outliers)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(xa) < 2:
        return math.nan, float(ya[0]) if len(ya) else math.nan
    i, j = np.triu_indices(len(xa), k=1)
    dx = xa[j] - xa[i]
    ok = dx != 0
    if not ok.any():
        return math.nan, float(np.median(ya))
    slope = float(np.median((ya[j] - ya[i])[ok] / dx[ok]))
    return slope, float(np.median(ya - slope * xa))


@dataclass(frozen=True)
class StintDrift:
    stint: int  # 1 = before the first pit stop
    laps: tuple[int, ...]  # lap numbers of the clean laps in it
    slope_s_per_lap: float | None  # positive: getting slower
    intercept_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "laps": list(self.laps)}


def stint_drift(laps: Sequence[dict[str, Any]], min_laps: int = 3) -> list[StintDrift]:
    """Theil-Sen drift of one driver's clean laps per stint (`pit_stops` counts the stops made so far)."""
    stints: dict[int, list[dict[str, Any]]] = {}
    for lap in laps:
        if lap["clean"]:
            stints.setdefault(int(lap.get("pit_stops") or 0), []).append(lap)
    out = []
    for k, (_, rows) in enumerate(sorted(stints.items()), 1):
        numbers = [r["lap"] for r in rows]
        if len(rows) >= min_laps:
            slope, intercept = theil_sen(numbers, [r["time_ms"] / 1000 for r in rows])
            out.append(StintDrift(k, tuple(numbers), slope, intercept))
        else:
            out.append(StintDrift(k, tuple(numbers), None, None))
    return out
