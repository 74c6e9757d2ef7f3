"""Distance-aligned comparison of a lap with a reference (analysis.md 6(b), analysis 1).

Public API
----------
- ``compare_traces(lap, refs, *, kind="lap", step_m=2.0) -> Comparison``: pure, over `LapTrace`s
  (``align.trace_from_frame(samples, t_start, t_end, line=..., channels=...)`` cuts one from a polars
  frame of samples; ``align.fit_line(cars)`` locates the line from a frame of every car's positions).
  One ref is a lap; several make the envelope (median of their times at each distance, p10-p90 band).
- ``compare_laps(source_or_engine, lap_id, ref="best", *, step_m=2.0, envelope_n=5) -> Comparison``:
  the same, read from the store. `ref` is "best" (the session's fastest clean lap in the same car,
  not the lap itself), "last" (the driver's previous lap), "alltime" (the fastest clean lap for the
  track and car in the whole store), "envelope" (the best `envelope_n` clean laps: the driver's own
  in the session when they have 3, else the session's in the same car) or a lap id.
- ``Comparison.frame``: one row per grid point: s_m, t_s, t_ref_s, delta_s, loss_rate_s_per_m, x_m,
  y_m, source_gap_m (distance to the lap's nearest sample), and for each channel in CHANNELS the
  lap's value and ``<name>_ref`` (NaN where a lap has no such samples; IS_MCI-only laps have speed
  alone); envelopes add delta_p10_s and delta_p90_s.
- ``Comparison.closure_ms`` = |Δt(L) - (T_lap - T_ref)| against the official IS_LAP times.
- ``LiveReference.from_trace(trace).delta(s_now, elapsed_s)``: the live Δ during a lap.

Δt > 0 means the lap is slower than the reference at that distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import polars as pl
from sqlalchemy import Engine

from lfs_ayats.store import queries

from .align import GRID_STEP_M, AlignedLap, LapTrace, align_many
from .load import LapNotFound, LapSource

CHANNELS = ("speed_mps", "throttle", "brake", "gear", "rpm", "steer_rad")
CLOSURE_GREEN_MS = 10.0
CLOSURE_AMBER_MS = 30.0
ENVELOPE_N = 5
ENVELOPE_OWN_MIN = 3  # the driver's own clean laps needed for an envelope of their own
REFERENCES = ("best", "last", "alltime", "envelope")


class NoReference(ValueError):
    """No lap qualifies as the requested reference (or a lap cannot be cut at the line)."""


@dataclass(frozen=True)
class Comparison:
    """A lap against a reference on one distance grid."""

    lap_id: int | None
    label: str
    reference: str  # "lap", "best", "last", "alltime", "envelope"
    reference_ids: tuple[int | None, ...]
    reference_label: str
    axis: str  # "indexed" (OutSim IndexedDistance) or "projected" (onto the reference's driven path)
    step_m: float
    length_m: float
    frame: pl.DataFrame
    lap_time_ms: int | None
    reference_time_ms: float | None  # official; the median for an envelope
    timing: list[dict[str, Any]] = field(default_factory=list)  # per lap: official, measured, error, mismatch

    @property
    def delta_s(self) -> float:
        """Δt(L): the lap's time minus the reference's, measured on the grid."""
        return float(self.frame["delta_s"][-1])

    @property
    def official_delta_s(self) -> float:
        if self.lap_time_ms is None or self.reference_time_ms is None:
            return math.nan
        return (self.lap_time_ms - self.reference_time_ms) / 1000.0

    @property
    def closure_ms(self) -> float:
        return abs(self.delta_s - self.official_delta_s) * 1000.0

    @property
    def closure_badge(self) -> str:
        c = self.closure_ms
        if math.isnan(c):
            return "unknown"
        return "green" if c <= CLOSURE_GREEN_MS else "amber" if c <= CLOSURE_AMBER_MS else "red"

    def delta_at(self, s_m: float) -> float:
        return float(np.interp(s_m, self.frame["s_m"].to_numpy(), self.frame["delta_s"].to_numpy()))

    def summary(self) -> dict[str, Any]:
        """The headline numbers (no grid), JSON-ready."""
        return {
            "lap_id": self.lap_id, "lap": self.label, "reference": self.reference,
            "reference_ids": list(self.reference_ids), "reference_label": self.reference_label,
            "axis": self.axis, "step_m": self.step_m, "length_m": round(self.length_m, 3),
            "lap_time_ms": self.lap_time_ms, "reference_time_ms": self.reference_time_ms,
            "delta_s": round(self.delta_s, 4), "official_delta_s": _round(self.official_delta_s, 4),
            "closure_ms": _round(self.closure_ms, 2), "closure": self.closure_badge, "timing": self.timing,
        }


def _round(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def _timing(trace: LapTrace) -> dict[str, Any]:
    return {"lap_id": trace.lap_id, "label": trace.label, "official_ms": trace.time_ms,
            "measured_ms": round(trace.measured_ms, 2), "error_ms": _round(trace.timing_error_ms, 2),
            "timing_mismatch": trace.timing_mismatch}


def _channel(aligned: AlignedLap, name: str) -> np.ndarray:
    if name == "speed_mps":
        return aligned.speed()
    values = aligned.channel(name)
    return np.full(len(aligned.grid), np.nan) if values is None else values


def _source_gap(aligned: AlignedLap) -> np.ndarray:
    """At each grid point, how far the nearest sample of the lap is (data quality: 10 Hz ≈ 3 m, 100 Hz < 1 m)."""
    s, grid = aligned.sample_s, aligned.grid
    k = np.clip(np.searchsorted(s, grid), 1, len(s) - 1)
    out: np.ndarray = np.minimum(np.abs(grid - s[k - 1]), np.abs(s[k] - grid))
    return out


def _median(rows: list[np.ndarray]) -> np.ndarray:
    stack = np.vstack(rows)
    if np.isnan(stack).all():
        return np.full(stack.shape[1], np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
            out: np.ndarray = np.nanmedian(stack, axis=0)
    return out


def compare_traces(lap: LapTrace, refs: Sequence[LapTrace], *, kind: str = "lap",
                   step_m: float = GRID_STEP_M) -> Comparison:
    """Δt(s) of `lap` against `refs` (one lap, or several for an envelope; the first sets the path)."""
    if not refs:
        raise NoReference("no reference lap")
    # The reference goes first: its ruler length or driven path defines the grid.
    try:
        together = align_many([*refs, lap], step_m)
    except ValueError as exc:
        raise NoReference(str(exc)) from None
    grid, x, y = together.grid, together.x, together.y
    aligned = [together.laps[-1], *together.laps[:-1]]
    cmp, others = aligned[0], aligned[1:]
    ref_times = np.vstack([a.t for a in others])
    t_ref = np.median(ref_times, axis=0)
    delta = cmp.t - t_ref
    columns: dict[str, Any] = {
        "s_m": grid, "t_s": cmp.t, "t_ref_s": t_ref, "delta_s": delta,
        "loss_rate_s_per_m": np.gradient(delta, grid), "x_m": x, "y_m": y,
    }
    columns["source_gap_m"] = _source_gap(cmp)
    if len(others) > 1:
        columns["delta_p10_s"] = cmp.t - np.percentile(ref_times, 90, axis=0)
        columns["delta_p90_s"] = cmp.t - np.percentile(ref_times, 10, axis=0)
    for name in CHANNELS:
        columns[name] = _channel(cmp, name)
        columns[f"{name}_ref"] = _median([_channel(a, name) for a in others])
    official = [r.time_ms for r in refs if r.time_ms is not None]
    ref_time = float(np.median(official)) if len(official) == len(refs) else None
    label = refs[0].label if len(refs) == 1 else f"envelope of {len(refs)} laps"
    return Comparison(
        lap_id=lap.lap_id, label=lap.label, reference=kind, reference_ids=tuple(r.lap_id for r in refs),
        reference_label=label, axis=together.axis, step_m=step_m, length_m=float(grid[-1]),
        frame=pl.DataFrame(columns), lap_time_ms=lap.time_ms, reference_time_ms=ref_time,
        timing=[_timing(t) for t in (lap, *refs)],
    )


@dataclass(frozen=True)
class LiveReference:
    """A reference lap's time at each ruler distance, for the live Δ (6(b) analysis 1, live form).

    Δ_live = t_elapsed - t_ref(s_now), by binary search over the reference's samples; None once the
    lap has run past the reference's last sample. A UI freezes the value FREEZE_S after the line.
    """

    s: np.ndarray
    t: np.ndarray  # seconds since the line
    label: str = ""
    time_ms: int | None = None

    FREEZE_S: ClassVar[float] = 5.0

    @classmethod
    def from_trace(cls, trace: LapTrace) -> LiveReference:
        if trace.s is None:
            raise NoReference("a live reference needs a lap with IndexedDistance (OutSim)")
        return cls(trace.s.copy(), trace.t - trace.t[0], trace.label, trace.time_ms)

    def delta(self, s_now: float, elapsed_s: float) -> float | None:
        if not 0.0 <= s_now <= self.s[-1]:
            return None
        k = int(np.searchsorted(self.s, s_now, side="right"))
        if k >= len(self.s):
            return elapsed_s - float(self.t[-1])
        k = max(k, 1)
        f = (s_now - self.s[k - 1]) / (self.s[k] - self.s[k - 1])
        return elapsed_s - float(self.t[k - 1] + f * (self.t[k] - self.t[k - 1]))


# -- references from the store ---------------------------------------------------------------------------


def _candidates(laps: list[dict[str, Any]], lap: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted((r for r in laps if r["clean"] and r["id"] != lap["id"] and r["car"] == lap["car"]),
                  key=lambda r: (r["time_ms"], r["id"]))


def reference_laps(source: LapSource, lap: dict[str, Any], ref: str | int,
                   envelope_n: int = ENVELOPE_N) -> list[dict[str, Any]]:
    """The lap rows a reference choice names, fastest first (see the module docstring)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return [source.lap(int(ref))]
    if ref == "last":
        found = [r for r in source.laps(lap["session_id"]) if r["plid"] == lap["plid"] and r["lap"] == lap["lap"] - 1]
        if not found:
            raise NoReference(f"lap {lap['id']} is {lap['driver']}'s first lap in its session: no last lap")
        return found
    if ref == "best":
        found = _candidates(source.laps(lap["session_id"]), lap)
        if not found:
            raise NoReference(f"session {lap['session_id']} has no other clean {lap['car']} lap")
        return found[:1]
    if ref == "alltime":
        best = queries.best_laps(source.engine, lap["track"], lap["car"], limit=2)
        found = [r for r in best if r["id"] != lap["id"]]
        if not found:
            raise NoReference(f"no other clean {lap['car']} lap at {lap['track']} in this database")
        return found[:1]
    if ref == "envelope":
        pool = _candidates(source.laps(lap["session_id"]), lap)
        own = [r for r in pool if r["plid"] == lap["plid"]]
        chosen = own if len(own) >= ENVELOPE_OWN_MIN else pool
        if len(chosen) < 2:
            raise NoReference(f"session {lap['session_id']} has fewer than 2 other clean {lap['car']} laps")
        return chosen[:envelope_n]
    raise NoReference(f"unknown reference {ref!r}: expected one of {', '.join(REFERENCES)} or a lap id")


def compare_laps(source: LapSource | Engine, lap_id: int, ref: str | int = "best", *, step_m: float = GRID_STEP_M,
                 envelope_n: int = ENVELOPE_N) -> Comparison:
    """Compare a stored lap with a reference read from the same store."""
    src = source if isinstance(source, LapSource) else LapSource(source)
    lap = src.lap(lap_id)
    trace = src.trace(lap)
    if trace is None:
        raise NoReference(f"lap {lap_id} cannot be cut at the line (it started from the grid, or has no samples)")
    rows = reference_laps(src, lap, ref, envelope_n)
    refs = [t for t in (src.trace(r) for r in rows) if t is not None]
    if not refs:
        raise NoReference(f"reference lap {rows[0]['id']} ({rows[0]['driver']} L{rows[0]['lap']}) cannot be cut at "
                          "the line (it started from the grid, or has no samples)")
    kind = "lap" if isinstance(ref, int) or str(ref).isdigit() else str(ref)
    return compare_traces(trace, refs, kind=kind, step_m=step_m)


__all__ = ["CHANNELS", "Comparison", "LapNotFound", "LapSource", "LiveReference", "NoReference", "compare_laps",
           "compare_traces", "reference_laps"]
