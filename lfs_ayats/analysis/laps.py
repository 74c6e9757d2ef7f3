"""The lap table, the clean set and the theoretical bests, per session and driver (analysis.md 6(b), 4 and 5).

Public API
----------
- ``clean_set(laps) -> dict[lap_id, list[reason]]``: the store's classification (telemetry.laps) plus
  6(b)'s last rule, laps above median + 3·1.4826·MAD of the remaining clean laps ("outlier").
- ``lap_table(laps, traces=None) -> pl.DataFrame``: id, lap, time_ms, splits_ms, sector1_ms..,
  delta_to_best_ms, clean, reason, reasons, measured_ms, timing_error_ms, timing_mismatch.
- ``split_theoretical_best(laps) -> int | None``: Σ over official sectors of the best clean sector.
- ``minisector_times(aligned, size_m=100) -> (bounds, τ[lap, j])`` and
  ``minisector_theoretical_best(times) -> (naive, realistic_p10)`` in seconds.
- ``analyze_driver(laps, traces) -> DriverAnalysis`` (pure) and ``analyze_session(source_or_engine,
  session_id) -> SessionAnalysis`` (from the store): the table, bests, potential gains, consistency,
  speed sigma band and stint drift of every driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine

from .align import Aligned, LapTrace, align_many
from .consistency import Consistency, StintDrift, consistency, speed_band, stint_drift
from .load import LapSource

MINISECTOR_M = 100.0
MAD_FACTOR = 3.0 * 1.4826
BAND_LAPS = 10  # the speed sigma band uses the best N clean laps
REALISTIC_PERCENTILE = 10.0


def clean_set(laps: Sequence[Mapping[str, Any]]) -> dict[int, list[str]]:
    """Each lap's exclusion reasons ([] = in the clean set C)."""
    out = {int(r["id"]): list(r.get("reasons") or ([] if r["clean"] else [r.get("reason") or "unclean"]))
           for r in laps}
    times = np.array([r["time_ms"] for r in laps if r["clean"]], dtype=np.float64)
    if len(times) >= 3:
        median = float(np.median(times))
        limit = median + MAD_FACTOR * float(np.median(np.abs(times - median)))
        for r in laps:
            if r["clean"] and r["time_ms"] > limit:
                out[int(r["id"])].append("outlier")
    return out


def split_theoretical_best(laps: Sequence[Mapping[str, Any]], reasons: Mapping[int, list[str]]) -> int | None:
    """Σ of the best official sector times over clean laps with every sector (None without one)."""
    sectors = [r["sectors_ms"] for r in laps if not reasons[int(r["id"])] and r["sectors_ms"]
               and all(s is not None for s in r["sectors_ms"])]
    if not sectors:
        return None
    width = max(len(s) for s in sectors)
    complete = np.array([s for s in sectors if len(s) == width], dtype=np.int64)
    return int(complete.min(axis=0).sum())


def minisector_times(aligned: Aligned, size_m: float = MINISECTOR_M) -> tuple[np.ndarray, np.ndarray]:
    """(bounds, τ): boundaries j·size (the last minisector absorbs the remainder) and each lap's time in each."""
    length = float(aligned.grid[-1])
    count = max(1, int(length // size_m))
    bounds = np.r_[np.arange(count) * size_m, length]
    times = np.vstack([np.diff(np.interp(bounds, aligned.grid, lap.t)) for lap in aligned.laps])
    return bounds, times


def minisector_theoretical_best(times: np.ndarray) -> tuple[float, float]:
    """(naive Σ min, realistic Σ P10) in seconds over the laps (rows) of `times`."""
    return float(times.min(axis=0).sum()), float(np.percentile(times, REALISTIC_PERCENTILE, axis=0).sum())


def lap_table(laps: Sequence[Mapping[str, Any]], traces: Mapping[int, LapTrace | None] | None = None,
              reasons: Mapping[int, list[str]] | None = None) -> pl.DataFrame:
    """One driver's laps with sectors, Δ to their best clean lap (best lap if none is clean) and timing checks."""
    reasons = clean_set(laps) if reasons is None else reasons
    traces = traces or {}
    clean_times = [r["time_ms"] for r in laps if not reasons[int(r["id"])]]
    best = min(clean_times) if clean_times else min((r["time_ms"] for r in laps), default=None)
    width = max((len(r["sectors_ms"] or []) for r in laps), default=0)
    rows = []
    for r in laps:
        why = reasons[int(r["id"])]
        trace = traces.get(int(r["id"]))
        row: dict[str, Any] = {
            "id": int(r["id"]), "lap": int(r["lap"]), "time_ms": int(r["time_ms"]),
            "splits_ms": [s for s in (r["splits_ms"] or []) if s is not None],
        }
        sectors = list(r["sectors_ms"] or [])
        for k in range(width):
            row[f"sector{k + 1}_ms"] = sectors[k] if k < len(sectors) else None
        row.update({
            "delta_to_best_ms": None if best is None else int(r["time_ms"]) - int(best),
            "clean": not why, "reason": why[0] if why else "", "reasons": why,
            "measured_ms": None if trace is None else round(trace.measured_ms, 2),
            "timing_error_ms": None if trace is None else round(trace.timing_error_ms, 2),
            "timing_mismatch": None if trace is None else trace.timing_mismatch,
        })
        rows.append(row)
    schema: dict[str, Any] = {"id": pl.Int64, "lap": pl.Int64, "time_ms": pl.Int64, "splits_ms": pl.List(pl.Int64),
                              **{f"sector{k + 1}_ms": pl.Int64 for k in range(width)},
                              "delta_to_best_ms": pl.Int64, "clean": pl.Boolean, "reason": pl.String,
                              "reasons": pl.List(pl.String), "measured_ms": pl.Float64,
                              "timing_error_ms": pl.Float64, "timing_mismatch": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


@dataclass(frozen=True)
class DriverAnalysis:
    plid: int
    driver: str
    car: str
    table: pl.DataFrame
    best_ms: int | None  # fastest clean lap
    tb_split_ms: int | None
    tb_mini_naive_ms: float | None
    tb_mini_realistic_ms: float | None
    minisector_laps: int  # clean laps the minisector bests are built from
    consistency: Consistency
    drift: list[StintDrift] = field(default_factory=list)
    band: pl.DataFrame | None = None  # s_m, median_mps, sigma_mps over the best BAND_LAPS clean laps

    def gain(self, theoretical: float | None) -> float | None:
        return None if theoretical is None or self.best_ms is None else self.best_ms - theoretical

    def band_peaks(self, n: int = 3, apart_m: float = 100.0) -> list[dict[str, float]]:
        """Where speed varies most between laps (peaks of sigma at least `apart_m` apart)."""
        if self.band is None or self.band.height == 0:
            return []
        s, sigma = self.band["s_m"].to_numpy(), self.band["sigma_mps"].to_numpy()
        out: list[dict[str, float]] = []
        for k in np.argsort(-sigma):
            if len(out) == n or sigma[k] <= 0:
                break
            if all(abs(s[k] - p["s_m"]) >= apart_m for p in out):
                out.append({"s_m": float(s[k]), "sigma_kmh": float(sigma[k] * 3.6)})
        return out

    def summary(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), 1)

        return {
            "plid": self.plid, "driver": self.driver, "car": self.car, "laps": self.table.height,
            "clean_laps": int(self.table["clean"].sum()), "best_ms": self.best_ms,
            "theoretical_best": {
                "split_ms": self.tb_split_ms, "minisector_naive_ms": r(self.tb_mini_naive_ms),
                "minisector_realistic_ms": r(self.tb_mini_realistic_ms), "minisector_laps": self.minisector_laps,
            },
            "potential_gain": {
                "split_ms": r(self.gain(self.tb_split_ms)), "minisector_naive_ms": r(self.gain(self.tb_mini_naive_ms)),
                "minisector_realistic_ms": r(self.gain(self.tb_mini_realistic_ms)),
            },
            "consistency": self.consistency.to_dict(), "stint_drift": [d.to_dict() for d in self.drift],
            "speed_sigma_peaks": self.band_peaks(),
        }


def analyze_driver(laps: Sequence[Mapping[str, Any]], traces: Mapping[int, LapTrace | None], *,
                   minisector_m: float = MINISECTOR_M) -> DriverAnalysis:
    """One driver's laps (in order) and whatever traces could be cut: the table and every figure above."""
    reasons = clean_set(laps)
    table = lap_table(laps, traces, reasons)
    clean = sorted((r for r in laps if not reasons[int(r["id"])]), key=lambda r: (r["time_ms"], r["id"]))
    usable = [t for t in (traces.get(int(r["id"])) for r in clean) if t is not None]
    naive = realistic = None
    band = None
    if usable:
        aligned = align_many(usable)
        _, times = minisector_times(aligned, minisector_m)
        naive_s, realistic_s = minisector_theoretical_best(times)
        naive, realistic = naive_s * 1000, realistic_s * 1000
        best_n = aligned.laps[:BAND_LAPS]
        band = speed_band([a.speed() for a in best_n], aligned.grid)
    first = laps[0] if laps else {}
    return DriverAnalysis(
        plid=int(first.get("plid", 0)), driver=str(first.get("driver", "")), car=str(first.get("car", "")),
        table=table, best_ms=int(clean[0]["time_ms"]) if clean else None,
        tb_split_ms=split_theoretical_best(laps, reasons), tb_mini_naive_ms=naive, tb_mini_realistic_ms=realistic,
        minisector_laps=len(usable), consistency=consistency([r["time_ms"] for r in clean]),
        drift=stint_drift([{**r, "clean": not reasons[int(r["id"])]} for r in laps]), band=band,
    )


@dataclass(frozen=True)
class SessionAnalysis:
    session: dict[str, Any]
    drivers: list[DriverAnalysis]

    def summary(self) -> dict[str, Any]:
        return {"session": self.session, "drivers": [d.summary() for d in self.drivers]}


def analyze_session(source: LapSource | Engine, session_id: int, *,
                    minisector_m: float = MINISECTOR_M) -> SessionAnalysis:
    """Every driver of a stored session, fastest best lap first (drivers without a clean lap last)."""
    from lfs_ayats.store import queries

    src = source if isinstance(source, LapSource) else LapSource(source)
    laps = src.laps(session_id)
    session = queries.session(src.engine, session_id) or {}
    by_plid: dict[int, list[dict[str, Any]]] = {}
    for lap in laps:
        by_plid.setdefault(lap["plid"], []).append(lap)
    drivers = []
    for rows in by_plid.values():
        rows.sort(key=lambda r: (r["lap"], r["t_end"]))
        traces = {int(r["id"]): src.trace(r) for r in rows}
        drivers.append(analyze_driver(rows, traces, minisector_m=minisector_m))
    drivers.sort(key=lambda d: (d.best_ms is None, d.best_ms or 0, d.plid))
    shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in session.items()}
    return SessionAnalysis(shown, drivers)
