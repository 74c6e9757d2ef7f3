"""A lap cut at the line, on a distance axis, and its time on a grid of lap distance.

Definitions: shared/docs/analysis.md part 6(b), "Common definitions" and analysis 1. Two axes:

- ``indexed``: OutSim IndexedDistance, the track ruler. It wraps at the line, so the lap is cut at
  the two wraps around it and the first and last samples are interpolated to s = 0 and s = L.
- ``projected``: without a ruler (IS_MCI-only cars), positions are projected onto the reference
  lap's driven path. The line is then located geometrically (`fit_line`) from every lap change the
  field shows (IS_MCI's Lap field increments at the line), and each lap is cut where it crosses it.

Integrated speed is never used as an axis (FastF1 removed `delta_time` for doing so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

GRID_STEP_M = 2.0
TIMING_TOLERANCE_MS = 20.0  # 6(b): a lap whose t(L) - t(0) is further than this from IS_LAP is `timing_mismatch`
PATH_STEP_M = 1.0
"""The reference path is resampled at 1 m (6(b) says a 2.5 m polyline; 1 m halves the chord error in
hairpins and the projection of a 100 Hz lap still takes milliseconds: benchmarks/analysis.py)."""
SEARCH_WINDOW_M = 80.0
"""Projection searches ±80 m around the expected place. 6(b)'s sequential -5/+10 m window is a Python
loop per sample; this is vectorised in blocks whose expected place follows the previous block, so a
lap whose driven length differs from the reference's (line, spin) stays on its branch of the path."""
BLOCK_SAMPLES = 200
CUT_TOLERANCE_S = 1.5  # a line crossing belongs to a lap if within this of the lap's start or end time
MAX_STEP_M = 60.0  # two samples further apart than this are a gap (or a teleport), not a crossing
LINE_MARGIN_M = 6.0  # the line extends this far beyond the outermost crossings seen

Series = tuple[np.ndarray, np.ndarray]  # (t, values)


@dataclass(frozen=True)
class LapTrace:
    """One lap's samples from line to line, in time order; t[0] and t[-1] are the interpolated crossings."""

    t: np.ndarray  # feed seconds
    x: np.ndarray  # m
    y: np.ndarray  # m
    speed: np.ndarray  # m/s
    s: np.ndarray | None = None  # ruler distance 0..length_m, monotone; None without OutSim IndexedDistance
    length_m: float = math.nan  # the ruler's length (NaN without a ruler)
    lap_id: int | None = None
    time_ms: int | None = None  # the official IS_LAP time
    label: str = ""
    channels: dict[str, Series] = field(default_factory=dict)  # gauge/motion channels by time

    @property
    def measured_ms(self) -> float:
        """t(L) - t(0), in ms."""
        return float((self.t[-1] - self.t[0]) * 1000.0)

    @property
    def timing_error_ms(self) -> float:
        """Measured minus official lap time (NaN without an official time)."""
        return math.nan if self.time_ms is None else self.measured_ms - self.time_ms

    @property
    def timing_mismatch(self) -> bool:
        return abs(self.timing_error_ms) > TIMING_TOLERANCE_MS

    @property
    def has_xy(self) -> bool:
        return bool(np.isfinite(self.x).all() and np.isfinite(self.y).all())


def monotone(s: np.ndarray) -> np.ndarray:
    """Indices of the samples that advance beyond every earlier sample (a spin or reverse holds the axis)."""
    if len(s) == 0:
        return np.zeros(0, dtype=np.intp)
    previous = np.maximum.accumulate(np.r_[-np.inf, s[:-1]])
    return np.flatnonzero(s > previous)


def make_grid(length_m: float, step_m: float = GRID_STEP_M) -> np.ndarray:
    """s_k = k·step for k = 0..⌊L/step⌋, plus s = L."""
    if not (length_m > 0 and step_m > 0):
        raise ValueError(f"a grid needs a positive length and step (got {length_m}, {step_m})")
    grid = np.arange(0.0, length_m, step_m)
    if length_m - grid[-1] > 1e-9:
        grid = np.r_[grid, length_m]
    return grid


def _columns(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    names = ("t", "x_m", "y_m", "speed_mps", "lap_distance_m")
    out: dict[str, np.ndarray] = {c: frame[c].cast(pl.Float64).to_numpy() for c in names if c in frame.columns}
    n = frame.height
    for c in ("x_m", "y_m", "speed_mps"):
        out.setdefault(c, np.full(n, np.nan))
    return out


# -- the indexed axis ----------------------------------------------------------------------------------


def _wraps(s: np.ndarray) -> np.ndarray:
    """i where the ruler wraps between samples i and i+1 (a drop of more than half the longest distance)."""
    if len(s) < 2:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(s[1:] < s[:-1] - 0.5 * np.nanmax(s))


def ruler_length(frame: pl.DataFrame) -> float:
    """The ruler's length from its wraps: s before + mean speed x dt - s after (median over wraps); NaN if none."""
    c = _columns(frame)
    if "lap_distance_m" not in c:
        return math.nan
    ok = np.isfinite(c["lap_distance_m"])
    t, s, v = c["t"][ok], c["lap_distance_m"][ok], c["speed_mps"][ok]
    wraps = _wraps(s)
    if len(wraps) == 0:
        return math.nan
    dt = t[wraps + 1] - t[wraps]
    speed = np.where(np.isfinite(v[wraps] + v[wraps + 1]), 0.5 * (v[wraps] + v[wraps + 1]), 0.0)
    estimates = s[wraps] + speed * dt - s[wraps + 1]
    estimates = estimates[(dt >= 0) & (dt < 1.0)]
    return float(np.median(estimates)) if len(estimates) else math.nan


def _nearest(times: np.ndarray, target: float) -> int | None:
    if len(times) == 0:
        return None
    k = int(np.argmin(np.abs(times - target)))
    return k if abs(times[k] - target) <= CUT_TOLERANCE_S else None


def cut_indexed(frame: pl.DataFrame, t_start: float, t_end: float, *, length_m: float | None = None,
                **meta: object) -> LapTrace | None:
    """The lap between the ruler wraps nearest `t_start` and `t_end` (None if either is missing).

    `frame` is one car's OutSim samples (t, lap_distance_m, x_m, y_m, speed_mps) around the lap, in
    time order. Stored OutSim rows carry the IS_MCI lap number seen so far, which lags the line by up
    to one IS_MCI interval: the wraps, not the `lap` column, say where the lap is.
    """
    c = _columns(frame)
    if "lap_distance_m" not in c:
        return None
    ok = np.isfinite(c["lap_distance_m"])
    t, s, x, y, v = (c[k][ok] for k in ("t", "lap_distance_m", "x_m", "y_m", "speed_mps"))
    length = length_m if length_m is not None and math.isfinite(length_m) else ruler_length(frame)
    if not math.isfinite(length):
        return None
    wraps = _wraps(s)
    first, last = _nearest(t[wraps], t_start), _nearest(t[wraps], t_end)
    if first is None or last is None or last <= first:
        return None
    i0, i1 = int(wraps[first]), int(wraps[last]) + 1
    if len(wraps[first + 1:last]):
        return None  # another wrap inside: not one lap
    idx = np.arange(i0, i1 + 1)
    seg = s[idx].copy()
    seg[0] -= length
    seg[-1] += length
    keep = monotone(seg)
    seg, idx = seg[keep], idx[keep]
    if len(seg) < 3 or seg[0] > 0 or seg[-1] < length:
        return None
    ends = np.array([0.0, length])

    def at(values: np.ndarray) -> np.ndarray:
        inner = (seg > 0) & (seg < length)
        out: np.ndarray = np.r_[np.interp(ends[:1], seg, values[idx]), values[idx][inner],
                                np.interp(ends[1:], seg, values[idx])]
        return out

    inner = (seg > 0) & (seg < length)
    axis = np.r_[0.0, seg[inner], length]
    return LapTrace(t=at(t), x=at(x), y=at(y), speed=at(v), s=axis, length_m=float(length), **meta)  # type: ignore[arg-type]


# -- the projected axis --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineModel:
    """The start/finish line where cars cross it: the points P with u·P = offset, within the lateral span."""

    ux: float
    uy: float
    offset: float
    lateral_min: float
    lateral_max: float
    crossings: int  # lap changes it was fitted on
    agreement: float  # share of those crossings consistent with it

    def along(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = self.ux * x + self.uy * y - self.offset
        return result

    def lateral(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = -self.uy * x + self.ux * y
        return result


def fit_line(cars: pl.DataFrame) -> LineModel | None:
    """Locate the line from every car's lap change (IS_MCI Lap increments at the line).

    Each change brackets the line between two positions; the direction of travel there is the mean of
    the steps, and the line's place along it is where the most brackets overlap (their common part
    when they all agree). None with no lap change in the frame.
    """
    need = {"t", "plid", "lap", "x_m", "y_m"}
    if not need <= set(cars.columns) or cars.height < 2:
        return None
    f = cars.select(sorted(need)).drop_nulls().filter(pl.col("x_m").is_finite()).sort(["plid", "t"])
    plid, lap = f["plid"].to_numpy(), f["lap"].to_numpy()
    x, y = f["x_m"].to_numpy(), f["y_m"].to_numpy()
    change = np.flatnonzero((plid[1:] == plid[:-1]) & (lap[1:] == lap[:-1] + 1))
    dx, dy = x[change + 1] - x[change], y[change + 1] - y[change]
    step = np.hypot(dx, dy)
    good = (step > 0.05) & (step < MAX_STEP_M)
    change, dx, dy, step = change[good], dx[good], dy[good], step[good]
    if len(change) == 0:
        return None
    ux, uy = float(np.sum(dx / step)), float(np.sum(dy / step))
    norm = math.hypot(ux, uy)
    ux, uy = ux / norm, uy / norm
    a = ux * x[change] + uy * y[change]
    b = ux * x[change + 1] + uy * y[change + 1]
    offset, covered = _most_covered(a, b)
    mid_x, mid_y = 0.5 * (x[change] + x[change + 1]), 0.5 * (y[change] + y[change + 1])
    lateral = -uy * mid_x + ux * mid_y
    return LineModel(ux, uy, offset, float(lateral.min()) - LINE_MARGIN_M, float(lateral.max()) + LINE_MARGIN_M,
                     len(change), covered / len(change))


def _most_covered(lo: np.ndarray, hi: np.ndarray) -> tuple[float, int]:
    """The middle of the region covered by the most intervals [lo, hi], and how many cover it."""
    points = np.r_[lo, hi]
    kinds = np.r_[np.ones(len(lo)), -np.ones(len(hi))]
    order = np.lexsort((-kinds, points))  # at a tie an interval opens before another closes
    depth = np.cumsum(kinds[order])
    best = int(np.argmax(depth))
    start = points[order][best]
    end = points[order][best + 1] if best + 1 < len(order) else start
    return float(0.5 * (start + end)), int(depth[best])


def _crossings(line: LineModel, t: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, fraction): forward crossings between samples i and i+1, inside the line's span."""
    q = line.along(x, y)
    i = np.flatnonzero((q[:-1] < 0) & (q[1:] >= 0))
    step = np.hypot(x[i + 1] - x[i], y[i + 1] - y[i])
    frac = -q[i] / (q[i + 1] - q[i])
    lat = line.lateral(x[i] + frac * (x[i + 1] - x[i]), y[i] + frac * (y[i + 1] - y[i]))
    ok = (step < MAX_STEP_M) & (lat >= line.lateral_min) & (lat <= line.lateral_max)
    return i[ok], frac[ok]


def cut_at_line(frame: pl.DataFrame, line: LineModel, t_start: float, t_end: float, **meta: object) -> LapTrace | None:
    """The lap between the line crossings nearest `t_start` and `t_end` (one car's samples, time order)."""
    c = _columns(frame)
    ok = np.isfinite(c["x_m"]) & np.isfinite(c["y_m"])
    t, x, y, v = (c[k][ok] for k in ("t", "x_m", "y_m", "speed_mps"))
    if len(t) < 3:
        return None
    i, frac = _crossings(line, t, x, y)
    crossing_t = t[i] + frac * (t[i + 1] - t[i])
    first, last = _nearest(crossing_t, t_start), _nearest(crossing_t, t_end)
    if first is None or last is None or last <= first:
        return None
    a, fa, b, fb = int(i[first]), float(frac[first]), int(i[last]), float(frac[last])

    def cut(values: np.ndarray) -> np.ndarray:
        start = values[a] + fa * (values[a + 1] - values[a])
        end = values[b] + fb * (values[b + 1] - values[b])
        out: np.ndarray = np.r_[start, values[a + 1:b + 1], end]
        return out

    return LapTrace(t=cut(t), x=cut(x), y=cut(y), speed=cut(v), **meta)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RefPath:
    """A lap's driven path resampled every PATH_STEP_M metres of its own arc length (s = 0 .. length_m)."""

    x: np.ndarray
    y: np.ndarray
    s: np.ndarray
    length_m: float


def driven_path(trace: LapTrace) -> RefPath:
    step = np.hypot(np.diff(trace.x), np.diff(trace.y))
    arc = np.r_[0.0, np.cumsum(step)]
    length = float(arc[-1])
    s = make_grid(length, PATH_STEP_M)
    return RefPath(np.interp(s, arc, trace.x), np.interp(s, arc, trace.y), s, length)


def project(path: RefPath, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each point's distance along `path` (nearest point within the search window), never going backwards.

    The first and last points are the line crossings, so they are pinned to 0 and the path's length.
    """
    n = len(x)
    seg_x, seg_y = path.x[:-1], path.y[:-1]
    dx, dy = np.diff(path.x), np.diff(path.y)
    seg_len2 = np.maximum(dx * dx + dy * dy, 1e-12)
    seg_len = np.sqrt(seg_len2)
    n_seg = len(seg_x)
    own = np.r_[0.0, np.cumsum(np.hypot(np.diff(x), np.diff(y)))]
    scale = path.length_m / own[-1] if own[-1] > 0 else 1.0
    half = int(SEARCH_WINDOW_M / PATH_STEP_M)
    window = np.arange(-half, half + 1)
    out = np.empty(n)
    drift = 0.0  # how far the projections ran ahead of (or behind) the own-arc-length guess so far
    for a in range(0, n, BLOCK_SAMPLES):
        b = min(a + BLOCK_SAMPLES, n)
        guess = own[a:b] * scale + drift
        centre = np.clip(np.rint(guess / PATH_STEP_M).astype(np.int64), 0, n_seg - 1)
        j = np.clip(centre[:, None] + window[None, :], 0, n_seg - 1)
        px, py = x[a:b, None] - seg_x[j], y[a:b, None] - seg_y[j]
        u = np.clip((px * dx[j] + py * dy[j]) / seg_len2[j], 0.0, 1.0)
        d2 = (px - u * dx[j]) ** 2 + (py - u * dy[j]) ** 2
        best = np.argmin(d2, axis=1)
        rows = np.arange(b - a)
        jb = j[rows, best]
        out[a:b] = path.s[jb] + u[rows, best] * seg_len[jb]
        drift = float(np.median(out[a:b] - own[a:b] * scale))
    out[0] = 0.0
    result: np.ndarray = np.minimum(np.maximum.accumulate(out), path.length_m * (1.0 - 1e-9))
    result[-1] = path.length_m  # inner points stay below L so the last (the line) is kept by `monotone`
    return result


# -- time on the grid ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlignedLap:
    """A lap on a distance grid: t[k] = seconds since the line at grid[k]."""

    trace: LapTrace
    axis: str  # "indexed" or "projected"
    grid: np.ndarray
    t: np.ndarray
    sample_s: np.ndarray  # the trace's kept samples on the axis
    sample_idx: np.ndarray

    @property
    def absolute_t(self) -> np.ndarray:
        result: np.ndarray = self.trace.t[0] + self.t
        return result

    def speed(self) -> np.ndarray:
        return self.samples_on_grid(self.trace.speed)

    def samples_on_grid(self, values: np.ndarray) -> np.ndarray:
        """A channel of the trace's own samples (same length as trace.t) at each grid time."""
        out: np.ndarray = np.interp(self.absolute_t, self.trace.t[self.sample_idx], values[self.sample_idx])
        return out

    def channel(self, name: str) -> np.ndarray | None:
        """A gauge/motion channel at each grid time (gear steps, the rest interpolate); None if absent."""
        series = self.trace.channels.get(name)
        if series is None or len(series[0]) < 2:
            return None
        t, v = series
        at = self.absolute_t
        if name == "gear":
            k = np.clip(np.searchsorted(t, at, side="right") - 1, 0, len(t) - 1)
            out: np.ndarray = v[k].astype(np.float64)
            return out
        interpolated: np.ndarray = np.interp(at, t, v, left=np.nan, right=np.nan)
        return interpolated


def align(trace: LapTrace, grid: np.ndarray, *, path: RefPath | None = None) -> AlignedLap:
    """The lap's time at each grid distance: on its ruler when `path` is None, else projected onto `path`.

    With a path, the lap's own length L' is mapped onto the grid's (the path's) length.
    """
    if path is None:
        if trace.s is None:
            raise ValueError("this lap has no IndexedDistance: align it on a reference path")
        s, axis = trace.s * (grid[-1] / trace.length_m), "indexed"
    else:
        s, axis = project(path, trace.x, trace.y) * (grid[-1] / path.length_m), "projected"
    idx = monotone(s)
    s_kept, t_kept = s[idx], trace.t[idx] - trace.t[0]
    return AlignedLap(trace, axis, grid, np.interp(grid, s_kept, t_kept), s_kept, idx)


@dataclass(frozen=True)
class Aligned:
    """Several laps on one grid: on the ruler when every lap has it, else on the first lap's driven path."""

    laps: list[AlignedLap]
    grid: np.ndarray
    axis: str
    x: np.ndarray  # the first lap's position at each grid distance (for maps)
    y: np.ndarray


def align_many(traces: list[LapTrace], step_m: float = GRID_STEP_M) -> Aligned:
    """Put `traces` on one grid; the first is the reference (its ruler length or its path)."""
    if not traces:
        raise ValueError("no laps to align")
    first = traces[0]
    if all(t.s is not None for t in traces):
        assert first.s is not None
        grid = make_grid(first.length_m, step_m)
        laps = [align(t, grid) for t in traces]
        return Aligned(laps, grid, "indexed", np.interp(grid, first.s, first.x), np.interp(grid, first.s, first.y))
    if not all(t.has_xy for t in traces):
        raise ValueError("a lap has neither IndexedDistance nor positions to align on")
    path = driven_path(first)
    grid = make_grid(path.length_m, step_m)
    laps = [align(t, grid, path=path) for t in traces]
    return Aligned(laps, grid, "projected", np.interp(grid, path.s, path.x), np.interp(grid, path.s, path.y))


def trace_from_frame(samples: pl.DataFrame, t_start: float, t_end: float, *, line: LineModel | None = None,
                     channels: pl.DataFrame | None = None, length_m: float | None = None,
                     **meta: object) -> LapTrace | None:
    """One car's samples around a lap -> the lap cut at the line (None if it cannot be).

    On the ruler when `samples` has a finite lap_distance_m (OutSim), else at `line` from positions.
    `channels` (t plus any of throttle, brake, gear, rpm, steer_rad) adds gauge/motion channels.
    """
    series: dict[str, Series] = {}
    if channels is not None and channels.height >= 2:
        frame = channels.unique("t", keep="last", maintain_order=True).sort("t")
        for name in ("throttle", "brake", "gear", "rpm", "steer_rad"):
            if name in frame.columns:
                series[name] = (frame["t"].to_numpy(), frame[name].cast(pl.Float64).to_numpy())
    has_ruler = "lap_distance_m" in samples.columns and bool(samples["lap_distance_m"].is_finite().any())
    if has_ruler:
        trace = cut_indexed(samples, t_start, t_end, length_m=length_m, channels=series, **meta)
        if trace is not None:
            return trace
    if line is None:
        return None
    return cut_at_line(samples.unique("t", keep="last", maintain_order=True), line, t_start, t_end,
                       channels=series, **meta)
