"""The app's read side, run in thread workers: sessions, lap tables, comparisons, exports.

Plain functions over a store engine returning plain values, so they are testable without a UI and
cheap to swap for `lfs_ayats.analysis` functions as those land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from lfs_ayats.store import queries

GRID_M = 2.0  # distance step of an aligned comparison
MAX_COMPARE = 6


@dataclass
class Selection:
    """What the stored-data screens share: the session and the laps picked for comparison."""

    session_id: int | None = None
    lap_ids: list[int] = field(default_factory=list)


# -- sessions --------------------------------------------------------------------------------------


def load_sessions(engine: Any) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """Every session, newest first, and the car codes driven in each."""
    rows = list(reversed(queries.sessions(engine)))
    return rows, {r["id"]: str(r["cars"] or "").replace(",", " ").split() for r in rows}


def session_matches(row: dict[str, Any], cars: list[str], text: str) -> bool:
    """Every word of `text` must match the track, a car, the mode, the source or the date (any case)."""
    haystack = " ".join([str(row.get("track") or ""), str(row.get("mode") or ""), str(row.get("source") or ""),
                         str(row.get("started_at") or ""), *cars]).lower()
    return all(word in haystack for word in text.lower().split())


# -- laps --------------------------------------------------------------------------------------------


@dataclass
class LapTable:
    """A session's laps with what colours them: best sectors, theoretical bests."""

    session: dict[str, Any] | None
    laps: list[dict[str, Any]]
    best_sector: list[int | None]  # session best (clean laps), per sector: purple
    driver_best_sector: dict[str, list[int | None]]  # per driver: green
    driver_best_lap: dict[str, int]
    theoretical: dict[str, int | None]  # per driver: sum of best sectors (None if a sector was never clean)
    sectors: int


def lap_table(engine: Any, session_id: int) -> LapTable:
    session = queries.session(engine, session_id)
    laps = queries.laps(engine, session_id)
    sectors = max((len(lap["sectors_ms"] or ()) for lap in laps), default=0)
    best: list[int | None] = [None] * sectors
    per_driver: dict[str, list[int | None]] = {}
    best_lap: dict[str, int] = {}
    for lap in laps:
        if not lap["clean"]:
            continue
        driver = lap["driver"]
        mine = per_driver.setdefault(driver, [None] * sectors)
        for i, s in enumerate(lap["sectors_ms"] or ()):
            if s is None:
                continue
            if best[i] is None or s < best[i]:  # type: ignore[operator]
                best[i] = s
            if mine[i] is None or s < mine[i]:  # type: ignore[operator]
                mine[i] = s
        if lap["time_ms"] and (driver not in best_lap or lap["time_ms"] < best_lap[driver]):
            best_lap[driver] = lap["time_ms"]
    theoretical = {d: (sum(s for s in secs if s is not None) if secs and None not in secs else None)
                   for d, secs in per_driver.items()}
    return LapTable(session, laps, best, per_driver, best_lap, theoretical, sectors)


def sector_colour(table: LapTable, lap: dict[str, Any], i: int) -> str:
    """purple: the session's best sector; green: the driver's best; yellow: neither; dim: an unclean lap."""
    sectors = lap["sectors_ms"] or ()
    if i >= len(sectors) or sectors[i] is None:
        return "dim"
    if not lap["clean"]:
        return "dim"
    s = sectors[i]
    if table.best_sector[i] == s:
        return "bold magenta"
    if table.driver_best_sector.get(lap["driver"], [None] * (i + 1))[i] == s:
        return "bold green"
    return "yellow"


def fastest_clean(laps: list[dict[str, Any]], n: int = 2) -> list[int]:
    clean = sorted((lap for lap in laps if lap["clean"] and lap["time_ms"]), key=lambda lap: lap["time_ms"])
    return [lap["id"] for lap in clean[:n]]


# -- comparison --------------------------------------------------------------------------------------


@dataclass
class LapTrace:
    """One lap on the common distance grid."""

    lap: dict[str, Any]
    label: str
    seconds: np.ndarray  # time into the lap at each grid distance
    speed_kmh: np.ndarray
    throttle: np.ndarray  # NaN where the lap has no OutGauge/OutSim
    brake: np.ndarray
    gear: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray


@dataclass
class Comparison:
    distance_m: np.ndarray
    traces: list[LapTrace]
    problems: list[str] = field(default_factory=list)

    @property
    def reference(self) -> LapTrace:
        return self.traces[0]

    def delta(self, i: int) -> np.ndarray:
        """Lap i's time minus the reference's, along the lap (positive: lap i is behind)."""
        return self.traces[i].seconds - self.reference.seconds

    def frame(self) -> pl.DataFrame:
        out: dict[str, Any] = {"distance_m": self.distance_m}
        for i, tr in enumerate(self.traces):
            tag = f"lap{tr.lap['id']}"
            out[f"{tag}_seconds"] = tr.seconds
            out[f"{tag}_speed_kmh"] = tr.speed_kmh
            out[f"{tag}_throttle"] = tr.throttle
            out[f"{tag}_brake"] = tr.brake
            out[f"{tag}_gear"] = tr.gear
            if i:
                out[f"{tag}_delta_s"] = self.delta(i)
        return pl.DataFrame(out)


def lap_label(lap: dict[str, Any]) -> str:
    from .format import lap_time

    return f"{lap['driver']} L{lap['lap']} {lap_time(lap['time_ms'])}"


def _monotone(distance: np.ndarray) -> np.ndarray:
    """Indices where lap distance only grows (drops the previous lap's tail and any backwards jitter)."""
    keep = np.zeros(len(distance), dtype=bool)
    top = -np.inf
    for i, d in enumerate(distance.tolist()):
        if d == d and d > top:
            keep[i] = True
            top = d
    return np.flatnonzero(keep)


def _lap_frame(engine: Any, lap: dict[str, Any], source: str, channels: list[str]) -> pl.DataFrame:
    return queries.telemetry(engine, lap["session_id"], plid=lap["plid"], lap=lap["lap"], source=source,
                             channels=channels)


def load_comparison(engine: Any, lap_ids: list[int]) -> Comparison:
    """Laps aligned on lap distance (the first is the reference); raises ValueError when it cannot be done."""
    laps = [lap for lid in lap_ids[:MAX_COMPARE] if (lap := queries.lap(engine, lid)) is not None]
    if len(laps) < 2:
        raise ValueError("pick at least two laps to compare (space in the Laps screen)")
    raw = []
    problems = []
    for lap in laps:
        cars = _lap_frame(engine, lap, "cars", ["t", "lap_distance_m", "speed_mps", "x_m", "y_m"])
        if cars.height < 10 or "lap_distance_m" not in cars.columns:
            problems.append(f"{lap_label(lap)}: no position samples stored")
            continue
        t = cars["t"].to_numpy()
        d = cars["lap_distance_m"].to_numpy().astype(float)
        idx = _monotone(d)
        t, d = t[idx], d[idx]
        start = lap["t_start"] if lap["t_start"] is not None else t[0]
        extra: dict[str, np.ndarray] = {}
        gauge = _lap_frame(engine, lap, "gauge", ["t", "throttle", "brake", "gear"])
        motion = _lap_frame(engine, lap, "motion", ["t", "throttle", "brake"])
        pedals = gauge if gauge.height else motion
        for ch in ("throttle", "brake", "gear"):
            if pedals.height and ch in pedals.columns:
                pd = np.interp(pedals["t"].to_numpy(), t, d)
                extra[ch] = np.interp(d, pd, pedals[ch].to_numpy().astype(float)) if len(pd) > 1 else np.full(
                    len(d), np.nan)
            else:
                extra[ch] = np.full(len(d), np.nan)
        raw.append((lap, t - start, d, cars["speed_mps"].to_numpy()[idx], cars["x_m"].to_numpy()[idx],
                    cars["y_m"].to_numpy()[idx], extra))
    if len(raw) < 2:
        raise ValueError("; ".join(problems) or "not enough laps with samples to compare")
    end = min(r[2][-1] for r in raw)
    begin = max(r[2][0] for r in raw)
    grid = np.arange(begin, end, GRID_M)
    traces = []
    for lap, secs, d, speed, x, y, extra in raw:
        traces.append(LapTrace(lap, lap_label(lap), np.interp(grid, d, secs), np.interp(grid, d, speed) * 3.6,
                               np.interp(grid, d, extra["throttle"]), np.interp(grid, d, extra["brake"]),
                               np.round(np.interp(grid, d, extra["gear"])), np.interp(grid, d, x),
                               np.interp(grid, d, y)))
    return Comparison(grid, traces, problems)


# -- export ------------------------------------------------------------------------------------------


@dataclass
class ExportJob:
    """What to export: `what` names it in the notification and the file name; `build` makes the frame."""

    what: str
    name: str
    build: Any  # Callable[[engine], pl.DataFrame]


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no lists: join list columns with spaces."""
    lists = [c for c, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns([pl.col(c).cast(pl.List(pl.String)).list.join(" ") for c in lists]) if lists else frame


def write_frame(frame: pl.DataFrame, folder: Path, name: str, fmt: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = folder / f"{safe}-{stamp}.{fmt}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{safe}-{stamp}-{n}.{fmt}"
    if fmt == "csv":
        _flat(frame).write_csv(path)
    elif fmt == "json":
        frame.write_json(path)
    elif fmt == "parquet":
        frame.write_parquet(path)
    else:
        raise ValueError(f"export.format {fmt!r}: expected csv, json or parquet")
    return path


def run_export(job: ExportJob, engine: Any, settings: Any) -> Path:
    from .app import default_export_folder

    frame = job.build(engine)
    return write_frame(frame, default_export_folder(settings), job.name, settings["export.format"])


def laps_frame(engine: Any, session_id: int) -> pl.DataFrame:
    return pl.DataFrame(queries.laps(engine, session_id), infer_schema_length=None)


def lap_samples_frame(engine: Any, lap_id: int) -> pl.DataFrame:
    return queries.lap_telemetry(engine, lap_id)


# -- corners (until lfs_ayats.analysis.corners lands: apexes of the reference lap) --------------------


@dataclass
class Corner:
    number: int
    apex_m: float
    start_m: float
    end_m: float
    min_speed_kmh: list[float]  # per lap of the comparison
    time_s: list[float]  # time through the corner, per lap


def corner_report(c: Comparison, window_m: float = 80.0, drop_kmh: float = 8.0) -> list[Corner]:
    """Corners as the reference lap's speed minima (a drop of at least `drop_kmh` either side)."""
    ref = c.reference.speed_kmh
    d = c.distance_m
    n = len(ref)
    half = max(1, int(window_m / GRID_M))
    corners: list[Corner] = []
    i = half
    while i < n - half:
        seg = ref[i - half:i + half + 1]
        if ref[i] == np.nanmin(seg) and np.nanmax(ref[i - half:i]) - ref[i] >= drop_kmh \
                and np.nanmax(ref[i:i + half + 1]) - ref[i] >= drop_kmh:
            a, b = max(0, i - half), min(n - 1, i + half)
            corners.append(Corner(len(corners) + 1, float(d[i]), float(d[a]), float(d[b]),
                                  [float(np.nanmin(tr.speed_kmh[a:b + 1])) for tr in c.traces],
                                  [float(tr.seconds[b] - tr.seconds[a]) for tr in c.traces]))
            i += half
        else:
            i += 1
    return corners


# -- anomalies (until lfs_ayats.analysis.anomalies lands: what the session recorded as not right) -------


@dataclass
class Flag:
    lap_id: int | None
    driver: str
    lap: int | None
    kind: str
    at_m: float | None
    explanation: str


def session_flags(engine: Any, session_id: int) -> list[Flag]:
    """Every lap that is not clean, with the telemetry layer's notes (where and why)."""
    out = []
    for lap in queries.laps(engine, session_id):
        if lap["clean"]:
            continue
        notes = list(lap["notes"] or ())
        reasons = list(lap["reasons"] or ()) or [lap["reason"] or "?"]
        for k, reason in enumerate(reasons):
            note = notes[k] if k < len(notes) else ""
            at = re.search(r"at (\d+(?:\.\d+)?) m", note)
            out.append(Flag(lap["id"], lap["driver"], lap["lap"], reason, float(at.group(1)) if at else None,
                            note or reason.replace("_", " ")))
    return out
