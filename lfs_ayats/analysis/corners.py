"""Corners from track geometry, and what a lap did in each (analysis.md 6(b), analyses 2 and 3).

Public API
----------
- ``detect_corners(x, y, s) -> list[Corner]``: pure; a lap's path (x, y at distances s from the line).
- ``corner_map(source_or_engine, track, layout="", *, lap_id=None, redetect=False) -> CornerMap``:
  the layout's stored corners, detected (and stored) on first use from `lap_id` or the fastest clean
  lap for the track. ``rename(engine, track, layout, number, name)`` renames one.
- ``corner_report(comparison, corner_map) -> pl.DataFrame``: one row per segment, corners *and* the
  straights between them, in lap order: kind, number, name, entry_m, exit_m, v_entry/v_min/v_exit
  (km/h, and ``*_ref``), s_vmin_m, time_s, time_ref_s, delta_s (Δt(exit) - Δt(entry)), brake_on_m,
  brake_on_ref_m, brake_delta_m (negative = braked earlier; null unless both laps braked), brake_source.
  ``delta_s`` sums to the comparison's Δt(L) exactly (the segments tile the lap).
- ``costliest(report, n=3)``: the corners that lost the most time, worst first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine

from lfs_ayats.store import corners as store_corners

from .align import make_grid
from .compare import Comparison
from .load import LapSource

STEP_M = 2.0
HALF_WINDOW_M = 16.0  # κ(s) = wrap(ψ(s + 16 m) - ψ(s - 16 m)) / 32 m
KAPPA_IN = 0.0060  # rad/m: enter a corner (radius under ~170 m)
KAPPA_STAY = 0.0044  # rad/m: stay in it
"""6(b) starts from gt7's 0.0030 / 0.0022 rad/m and asks to re-tune for LFS. Measured on the simulator's
GM1 (radii 15-80 m): with gt7's values the racing line's κ across the 60 m straight between the 90° and
70° right-handers (0.0005-0.003) never stays below 0.0022 for 40 m, so two braking zones fuse into one
158° "corner"; 0.0060 / 0.0044 separates them and still finds the 26-29° esses (tests/analysis)."""
NOISE_FACTOR = 4.0  # thresholds at least this many times the p85 frame-to-frame jitter of κ (0.0008 on GM1)
END_AFTER_M = 40.0  # a corner ends after this long below the stay threshold
MIN_TURN_DEG = 12.0
MERGE_GAP_M = 30.0
"""Same-direction arcs closer than this merge. 6(b) says 90 m (gt7's); measured on GM1, 90 m fuses the
same two right-handers again (their arcs are 50 m apart); 30 m keeps them apart."""
TURN_RANGE_DEG = (25.0, 300.0)
BRAKE_ON = 0.20  # pedal share
BRAKE_MIN_S = 0.10
BRAKE_MERGE_M = 10.0
BRAKE_LOOKBACK_M = 250.0
DECEL_BRAKING_MPS2 = 3.0
"""Without a brake channel (IS_MCI-only laps) braking is a deceleration beyond 3 m/s²: engine braking
and drag in the simulator's cars stay below ~2 m/s² at racing speed (measured on the XFG/XRT laps)."""


@dataclass(frozen=True)
class Corner:
    number: int
    name: str
    entry_m: float
    apex_m: float
    exit_m: float
    direction: str  # "left" or "right"
    turn_deg: float


@dataclass(frozen=True)
class CornerMap:
    """A layout's corners, defined on a lap `length_m` long."""

    track: str
    layout: str
    length_m: float
    corners: tuple[Corner, ...]
    axis: str = ""
    source_lap_id: int | None = None

    def scaled(self, length_m: float) -> list[Corner]:
        """The corners on a lap of another length (the same fractions of it)."""
        k = length_m / self.length_m
        return [Corner(c.number, c.name, c.entry_m * k, c.apex_m * k, c.exit_m * k, c.direction, c.turn_deg)
                for c in self.corners]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def curvature(x: np.ndarray, y: np.ndarray, s: np.ndarray, step_m: float = STEP_M) -> tuple[np.ndarray, np.ndarray]:
    """(grid, κ): signed curvature (rad/m, positive = left) at every `step_m` of s."""
    grid = make_grid(float(s[-1]), step_m)
    gx, gy = np.interp(grid, s, x), np.interp(grid, s, y)
    heading = np.unwrap(np.arctan2(np.gradient(gy), np.gradient(gx)))
    k = max(1, round(HALF_WINDOW_M / step_m))
    ahead = heading[np.minimum(np.arange(len(grid)) + k, len(grid) - 1)]
    behind = heading[np.maximum(np.arange(len(grid)) - k, 0)]
    span = grid[np.minimum(np.arange(len(grid)) + k, len(grid) - 1)] - grid[np.maximum(np.arange(len(grid)) - k, 0)]
    kappa = (ahead - behind) / np.maximum(span, step_m)
    return grid, kappa


def detect_corners(x: np.ndarray, y: np.ndarray, s: np.ndarray, *, step_m: float = STEP_M) -> list[Corner]:
    """Corners of one lap's path by curvature with hysteresis (the lap is taken as starting on a straight)."""
    grid, kappa = curvature(x, y, s, step_m)
    noise = float(np.percentile(np.abs(np.diff(kappa)), 85)) if len(kappa) > 2 else 0.0
    k_in = max(KAPPA_IN, NOISE_FACTOR * noise)
    k_stay = max(KAPPA_STAY, k_in * KAPPA_STAY / KAPPA_IN)
    arcs: list[list[int]] = []  # [start, end) grid indices and direction sign
    n, i = len(grid), 0
    end_after = round(END_AFTER_M / step_m)
    while i < n:
        if abs(kappa[i]) < k_in:
            i += 1
            continue
        sign, start, last_in, j = np.sign(kappa[i]), i, i, i
        while j < n:
            if np.sign(kappa[j]) == -sign and abs(kappa[j]) >= k_in:
                break  # strong opposite curvature: a new arc at once
            if abs(kappa[j]) >= k_stay and np.sign(kappa[j]) == sign:
                last_in = j
            elif j - last_in > end_after:
                break
            j += 1
        arcs.append([start, last_in + 1, int(sign)])
        i = max(last_in + 1, j if j < n and abs(kappa[j]) >= k_in else last_in + 1)

    def turn(a: list[int]) -> float:
        return float(np.degrees(abs(np.sum(kappa[a[0]:a[1]]) * step_m)))

    arcs = [a for a in arcs if turn(a) >= MIN_TURN_DEG]
    merged: list[list[int]] = []
    for a in arcs:
        if merged and merged[-1][2] == a[2] and (a[0] - merged[-1][1]) * step_m <= MERGE_GAP_M:
            merged[-1][1] = a[1]
        else:
            merged.append(list(a))
    out: list[Corner] = []
    for a in merged:
        degrees = turn(a)
        if not TURN_RANGE_DEG[0] <= degrees <= TURN_RANGE_DEG[1]:
            continue
        w = np.abs(kappa[a[0]:a[1]])
        apex = float(np.sum(w * grid[a[0]:a[1]]) / np.sum(w))  # the curvature-weighted centroid
        number = len(out) + 1
        out.append(Corner(number, f"T{number}", float(grid[a[0]]), apex, float(grid[min(a[1], n - 1)]),
                          "left" if a[2] > 0 else "right", round(degrees, 1)))
    return out


# -- stored per layout -------------------------------------------------------------------------------------


def _from_rows(track: str, layout: str, rows: list[dict[str, Any]]) -> CornerMap:
    corners = tuple(Corner(r["number"], r["name"], r["entry_m"], r["apex_m"], r["exit_m"], r["direction"],
                           r["turn_deg"]) for r in rows)
    return CornerMap(track, layout, float(rows[0]["length_m"]), corners, rows[0]["axis"], rows[0]["source_lap_id"])


def corner_map(source: LapSource | Engine, track: str, layout: str = "", *, lap_id: int | None = None,
               redetect: bool = False) -> CornerMap:
    """The layout's corners: stored ones, or detected from a lap's path and stored.

    The defining lap is `lap_id`, else the fastest clean lap of the track with a path; KeyError-like
    `LapNotFound` / ValueError when there is none.
    """
    src = source if isinstance(source, LapSource) else LapSource(source)
    rows = store_corners.corner_defs(src.engine, track, layout)
    if rows and not redetect and lap_id is None:
        return _from_rows(track, layout, rows)
    candidates = [src.lap(lap_id)] if lap_id is not None else _fastest_clean(src, track, layout)
    for lap in candidates:
        trace = src.trace(lap)
        if trace is None or not trace.has_xy:
            continue
        if trace.s is not None:
            s, axis = trace.s, "indexed"
        else:
            s, axis = np.r_[0.0, np.cumsum(np.hypot(np.diff(trace.x), np.diff(trace.y)))], "projected"
        found = detect_corners(trace.x, trace.y, s)
        length = float(s[-1])
        store_corners.save_corner_defs(src.engine, track, layout, [
            {"number": c.number, "name": c.name, "entry_m": c.entry_m, "apex_m": c.apex_m, "exit_m": c.exit_m,
             "direction": c.direction, "turn_deg": c.turn_deg, "length_m": length, "axis": axis,
             "source_lap_id": lap["id"]} for c in found])
        stored = store_corners.corner_defs(src.engine, track, layout)
        return _from_rows(track, layout, stored) if stored else CornerMap(track, layout, length, (), axis, lap["id"])
    where = f"{track}/{layout}" if layout else track
    raise ValueError(f"no clean lap at {where} with a path to detect corners on")


def _fastest_clean(src: LapSource, track: str, layout: str) -> list[dict[str, Any]]:
    """The fastest clean laps driven on this layout (an autocross layout's corners are not the track's)."""
    from lfs_ayats.store import queries

    sessions = [s["id"] for s in queries.sessions(src.engine) if s["track"] == track and (s["layout"] or "") == layout]
    laps = [r for sid in sessions for r in queries.laps(src.engine, sid, clean=True)]
    return sorted(laps, key=lambda r: (r["time_ms"], r["id"]))[:20]


def rename(engine: Engine, track: str, layout: str, number: int, name: str) -> bool:
    return store_corners.rename_corner(engine, track, layout, number, name)


# -- per lap -----------------------------------------------------------------------------------------------


def _applications(s: np.ndarray, t: np.ndarray, on: np.ndarray) -> list[tuple[float, float]]:
    """(on_m, off_m) of each braking application: ≥ BRAKE_MIN_S long, merged when < BRAKE_MERGE_M apart."""
    runs = [(a, b) for a, b in _runs(on) if t[min(b, len(t) - 1)] - t[a] >= BRAKE_MIN_S]
    out: list[list[float]] = []
    for a, b in runs:
        start, end = float(s[a]), float(s[min(b, len(s) - 1)])
        if out and start - out[-1][1] < BRAKE_MERGE_M:
            out[-1][1] = end
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def brake_source(frame: pl.DataFrame) -> str:
    """"pedal" when both laps have a brake channel, else "decel" for both (so their points compare)."""
    both = all(np.isfinite(frame[c].to_numpy()).any() for c in ("brake", "brake_ref"))
    return "pedal" if both else "decel"


def _braking(frame: pl.DataFrame, suffix: str) -> tuple[np.ndarray, str]:
    """Where the lap brakes: the pedal when both laps have one, else the deceleration."""
    s = frame["s_m"].to_numpy()
    if brake_source(frame) == "pedal":
        return np.nan_to_num(frame[f"brake{suffix}"].to_numpy()) >= BRAKE_ON, "pedal"
    v = frame[f"speed_mps{suffix}"].to_numpy()
    decel = -v * np.gradient(v, s)  # dv/dt = v dv/ds
    return decel >= DECEL_BRAKING_MPS2, "decel"


def _brake_points(frame: pl.DataFrame, suffix: str, corners: list[Corner]) -> tuple[list[float | None], str]:
    s = frame["s_m"].to_numpy()
    t = frame["t_ref_s" if suffix else "t_s"].to_numpy()
    v = frame[f"speed_mps{suffix}"].to_numpy()
    on, kind = _braking(frame, suffix)
    apps = _applications(s, t, on)
    out: list[float | None] = []
    previous_apex = -math.inf
    for c in corners:
        best, drop = None, -math.inf
        for a, b in apps:
            mid = 0.5 * (a + b)
            if previous_apex <= mid < c.apex_m and a >= c.entry_m - BRAKE_LOOKBACK_M:
                taken = float(np.interp(a, s, v) - np.interp(b, s, v))
                if taken > drop:
                    best, drop = a, taken
        out.append(best)
        previous_apex = c.apex_m
    return out, kind


def _segment_bounds(corners: list[Corner], length_m: float) -> list[tuple[str, int, str, float, float]]:
    """Corners and the straights between them, tiling [0, length]: (kind, number, name, start, end)."""
    out: list[tuple[str, int, str, float, float]] = []
    at = 0.0
    for c in corners:
        entry, exit_ = max(c.entry_m, at), min(c.exit_m, length_m)
        if entry > at:
            out.append(("straight", len([o for o in out if o[0] == "straight"]) + 1, f"before {c.name}", at, entry))
        if exit_ > entry:
            out.append(("corner", c.number, c.name, entry, exit_))
            at = exit_
    if at < length_m:
        out.append(("straight", len([o for o in out if o[0] == "straight"]) + 1, "to the line", at, length_m))
    return out


def corner_report(comparison: Comparison, corners: CornerMap | list[Corner]) -> pl.DataFrame:
    """Per-segment metrics of the compared lap and its reference (see the module docstring)."""
    f = comparison.frame
    listed = corners.scaled(comparison.length_m) if isinstance(corners, CornerMap) else list(corners)
    s = f["s_m"].to_numpy()
    delta, t_lap, t_ref = f["delta_s"].to_numpy(), f["t_s"].to_numpy(), f["t_ref_s"].to_numpy()
    v, v_ref = f["speed_mps"].to_numpy() * 3.6, f["speed_mps_ref"].to_numpy() * 3.6
    brake_on, source = _brake_points(f, "", listed)
    brake_ref, _ = _brake_points(f, "_ref", listed)
    by_number = {c.number: k for k, c in enumerate(listed)}
    rows = []
    for kind, number, name, a, b in _segment_bounds(listed, comparison.length_m):
        inside = (s >= a) & (s <= b)
        k_min = int(np.flatnonzero(inside)[np.argmin(v[inside])]) if inside.any() else 0
        row: dict[str, Any] = {
            "kind": kind, "number": number, "name": name, "entry_m": a, "exit_m": b,
            "v_entry_kmh": float(np.interp(a, s, v)), "v_min_kmh": float(v[inside].min()) if inside.any() else math.nan,
            "s_vmin_m": float(s[k_min]), "v_exit_kmh": float(np.interp(b, s, v)),
            "v_entry_ref_kmh": float(np.interp(a, s, v_ref)),
            "v_min_ref_kmh": float(v_ref[inside].min()) if inside.any() else math.nan,
            "v_exit_ref_kmh": float(np.interp(b, s, v_ref)),
            "time_s": float(np.interp(b, s, t_lap) - np.interp(a, s, t_lap)),
            "time_ref_s": float(np.interp(b, s, t_ref) - np.interp(a, s, t_ref)),
            "delta_s": float(np.interp(b, s, delta) - np.interp(a, s, delta)),
            "brake_on_m": None, "brake_on_ref_m": None, "brake_delta_m": None, "brake_source": source,
        }
        if kind == "corner":
            k = by_number[number]
            on, on_ref = brake_on[k], brake_ref[k]
            row["brake_on_m"], row["brake_on_ref_m"] = on, on_ref
            if on is not None and on_ref is not None:
                row["brake_delta_m"] = on - on_ref
        rows.append(row)
    schema = {"brake_on_m": pl.Float64, "brake_on_ref_m": pl.Float64, "brake_delta_m": pl.Float64}
    return pl.DataFrame(rows, schema_overrides=schema, infer_schema_length=None)


def costliest(report: pl.DataFrame, n: int = 3) -> pl.DataFrame:
    """The `n` corners that lost the most time (Δ > 0), worst first."""
    return (report.filter((pl.col("kind") == "corner") & (pl.col("delta_s") > 0))
            .sort("delta_s", descending=True).head(n))


BRAKE_TAG_M = 5.0  # a braking point this much earlier/later is worth saying (100 Hz: ±0.6 m; grid: 2 m)
SPEED_TAG_KMH = 2.0


def causes(row: dict[str, Any]) -> list[str]:
    """Why a segment lost (or gained) time, in words: braking point, minimum and exit speed against the ref."""
    out = []
    delta = row.get("brake_delta_m")
    if delta is not None and abs(delta) >= BRAKE_TAG_M:
        out.append(f"braked {abs(delta):.0f} m {'early' if delta < 0 else 'late'}")
    for key, label in (("v_min", "V_min"), ("v_exit", "exit")):
        a, b = row.get(f"{key}_kmh"), row.get(f"{key}_ref_kmh")
        if a is not None and b is not None and math.isfinite(a - b) and abs(a - b) >= SPEED_TAG_KMH:
            out.append(f"{label} {a - b:+.0f} km/h")
    return out
