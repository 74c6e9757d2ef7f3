"""Analysis inputs read from the store: laps, their traces (cut at the line) and the line itself.

`LapSource` wraps an engine and caches what several analyses of one session share (the line model,
the session's laps). Everything else in the package is pure and takes these results as arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine

from lfs_ayats.store import queries

from .align import LapTrace, LineModel, cut_at_line, cut_indexed, fit_line, ruler_length

WINDOW_S = 2.0  # samples this far beyond a lap's start and end are read, so both line crossings are inside
GAUGE_CHANNELS = ("throttle", "brake", "gear", "rpm")
MOTION_CHANNELS = ("steer_rad", "throttle", "brake")


class LapNotFound(KeyError):
    """No lap (or session) with that id; str() is a one-line message."""

    def __str__(self) -> str:
        return str(self.args[0])


class LapSource:
    """Laps and their traces from one store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lines: dict[int, LineModel | None] = {}
        self._rulers: dict[int, float] = {}
        self._traces: dict[int, LapTrace | None] = {}

    def lap(self, lap_id: int) -> dict[str, Any]:
        found = queries.lap(self.engine, lap_id)
        if found is None:
            raise LapNotFound(f"no lap {lap_id}")
        return found

    def laps(self, session_id: int) -> list[dict[str, Any]]:
        if queries.session(self.engine, session_id) is None:
            raise LapNotFound(f"no session {session_id}")
        return queries.laps(self.engine, session_id)

    def line(self, session_id: int) -> LineModel | None:
        """The session's start/finish line, from every car's lap changes (cached)."""
        if session_id not in self._lines:
            cars = queries.telemetry(self.engine, session_id, source="cars", channels=["x_m", "y_m"])
            self._lines[session_id] = fit_line(cars)
        return self._lines[session_id]

    def ruler(self, session_id: int, plid: int, motion: pl.DataFrame) -> float:
        """The track ruler's length, measured once per session from the viewed car's wraps."""
        if session_id not in self._rulers or not np.isfinite(self._rulers[session_id]):
            whole = queries.telemetry(self.engine, session_id, plid=plid, source="motion",
                                      channels=["lap_distance_m", "speed_mps"])
            length = ruler_length(whole)
            self._rulers[session_id] = length if np.isfinite(length) else ruler_length(motion)
        return self._rulers[session_id]

    def trace(self, lap: dict[str, Any]) -> LapTrace | None:
        """The lap cut at the line: on the ruler when OutSim has it, else at the line from IS_MCI positions."""
        if lap["id"] in self._traces:
            return self._traces[lap["id"]]
        trace = self._trace(lap)
        self._traces[lap["id"]] = trace
        return trace

    def _trace(self, lap: dict[str, Any]) -> LapTrace | None:
        sid, plid = lap["session_id"], lap["plid"]
        t_end = float(lap["t_end"])
        t_start = t_end - lap["time_ms"] / 1000.0
        window = (t_start - WINDOW_S, t_end + WINDOW_S)
        meta: dict[str, Any] = {"lap_id": lap["id"], "time_ms": lap["time_ms"],
                                "label": f"{lap['driver']} L{lap['lap']}"}
        channels: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        motion = queries.telemetry(self.engine, sid, plid=plid, source="motion", time=window,
                                   channels=["lap_distance_m", "x_m", "y_m", "speed_mps", *MOTION_CHANNELS])
        gauge = queries.telemetry(self.engine, sid, plid=plid, source="gauge", time=window,
                                  channels=list(GAUGE_CHANNELS))
        for frame, names in ((motion, MOTION_CHANNELS), (gauge, GAUGE_CHANNELS)):  # gauge wins for shared names
            if frame.height < 2:
                continue
            frame = frame.unique("t", keep="last", maintain_order=True)
            t = frame["t"].to_numpy()
            for name in names:
                if name in frame.columns:
                    values = frame[name].cast(pl.Float64).to_numpy()
                    if np.isfinite(values).any():
                        channels[name] = (t, values)
        trace = None
        if motion.height > 2 and "lap_distance_m" in motion.columns:
            trace = cut_indexed(motion, t_start, t_end, length_m=self.ruler(sid, plid, motion), channels=channels,
                                **meta)
        if trace is None:
            line = self.line(sid)
            if line is not None:
                cars = queries.telemetry(self.engine, sid, plid=plid, source="cars", time=window,
                                         channels=["x_m", "y_m", "speed_mps"])
                trace = cut_at_line(cars.unique("t", keep="last", maintain_order=True), line, t_start, t_end,
                                    channels=channels, **meta)
        return trace
