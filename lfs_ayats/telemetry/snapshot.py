"""The latest live state, one slot per thing: a feed listener for readers that poll at their own pace.

    snapshot = LiveSnapshot(feed.session)
    feed.add_listener(snapshot)
    version, state = snapshot.latest()   # a JSON-ready dict, rebuilt only when something changed

    snapshot = follow(live_source, "live")   # the same, fed by a LiveSource on its own thread

Nothing is queued: a reader that looks twice a second sees the newest samples, never a backlog.
`state()` is plain data in SI units (NaN becomes None), so any transport can send it as it is.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .events import CarSamples, Event, FeedGap, GaugeSample, LapCompleted, LapReclassified, MotionSample
from .session import SessionState

if TYPE_CHECKING:
    from .live import LiveSource

RECENT_LAPS = 10
GAUGE_FIELDS = ("speed_mps", "rpm", "gear", "throttle", "brake", "clutch", "fuel_fraction", "turbo_pa",
                "engine_temp_c", "oil_temp_c", "oil_pressure_pa")
MOTION_FIELDS = ("x_m", "y_m", "z_m", "speed_mps", "heading_rad", "pitch_rad", "roll_rad", "steer_rad",
                 "lap_distance_m", "driven_distance_m")
CAR_FIELDS = ("x_m", "y_m", "z_m", "speed_mps", "heading_rad", "lap_distance_m", "lap_fraction",
              "gap_to_leader_s", "interval_s")


def _number(value: Any) -> float | None:
    """A finite float, or None (JSON has no NaN)."""
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass
class LinkStatus:
    """Where the data comes from and whether it is flowing (set by whoever runs the link)."""

    source: str = "none"  # "live", "demo", "capture"
    state: str = "stopped"  # the wire layer's LinkState values: connecting, connected, lost, ...
    detail: str = ""


class LiveSnapshot:
    """Keeps the newest viewed-car samples, field positions and recent laps; thread-safe."""

    def __init__(self, session: SessionState | None = None, recent_laps: int = RECENT_LAPS,
                 guard: threading.RLock | None = None) -> None:
        self.session = session or SessionState()
        # The lock of whoever changes `session` on another thread (a LiveSource's), taken before ours
        # while the state is built, in the same order as the feed's thread takes them.
        self.guard = guard
        self.link = LinkStatus()
        self.version = 0
        self._lock = threading.Lock()
        self._t = 0.0
        self._gauge: GaugeSample | None = None
        self._motion: MotionSample | None = None
        self._cars: CarSamples | None = None
        self._laps: deque[dict[str, Any]] = deque(maxlen=recent_laps)
        self._built: tuple[int, dict[str, Any]] | None = None

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, GaugeSample):
                self._gauge = event
            elif isinstance(event, MotionSample):
                self._motion = event
            elif isinstance(event, CarSamples):
                self._cars = event
            elif isinstance(event, LapCompleted):
                self._laps.append(self._lap(event))
            elif isinstance(event, LapReclassified):
                for lap in self._laps:
                    if lap["plid"] == event.plid and lap["lap"] == event.lap:
                        lap["clean"], lap["reasons"] = event.clean, list(event.reasons)
            elif isinstance(event, FeedGap):
                self._cars = None  # positions from before a gap would be shown as current
            else:
                return  # players, flags, ...: read from the session when the state is built
            self._t = event.t
            self.version += 1

    def set_link(self, source: str, state: str, detail: str = "") -> None:
        with self._lock:
            self.link = LinkStatus(source, state, detail)
            self.version += 1

    def latest(self) -> tuple[int, dict[str, Any]]:
        """(version, state): the state is built once per version, however many readers ask."""
        with self.guard or contextlib.nullcontext(), self._lock:
            if self._built is None or self._built[0] != self.version:
                self._built = (self.version, self._state())
            return self._built

    def state(self) -> dict[str, Any]:
        return self.latest()[1]

    # -- building the state (under the lock) -------------------------------------------------------

    def _lap(self, ev: LapCompleted) -> dict[str, Any]:
        player = self.session.player(ev.plid)
        return {"t": ev.t, "plid": ev.plid, "driver": ev.driver, "car": player.car if player else "", "lap": ev.lap,
                "time_ms": ev.lap_time_ms, "splits_ms": list(ev.splits_ms), "clean": ev.clean,
                "reasons": list(ev.reasons)}

    def _state(self) -> dict[str, Any]:
        s = self.session
        race = s.race
        view = s.view_plid
        return {
            "seq": self.version,
            "t": self._t,
            "link": {"source": self.link.source, "state": self.link.state, "detail": self.link.detail},
            "session": {
                "track": (race.track if race else "") or s.track,
                "mode": race.mode if race else "",
                "race_laps": race.race_laps if race else 0,
                "laps_completed": race.laps_completed if race else 0,
                "finished": bool(race and race.finished),
                "view_plid": view,
            },
            "viewed": self._viewed(view),
            "field": self._field(),
            "laps": [dict(lap) for lap in self._laps],
        }

    def _viewed(self, view: int) -> dict[str, Any] | None:
        gauge, motion = self._gauge, self._motion
        plid = view or (gauge.plid if gauge else 0)
        if not plid and gauge is None and motion is None:
            return None
        player = self.session.player(plid)
        out: dict[str, Any] = {"plid": plid, "driver": player.name if player else "",
                               "car": player.car if player else (gauge.car if gauge else "")}
        out["gauge"] = None if gauge is None else {
            "t": gauge.t, **{f: (getattr(gauge, f) if f == "gear" else _number(getattr(gauge, f)))
                             for f in GAUGE_FIELDS}}
        out["motion"] = None if motion is None else {"t": motion.t, "gear": motion.gear,
                                                     **{f: _number(getattr(motion, f)) for f in MOTION_FIELDS}}
        return out

    def _field(self) -> list[dict[str, Any]]:
        cars = self._cars
        if cars is None:
            return []
        columns = {f: getattr(cars, f) for f in CAR_FIELDS}
        rows = []
        for i, plid in enumerate(cars.plid.tolist()):
            player = self.session.player(plid)
            row: dict[str, Any] = {"plid": plid, "driver": player.name if player else "",
                                   "car": player.car if player else "", "position": int(cars.position[i]),
                                   "lap": int(cars.lap[i])}
            for name, column in columns.items():
                row[name] = _number(column[i])
            rows.append(row)
        # Classified cars first, by position; the rest (position 0: unknown) by PLID.
        order = np.argsort([r["position"] or 1_000 + r["plid"] for r in rows], kind="stable")
        return [rows[i] for i in order]


def follow(source: LiveSource, label: str) -> LiveSnapshot:
    """A snapshot of `source`: added as its listener, its link reported under `label` ("live", "demo")."""
    snapshot = LiveSnapshot(source.feed.session, guard=source.lock)
    snapshot.set_link(label, source.link.state.value, source.link.detail)
    source.link_watchers.append(lambda event: snapshot.set_link(label, event.state.value, event.detail))
    source.add_listener(snapshot)
    return snapshot
