"""Standings: the timing tower, a log of what happened, and the live Δ against a reference lap.

A feed listener, like the ring buffers: it keeps per car what a timing screen shows (position,
last and best lap, gap, interval, pit state, penalty), the recent events as one-line texts, and
each car's current lap as a (lap distance, time into the lap) trace. A clean lap that beats the
car's best becomes its reference; the fastest clean lap of anyone is the field's reference.
The live Δ is the time into this lap minus the reference's time at the same lap distance; the
predicted lap time is the reference lap plus that Δ.

It is written on the feed's thread and read by the UI clock: readers take the source's lock and
copy what they need (`rows()`, `log`, `delta()`), so nothing here needs to be thread-safe itself.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .events import (
    CarFinished,
    CarSamples,
    Contact,
    Event,
    FeedGap,
    FlagChanged,
    HotlapViolation,
    LapCompleted,
    LapReclassified,
    ObjectHit,
    PenaltyChanged,
    PitLaneChanged,
    PitStopFinished,
    PitStopStarted,
    PlayerJoined,
    PlayerLeft,
    PlayerPitted,
    RaceFinished,
    RaceStarted,
    SplitCompleted,
)
from .laps import lap_clock
from .session import SessionState

LOG_LENGTH = 200
HISTORY = 30  # clean laps kept per car (the lap-time predictor learns from them)
TRACE_START_M = 400.0  # a lap's trace starts only near the line (a car seen mid-lap has no trace)
COVERED = 0.9  # a reference must cover this share of the track's length


@dataclass
class CarRow:
    """One line of the timing tower."""

    plid: int
    name: str = ""
    car: str = ""
    position: int = 0  # 0 = unknown
    lap: int = 0  # the lap being driven
    laps_done: int = 0
    last_ms: int = 0
    last_clean: bool = True
    best_ms: int = 0
    gap_s: float = math.nan
    interval_s: float = math.nan
    lap_distance_m: float = math.nan
    speed_mps: float = math.nan
    pit: str = ""  # "", "pit lane", "stop", "garage"
    pit_stops: int = 0
    penalty: str = ""  # "", "dt", "sg", "p30", "p45" ...
    finished: bool = False
    lap_start_t: float | None = None


@dataclass
class Reference:
    """A lap driven this session, as lap distance -> seconds into the lap."""

    plid: int
    driver: str
    lap: int
    time_ms: int
    distance_m: np.ndarray
    seconds: np.ndarray
    note: str = ""  # a stored lap says where it is from instead: "1:33.212 (Name, 2026-11-20)"

    @property
    def label(self) -> str:
        return self.note or f"{self.driver} L{self.lap} {lap_clock(self.time_ms)}"


@dataclass
class LiveDelta:
    """The viewed car's lap so far against a reference."""

    elapsed_s: float | None  # time into the current lap (None: the lap's start was not seen)
    delta_s: float | None
    predicted_ms: int | None
    reference: str  # "own best: NAME L4 1:23.456", or why there is none


@dataclass
class LogLine:
    t: float
    kind: str  # "lap", "incident", "flag", "pit", "penalty", "session", "link"
    text: str


@dataclass
class _Trace:
    distance: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


class Standings:
    """A feed listener keeping what the live screen shows; see the module docstring."""

    def __init__(self, session: SessionState, log_length: int = LOG_LENGTH) -> None:
        self.session = session
        self.cars: dict[int, CarRow] = {}
        self.log: deque[LogLine] = deque(maxlen=log_length)
        self.t = 0.0  # time of the newest event
        self.laps_seen = 0  # counts completed laps: the UI redraws lap views when it moves
        self.incidents = 0
        self.track_length_m = math.nan
        self.own_refs: dict[int, Reference] = {}
        self.best_ref: Reference | None = None
        # Stored all-time best laps of this track by car, set by the UI; kept across restarts of the session.
        self.all_time: dict[str, Reference] = {}
        self.history: dict[int, deque[Reference]] = {}  # each car's recent clean laps, oldest first
        self._traces: dict[int, _Trace] = {}

    # -- reading (under the source's lock) -----------------------------------------------------------

    def rows(self) -> list[CarRow]:
        """Copies of the tower's rows, in race order (cars without a position last)."""
        out = []
        for row in self.cars.values():
            player = self.session.players.get(row.plid)
            if player is None:
                continue
            copy = CarRow(**{k: getattr(row, k) for k in row.__dataclass_fields__})
            copy.name = player.name
            copy.car = player.car
            if player.in_garage:
                copy.pit = "garage"
            out.append(copy)
        out.sort(key=lambda r: (r.position == 0, r.position, -r.laps_done, r.plid))
        return out

    def delta(self, plid: int) -> LiveDelta:
        """The live Δ of one car against its own best clean lap (else the session's fastest), or against
        the stored all-time best for its car when that is at least as fast."""
        row = self.cars.get(plid)
        if row is None or row.lap_start_t is None:
            return LiveDelta(None, None, None, "waiting for a lap start")
        elapsed = self.t - row.lap_start_t
        ref = self.own_refs.get(plid)
        name = "own best"
        if ref is None:
            ref, name = self.best_ref, "fastest"
        player = self.session.players.get(plid)
        stored = self.all_time.get(player.car) if player is not None else None
        if stored is not None and (ref is None or stored.time_ms <= ref.time_ms):
            ref, name = stored, "all-time best"
        if ref is None:
            return LiveDelta(elapsed, None, None, "no clean lap yet")
        trace = self._traces.get(plid)
        if trace is None or not trace.distance:
            return LiveDelta(elapsed, None, None, f"{name}: {ref.label}")
        d = trace.distance[-1]
        ref_s = float(np.interp(d, ref.distance_m, ref.seconds))
        delta = trace.seconds[-1] - ref_s
        return LiveDelta(elapsed, delta, round(ref.time_ms + delta * 1000.0), f"{name}: {ref.label}")

    def position(self, plid: int) -> tuple[float, float] | None:
        """(lap distance, seconds into the lap) of a car's newest sample on its current lap's trace."""
        trace = self._traces.get(plid)
        if trace is None or not trace.distance:
            return None
        return trace.distance[-1], trace.seconds[-1]

    # -- the listener --------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        self.t = max(self.t, event.t)
        if isinstance(event, CarSamples):
            self._samples(event)
            return
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _row(self, plid: int) -> CarRow:
        row = self.cars.get(plid)
        if row is None:
            row = self.cars[plid] = CarRow(plid)
        return row

    def _name(self, plid: int) -> str:
        return self.session.driver_name(plid)

    def _say(self, t: float, kind: str, text: str) -> None:
        self.log.append(LogLine(t, kind, text))

    def _samples(self, ev: CarSamples) -> None:
        race = self.session.race
        length = self.session.ruler.length_m
        if not math.isnan(length):
            self.track_length_m = float(length)
        for i, plid in enumerate(ev.plid.tolist()):
            row = self._row(plid)
            row.position = int(ev.position[i])
            row.lap = int(ev.lap[i])
            row.gap_s = float(ev.gap_to_leader_s[i])
            row.interval_s = float(ev.interval_s[i])
            d = float(ev.lap_distance_m[i])
            row.lap_distance_m = d
            row.speed_mps = float(ev.speed_mps[i])
            if row.lap_start_t is None and race is not None and race.started_t is not None and row.laps_done == 0 \
                    and self.session.race_in_progress == "race":
                row.lap_start_t = race.started_t
            if row.lap_start_t is None or math.isnan(d):
                continue
            trace = self._traces.setdefault(plid, _Trace())
            if trace.distance:
                if d < trace.distance[-1]:
                    continue
            elif d > TRACE_START_M:
                continue
            trace.distance.append(d)
            trace.seconds.append(ev.t - row.lap_start_t)

    def _lap(self, ev: LapCompleted) -> None:
        row = self._row(ev.plid)
        row.laps_done = ev.lap
        row.last_ms = ev.lap_time_ms
        row.last_clean = ev.clean
        if ev.lap_time_ms and (not row.best_ms or ev.lap_time_ms < row.best_ms):
            row.best_ms = ev.lap_time_ms
        row.pit_stops = ev.pit_stops
        trace = self._traces.pop(ev.plid, None)
        if ev.clean and trace is not None:
            self._offer_reference(ev, trace)
        row.lap_start_t = ev.t
        self.laps_seen += 1
        verdict = "✓" if ev.clean else "✗ " + ", ".join(r.replace("_", " ") for r in ev.reasons)
        self._say(ev.t, "lap", f"{ev.driver} L{ev.lap} {lap_clock(ev.lap_time_ms)} {verdict}")

    def _offer_reference(self, ev: LapCompleted, trace: _Trace) -> None:
        length = self.track_length_m
        if len(trace.distance) < 10:
            return
        if not math.isnan(length) and trace.distance[-1] - trace.distance[0] < COVERED * length:
            return
        # The trace ends where the lap ends: pin the line crossing at the lap's exact time.
        distance = np.array([*trace.distance, length if not math.isnan(length) else trace.distance[-1]])
        seconds = np.array([*trace.seconds, ev.lap_time_ms / 1000.0])
        ref = Reference(ev.plid, ev.driver, ev.lap, ev.lap_time_ms, distance, seconds)
        self.history.setdefault(ev.plid, deque(maxlen=HISTORY)).append(ref)
        own = self.own_refs.get(ev.plid)
        if own is None or ev.lap_time_ms < own.time_ms:
            self.own_refs[ev.plid] = ref
        if self.best_ref is None or ev.lap_time_ms < self.best_ref.time_ms:
            self.best_ref = ref

    def _split(self, ev: SplitCompleted) -> None:
        row = self._row(ev.plid)
        if row.lap_start_t is None:  # joined mid-lap: the split says when this lap began
            row.lap_start_t = ev.t - ev.split_time_s

    def _reclassified(self, ev: LapReclassified) -> None:
        self.laps_seen += 1

    def _race_started(self, ev: RaceStarted) -> None:
        self.cars.clear()
        self._traces.clear()
        self.own_refs.clear()
        self.history.clear()
        self.best_ref = None
        self._say(ev.t, "session", f"{ev.mode} started on {ev.track}"
                  + (f", {ev.race_laps} laps" if ev.mode == "race" and ev.race_laps else ""))

    def _race_finished(self, ev: RaceFinished) -> None:
        self._say(ev.t, "session", f"chequered flag: {self._name(ev.winner_plid)} wins")

    def _finished(self, ev: CarFinished) -> None:
        self._row(ev.plid).finished = True

    def _joined(self, ev: PlayerJoined) -> None:
        row = self._row(ev.plid)
        row.pit = ""
        race = self.session.race
        if not ev.reply and (ev.rejoin or (race is not None and race.started_t is not None)):
            # Joins before the start are the grid being listed: the tower shows them, the log need not.
            self._say(ev.t, "session", f"{ev.name} ({ev.car}) " + ("left the garage" if ev.rejoin else "joined"))

    def _pitted(self, ev: PlayerPitted) -> None:
        self._say(ev.t, "pit", f"{self._name(ev.plid)} went to the garage")

    def _left(self, ev: PlayerLeft) -> None:
        self._say(ev.t, "session", f"{self._name(ev.plid)} left")
        self.cars.pop(ev.plid, None)
        self._traces.pop(ev.plid, None)

    def _pit_lane(self, ev: PitLaneChanged) -> None:
        row = self._row(ev.plid)
        row.pit = "pit lane" if ev.entered else ""
        if ev.entered:
            what = {"drive_through": "for a drive-through", "stop_go": "for a stop-go"}.get(ev.purpose, "")
            self._say(ev.t, "pit", f"{self._name(ev.plid)} entered the pit lane {what}".rstrip())
        elif ev.purpose == "exit":
            self._say(ev.t, "pit", f"{self._name(ev.plid)} left the pit lane")

    def _pit_stop(self, ev: PitStopStarted) -> None:
        row = self._row(ev.plid)
        row.pit = "stop"
        row.pit_stops = ev.pit_stops
        self._say(ev.t, "pit", f"{self._name(ev.plid)} stopped in the box")

    def _pit_done(self, ev: PitStopFinished) -> None:
        row = self._row(ev.plid)
        row.pit = "pit lane"
        self._say(ev.t, "pit", f"{self._name(ev.plid)} pit stop {ev.stop_time_ms / 1000:.1f} s")

    def _contact(self, ev: Contact) -> None:
        self.incidents += 1
        a, b = ev.plids
        speed = ev.closing_speed_mps * 3.6
        self._say(ev.t, "incident", f"contact {self._name(a)} / {self._name(b)} at {speed:.0f} km/h")

    def _object(self, ev: ObjectHit) -> None:
        self.incidents += 1
        self._say(ev.t, "incident", f"{self._name(ev.plid)} hit an object at {ev.closing_speed_mps * 3.6:.0f} km/h")

    def _hlv(self, ev: HotlapViolation) -> None:
        self.incidents += 1
        self._say(ev.t, "incident", f"{self._name(ev.plid)}: hotlap invalid ({ev.reason.replace('_', ' ')})")

    def _flag(self, ev: FlagChanged) -> None:
        if ev.on:
            self._say(ev.t, "flag", f"{ev.flag} flag: {self._name(ev.plid)}")

    def _penalty(self, ev: PenaltyChanged) -> None:
        row = self._row(ev.plid)
        row.penalty = "" if ev.new == "none" else ev.new.replace("_valid", "")
        if ev.new != "none":
            self._say(ev.t, "penalty", f"{self._name(ev.plid)}: {PENALTY_NAMES.get(ev.new, ev.new)}"
                      + (f" ({ev.reason.replace('_', ' ')})" if ev.reason not in ("unknown", "") else ""))
        else:
            self._say(ev.t, "penalty", f"{self._name(ev.plid)}: penalty cleared")

    def _gap(self, ev: FeedGap) -> None:
        self._traces.clear()
        self._say(ev.t, "link", f"feed interrupted: {ev.reason}")


PENALTY_NAMES = {"dt": "drive-through", "dt_valid": "drive-through", "sg": "stop-go", "sg_valid": "stop-go",
                 "p30": "30 s penalty", "p45": "45 s penalty"}

_HANDLERS: dict[type, Callable[[Standings, Any], None]] = {
    LapCompleted: Standings._lap,
    LapReclassified: Standings._reclassified,
    SplitCompleted: Standings._split,
    RaceStarted: Standings._race_started,
    RaceFinished: Standings._race_finished,
    CarFinished: Standings._finished,
    PlayerJoined: Standings._joined,
    PlayerPitted: Standings._pitted,
    PlayerLeft: Standings._left,
    PitLaneChanged: Standings._pit_lane,
    PitStopStarted: Standings._pit_stop,
    PitStopFinished: Standings._pit_done,
    Contact: Standings._contact,
    ObjectHit: Standings._object,
    HotlapViolation: Standings._hlv,
    FlagChanged: Standings._flag,
    PenaltyChanged: Standings._penalty,
    FeedGap: Standings._gap,
}
