"""How long does comparing two 100 Hz laps take? And scanning 1,000 laps for anomalies?

    python benchmarks/analysis.py [--repeat 20] [--scan-laps 1000]

Two laps of the simulator's GM1 are sampled at 100 Hz straight from `sim.field.Field` (ruler
distance, position, speed), cut at the line and compared on the 2 m grid, on both axes:

- indexed (OutSim IndexedDistance): `compare_traces`, against a pure-Python baseline that walks the
  samples with a pointer for every grid point;
- projected (positions only, IS_MCI-style): `compare_traces`, against the sequential -5/+10 m window
  search gt7-datalogger describes, one Python iteration (and a few numpy calls) per sample.

Both baselines are measured in the same run; the printed ratio is baseline time / lfs-ayats time,
and the largest |Δt| difference between the two shows they compute the same thing.

The anomaly scan is the anomalies module's (see `scan_anomalies` below): skipped while it is absent.
"""

from __future__ import annotations

import argparse
import bisect
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from lfs_ayats.analysis.align import GRID_STEP_M, LapTrace, cut_indexed, driven_path, make_grid
from lfs_ayats.analysis.compare import compare_traces
from lfs_ayats.sim.field import Field


def simulate_laps(hz: int = 100, seed: int = 5) -> tuple[LapTrace, LapTrace]:
    """Laps 2 and 3 (flying) of car 1 in a two-car race, sampled every 1/hz s."""
    field = Field("GM1", 2, "race", laps=3, seed=seed, tick_ms=10)
    step = 1000 // hz
    rows: list[tuple[float, ...]] = []
    while not field.finished and field.time_ms < 600_000:
        field.step(step)
        c = field.cars
        rows.append((field.time_ms / 1000, c.lap_distance_m[0], c.x_m[0], c.y_m[0], c.speed_mps[0]))
    frame = pl.DataFrame(rows, schema=["t", "lap_distance_m", "x_m", "y_m", "speed_mps"], orient="row")
    laps = [lap for lap in field.truth()["laps"] if lap["plid"] == 1 and lap["lap"] >= 2]
    traces = []
    for lap in laps[:2]:
        trace = cut_indexed(frame, lap["start_ms"] / 1000, lap["end_ms"] / 1000, length_m=field.track.length_m,
                            lap_id=lap["lap"], time_ms=lap["time_ms"], label=f"L{lap['lap']}")
        assert trace is not None
        traces.append(trace)
    return traces[0], traces[1]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# -- baselines ---------------------------------------------------------------------------------------------------


def python_time_on_grid(s: list[float], t: list[float], grid: list[float]) -> list[float]:
    """Monotone filter and linear interpolation with a pointer, in pure Python."""
    ks, kt, top = [], [], -math.inf
    for a, b in zip(s, t, strict=True):
        if a > top:
            ks.append(a)
            kt.append(b - t[0])
            top = a
    out, j = [], 0
    for g in grid:
        while j + 2 < len(ks) and ks[j + 1] < g:
            j += 1
        f = (g - ks[j]) / (ks[j + 1] - ks[j])
        out.append(kt[j] + min(max(f, 0.0), 1.0) * (kt[j + 1] - kt[j]))
    return out


def baseline_indexed(lap: LapTrace, ref: LapTrace, step_m: float = GRID_STEP_M) -> np.ndarray:
    assert lap.s is not None and ref.s is not None
    grid = make_grid(ref.length_m, step_m).tolist()
    scale = ref.length_m / lap.length_m
    a = python_time_on_grid([x * scale for x in lap.s.tolist()], lap.t.tolist(), grid)
    b = python_time_on_grid(ref.s.tolist(), ref.t.tolist(), grid)
    return np.array(a) - np.array(b)


def sequential_projection(ref: LapTrace, lap: LapTrace) -> np.ndarray:
    """gt7's rule: each sample searches the path from 5 m behind to 10 m ahead of the last projection."""
    path = driven_path(ref)
    out = np.empty(len(lap.x))
    last = 0.0
    for i, (x, y) in enumerate(zip(lap.x, lap.y, strict=True)):
        lo = max(0, bisect.bisect_left(path.s, last - 5.0) - 1)
        hi = min(len(path.s) - 1, bisect.bisect_right(path.s, last + 10.0) + 1)
        px, py = path.x[lo:hi + 1], path.y[lo:hi + 1]
        dx, dy = np.diff(px), np.diff(py)
        u = np.clip(((x - px[:-1]) * dx + (y - py[:-1]) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0, 1)
        d2 = (x - px[:-1] - u * dx) ** 2 + (y - py[:-1] - u * dy) ** 2
        k = int(np.argmin(d2))
        last = max(last, float(path.s[lo + k] + u[k] * math.hypot(dx[k], dy[k])))
        out[i] = last
    out[0], out[-1] = 0.0, path.length_m
    return out


def baseline_projected(lap: LapTrace, ref: LapTrace, step_m: float = GRID_STEP_M) -> np.ndarray:
    path = driven_path(ref)
    grid = make_grid(path.length_m, step_m).tolist()
    a = python_time_on_grid(sequential_projection(ref, lap).tolist(), lap.t.tolist(), grid)
    b = python_time_on_grid(sequential_projection(ref, ref).tolist(), ref.t.tolist(), grid)
    return np.array(a) - np.array(b)


# -- HOOK: the anomaly scan (filled by lfs_ayats.analysis.anomalies) ------------------------------------------------


def scan_anomalies(n_laps: int, seed: int = 0) -> None:
    """HOOK for the anomalies module: time a scan of `n_laps` laps and print its figures.

    Contract: `lfs_ayats.analysis.anomalies.benchmark_scan(n_laps: int, seed: int) -> dict[str, float]`
    builds its own `n_laps` laps of features, runs the scan, and returns named timings in seconds
    (and any baseline measured in the same run), printed here one per line.
    """
    try:
        from lfs_ayats.analysis import anomalies  # type: ignore[attr-defined]
    except ImportError:
        print(f"anomaly scan of {n_laps} laps: lfs_ayats.analysis.anomalies is not there yet (skipped)")
        return
    scan = getattr(anomalies, "benchmark_scan", None)
    if scan is None:
        print(f"anomaly scan of {n_laps} laps: anomalies.benchmark_scan is not there yet (skipped)")
        return
    for name, value in scan(n_laps, seed).items():
        print(f"anomaly scan of {n_laps} laps: {name} {value:.3f}" + (" s" if name.endswith("_s") else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scan-laps", type=int, default=1000)
    args = parser.parse_args()

    ref, lap = simulate_laps()
    print(f"two 100 Hz laps of GM1: {len(ref.t)} and {len(lap.t)} samples, {ref.measured_ms / 1000:.3f} s and "
          f"{lap.measured_ms / 1000:.3f} s (official {ref.time_ms} and {lap.time_ms} ms)")
    for axis, ours, base in (
        ("indexed", lambda: compare_traces(lap, [ref]), lambda: baseline_indexed(lap, ref)),
        ("projected", lambda: compare_traces(replace(lap, s=None), [replace(ref, s=None)]),
         lambda: baseline_projected(lap, ref)),
    ):
        t_ours, comparison = timed(ours, args.repeat)
        t_base, delta = timed(base, max(1, args.repeat // 5))
        ours_delta = comparison.frame["delta_s"].to_numpy()
        n = min(len(ours_delta), len(delta))
        agree = float(np.max(np.abs(ours_delta[:n] - delta[:n])) * 1000)
        print(f"{axis:>9}: lfs-ayats {t_ours * 1000:7.2f} ms, baseline {t_base * 1000:8.2f} ms "
              f"({t_base / t_ours:5.1f}x faster); Δt(L) {comparison.delta_s:+.4f} s, closure "
              f"{comparison.closure_ms:.2f} ms, max |Δt - baseline Δt| {agree:.2f} ms")
    scan_anomalies(args.scan_laps)


if __name__ == "__main__":
    main()
