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
from lfs_ayats.telemetry.laps import lap_clock
from lfs_ayats.telemetry.standings import Reference

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


def all_time_reference(engine: Any, track: str, car: str) -> Reference | None:
    """The fastest stored clean lap of this track and car, traced on the IS_MCI lap distance the live Δ uses."""
    from lfs_ayats.analysis.trace import session_traces

    for lap in queries.best_laps(engine, track, car, limit=3):  # the next one if the fastest has no trace
        samples = queries.telemetry(engine, lap["session_id"], plid=lap["plid"], source="cars",
                                    channels=["lap", "lap_distance_m", "speed_mps"])
        trace = session_traces(samples, [lap]).get(lap["id"])
        if trace is None:
            continue
        session = queries.session(engine, lap["session_id"]) or {}
        date = str(session.get("started_at") or "")[:10] or f"session {lap['session_id']}"
        return Reference(0, lap["driver"], lap["lap"], lap["time_ms"], trace.distance_m, trace.elapsed_s,
                         note=f"{lap_clock(lap['time_ms'])} · {date} · {lap['driver']}")
    return None


def session_or_latest(engine: Any, session_id: int | None) -> int | None:
    """The given session, or the newest stored one when none is picked (None when the store is empty)."""
    if session_id is not None:
        return session_id
    sessions = queries.sessions(engine)
    return sessions[-1]["id"] if sessions else None


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


# -- comparison (analysis.compare, analysis.corners) ---------------------------------------------------


@dataclass
class LapTrace:
    """One lap on the reference's distance grid."""

    lap: dict[str, Any]
    label: str
    seconds: np.ndarray  # time into the lap at each grid distance
    speed_kmh: np.ndarray
    throttle: np.ndarray  # NaN where the lap has no OutGauge/OutSim
    brake: np.ndarray
    gear: np.ndarray


@dataclass
class Comparison:
    """Laps against the first (the reference) on its grid, with the reference's path and its corner report."""

    distance_m: np.ndarray
    traces: list[LapTrace]
    x_m: np.ndarray
    y_m: np.ndarray
    corners: pl.DataFrame | None = None  # analysis.corners.corner_report of the second lap against the first
    problems: list[str] = field(default_factory=list)
    axis: str = ""
    first: Any = None  # the analysis.compare.Comparison of the second lap against the first

    def export(self) -> Any:
        """The second lap against the reference (analysis.export), with every lap on the grid as a table."""
        from lfs_ayats.analysis.export import Export, comparison_export

        if self.first is None:
            return Export("comparison", {}, {"laps": self.frame()})
        out = comparison_export(self.first, self.corners)
        out.tables["laps"] = self.frame()
        return out

    @property
    def reference(self) -> LapTrace:
        return self.traces[0]

    def delta(self, i: int) -> np.ndarray:
        """Lap i's time minus the reference's, along the lap (positive: lap i is behind)."""
        return self.traces[i].seconds - self.reference.seconds

    def frame(self) -> pl.DataFrame:
        out: dict[str, Any] = {"distance_m": self.distance_m, "x_m": self.x_m, "y_m": self.y_m}
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


def _column(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy().astype(float) if name in frame.columns else np.full(frame.height, np.nan)


def load_comparison(engine: Any, lap_ids: list[int]) -> Comparison:
    """Laps aligned on lap distance against the first (analysis.compare); ValueError when it cannot be done."""
    from lfs_ayats.analysis.compare import NoReference, compare_laps
    from lfs_ayats.analysis.corners import corner_map, corner_report
    from lfs_ayats.analysis.load import LapNotFound, LapSource

    ids = list(dict.fromkeys(lap_ids))[:MAX_COMPARE]
    if len(ids) < 2:
        raise ValueError("pick at least two laps to compare (space in the Laps screen)")
    src = LapSource(engine)
    try:
        ref_lap = src.lap(ids[0])
    except LapNotFound as exc:
        raise ValueError(str(exc)) from None
    compared, problems = [], []
    for lap_id in ids[1:]:
        try:
            compared.append((src.lap(lap_id), compare_laps(src, lap_id, ids[0])))
        except (NoReference, LapNotFound) as exc:
            problems.append(str(exc))
    if not compared:
        raise ValueError("; ".join(problems) or "nothing to compare")
    first = compared[0][1].frame
    grid = first["s_m"].to_numpy()
    traces = [LapTrace(ref_lap, lap_label(ref_lap), _column(first, "t_ref_s"), _column(first, "speed_mps_ref") * 3.6,
                       _column(first, "throttle_ref"), _column(first, "brake_ref"), _column(first, "gear_ref"))]
    for lap, cmp in compared:
        f = cmp.frame
        s = f["s_m"].to_numpy()

        def on_grid(name: str, s: np.ndarray = s, f: pl.DataFrame = f) -> np.ndarray:
            return np.interp(grid, s, _column(f, name))

        traces.append(LapTrace(lap, lap_label(lap), on_grid("t_s"), on_grid("speed_mps") * 3.6, on_grid("throttle"),
                               on_grid("brake"), on_grid("gear")))
    corners = None
    try:
        session = queries.session(engine, ref_lap["session_id"]) or {}
        cmap = corner_map(src, ref_lap["track"], session.get("layout") or "")
        corners = corner_report(compared[0][1], cmap)
    except (ValueError, KeyError) as exc:
        problems.append(f"corners: {exc}")
    return Comparison(grid, traces, _column(first, "x_m"), _column(first, "y_m"), corners, problems,
                      compared[0][1].axis, compared[0][1])


# -- export (analysis.export: one format registry, a schema version in every file) -------------------------


@dataclass
class ExportJob:
    """What to export: `what` names it in the notification, `name` starts the file names; `build(engine)`
    makes the `analysis.export.Export`."""

    what: str
    name: str
    build: Any  # Callable[[engine], Export]


def run_export(job: ExportJob, engine: Any, settings: Any) -> list[Path]:
    """Write the job in `export.format` into `export.folder` under a new, timestamped name; the files written."""
    from lfs_ayats.analysis.export import write_export

    from .app import default_export_folder

    folder = default_export_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fmt = settings["export.format"]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", job.name).strip("-")
    path, n = folder / f"{safe}-{stamp}.{fmt}", 1
    export = job.build(engine)
    while True:
        from lfs_ayats.analysis.export import get_format

        if not any(t.exists() for t in get_format(fmt).targets(export, path)):
            break
        n += 1
        path = folder / f"{safe}-{stamp}-{n}.{fmt}"
    return write_export(export, fmt, path)


def lap_export(engine: Any, lap_id: int) -> Any:
    from lfs_ayats.analysis.export import lap_export as build

    return build(engine, lap_id)


def session_export(engine: Any, session_id: int) -> Any:
    from lfs_ayats.analysis.export import session_export as build

    return build(engine, session_id)


def rows_export(kind: str, meta: dict[str, Any], table: str, rows: list[dict[str, Any]]) -> Any:
    from lfs_ayats.analysis.export import Export, frame_from_rows

    return Export(kind, meta, {table: frame_from_rows(rows)})


# -- anomalies (analysis.anomalies) ----------------------------------------------------------------------

ANOMALY_CHANNELS = ("lap_distance_m", "speed_mps")


@dataclass
class Flag:
    lap_id: int | None
    driver: str
    lap: int | None
    segment: str
    start_m: float | None
    explanation: str
    method: str
    score: float


def session_flags(engine: Any, session_id: int) -> tuple[list[Flag], bool]:
    """The session's anomaly flags: the stored ones ('lfs-ayats anomalies N' stores them), else found now.

    Returns (flags, stored). Each track and car is judged against every stored lap of that track and car.
    """
    stored = queries.anomalies(engine, session_id)
    if stored:
        return [_flag(r) for r in stored], True
    from lfs_ayats.analysis.anomalies import detect, lap_inputs

    session_laps = queries.laps(engine, session_id)
    mine = {lap["id"] for lap in session_laps}
    found: list[Flag] = []
    all_laps = queries.laps(engine)
    for track, car in sorted({(lap["track"], lap["car"]) for lap in session_laps}):
        history = [lap for lap in all_laps if lap["track"] == track and lap["car"] == car]
        frames = [queries.telemetry(engine, sid, channels=ANOMALY_CHANNELS).with_columns(
                  pl.lit(sid).alias("session_id")) for sid in sorted({lap["session_id"] for lap in history})]
        inputs = lap_inputs(pl.concat(frames, how="diagonal_relaxed"), history)
        found += [_flag(f.as_row()) for f in detect(inputs) if f.lap_id in mine]
    return found, False


def _flag(row: dict[str, Any]) -> Flag:
    return Flag(row.get("lap_id"), row.get("driver") or "", row.get("lap"), row.get("segment") or "lap",
                row.get("start_m"), row.get("explanation") or "", row.get("method") or "", float(row.get("score") or 0))
