"""A lap as time and speed on its distance axis: what anomalies.py and predict.py read from a lap's samples.

IS_MCI gives every car's lap distance only per path node (the track ruler learnt from the viewed
car, telemetry/track_ruler.py), so a 10 Hz trace repeats one distance for 2-3 samples, then jumps
≈6 m. Within such a plateau the car's own speed (IS_MCI Speed) fills the distance in, capped below
the next node's distance, and then the monotone filter of analysis.md §6b keeps the samples whose
distance grew. On the store race this leaves the lap's end within a few metres of the ruler
length, where using plateaus alone would put the timing of a point up to 0.2 s off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LapTimeline:
    """One lap: elapsed time (s, 0 at the line) and speed (m/s) at increasing lap distances (m)."""

    distance_m: FloatArray
    elapsed_s: FloatArray
    speed_mps: FloatArray
    lap_time_s: float  # the official IS_LAP time

    def time_at(self, s: FloatArray | float) -> FloatArray:
        """Elapsed time at lap distance(s), by linear interpolation (ends held)."""
        return np.asarray(np.interp(s, self.distance_m, self.elapsed_s), dtype=np.float64)

    def speed_at(self, s: FloatArray | float) -> FloatArray:
        return np.asarray(np.interp(s, self.distance_m, self.speed_mps), dtype=np.float64)


def fill_plateaus(t: FloatArray, s: FloatArray, v: FloatArray) -> FloatArray:
    """Distances where a repeated node distance is advanced by ∫v dt, never reaching the next node's."""
    out = s.astype(np.float64).copy()
    if len(out) < 2:
        return out
    dt = np.diff(t, prepend=t[0])
    step = v * dt
    new = np.r_[True, np.diff(s) != 0]  # the first sample of each plateau
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(s)]
    cum = np.cumsum(step)
    for a, b in zip(starts, ends, strict=True):
        if b - a < 2:
            continue
        ahead = s[b] if b < len(s) else np.inf
        gained = cum[a + 1 : b] - cum[a]
        out[a + 1 : b] = np.minimum(s[a] + gained, ahead - 1e-3)
    return out


def lap_trace(t: FloatArray, s: FloatArray, v: FloatArray, *, lap_start_s: float, lap_time_s: float,
              length_m: float | None = None) -> LapTimeline | None:
    """A lap from its samples (feed time t, lap distance s, speed v); None if it has too few usable samples.

    `lap_start_s` is the feed time of the line crossing (IS_LAP's arrival minus the lap time). The
    trace gets exact end points (0 m, 0 s) and, when `length_m` is known, (length, lap time).
    """
    t = np.asarray(t, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(s) & np.isfinite(v)
    t, s, v = t[ok], s[ok], v[ok]
    elapsed = t - lap_start_s
    inside = (elapsed > 0) & (elapsed < lap_time_s)
    t, s, v, elapsed = t[inside], s[inside], v[inside], elapsed[inside]
    if len(t) < 10:
        return None
    # Samples from before the line (the last lap's end, distance near the length) are not this lap's.
    half = (length_m or float(np.nanmax(s))) / 2
    early = np.flatnonzero(s > half)
    first_small = np.flatnonzero(s < half)
    if len(first_small) and len(early) and early[0] < first_small[0]:
        keep = np.arange(len(s)) >= first_small[0]
        t, s, v, elapsed = t[keep], s[keep], v[keep], elapsed[keep]
    s = fill_plateaus(t, s, v)
    keep = s > np.maximum.accumulate(np.r_[-np.inf, s[:-1]])  # the monotone filter
    s, v, elapsed = s[keep], v[keep], elapsed[keep]
    if len(s) < 10:
        return None
    dist = np.r_[0.0, s]
    time = np.r_[0.0, elapsed]
    speed = np.r_[v[0], v]
    if length_m is not None and length_m > s[-1]:
        dist, time, speed = np.r_[dist, length_m], np.r_[time, lap_time_s], np.r_[speed, v[-1]]
    return LapTimeline(dist, time, speed, float(lap_time_s))


TRACE_CHANNELS = ("lap_distance_m", "speed_mps")
COMPARABLE_EXCLUDES = frozenset({"partial", "race_start", "out_lap", "in_lap", "pit"})
"""Lap reasons (telemetry.laps.REASONS) that make a lap a different kind of lap, not an unusual one."""


def comparable(lap: dict[str, object]) -> bool:
    """A flying lap: not partial, not the race start, not through the pit lane (whatever else happened)."""
    reasons = lap.get("reasons") or []
    return not COMPARABLE_EXCLUDES.intersection(reasons)  # type: ignore[arg-type]


def session_traces(samples: pl.DataFrame, laps: Sequence[dict[str, object]]) -> dict[int, LapTimeline]:
    """Traces by lap id, from a session's IS_MCI samples (columns t, plid, lap, lap_distance_m, speed_mps)
    and its lap rows (store.queries.laps); laps without usable samples are left out.

    The lap length is the longest distance any lap reached: the ruler's last node, a few metres
    short of the line, which the trace then closes at the official lap time.
    """
    out: dict[int, LapTimeline] = {}
    if samples.is_empty() or "lap_distance_m" not in samples.columns:
        return out
    length = float(samples["lap_distance_m"].max() or 0.0)  # type: ignore[arg-type]
    if not np.isfinite(length) or length <= 0:
        return out
    groups = {key: frame for key, frame in samples.partition_by(["plid", "lap"], as_dict=True).items()}
    for lap in laps:
        frame = groups.get((lap["plid"], lap["lap"]))
        if frame is None:
            continue
        lap_time = int(lap["time_ms"]) / 1000.0  # type: ignore[call-overload]
        trace = lap_trace(frame["t"].to_numpy(), frame["lap_distance_m"].to_numpy(), frame["speed_mps"].to_numpy(),
                          lap_start_s=float(lap["t_end"]) - lap_time, lap_time_s=lap_time,  # type: ignore[arg-type]
                          length_m=length)
        if trace is not None:
            out[int(lap["id"])] = trace  # type: ignore[call-overload]
    return out


FOLLOW_S = 1.0
"""Closer than this (seconds at the car's own speed) behind any car on track counts as traffic."""


def _close_behind(samples: pl.DataFrame, length_m: float,
                  follow_s: float) -> tuple[FloatArray, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Every sample's lap distance, plid and lap, and the row of the nearest car ahead when that car is closer
    than `follow_s` at the sample's speed (else -1); the cars of one IS_MCI instant share a `t`."""
    frame = samples.select("t", "plid", "lap", "lap_distance_m", "speed_mps").drop_nulls().filter(
        pl.col("lap_distance_m").is_not_nan()).sort("t", "plid")
    t = frame["t"].to_numpy()
    s = frame["lap_distance_m"].to_numpy().astype(np.float64)
    v = frame["speed_mps"].to_numpy()
    plid = frame["plid"].to_numpy().astype(np.int64)
    lap = frame["lap"].to_numpy().astype(np.int64)
    leader = np.full(len(t), -1, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(t) != 0])
    ends = np.r_[starts[1:], len(t)]
    for a, b in zip(starts, ends, strict=True):
        if b - a < 2:
            continue
        pos = s[a:b]
        ahead = (pos[None, :] - pos[:, None]) % length_m  # metres from car i forward to car j
        np.fill_diagonal(ahead, np.inf)
        nearest = ahead.argmin(axis=1)
        close = ahead[np.arange(b - a), nearest] < follow_s * np.maximum(v[a:b], 1.0)
        leader[a:b] = np.where(close, a + nearest, -1)
    return s, plid, lap, leader


def _stretches(dist: FloatArray) -> list[tuple[float, float]]:
    """Close samples' distances merged into stretches (a 10 Hz trace at 60 m/s leaves 6 m holes), ±10 m."""
    dist = np.sort(dist)
    cut = np.flatnonzero(np.diff(dist) > 20.0)
    lo = np.r_[0, cut + 1]
    hi = np.r_[cut, len(dist) - 1]
    return [(float(dist[i]) - 10.0, float(dist[j]) + 10.0) for i, j in zip(lo, hi, strict=True)]


def _grouped(keys: NDArray[np.int64], values: FloatArray) -> list[tuple[tuple[int, ...], FloatArray]]:
    """`values` grouped by the rows of `keys` (one group per distinct row)."""
    if len(values) == 0:
        return []
    order = np.lexsort(keys.T[::-1])
    keys, values = keys[order], values[order]
    cuts = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
    return [(tuple(int(x) for x in keys[a]), values[a:b])
            for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(values)], strict=True)]


def traffic_stretches(samples: pl.DataFrame, length_m: float, *,
                      follow_s: float = FOLLOW_S) -> dict[tuple[int, int], list[tuple[float, float]]]:
    """Where each car drove close behind another (any car, lapped or not), by (plid, lap): lap-distance stretches.

    Computed from every car's lap distance at each IS_MCI instant (the cars of one instant share a
    `t`): the gap to the nearest car ahead on track, divided by the car's speed.
    """
    return traffic(samples, length_m, follow_s=follow_s)[0]


def traffic_leaders(samples: pl.DataFrame, length_m: float, *,
                    follow_s: float = FOLLOW_S) -> dict[tuple[int, int], list[tuple[float, float, int, int]]]:
    """Like `traffic_stretches`, with the car ahead: by (plid, lap), (start_m, end_m, its plid, its lap).

    Who was ahead is what tells traffic from an incident: held up, a car takes about as long through a
    stretch as the car in front of it; after its own mistake it falls back (anomalies.FALLBACK_S).
    """
    return traffic(samples, length_m, follow_s=follow_s)[1]


def traffic(samples: pl.DataFrame, length_m: float, *, follow_s: float = FOLLOW_S) -> tuple[
        dict[tuple[int, int], list[tuple[float, float]]], dict[tuple[int, int], list[tuple[float, float, int, int]]]]:
    """`traffic_stretches` and `traffic_leaders` from one pass over the samples."""
    out: dict[tuple[int, int], list[tuple[float, float, int, int]]] = {}
    if samples.is_empty():
        return {}, out
    s, plid, lap, leader = _close_behind(samples, length_m, follow_s)
    rows = np.flatnonzero(leader >= 0)
    plain = {(k[0], k[1]): _stretches(d) for k, d in _grouped(np.column_stack([plid[rows], lap[rows]]), s[rows])}
    keys = np.column_stack([plid[rows], lap[rows], plid[leader[rows]], lap[leader[rows]]])
    for (p, q, lp, lq), d in _grouped(keys, s[rows]):
        out.setdefault((p, q), []).extend((a, b, lp, lq) for a, b in _stretches(d))
    return plain, out
